"""A registered system client for the API tests: its own EC P-384 key, a
client assertion signed with it, and an access token from the real token
endpoint."""

from __future__ import annotations

import json
import time
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client

TOKEN_PATH = "/fhir/R4/auth/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class SystemClient:
    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP384R1())
        self.kid = uuid.uuid4().hex
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = {"keys": [{**jwk, "kid": self.kid, "alg": "ES384", "use": "sig"}]}

    def assertion(self, client_id: str, audience: str) -> str:
        now = int(time.time())
        claims = {"iss": client_id, "sub": client_id, "aud": audience, "exp": now + 240, "jti": uuid.uuid4().hex}
        return jwt.encode(claims, self.key, algorithm="ES384", headers={"kid": self.kid})

    def token(self, http: Client, client_id: str, scope: str = "system/*.read") -> str:
        response = http.post(
            TOKEN_PATH,
            {
                "grant_type": "client_credentials",
                "scope": scope,
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": self.assertion(client_id, "http://testserver" + TOKEN_PATH),
            },
        )
        assert response.status_code == 200, response.content
        return response.json()["access_token"]
