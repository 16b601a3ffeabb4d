"""Her sessions (everyone signed in) and the clinic admin's accounts page."""

from django.urls import path

from .views import accounts, sessions

urlpatterns = [
    path("account/sessions/", sessions.session_list, name="session_list"),
    path("account/sessions/end-others/", sessions.sessions_end_others, name="sessions_end_others"),
    path("account/sessions/<int:session_id>/end/", sessions.session_end, name="session_end"),
    path("account/session/", sessions.session_status, name="session_status"),
    path("admin-pages/accounts/", accounts.account_list, name="account_list"),
    path("admin-pages/accounts/<int:account_id>/deactivate/", accounts.account_deactivate, name="account_deactivate"),
    path("admin-pages/accounts/<int:account_id>/reactivate/", accounts.account_reactivate, name="account_reactivate"),
]
