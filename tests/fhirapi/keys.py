"""Real key pairs for the FHIR tests (cryptography), their public JWKs as
PyJWT writes them, and a client's signed assertion (PyJWT), as a backend
system would make them."""

import functools
import json
import time
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

TOKEN_URL = "http://testserver/fhir/R4/auth/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@functools.cache
def rsa_key(name: str = "a", bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@functools.cache
def ec_key(name: str = "a", curve: type[ec.EllipticCurve] = ec.SECP384R1) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(curve())


def public_jwk(private, kid: str) -> dict:
    """The public half as a JWK with its kid (and alg, as many tools write)."""
    if isinstance(private, rsa.RSAPrivateKey):
        jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
        jwk["alg"] = "RS384"
    else:
        jwk = json.loads(ECAlgorithm.to_jwk(private.public_key()))
        jwk["alg"] = "ES384"
    return jwk | {"kid": kid, "use": "sig"}


def private_jwk(private, kid: str) -> dict:
    algorithm = RSAAlgorithm if isinstance(private, rsa.RSAPrivateKey) else ECAlgorithm
    return json.loads(algorithm.to_jwk(private)) | {"kid": kid}


def assertion(
    client_id: str,
    private,
    *,
    kid: str,
    algorithm: str | None = None,
    lifetime: int = 240,
    headers: dict | None = None,
    **claims,
) -> str:
    """A client assertion as SMART Backend Services asks for; any claim can
    be changed or dropped (None)."""
    now = int(time.time())
    payload = {
        "iss": client_id,
        "sub": client_id,
        "aud": TOKEN_URL,
        "exp": now + lifetime,
        "iat": now,
        "jti": str(uuid.uuid4()),
    } | claims
    payload = {name: value for name, value in payload.items() if value is not None}
    if algorithm is None:
        algorithm = "RS384" if isinstance(private, rsa.RSAPrivateKey) else "ES384"
    return jwt.encode(payload, private, algorithm=algorithm, headers={"kid": kid} | (headers or {}))


def token_request(client_assertion: str, scope: str = "system/Flag.read", **fields) -> dict:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion,
        "scope": scope,
    } | fields
