"""Security events: failed logins, lockouts and refused pages.

Each goes to the `security` logger (key=value, no health data, no password,
an unknown account's email masked: identity.email_masked). One about a
real account is also kept as an AuditEvent row (append-only), so the
account's clinic admins see it on /admin-pages/security/:

- actor: the account the event is about (for a failed login, the account
  someone tried to sign in to, not necessarily its owner);
- object_type: where (the URL's name: "login", "admin:login", a page refused);
- object_id: the client's address (identity.client_address).

Events about no account (an email nobody uses, an anonymous visitor) are
logged only: an append-only table must not grow with what strangers type."""

import logging

from django.core.cache import cache
from django.http import HttpRequest

from tracker.models import AuditEvent, User

from .identity import client_address, email_masked

log = logging.getLogger("security")

LOGIN_FAILED = "security.login_failed"
LOCKOUT = "security.lockout"
ACCESS_DENIED = "security.access_denied"
# Their words on the audit and security pages: AuditEvent.ACTION_LABELS.
ACTIONS = (LOGIN_FAILED, LOCKOUT, ACCESS_DENIED)

# A signed-in person who keeps asking for a refused page is one row a
# minute per page (every refusal is still logged).
DENIAL_ROW_SECONDS = 60


def where(request: HttpRequest) -> str:
    """The page's URL name, never its path (paths can carry tokens)."""
    match = getattr(request, "resolver_match", None)
    return (match.view_name if match is not None else "unresolved")[:60]


def account_for_email(email: str | None) -> User | None:
    # No user's email holds a NUL (PostgreSQL would refuse the lookup) or
    # runs past the field's length.
    if not email or "\x00" in email or len(email) > 254:
        return None
    return User.objects.filter(email__iexact=email.strip()).first()


def security_event_record(
    *, request: HttpRequest, action: str, account: User | None, typed_email: str = "", detail: str = ""
) -> AuditEvent | None:
    """Log the event; keep a row if it is about an account."""
    address = client_address(request)
    who = f"account={account.pk}" if account is not None else "account=unknown"
    if account is None and typed_email:
        who += f" email={email_masked(typed_email)}"
    log.warning(
        "security event=%s %s address=%s where=%s%s",
        action.removeprefix("security."),
        who,
        address or "-",
        where(request),
        f" {detail}" if detail else "",
    )
    if account is None:
        return None
    return AuditEvent.objects.create(
        actor=account, action=action, object_type=where(request), object_id=(address or "")[:60]
    )


def access_denied(*, request: HttpRequest, reason: str) -> None:
    """A page refused to a signed-in person (a role's page, a 403), or a 403
    to anyone. `reason` is a word for the log ("role", "forbidden")."""
    user = getattr(request, "user", None)
    account = user if user is not None and user.is_authenticated else None
    if account is not None and not _first_in_a_while(f"security:denied:{account.pk}:{where(request)}"):
        log.warning(
            "security event=access_denied account=%s address=%s where=%s reason=%s (row kept a minute ago)",
            account.pk,
            client_address(request) or "-",
            where(request),
            reason,
        )
        return
    security_event_record(request=request, action=ACCESS_DENIED, account=account, detail=f"reason={reason}")


def _first_in_a_while(key: str) -> bool:
    try:
        return bool(cache.add(key, 1, timeout=DENIAL_ROW_SECONDS))
    except Exception:  # any cache backend's error: keep the row rather than lose it
        log.exception("security cache unavailable")
        return True
