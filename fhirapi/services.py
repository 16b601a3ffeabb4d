"""The FHIR interface's writes: a clinic admin registers and deactivates
backend clients (api_client_register, api_client_deactivate), her clinic's
staff fill a survivor's MRN and the admin the clinic's MRN system
(survivor_mrn_set, clinic_mrn_system_set), each audited; and the token
endpoint issues a client its access token (token_issue)."""

import datetime as dt
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from tracker import scope
from tracker.models import Clinic, User
from tracker.services.audit import audit_record

from .assertions import TokenError, assertion_verify, client_refused
from .auth import token_hash
from .jwks import jwks_clean
from .models import AccessToken, ApiClient, AssertionSeen
from .scopes import ALL_TYPES, REGISTRABLE_SCOPES, scope_type

log = logging.getLogger(__name__)

TOKEN_LIFETIME = dt.timedelta(minutes=5)
TOKEN_BYTES = 32
MRN_MAX_LENGTH = 64
MRN_SYSTEM_MAX_LENGTH = 200
# Printable characters only: an MRN goes into the chart system's matching.
_MRN = re.compile(r"[^\x00-\x1f\x7f]+")
_OID = re.compile(r"urn:oid:[0-2](\.(0|[1-9][0-9]*))+")
_UUID = re.compile(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _admin_of(by: User, clinic: Clinic) -> None:
    if not by.is_clinic_admin or not scope.works_for(by, clinic):
        raise ValidationError({"clinic": "You can only manage your own clinics."})


def api_client_register(*, by: User, clinic: Clinic, name: str, jwks: Any, scopes: list[str]) -> ApiClient:
    """1. Check she is an admin of the clinic. 2. Check the name, the scopes
    and the public keys (fhirapi/jwks.py). 3. Save, with a new client_id.
    4. Audit."""
    _admin_of(by, clinic)
    errors: dict[str, list[str]] = {}
    name = name.strip()
    if not name:
        errors["name"] = ["Give the system a name."]
    unknown = sorted(set(scopes) - set(REGISTRABLE_SCOPES))
    if unknown or not scopes:
        errors["scopes"] = ["Choose at least one scope from the list." if not unknown else "Unknown scope."]
    try:
        cleaned = jwks_clean(jwks)
    except ValidationError as error:
        errors["jwks"] = error.messages
    if errors:
        raise ValidationError(errors)
    client = ApiClient(
        clinic=clinic,
        name=name,
        jwks=cleaned,
        scopes=[s for s in REGISTRABLE_SCOPES if s in scopes],
        created_by=by,
    )
    client.full_clean()
    with transaction.atomic():
        client.save()
        audit_record(actor=by, action="fhir_client.register", target=client)
    log.info("fhir client %s registered by user %s", client.pk, by.pk)
    return client


def api_client_deactivate(*, by: User, client: ApiClient) -> bool:
    """1. Lock its row; nothing to do if it is inactive already (a second
    click). 2. Deactivate it: its tokens stop working at once
    (client_for_token asks for an active client), and are deleted. 3. Audit."""
    _admin_of(by, client.clinic)
    with transaction.atomic():
        locked = ApiClient.objects.select_for_update().get(pk=client.pk)
        if not locked.is_active:
            client.is_active = False
            return False
        client.is_active = False
        client.deactivated_at = timezone.now()
        client.save(update_fields=["is_active", "deactivated_at"])
        AccessToken.objects.filter(client=client).delete()
        audit_record(actor=by, action="fhir_client.deactivate", target=client)
    log.info("fhir client %s deactivated by user %s", client.pk, by.pk)
    return True


def survivor_mrn_set(*, by: User, survivor: User, mrn: str) -> bool:
    """Her MRN, filled by her clinic's nurse or admin (blank clears it).
    False if it was already so. Another survivor of her clinic with the same
    MRN is refused: the chart system would match the wrong person."""
    clinic = survivor.clinic
    if not survivor.is_survivor or clinic is None or not scope.works_for(by, clinic):
        raise ValidationError({"survivor": "No survivor of your clinics has this email."})
    mrn = mrn.strip()
    if len(mrn) > MRN_MAX_LENGTH or (mrn and not _MRN.fullmatch(mrn)):
        raise ValidationError({"mrn": f"An MRN is at most {MRN_MAX_LENGTH} printable characters."})
    if mrn == survivor.mrn:
        return False
    clash = User.objects.filter(role=User.Role.SURVIVOR, clinic=clinic, mrn=mrn).exclude(pk=survivor.pk)
    if mrn and clash.exists():
        raise ValidationError({"mrn": "Another survivor of this clinic has this MRN."})
    survivor.mrn = mrn
    with transaction.atomic():
        survivor.save(update_fields=["mrn"])
        audit_record(actor=by, action="survivor.mrn", survivor=survivor, target=survivor)
    return True


def clinic_mrn_system_set(*, by: User, clinic: Clinic, mrn_system: str) -> bool:
    """The URI her clinic's MRNs go out under (urn:oid:..., urn:uuid:... or
    an http(s) URL; blank clears it). False if it was already so."""
    _admin_of(by, clinic)
    mrn_system = mrn_system.strip()
    if mrn_system and not _is_system_uri(mrn_system):
        raise ValidationError(
            {"mrn_system": "Enter the system as urn:oid:1.2.3..., urn:uuid:... or an https:// address."}
        )
    if mrn_system == clinic.mrn_system:
        return False
    clinic.mrn_system = mrn_system
    with transaction.atomic():
        clinic.save(update_fields=["mrn_system"])
        audit_record(actor=by, action="clinic.mrn_system", target=clinic)
    return True


def _is_system_uri(value: str) -> bool:
    if len(value) > MRN_SYSTEM_MAX_LENGTH:
        return False
    if _OID.fullmatch(value) or _UUID.fullmatch(value):
        return True
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        return False
    return True


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    scope: str
    expires_in: int
    client: ApiClient


def scopes_grant(*, allowed: list[str], requested: str) -> list[str]:
    """The scopes asked for, each one the client may hold (its own, or a
    type under its system/*.read), in the order asked; TokenError
    (invalid_scope) for any other."""
    granted: list[str] = []
    for asked in requested.split():
        kind = scope_type(asked)
        if kind is None:
            raise TokenError("invalid_scope", "Unknown scope; this server grants system/<Type>.read or .rs.")
        if f"system/{ALL_TYPES}.read" not in allowed and f"system/{kind}.read" not in allowed:
            raise TokenError("invalid_scope", f"This client may not be granted {asked}.")
        if asked not in granted:
            granted.append(asked)
    if not granted:
        raise TokenError("invalid_request", "scope is required.")
    return granted


def token_issue(*, assertion: str, scope: str, audience: str) -> IssuedToken:
    """1. Check the assertion (fhirapi/assertions.py) and the scopes asked.
    2. In one transaction: forget the assertions that can no longer be
    accepted, record this one's jti (a second use of it is refused), and
    save the token's hash. 3. Hand the token out; it is stored nowhere."""
    proof = assertion_verify(assertion=assertion, audience=audience)
    client = proof.client
    granted = scopes_grant(allowed=client.scopes, requested=scope)
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    with transaction.atomic():
        AssertionSeen.objects.filter(expires_at__lt=now).delete()
        AccessToken.objects.filter(client=client, expires_at__lt=now).delete()
        try:
            with transaction.atomic():
                AssertionSeen.objects.create(client=client, jti=proof.jti, expires_at=proof.usable_until)
        except IntegrityError:
            raise client_refused("This client_assertion has been used already (its jti).") from None
        AccessToken.objects.create(
            client=client, token_hash=token_hash(raw), scopes=granted, expires_at=now + TOKEN_LIFETIME
        )
    log.info("fhir client %s got a token", client.pk)
    return IssuedToken(
        access_token=raw, scope=" ".join(granted), expires_in=int(TOKEN_LIFETIME.total_seconds()), client=client
    )
