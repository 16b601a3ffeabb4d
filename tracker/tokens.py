"""Signed invite tokens. Django's signing gives tamper-proofing and expiry;
single use comes from Invitation.accepted_at."""

from django.conf import settings
from django.core import signing

SALT = "tracker.invite"


def invite_token_make(*, nonce: str) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(nonce))


def invite_token_read(token: str) -> str:
    """The invitation's nonce. Raises signing.SignatureExpired for an old
    token and signing.BadSignature for anything forged or mangled."""
    return signing.TimestampSigner(salt=SALT).unsign(token, max_age=settings.INVITE_MAX_AGE)
