"""A client's public keys: the JWK Set a clinic admin pastes when she
registers a backend client, checked and cleaned once (api_client_register),
and the key an assertion's `kid` names (the token endpoint).

Public keys only, and only the two kinds SMART Backend Services asks
servers to support: RSA of at least 2048 bits (RS384) and EC P-384 (ES384).
A private member ("d" and the RSA primes) is refused, not dropped: a private
key pasted here has been copied where it should not be, and she should
know. What is kept is the public members only, so nothing else a tool put
in the key is stored."""

import json
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.exceptions import ValidationError

JWKS_MAX_BYTES = 10 * 1024
JWKS_MAX_KEYS = 5
KID_MAX_LENGTH = 200
RSA_MIN_BITS = 2048
# Members that only a private (or symmetric) key has.
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
# kty -> (the algorithm its assertions are signed with, the public members kept)
KINDS = {
    "RSA": ("RS384", ("kty", "kid", "n", "e")),
    "EC": ("ES384", ("kty", "kid", "crv", "x", "y")),
}
SIGNING_ALGORITHMS = tuple(alg for alg, _ in KINDS.values())


def jwks_parse(text: str) -> Any:
    """The pasted text as JSON, bounded before it is read."""
    if len(text.encode()) > JWKS_MAX_BYTES:
        raise ValidationError(f"The key set is too long (at most {JWKS_MAX_BYTES // 1024} KB).")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ValidationError('This is not valid JSON. Paste the JWK Set as JSON: {"keys": [...]}.') from None


def jwks_clean(value: Any) -> dict[str, list[dict[str, str]]]:
    """The JWK Set with its public members only; ValidationError (one
    message) for anything else."""
    try:
        size = len(json.dumps(value).encode())
    except (TypeError, ValueError, RecursionError):
        raise ValidationError("This is not a JWK Set.") from None
    if size > JWKS_MAX_BYTES:
        raise ValidationError(f"The key set is too long (at most {JWKS_MAX_BYTES // 1024} KB).")
    if not isinstance(value, dict) or not isinstance(value.get("keys"), list):
        raise ValidationError('A JWK Set is a JSON object with a "keys" list: {"keys": [...]}.')
    keys = value["keys"]
    if not keys:
        raise ValidationError("The key set has no keys.")
    if len(keys) > JWKS_MAX_KEYS:
        raise ValidationError(f"At most {JWKS_MAX_KEYS} keys.")
    cleaned = [_key_clean(key, number) for number, key in enumerate(keys, start=1)]
    kids = [key["kid"] for key in cleaned]
    if len(set(kids)) != len(kids):
        raise ValidationError('Each key needs its own "kid".')
    return {"keys": cleaned}


def _key_clean(key: Any, number: int) -> dict[str, str]:
    where = f"Key {number}"
    if not isinstance(key, dict):
        raise ValidationError(f"{where} is not a JSON object.")
    private = sorted(PRIVATE_MEMBERS & set(key))
    if private:
        raise ValidationError(
            f'{where} is a private key (it has "{private[0]}"). Paste the public keys only, '
            "and keep the private key with the system that signs."
        )
    kty = key.get("kty")
    if kty not in KINDS:
        raise ValidationError(f'{where}: "kty" must be "RSA" or "EC".')
    algorithm, members = KINDS[kty]
    kid = key.get("kid")
    if not isinstance(kid, str) or not kid.strip() or len(kid) > KID_MAX_LENGTH:
        raise ValidationError(f'{where} needs a "kid" (at most {KID_MAX_LENGTH} characters).')
    if key.get("alg") not in (None, algorithm):
        raise ValidationError(f"{where}: an {kty} key signs with {algorithm} here, not {key.get('alg')}.")
    if key.get("use") not in (None, "sig"):
        raise ValidationError(f'{where}: "use" must be "sig".')
    if not all(isinstance(key.get(name), str) for name in members):
        raise ValidationError(f"{where}: an {kty} key needs " + ", ".join(f'"{n}"' for n in members) + ".")
    public = {name: key[name] for name in members}
    _key_check(public, where)
    return public


def _key_check(key: dict[str, str], where: str) -> None:
    """Load the key as PyJWT will when it checks a signature: a key it
    cannot load, a short RSA key or another curve is refused now, not at the
    client's first token request."""
    try:
        loaded = jwt.PyJWK(key, algorithm=KINDS[key["kty"]][0]).key
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
        raise ValidationError(f"{where} is not a valid public key.") from None
    if isinstance(loaded, rsa.RSAPublicKey):
        if loaded.key_size < RSA_MIN_BITS:
            raise ValidationError(f"{where}: an RSA key needs at least {RSA_MIN_BITS} bits.")
    elif isinstance(loaded, ec.EllipticCurvePublicKey):
        if not isinstance(loaded.curve, ec.SECP384R1):
            raise ValidationError(f'{where}: an EC key must be on the P-384 curve ("crv": "P-384").')
    else:
        raise ValidationError(f"{where} is not a public key.")


def jwks_key(jwks: dict, kid: str) -> dict[str, str] | None:
    """The stored key this `kid` names."""
    for key in jwks.get("keys", []):
        if key.get("kid") == kid:
            return key
    return None
