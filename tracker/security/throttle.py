"""Request counters in Django's cache (CACHES: shared by every gunicorn
worker in production) for what django-axes does not count: password reset
requests and invitation acceptance, per address and per email or token.

A fixed window per limit: the first `count` requests in a window pass, the
rest wait for the next one. Keys are hashed (no email in the cache). A cache
that fails lets the request through and logs it: a broken cache must not
stop a survivor from resetting her password."""

import logging
import math
import time
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import events
from .identity import client_address, email_key

log = logging.getLogger("security")


@dataclass(frozen=True)
class Limit:
    name: str  # "password_reset.address": a key of settings.SECURITY_THROTTLES
    count: int
    seconds: int


def limit(name: str) -> Limit:
    count, seconds = settings.SECURITY_THROTTLES[name]
    return Limit(name=name, count=count, seconds=seconds)


def throttle_hit(*, limit: Limit, key: str) -> int:
    """Count one request. 0 if it may go on, else seconds until it may."""
    now = time.time()
    window = int(now // limit.seconds)
    cache_key = f"throttle:{limit.name}:{email_key(key)}:{window}"
    try:
        if cache.add(cache_key, 1, timeout=limit.seconds + 1):
            count = 1
        else:
            try:
                count = cache.incr(cache_key)
            except ValueError:  # the window's key expired between add and incr
                count = 1
    except Exception:  # any cache backend's error: let the request through, say so
        log.exception("security throttle=%s cache unavailable, request let through", limit.name)
        return 0
    if count <= limit.count:
        return 0
    return max(1, math.ceil((window + 1) * limit.seconds - now))


def throttle_many(request: HttpRequest, hits: list[tuple[str, str | None]]) -> int:
    """Count the request against each (limit name, key); a None key is not
    counted. The longest wait, or 0. Every limit counts, even once one is
    over, so that a wait does not make another limit forget."""
    wait = 0
    for name, key in hits:
        if key:
            wait = max(wait, throttle_hit(limit=limit(name), key=key))
    if wait:
        log.warning(
            "security event=throttled what=%s address=%s where=%s wait=%s",
            ",".join(name for name, _ in hits),
            client_address(request) or "-",
            events.where(request),
            wait,
        )
    return wait


def wait_words(seconds: int) -> str:
    """'in a minute', 'in 12 minutes' (rounded up)."""
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext("in a minute", "in %(n)d minutes", minutes) % {"n": minutes}


def invitation_throttled(view):
    """Invitation acceptance: every request per address, every answer
    (POST) per invitation link. Too many: a page that says so (HTTP 429)."""

    @wraps(view)
    def wrapped(request: HttpRequest, token: str, *args, **kwargs) -> HttpResponse:
        hits = [("invitation.address", client_address(request))]
        if request.method == "POST":
            hits.append(("invitation.token", token[:500]))
        wait = throttle_many(request, hits)
        if wait:
            problem = _(
                "There have been too many tries to set up an account from here. Please wait and open "
                "your invitation link again %(when)s. If you need help, call your care team."
            ) % {"when": wait_words(wait)}
            response = render(request, "tracker/invite_problem.html", {"problem": problem}, status=429)
            response["Retry-After"] = str(wait)
            return response
        return view(request, token, *args, **kwargs)

    return wrapped
