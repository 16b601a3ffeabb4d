"""Our error pages: 400, 403 and a refused form (CSRF) in her language with
a way back; and the 500 page. Django's own handler renders templates/500.html with no
context at all; this one adds a survivor's care-team numbers when they can
be known, and never fails itself: the page must come up when the database is
the thing that broke."""

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from tracker.models import Clinic

log = logging.getLogger(__name__)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponseServerError:
    try:
        context = _care_team(request)
    except Exception:  # anything raised here would turn a 500 page into none at all
        log.warning("500 page: care-team numbers unavailable", exc_info=True)
        context = {}
    return HttpResponseServerError(loader.get_template("500.html").render(context))


def _care_team(request: HttpRequest) -> dict:
    # Only a user the request already loaded (no session or user query
    # here); her clinic is one small query, skipped if it fails.
    user = getattr(request, "_cached_user", None)
    if user is None or not user.is_authenticated or not user.is_survivor or user.clinic_id is None:
        return {}
    row = Clinic.objects.filter(pk=user.clinic_id).values("care_team_phone", "emergency_number").first()
    if row is None:
        return {}
    return {"care_team_phone": row["care_team_phone"], "emergency_number": row["emergency_number"]}


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused for its security token (open in a tab from before she
    signed in again, or cookies blocked): our page, in her language, with a
    way back, not Django's "403 Forbidden" (settings.CSRF_FAILURE_VIEW)."""
    return render(request, "403_csrf.html", status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)
