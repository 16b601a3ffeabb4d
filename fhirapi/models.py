"""Backend clients (SMART Backend Services) and what their tokens leave
behind. A client is a system of one clinic (its EHR, its data warehouse)
that reads that clinic's survivors; it proves who it is with a JWT signed
by a private key whose public half is stored here (fhirapi/jwks.py), and
gets a short-lived bearer token (fhirapi/services.py: token_issue)."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from tracker.models import Clinic

CLIENT_ID_BYTES = 24


def client_id_new() -> str:
    return secrets.token_urlsafe(CLIENT_ID_BYTES)


class ApiClient(models.Model):
    """A system registered by a clinic admin for one clinic. Deactivated,
    never deleted: the audit trail names it ("fhir:<client_id>")."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="api_clients")
    name = models.CharField(max_length=100)
    client_id = models.CharField(max_length=64, unique=True, default=client_id_new, editable=False)
    # A JWK Set of public keys only, as jwks_clean leaves it.
    jwks = models.JSONField()
    # The scopes it may be granted, from fhirapi.scopes.REGISTRABLE_SCOPES.
    scopes = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_clients_created"
    )
    created_at = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    # Not a column: the scopes of the token it called with (fhirapi/auth.py:
    # client_for_token sets it), which may be fewer than `scopes`.
    granted_scopes: list[str]

    class Meta:
        ordering = ["clinic", "name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_via(self) -> str:
        """How the audit trail names its reads (AuditEvent.via)."""
        return f"fhir:{self.client_id}"


class AccessToken(models.Model):
    """A bearer token handed to a client. Only its SHA-256 is kept: the
    table read alone lets no one call the API."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"token of client {self.client_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class AssertionSeen(models.Model):
    """The `jti` of every assertion accepted, until it could no longer be
    accepted anyway (its exp plus the leeway): the same assertion sent
    twice gets no second token."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="assertions_seen")
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "jti"], name="fhirapi_assertion_once")]

    def __str__(self) -> str:
        return f"assertion of client {self.client_id}"
