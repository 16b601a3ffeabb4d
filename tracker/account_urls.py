"""Her sessions (everyone signed in) and the clinic admin's accounts page."""

from django.urls import path

from . import account_views, session_views
from .account_views import account_deactivate, account_reactivate

urlpatterns = [
    path("account/sessions/", session_views.session_list, name="session_list"),
    path("account/sessions/end-others/", session_views.sessions_end_others, name="sessions_end_others"),
    path("account/sessions/<int:session_id>/end/", session_views.session_end, name="session_end"),
    path("account/session/", session_views.session_status, name="session_status"),
    path("admin-pages/accounts/", account_views.account_list, name="account_list"),
    path("admin-pages/accounts/<int:account_id>/deactivate/", account_deactivate, name="account_deactivate"),
    path("admin-pages/accounts/<int:account_id>/reactivate/", account_reactivate, name="account_reactivate"),
]
