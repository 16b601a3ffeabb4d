"""Single sign-on for staff through the hospital's OpenID Connect provider
(issue 13), on mozilla-django-oidc: the authorization code flow with PKCE,
state and nonce kept in the session and checked by the library.

Who may come in: an existing, active nurse, clinic admin or superuser whose
email address the provider says it has verified. Nobody is ever created and
survivors never sign in this way. Configured by the environment only
(config/settings/base.py, README "Single sign-on for staff"); off while
OIDC_RP_CLIENT_ID or OIDC_OP_ISSUER is unset. The views are in tracker/views/sso.py.
"""

import logging
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db.models import Q, QuerySet
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from .models import User

logger = logging.getLogger(__name__)

# The library's setting -> the key of the provider's discovery document that
# fills it when the environment leaves it empty.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}

# One discovery document per issuer for the life of the process (endpoints
# do not move; the keys behind jwks_uri are fetched at every sign-in).
_discovered: dict[str, dict[str, Any]] = {}


class SSOUnavailable(Exception):
    """The provider could not be reached, or described another issuer."""


def sso_enabled() -> bool:
    return bool(settings.OIDC_RP_CLIENT_ID and settings.OIDC_OP_ISSUER)


def sso_forget() -> None:
    """Drop the discovery documents (tests; a provider that moved)."""
    _discovered.clear()


def sso_setting(name: str, *default: Any) -> Any:
    """A setting as mozilla-django-oidc reads it (its get_settings hook), with
    an endpoint the environment does not name taken from the provider's
    discovery document. Raises SSOUnavailable when discovery fails."""
    value = import_from_settings(name, *default)
    if name in DISCOVERED and not value:
        return _discovery()[DISCOVERED[name]]
    return value


def _discovery() -> dict[str, Any]:
    issuer = settings.OIDC_OP_ISSUER
    document = _discovered.get(issuer)
    if document is not None:
        return document
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT, verify=settings.OIDC_VERIFY_SSL)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        logger.warning("sso_discovery_failed error=%s", type(exc).__name__)
        raise SSOUnavailable from exc
    # OpenID Connect Discovery 1.0, section 4.3: the document must name the
    # issuer it was asked for, or it is not that provider's.
    if (
        not isinstance(document, dict)
        or document.get("issuer") != issuer
        or not all(isinstance(document.get(key), str) for key in DISCOVERED.values())
    ):
        logger.warning("sso_discovery_failed error=wrong_document")
        raise SSOUnavailable
    _discovered[issuer] = document
    return document


def sso_logout_endpoint() -> str:
    """Where the provider ends its own session (RP-initiated logout): the
    environment's, else the discovery document's; "" if it has none or
    cannot be reached (the local logout has happened either way)."""
    if settings.OIDC_OP_LOGOUT_ENDPOINT:
        return settings.OIDC_OP_LOGOUT_ENDPOINT
    try:
        endpoint = _discovery().get("end_session_endpoint")
    except SSOUnavailable:
        return ""
    return endpoint if isinstance(endpoint, str) else ""


def sso_staff() -> QuerySet[User]:
    """The accounts single sign-on may sign in: active staff, never survivors."""
    staff = Q(role__in=[User.Role.NURSE, User.Role.CLINIC_ADMIN]) | Q(is_superuser=True)
    return User.objects.filter(staff, is_active=True)


def _endpoint(name: str) -> property:
    return property(lambda self: sso_setting(name))


class StaffOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, narrowed to existing staff by verified
    email, with the ID token's issuer and audience checked."""

    # Endpoints from the environment or the provider's discovery document.
    get_settings = staticmethod(sso_setting)

    # Read when a sign-in needs them, not in __init__ (see there).
    OIDC_OP_TOKEN_ENDPOINT = _endpoint("OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = _endpoint("OIDC_OP_USER_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = _endpoint("OIDC_OP_JWKS_ENDPOINT")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not the library's __init__: Django builds every backend for every
        # password login, and this one for every request of a session it
        # signed in. The library reads the endpoints there (with discovery, a
        # call to the provider; with single sign-on off, an error). They are
        # properties above instead, read only during a sign-in.
        self.UserModel = User
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None  # the provider's keys come from its jwks_uri

    def authenticate(self, request, **kwargs):
        # Django asks every backend about every password login; the library
        # would then act on any ?code=&state= in that request's URL. Only the
        # callback view calls with the nonce it kept in the session.
        if request is None or "nonce" not in kwargs or not sso_enabled():
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        # The library checks the signature, expiry and nonce but not who
        # issued the token nor for whom (it decodes with verify_aud off): a
        # token the provider made for another of its apps would pass.
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience
        if payload.get("iss") != settings.OIDC_OP_ISSUER:
            raise SuspiciousOperation("ID token from another issuer")
        if not isinstance(audiences, list) or self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token for another client")
        if len(audiences) > 1 and payload.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("ID token for another authorized party")
        return payload

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        # OpenID Connect Core 5.3.2: the userinfo answer must be about the
        # person the ID token names; the library does not compare them.
        claims = super().get_userinfo(access_token, id_token, payload)
        if not isinstance(claims, dict) or claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("userinfo about another subject")
        return claims

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        # The library wants an email claim, verified or not; an address the
        # provider has not verified may be one its user merely typed in. Some
        # providers (Amazon Cognito) send the flag as the string "true".
        verified = claims.get("email_verified") in (True, "true")
        if not verified:
            logger.info("sso_refused reason=email_not_verified")
        return bool(claims.get("email")) and verified

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[User]:
        # The library matches any account by email; ours must be active staff.
        email = claims.get("email")
        if not isinstance(email, str) or not email:
            return User.objects.none()
        users = sso_staff().filter(email__iexact=email)
        if not users:
            logger.info("sso_refused reason=no_active_staff_account")
        return users

    def create_user(self, claims: dict[str, Any]) -> None:
        # Never: OIDC_CREATE_USER is False, and should it ever be switched on,
        # still nobody (least of all a survivor) is made from a provider's claims.
        raise SuspiciousOperation("single sign-on never creates accounts")

    def describe_user_by_claims(self, claims: dict[str, Any]) -> str:
        # The library logs this; logs carry no email addresses.
        return "the provider's user"

    def get_user(self, user_id: int) -> User | None:
        # The library's get_user skips Django's is_active check: a nurse
        # deactivated, or no longer staff, would keep her signed-in session.
        return sso_staff().filter(pk=user_id).first()
