"""Reads for the second factor: her own factors, and a nurse whose factors a
clinic admin may reset."""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef
from django.http import Http404
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from tracker.models import User
from tracker.selectors.accounts import account_get_for_admin


@dataclass(frozen=True)
class Factors:
    """What she has set up. Recovery codes come with the first factor and
    are only a way back in, so they alone do not count as set up."""

    totp: TOTPDevice | None = None
    passkeys: list[WebAuthnCredential] = field(default_factory=list)
    recovery_left: int = 0

    @property
    def enrolled(self) -> bool:
        return self.totp is not None or bool(self.passkeys)


def factors_of(*, user: User) -> Factors:
    return Factors(
        totp=TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first(),
        passkeys=list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")),
        recovery_left=StaticToken.objects.filter(device__user=user, device__confirmed=True).count(),
    )


def has_factor(*, user: User) -> bool:
    """One query: an authenticator app or a passkey, set up and confirmed."""
    totp = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    passkey = WebAuthnCredential.objects.filter(user=OuterRef("pk"), confirmed=True)
    return User.objects.filter(Exists(totp) | Exists(passkey), pk=user.pk).exists()


def nurse_get_for_admin(*, admin: User, nurse_id: int) -> User:
    """A nurse whose account the clinic admin may change (the accounts page's
    rule, tracker/selectors/accounts.py: her own clinics' people, not staff
    who also work for another clinic, whom a site administrator helps); 404
    for anyone else, a clinic admin or a survivor, or no one."""
    nurse = account_get_for_admin(user=admin, account_id=nurse_id)
    if not nurse.is_nurse:
        raise Http404
    return nurse
