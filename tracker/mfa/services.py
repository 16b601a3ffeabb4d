"""Writes for the second factor: set up an authenticator app, check a code,
make recovery codes, and take factors away (a survivor turning it off, a
clinic admin resetting a nurse's). django-otp keeps the devices; a wrong
code makes the next try wait 1, 2, 4, 8 ... seconds (its throttling)."""

import math
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from tracker import scope
from tracker.models import User
from tracker.services.audit import audit_record
from tracker.sessions import sessions_end

from .selectors import factors_of

RECOVERY_CODE_COUNT = 10
TOTP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
RESET_ACTION = "mfa.reset"  # its words on the audit page: AuditEvent.ACTION_LABELS


class FactorError(Exception):
    """A change that would leave her account in a state we do not allow."""


@dataclass(frozen=True)
class CodeResult:
    """ok, or why not: a wrong code, or (wait_seconds > 0) too many wrong
    codes lately, so this one was not even tried."""

    ok: bool
    wait_seconds: int = 0
    device: Device | None = None


def _check(devices: QuerySet, token: str) -> CodeResult:
    """Try a code on the first of these devices (by pk unless ordered), locked for the check so two
    requests at once cannot both use one code or both skip the wait."""
    with transaction.atomic():
        device = devices.select_for_update().first()
        if device is None:
            return CodeResult(ok=False)
        allowed, info = device.verify_is_allowed()
        if not allowed:
            locked_until = (info or {}).get("locked_until")
            wait = (locked_until - timezone.now()).total_seconds() if locked_until else 1
            return CodeResult(ok=False, wait_seconds=max(1, math.ceil(wait)))
        if device.verify_token(token):
            return CodeResult(ok=True, device=device)
    return CodeResult(ok=False)


def totp_check(*, user: User, code: str) -> CodeResult:
    """A six-digit code from her authenticator app (the form checked its shape)."""
    return _check(TOTPDevice.objects.filter(user=user, confirmed=True), code)


def recovery_code_check(*, user: User, code: str) -> CodeResult:
    """A recovery code: it works once (django-otp deletes it when used)."""
    return _check(StaticDevice.objects.filter(user=user, confirmed=True), code)


def totp_start(*, user: User) -> TOTPDevice:
    """The authenticator app she is setting up: a new secret, not yet
    confirmed (it counts once she has typed a code it made)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice(user=user, name=TOTP_NAME, confirmed=False)
        device.full_clean()
        device.save()
    return device


def totp_confirm(*, user: User, code: str) -> tuple[CodeResult, list[str]]:
    """1. Check the code against the app she is setting up.
    2. Confirm it (any other half-done one goes).
    3. Make her recovery codes if she has none: returned to be shown once."""
    result = _check(TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk"), code)
    if not result.ok:
        return result, []
    with transaction.atomic():
        device = result.device
        assert device is not None  # an ok result names the device that took the code
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        codes = [] if factors_of(user=user).recovery_left else recovery_codes_make(user=user)
    return result, codes


def recovery_codes_make(*, user: User) -> list[str]:
    """A new set of recovery codes; the old ones stop working. The device
    that holds them stays (a session verified by one of its codes stays
    verified: django-otp checks the device on every request)."""
    with transaction.atomic():
        device = StaticDevice.objects.select_for_update().filter(user=user).order_by("pk").first()
        if device is None:
            device = StaticDevice(user=user, name=RECOVERY_NAME, confirmed=True)
            device.full_clean()
            device.save()
        StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        StaticToken.objects.filter(device=device).delete()
        codes: list[str] = []
        while len(codes) < RECOVERY_CODE_COUNT:
            code = StaticToken.random_token()
            if code not in codes:
                codes.append(code)
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_if_missing(*, user: User) -> list[str]:
    """After her first passkey: recovery codes, unless she has some."""
    factors = factors_of(user=user)
    if factors.enrolled and not factors.recovery_left:
        return recovery_codes_make(user=user)
    return []


def passkey_remove(*, user: User, passkey_id: int) -> None:
    """Her own passkey only. Staff keep at least one factor (a clinic admin
    resets a lost one); a survivor's last one turns two-step sign-in off."""
    with transaction.atomic():
        passkey = WebAuthnCredential.objects.select_for_update().filter(user=user, pk=passkey_id).first()
        if passkey is None:
            raise FactorError(_("That passkey is not there any more."))
        factors = factors_of(user=user)
        others = (factors.totp is not None) + len([p for p in factors.passkeys if p.pk != passkey.pk])
        if not others and user_must_have_factor(user):
            raise FactorError(_("This is your only second factor: add another before you remove it."))
        passkey.delete()
        if not others:
            _devices_delete(user=user)


def factors_turn_off(*, user: User) -> None:
    """A survivor turns two-step sign-in off: every factor goes."""
    if user_must_have_factor(user):
        raise FactorError(_("Staff cannot turn two-step sign-in off."))
    _devices_delete(user=user)


def factors_reset(*, by: User, nurse: User) -> None:
    """1. Check she is a clinic admin of every clinic the nurse works for
       (the view found the nurse through selectors.nurse_get_for_admin too).
    2. Delete the nurse's authenticator app, passkeys and recovery codes.
    3. Record it in the audit trail.
    4. End every session of hers: she signs in again and sets up anew."""
    theirs = set(scope.clinic_ids_of(nurse))
    hers = set(scope.clinic_ids_of(by))
    if not by.is_clinic_admin or not nurse.is_nurse or not theirs or not theirs <= hers:
        raise FactorError(_("You can reset the second factor of your own clinics' nurses only."))
    with transaction.atomic():
        _devices_delete(user=nurse)
        audit_record(actor=by, action=RESET_ACTION, target=nurse)
        sessions_end(user=nurse)


def user_must_have_factor(user: User) -> bool:
    """Staff: nurses, clinic admins, superusers and anyone with Django admin
    access. Survivors choose."""
    return bool(user.is_clinic_staff or user.is_superuser or user.is_staff)


def _devices_delete(*, user: User) -> None:
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        WebAuthnCredential.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
