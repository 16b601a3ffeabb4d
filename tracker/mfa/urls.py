"""/accounts/second-factor/... (her own) and the clinic admin's reset."""

from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import views as webauthn

from . import admin_views, views
from .gate import second_factor_exempt

# django-otp-webauthn's JSON endpoints under our own names, open to the
# second step (the library itself refuses to register a passkey for someone
# who has a factor and has not passed it in this session).
passkey_urls = [
    path(
        "registration/begin/",
        second_factor_exempt(webauthn.BeginCredentialRegistrationView.as_view()),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        second_factor_exempt(webauthn.CompleteCredentialRegistrationView.as_view()),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        second_factor_exempt(webauthn.BeginCredentialAuthenticationView.as_view()),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        second_factor_exempt(webauthn.CompleteCredentialAuthenticationView.as_view()),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        second_factor_exempt(JavaScriptCatalog.as_view(packages=["django_otp_webauthn"])),
        name="js-i18n-catalog",
    ),
]

urlpatterns = [
    # The namespace is the one the library's script tags reverse.
    path("accounts/second-factor/passkeys/", include((passkey_urls, "otp_webauthn"))),
    path("accounts/second-factor/", views.factors, name="mfa_factors"),
    path("accounts/second-factor/set-up/", views.setup, name="mfa_setup"),
    path("accounts/second-factor/verify/", views.verify, name="mfa_verify"),
    path("accounts/second-factor/recovery-codes/", views.recovery_codes, name="mfa_recovery_codes"),
    path("accounts/second-factor/recovery-codes/new/", views.recovery_codes_new, name="mfa_recovery_codes_new"),
    path("accounts/second-factor/passkey-added/", views.passkey_added, name="mfa_passkey_added"),
    path("accounts/second-factor/passkeys/<int:passkey_id>/remove/", views.passkey_remove, name="mfa_passkey_remove"),
    path("accounts/second-factor/turn-off/", views.turn_off, name="mfa_turn_off"),
    path("admin-pages/accounts/<int:user_id>/second-factor/reset/", admin_views.reset, name="mfa_reset"),
]
