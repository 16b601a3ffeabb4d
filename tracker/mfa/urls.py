"""/accounts/second-factor/... (her own) and the clinic admin's reset."""

from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import views as webauthn

from . import admin_views, views
from .gate import second_factor_exempt

# django-otp-webauthn's JSON endpoints under our own names, open to the
# second step (the library itself refuses to register a passkey for someone
# who has a factor and has not passed it in this session).
_PASSKEY_VIEWS = [
    ("registration/begin/", webauthn.BeginCredentialRegistrationView, "credential-registration-begin"),
    ("registration/complete/", webauthn.CompleteCredentialRegistrationView, "credential-registration-complete"),
    ("authentication/begin/", webauthn.BeginCredentialAuthenticationView, "credential-authentication-begin"),
    ("authentication/complete/", webauthn.CompleteCredentialAuthenticationView, "credential-authentication-complete"),
]
passkey_urls = [
    *(path(route, second_factor_exempt(view.as_view()), name=name) for route, view, name in _PASSKEY_VIEWS),
    path(
        "jsi18n/",
        second_factor_exempt(JavaScriptCatalog.as_view(packages=["django_otp_webauthn"])),
        name="js-i18n-catalog",
    ),
]

# Her own factors, under /accounts/second-factor/.
own_urls = [
    # The namespace is the one the library's script tags reverse.
    path("passkeys/", include((passkey_urls, "otp_webauthn"))),
    path("", views.factors, name="mfa_factors"),
    path("set-up/", views.setup, name="mfa_setup"),
    path("verify/", views.verify, name="mfa_verify"),
    path("recovery-codes/", views.recovery_codes, name="mfa_recovery_codes"),
    path("recovery-codes/new/", views.recovery_codes_new, name="mfa_recovery_codes_new"),
    path("passkey-added/", views.passkey_added, name="mfa_passkey_added"),
    path("passkeys/<int:passkey_id>/remove/", views.passkey_remove, name="mfa_passkey_remove"),
    path("turn-off/", views.turn_off, name="mfa_turn_off"),
]

urlpatterns = [
    path("accounts/second-factor/", include(own_urls)),
    path("admin-pages/accounts/<int:user_id>/second-factor/reset/", admin_views.reset, name="mfa_reset"),
]
