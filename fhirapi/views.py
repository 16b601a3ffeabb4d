"""SMART Backend Services' two public endpoints under /fhir/R4/: the token
endpoint (a client trades a signed assertion for an access token) and the
discovery document. The clinic admin's pages are in admin_views.py."""

import logging

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from tracker.security.identity import client_address
from tracker.security.throttle import throttle_many

from .assertions import ASSERTION_MAX_BYTES, TokenError, assertion_issuer, assertion_verify
from .jwks import SIGNING_ALGORITHMS
from .scopes import REGISTRABLE_SCOPES
from .services import token_issue

log = logging.getLogger("security")

GRANT_TYPE = "client_credentials"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCOPE_MAX_BYTES = 1024
# The whole form: the assertion, the scope and the fixed words, with room.
REQUEST_MAX_BYTES = 16 * 1024


def _answer(body: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status)
    # RFC 6749, 5.1: a token, or why not, is never kept by a cache.
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def _refused(error: TokenError, request: HttpRequest) -> JsonResponse:
    # What was refused and from where; never the assertion.
    log.warning("security event=fhir_token_refused error=%s address=%s", error.error, client_address(request) or "-")
    return _answer({"error": error.error, "error_description": error.description}, status=error.status)


def _field(request: HttpRequest, name: str, max_bytes: int) -> str:
    value = request.POST.get(name, "")
    if not value:
        raise TokenError("invalid_request", f"{name} is required.")
    if len(value.encode()) > max_bytes:
        raise TokenError("invalid_request", f"{name} is too long.")
    return value


@csrf_exempt
@login_not_required
@require_POST
def token(request: HttpRequest) -> JsonResponse:
    """POST /fhir/R4/auth/token (form-encoded): grant_type=client_credentials,
    client_assertion_type (jwt-bearer), client_assertion, scope."""
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > REQUEST_MAX_BYTES:
            raise TokenError("invalid_request", "The request is too long.")
        grant_type = _field(request, "grant_type", 100)
        if grant_type != GRANT_TYPE:
            raise TokenError("unsupported_grant_type", f"Only {GRANT_TYPE} is supported.")
        if _field(request, "client_assertion_type", 100) != ASSERTION_TYPE:
            raise TokenError("invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}.")
        assertion = _field(request, "client_assertion", ASSERTION_MAX_BYTES)
        scope = _field(request, "scope", SCOPE_MAX_BYTES)
    except (TokenError, ValueError) as error:
        if isinstance(error, ValueError):  # a Content-Length that is not a number
            error = TokenError("invalid_request", "The request is not valid.")
        return _refused(error, request)
    # Per address before anything is checked; per client only once the
    # assertion's signature holds (below), or anyone who knows a client_id
    # could keep its system from getting tokens with junk assertions.
    wait = throttle_many(request, [("fhir_token.address", client_address(request))])
    if wait:
        return _too_many(wait)
    try:
        assertion_verify(assertion=assertion, audience=_token_url(request))
    except TokenError as error:
        return _refused(error, request)
    wait = throttle_many(request, [("fhir_token.client", assertion_issuer(assertion))])
    if wait:
        return _too_many(wait)
    try:
        issued = token_issue(assertion=assertion, scope=scope, audience=_token_url(request))
        if request.POST.get("client_id", issued.client.client_id) != issued.client.client_id:
            raise TokenError("invalid_client", "client_id is not the assertion's client.", status=401)
    except TokenError as error:
        return _refused(error, request)
    return _answer(
        {
            "access_token": issued.access_token,
            "token_type": "bearer",
            "expires_in": issued.expires_in,
            "scope": issued.scope,
        }
    )


def _token_url(request: HttpRequest) -> str:
    """The token endpoint's absolute URL: what an assertion's aud must be,
    and what the discovery document says (the same words, so they agree)."""
    return request.build_absolute_uri(reverse("fhir_token"))


@login_not_required
@require_GET
def smart_configuration(request: HttpRequest) -> JsonResponse:
    """GET /fhir/R4/.well-known/smart-configuration: how a backend client
    gets a token here (SMART App Launch 2, Backend Services)."""
    return JsonResponse(
        {
            "token_endpoint": _token_url(request),
            "grant_types_supported": [GRANT_TYPE],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": list(SIGNING_ALGORITHMS),
            "scopes_supported": list(REGISTRABLE_SCOPES),
            "capabilities": ["client-confidential-asymmetric"],
        }
    )


def _too_many(wait: int) -> JsonResponse:
    response = _answer({"error": "invalid_request", "error_description": "Too many requests."}, status=429)
    response["Retry-After"] = str(wait)
    return response
