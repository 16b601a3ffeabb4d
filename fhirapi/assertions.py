"""The client's proof of who it is: a JWT it signed with its private key
(SMART Backend Services, RFC 7523), checked against the public key its
`kid` names in the client's JWK Set.

Checked: the algorithm (RS384 or ES384, the key's kind), the signature,
iss == sub == the client_id of an active client, aud == the token
endpoint's URL, exp present and at most five minutes ahead and not passed,
a jti. Whether the jti was seen before is the token service's (it records
it in the same transaction as the token)."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

import jwt
from django.utils import timezone

from .jwks import KINDS, SIGNING_ALGORITHMS, jwks_key
from .models import ApiClient

ASSERTION_MAX_BYTES = 8 * 1024
ASSERTION_MAX_LIFETIME = dt.timedelta(minutes=5)
# Clocks of two systems disagree a little.
LEEWAY = dt.timedelta(seconds=30)
JTI_MAX_LENGTH = 255
CLIENT_ID_MAX_LENGTH = 64  # ApiClient.client_id's


class TokenError(Exception):
    """An answer of the token endpoint other than a token (RFC 6749, 5.2)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(error, description)
        self.error = error
        self.description = description
        self.status = status


def client_refused(description: str) -> TokenError:
    return TokenError("invalid_client", description, status=401)


@dataclass(frozen=True)
class Assertion:
    client: ApiClient
    jti: str
    # When it can no longer be accepted: its exp plus the leeway.
    usable_until: dt.datetime


def assertion_issuer(assertion: str) -> str | None:
    """The client the assertion says it comes from, not yet believed (to
    count requests by client before the signature is checked)."""
    try:
        issuer = jwt.decode(assertion, options={"verify_signature": False}).get("iss")
    except jwt.InvalidTokenError:
        return None
    return issuer[:100] if isinstance(issuer, str) else None


def assertion_verify(*, assertion: str, audience: str) -> Assertion:
    """The client this assertion proves, or TokenError."""
    if len(assertion.encode()) > ASSERTION_MAX_BYTES:
        raise TokenError("invalid_request", "client_assertion is too long.")
    try:
        header = jwt.get_unverified_header(assertion)
        claimed = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise client_refused("client_assertion is not a JWT.") from None
    algorithm = header.get("alg")
    if algorithm not in SIGNING_ALGORITHMS:
        raise client_refused("client_assertion must be signed with RS384 or ES384.")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise client_refused("client_assertion's header needs the kid of the client's key.")
    client = _client(claimed.get("iss"))
    key = jwks_key(client.jwks, kid)
    if key is None:
        raise client_refused("No key of this client has this kid.")
    if KINDS[key["kty"]][0] != algorithm:
        raise client_refused(f"The key {kid} does not sign with {algorithm}.")
    claims = _decode(assertion, key=key, algorithm=algorithm, audience=audience, client_id=client.client_id)
    return Assertion(client=client, jti=claims["jti"], usable_until=_expiry(claims) + LEEWAY)


def _client(issuer: Any) -> ApiClient:
    if not isinstance(issuer, str) or not issuer or len(issuer) > CLIENT_ID_MAX_LENGTH:
        raise client_refused("client_assertion's iss must be a client_id.")
    client = ApiClient.objects.select_related("clinic").filter(client_id=issuer, is_active=True).first()
    if client is None:
        raise client_refused("No active client has this client_id.")
    return client


def _decode(assertion: str, *, key: dict, algorithm: str, audience: str, client_id: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            assertion,
            key=jwt.PyJWK(key, algorithm=algorithm),
            algorithms=[algorithm],
            audience=audience,
            issuer=client_id,
            leeway=LEEWAY,
            options={"require": ["iss", "sub", "aud", "exp", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise client_refused("client_assertion has expired.") from None
    except jwt.InvalidAudienceError:
        raise client_refused("client_assertion's aud must be this token endpoint's URL.") from None
    except jwt.MissingRequiredClaimError as error:
        raise client_refused(f"client_assertion needs the claim {error.claim}.") from None
    except jwt.InvalidSignatureError:
        raise client_refused("client_assertion's signature does not match the client's key.") from None
    except jwt.InvalidTokenError:
        raise client_refused("client_assertion is not valid.") from None
    if claims.get("sub") != client_id:
        raise client_refused("client_assertion's sub must be the client_id, as its iss.")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > JTI_MAX_LENGTH:
        raise client_refused(f"client_assertion's jti must be a string of at most {JTI_MAX_LENGTH} characters.")
    # PyJWT has checked that exp is a number; compared as one, so that no
    # value is too large for a datetime.
    if int(claims["exp"]) > (timezone.now() + ASSERTION_MAX_LIFETIME + LEEWAY).timestamp():
        raise client_refused("client_assertion's exp must be at most five minutes ahead.")
    return claims


def _expiry(claims: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(claims["exp"]), tz=dt.UTC)
