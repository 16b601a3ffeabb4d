"""Who is calling the API: the bearer token a client got from the token
endpoint (fhirapi/services.py: token_issue), looked up by its hash, and
what its scopes let it read. The API (fhirapi/api.py) authenticates every
call with SmartBearer and checks each resource type with scope_allows."""

import hashlib

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from .models import AccessToken, ApiClient
from .scopes import scopes_allow

# token_issue's tokens are 43 characters; anything much longer is not one.
TOKEN_MAX_LENGTH = 200


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def client_for_token(raw: str) -> ApiClient | None:
    """The active client this unexpired token was issued to (its clinic
    loaded), with the token's scopes on `client.granted_scopes`; None for
    any other token. One query."""
    if not raw or len(raw) > TOKEN_MAX_LENGTH:
        return None
    token = (
        AccessToken.objects.select_related("client__clinic")
        .filter(token_hash=token_hash(raw), expires_at__gt=timezone.now(), client__is_active=True)
        .first()
    )
    if token is None:
        return None
    client = token.client
    client.granted_scopes = list(token.scopes)
    return client


def scope_allows(scopes: list[str], resource_type: str) -> bool:
    """Whether a token's scopes let it read this resource type:
    system/<Type>.read, system/*.read, or SMART v2's system/<Type>.rs and
    system/*.rs."""
    return scopes_allow(scopes, resource_type)


class SmartBearer(HttpBearer):
    """ninja's bearer authentication: request.auth is the ApiClient (None
    answers 401)."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        return client_for_token(token)
