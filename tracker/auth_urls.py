"""Django's own login, logout and password-reset views with our templates."""

from django.contrib.auth import views as auth_views
from django.urls import path

from .security import auth_views as security_views
from .views import sessions, sso

urlpatterns = [
    # Login and password reset: Django's, with the lockout and the throttles (tracker/security/).
    path("login/", security_views.LoginView.as_view(), name="login"),
    # Django's logout; after a single sign-on, an offer to sign out of the provider too.
    path("logout/", sso.SSOLogoutView.as_view(), name="logout"),
    # Single sign-on (tracker/views/sso.py); the library's URL names.
    path("sso/start/", sso.SSOStartView.as_view(), name="oidc_authentication_init"),
    path("sso/callback/", sso.SSOCallbackView.as_view(), name="oidc_authentication_callback"),
    path("sso/signed-out/", sso.sso_signed_out, name="sso_signed_out"),
    path("password-reset/", security_views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", security_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    # Ends her other sessions for good, keeps this one (tracker/views/sessions.py).
    path("password-change/", sessions.PasswordChangeView.as_view(), name="password_change"),
    path("password-change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
