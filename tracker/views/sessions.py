"""Her sessions, for everyone signed in (survivors and staff alike): where she
is signed in, "sign out everywhere else" and signing out one; the idle
warning's status and "Stay signed in"; and the password change, which ends
her other sessions for good and keeps this one."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from .. import sessions
from ..access import AuthenticatedHttpRequest
from ..session_policy import session_times


@never_cache
def session_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = sessions.sessions_active_for(user=request.user)
    current = request.session.get(sessions.ROW_ID)
    for row in rows:
        row.is_current = row.pk == current
    return render(
        request,
        "tracker/sessions.html",
        {"rows": rows, "others": sum(not row.is_current for row in rows)},
    )


@require_POST
def sessions_end_others(request: AuthenticatedHttpRequest) -> HttpResponse:
    ended = sessions.sessions_end_others(request=request)
    if ended:
        text = ngettext(
            "You are signed out of %(count)s other session.", "You are signed out of %(count)s other sessions.", ended
        )
        messages.success(request, text % {"count": ended})
    else:
        messages.success(request, _("You are signed out everywhere else."))
    return redirect("session_list")


@require_POST
def session_end(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    if session_id == request.session.get(sessions.ROW_ID):
        logout(request)  # this very session: an ordinary sign-out
        return redirect("login")
    if not sessions.session_end_one(user=request.user, session_id=session_id):
        raise Http404
    messages.success(request, _("That session is signed out."))
    return redirect("session_list")


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def session_status(request: HttpRequest) -> HttpResponse:
    """GET (sent as a background request, so it is not activity): how long
    before she is signed out. POST: "Stay signed in", which is activity and
    written at once. Without script the POST comes from the warning's form
    and goes back to the page she was on."""
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False})
    if request.method == "POST":
        sessions.session_touch(request=request, user=request.user)
        if "application/json" not in request.headers.get("Accept", ""):
            target = request.POST.get("next", "")
            safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
            return redirect(target if safe and target else "home")
    times = session_times(request)
    if times is None:
        return JsonResponse({"signed_in": True, "idle_left": None, "absolute_left": None})
    return JsonResponse({"signed_in": True, "idle_left": times.idle_left, "absolute_left": times.absolute_left})


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's, and then every other session of hers ends for good; this
    one carries on (Django gives it a new key and the new hash)."""

    def form_valid(self, form):
        response = super().form_valid(form)
        sessions.sessions_end_others(request=self.request)
        return response
