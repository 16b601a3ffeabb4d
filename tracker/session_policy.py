"""How long a session lives: signed out after SESSION_IDLE_SECONDS_STAFF
(15 minutes) or SESSION_IDLE_SECONDS_SURVIVOR (30) without activity, and
SESSION_ABSOLUTE_SECONDS (12 hours) after signing in whatever the activity.
A staff session's cookie ends with the browser (tracker/sessions.py).

Activity is any request of hers except background ones, which say so with
the header `X-Background: 1`: the queue's refresh every 30 s (htmx) and the
idle warning's own status checks. Otherwise a nurse's open queue would keep
her signed in forever.

The session holds when she signed in and when she was last active (written
at most once every SESSION_ACTIVITY_WRITE_SECONDS, so an ordinary page costs
no write). A session past either limit is signed out here, before any view:
the page asked for sends her to the login page (LoginRequiredMiddleware),
which says calmly why; an htmx request gets HX-Redirect, so the login page
replaces the whole page rather than landing inside the queue's table."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.translation import gettext as _

from . import sessions
from .htmx import whole_page_redirect
from .models import User

BACKGROUND_HEADER = "X-Background"


def is_background(request: HttpRequest) -> bool:
    return request.headers.get(BACKGROUND_HEADER) == "1"


@dataclass(frozen=True)
class SessionTimes:
    """Seconds left before the idle end and the absolute end."""

    idle_left: int
    absolute_left: int


def session_times(request: HttpRequest) -> SessionTimes | None:
    """For the idle warning (and tests): None for a session not tracked yet
    (an anonymous one never is; callers ask only for a signed-in user)."""
    session, user = request.session, request.user
    signed_in, active = session.get(sessions.SIGNED_IN_AT), session.get(sessions.ACTIVE_AT)
    if signed_in is None or active is None or not user.is_authenticated:
        return None
    now = timezone.now().timestamp()
    return SessionTimes(
        idle_left=int(active + sessions.idle_seconds(user) - now),
        absolute_left=int(signed_in + settings.SESSION_ABSOLUTE_SECONDS - now),
    )


def _over(request: HttpRequest) -> str | None:
    """Why this session is over by time ("idle", "absolute"), or None."""
    times = session_times(request)
    if times is None:
        return None
    if times.absolute_left <= 0:
        return "absolute"
    if times.idle_left <= 0:
        return "idle"
    return None


def _why(reason: str) -> str:
    if reason == "absolute":
        hours = settings.SESSION_ABSOLUTE_SECONDS // 3600
        return _(
            "You have been signed in for %(hours)s hours, so we signed you out to keep your information safe. "
            "Please sign in again."
        ) % {"hours": hours}
    return _(
        "You were signed out because there was no activity for a while. This keeps your information safe. "
        "Please sign in again."
    )


class SessionPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        before = None
        user = request.user
        if user.is_authenticated:
            reason = _over(request)
            if reason is not None:
                ended = self._sign_out(request, user, reason)
                if ended is not None:
                    return ended
            else:
                if sessions.SIGNED_IN_AT not in request.session:  # signed in before this existed, or by a test
                    sessions.session_track(request=request, user=user)
                before = (user.pk, request.session.session_key, request.session.get(sessions.ROW_ID))
                self._note_activity(request, user)
        response = self.get_response(request)
        self._follow(request, before)
        return response

    @staticmethod
    def _note_activity(request: HttpRequest, user: User) -> None:
        active = request.session.get(sessions.ACTIVE_AT)
        if active is None or is_background(request):
            return
        if timezone.now().timestamp() - active >= settings.SESSION_ACTIVITY_WRITE_SECONDS:
            sessions.session_touch(request=request, user=user)

    @staticmethod
    def _sign_out(request: HttpRequest, user: User, reason: str) -> HttpResponse | None:
        sessions.session_forget(user_id=user.pk, row_id=request.session.get(sessions.ROW_ID))
        logout(request)
        messages.info(request, _why(reason))
        # An htmx fragment sends the whole page to the login page; any other
        # request is sent there by LoginRequiredMiddleware.
        return whole_page_redirect(request, resolve_url(settings.LOGIN_URL))

    @staticmethod
    def _follow(request: HttpRequest, before: tuple | None) -> None:
        """After the view: a sign-in starts tracking, a sign-out ends it, a
        new session key (sign-in again, password change) is followed."""
        user = getattr(request, "user", None)
        now_in = user if user is not None and user.is_authenticated else None
        if before is not None and (now_in is None or now_in.pk != before[0]):
            sessions.session_forget(user_id=before[0], row_id=before[2])
            before = None
        if now_in is None:
            return
        if sessions.SIGNED_IN_AT not in request.session:
            sessions.session_track(request=request, user=now_in)
        elif before is not None and request.session.session_key != before[1]:
            sessions.session_rekeyed(request=request, user=now_in)
