"""Failed logins, counted by django-axes in PostgreSQL (every gunicorn
worker sees the same counts), per account and per address, separately:

- after LOGIN_WAIT_AFTER_FAILURES failures for one email within the
  cool-off (AXES_COOLOFF_TIME), each further try waits LOGIN_WAIT_SECONDS
  after the last failure; at AXES_FAILURE_LIMIT the email is locked out
  until the cool-off has passed since the failure that reached the limit;
- the same for one address with LOGIN_ADDRESS_WAIT_AFTER_FAILURES and
  LOGIN_ADDRESS_FAILURE_LIMIT, higher because a hospital's staff or a
  family may share one address.

A try refused while waiting or locked is not counted and does not extend
the lockout (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False): a
stranger typing her email cannot keep her out for good. The email is
counted as a keyed hash (identity.email_key), never stored in clear.

Axes compares get_failures() with its one AXES_FAILURE_LIMIT; this
handler keeps a limit per parameter and reports that limit itself when
either is reached."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from .forms import LoginForm
from .identity import email_key


@dataclass(frozen=True)
class LoginPause:
    """Why she may not try now, and until when."""

    locked: bool  # True: locked out for the cool-off; False: a short wait
    until: datetime
    by: str  # "username" (her email's failures) or "ip_address" (this address's)

    @property
    def seconds(self) -> int:
        return max(1, math.ceil((self.until - timezone.now()).total_seconds()))

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.seconds / 60))


def axes_username(request: HttpRequest | None, credentials: dict | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the email she typed (Django's login form calls
    it `username`; the test client's login() passes `email`), as a key."""
    typed = None
    if credentials:
        typed = credentials.get("username") or credentials.get("email")
    if typed is None and request is not None and hasattr(request, "POST"):
        typed = request.POST.get("username")
    return email_key(str(typed)) if typed else None


def _limits() -> dict[str, tuple[int, int]]:
    """Lockout parameter -> (failures before a wait, failures that lock)."""
    return {
        "username": (settings.LOGIN_WAIT_AFTER_FAILURES, settings.AXES_FAILURE_LIMIT),
        "ip_address": (settings.LOGIN_ADDRESS_WAIT_AFTER_FAILURES, settings.LOGIN_ADDRESS_FAILURE_LIMIT),
    }


class LoginAttemptHandler(AxesDatabaseHandler):
    """AXES_HANDLER: axes' database handler with a limit per parameter and
    a short wait before the lockout."""

    def pause(self, request: HttpRequest, credentials: dict | None = None) -> LoginPause | None:
        """The wait or lockout that applies to this request now, if any."""
        AxesProxyHandler.update_request(request)
        now = timezone.now()
        cool_off = get_cool_off(request)
        threshold = get_cool_off_threshold(request)
        # axes_ip_address: set on the request by update_request above (not an HttpRequest attribute).
        ip_address = request.axes_ip_address  # type: ignore[attr-defined]
        keys = {"username": get_client_username(request, credentials), "ip_address": ip_address}
        pauses = []
        for parameter, (wait_after, lock_at) in _limits().items():
            if not keys[parameter]:
                continue
            rows = list(
                AccessAttempt.objects.filter(**{parameter: keys[parameter]}, attempt_time__gte=threshold)
                .order_by("-attempt_time")
                .values_list("attempt_time", "failures_since_start")
            )
            total = sum(failures for _, failures in rows)
            if total >= lock_at:
                # Locked while the latest failures in the window still add
                # up to the limit: until the oldest of those leaves it.
                counted = 0
                for at, failures in rows:
                    counted += failures
                    if counted >= lock_at:
                        pauses.append(LoginPause(locked=True, until=at + cool_off, by=parameter))
                        break
            elif total >= wait_after:
                until = rows[0][0] + timedelta(seconds=settings.LOGIN_WAIT_SECONDS)
                if until > now:
                    pauses.append(LoginPause(locked=False, until=until, by=parameter))
        if not pauses:
            return None
        locked = [p for p in pauses if p.locked]
        return max(locked or pauses, key=lambda p: p.until)

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        return self.pause(request, credentials) is not None

    def get_failures(self, request, credentials: dict | None = None) -> int:
        pause = self.pause(request, credentials)
        if pause is not None and pause.locked:
            return settings.AXES_FAILURE_LIMIT
        username = get_client_username(request, credentials)
        if not username:
            return 0
        threshold = get_cool_off_threshold(request)
        rows = AccessAttempt.objects.filter(username=username, attempt_time__gte=threshold)
        return min(sum(rows.values_list("failures_since_start", flat=True)), settings.AXES_FAILURE_LIMIT - 1)

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """After a good login (AXES_RESET_ON_SUCCESS): her email's failures
        go, wherever they came from; the address keeps the others'."""
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


def login_pause(request: HttpRequest, *, email: str | None = None) -> LoginPause | None:
    """The pause for this address and (if given) this email, for the login page."""
    if not settings.AXES_ENABLED:  # type: ignore[misc]  # axes adds its defaults to settings (axes.conf)
        return None
    handler = AxesProxyHandler.get_implementation()
    if not isinstance(handler, LoginAttemptHandler):
        return None
    return handler.pause(request, {"username": email} if email else None)


def lockout_release(*, email: str) -> int:
    """Her email's failures forgotten: she proved she holds the account
    (a password reset through the emailed link). The address's stay."""
    count, _ = AccessAttempt.objects.filter(username=email_key(email)).delete()
    return count


def lockout_response(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the login page again, saying what happened,
    when she can try again and what she can do meanwhile (HTTP 429 with
    Retry-After). The form is unbound: binding it would authenticate again."""
    pause = login_pause(request, email=request.POST.get("username"))
    if pause is None:  # the limits moved between the refusal and now
        pause = LoginPause(locked=True, until=timezone.now() + get_cool_off(request), by="username")
    form = LoginForm(request, initial={"username": request.POST.get("username", "")[:254]})
    response = render(
        request,
        "registration/login.html",
        {"form": form, "login_pause": pause, "next": request.POST.get("next", "")},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    response["Retry-After"] = str(pause.seconds)
    return response
