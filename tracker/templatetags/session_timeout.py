"""The idle warning on every page of a signed-in person (base.html):
a dialog a couple of minutes before the idle end, with "Stay signed in"
(static/js/session-timeout.js, tracker/session_policy.py)."""

from django import template
from django.conf import settings

from tracker import sessions
from tracker.session_policy import session_times

register = template.Library()


@register.inclusion_tag("tracker/_session_timeout.html", takes_context=True)
def session_timeout(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"on": False}
    times = session_times(request)
    # Not tracked yet (her first page after signing in): all her time is ahead.
    idle_left = times.idle_left if times else sessions.idle_seconds(user)
    absolute_left = times.absolute_left if times else settings.SESSION_ABSOLUTE_SECONDS
    return {
        "on": True,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "idle_left": max(idle_left, 0),
        "absolute_left": max(absolute_left, 0),
        "warn": settings.SESSION_WARNING_SECONDS,
    }
