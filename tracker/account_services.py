"""Writes on a person's account that end her sessions for good
(tracker/sessions.py): deactivation, re-activation and a password change.
Called from the clinic admin's accounts page, the Django admin and the
password change view; never from save()."""

import logging

from django.db import transaction

from . import services, sessions
from .models import User

log = logging.getLogger(__name__)


def _set_active(*, account: User, active: bool, by: User) -> bool:
    """1. Lock her row; nothing to do if she is already so (a second click).
    2. Write the state. 3. End every session of hers for good: a session
    refused while she was inactive must not come back when she is active
    again. 4. Audit who did it."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=account.pk)
        if locked.is_active == active:
            account.is_active = active
            return False
        account.is_active = active
        account.save(update_fields=["is_active"])
        sessions.sessions_end(user=account)
        services.audit_record(
            actor=by,
            action="account.reactivate" if active else "account.deactivate",
            survivor=account if account.is_survivor else None,
            target=account,
        )
    log.info("user %s %s by user %s", account.pk, "re-activated" if active else "deactivated", by.pk)
    return True


def account_deactivate(*, account: User, by: User) -> bool:
    """She can no longer sign in, and every session of hers ends now."""
    return _set_active(account=account, active=False, by=by)


def account_reactivate(*, account: User, by: User) -> bool:
    """She can sign in again, with a new sign-in: no old session comes back."""
    return _set_active(account=account, active=True, by=by)


def account_password_changed(*, user: User, keep_session_key: str | None = None) -> int:
    """After her password was changed (by her, by a reset link, or in the
    Django admin): every other session of hers ends for good."""
    return sessions.sessions_end(user=user, keep_session_key=keep_session_key)
