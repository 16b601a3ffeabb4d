"""Failed logins and lockouts become security events (events.py).
Connected in TrackerConfig.ready()."""

import logging

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from . import events
from .identity import client_address

log = logging.getLogger("security")


def _refused_unchecked(request) -> bool:
    """Axes refused the try before any password was checked (she was
    waiting or locked out): its backend marks the request locked out before
    the signal, and only a try that was counted gets a failure count."""
    locked = bool(getattr(request, "axes_locked_out", False))
    return locked and getattr(request, "axes_failures_since_start", None) is None


@receiver(user_login_failed, dispatch_uid="tracker.security.login_failed")
def login_failed(sender, credentials: dict, request=None, **kwargs) -> None:
    if request is None:  # authenticate() called outside a request
        return
    if _refused_unchecked(request):
        log.info(
            "security event=login_refused address=%s where=%s", client_address(request) or "-", events.where(request)
        )
        return
    typed = credentials.get("username") or credentials.get("email") or ""
    events.security_event_record(
        request=request,
        action=events.LOGIN_FAILED,
        account=events.account_for_email(str(typed)),
        typed_email=str(typed),
    )


@receiver(user_locked_out, dispatch_uid="tracker.security.locked_out")
def locked_out(sender, request, username=None, ip_address=None, **kwargs) -> None:
    # Axes sends this on every refused try too; only the failure that
    # reached a limit is the lockout itself.
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    credentials = getattr(request, "axes_credentials", None) or {}
    typed = str(credentials.get("username") or credentials.get("email") or "")
    events.security_event_record(
        request=request, action=events.LOCKOUT, account=events.account_for_email(typed), typed_email=typed
    )
