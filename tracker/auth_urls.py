"""Django's own login, logout and password-reset views with our templates."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import session_views
from .security import auth_views as security_views
from .sso_views import SSOCallbackView, SSOLogoutView, SSOStartView, sso_signed_out

urlpatterns = [
    # Login and password reset: Django's, with the lockout and the throttles (tracker/security/).
    path("login/", security_views.LoginView.as_view(), name="login"),
    # Django's logout; after a single sign-on, an offer to sign out of the provider too.
    path("logout/", SSOLogoutView.as_view(), name="logout"),
    # Single sign-on (tracker/sso_views.py); the library's URL names.
    path("sso/start/", SSOStartView.as_view(), name="oidc_authentication_init"),
    path("sso/callback/", SSOCallbackView.as_view(), name="oidc_authentication_callback"),
    path("sso/signed-out/", sso_signed_out, name="sso_signed_out"),
    path("password-reset/", security_views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", security_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    # Ends her other sessions for good, keeps this one (tracker/session_views.py).
    path("password-change/", session_views.PasswordChangeView.as_view(), name="password_change"),
    path("password-change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
