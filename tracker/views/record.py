"""Her health record, for those who may read it (tracker/access.py:
health_reader_required: she herself, a nurse of her clinic; never a clinic
admin): her history page (her home page, and the staff's view of it), one
check-in, and her whole record as CSV. Staff reads are audited."""

import csv
import itertools

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from ..access import AuthenticatedHttpRequest, health_reader_required
from ..history_page import history_page
from ..models import User
from ..selectors.access import checkin_get_for_user, survivor_get_for_user
from ..selectors.export import record_export_header, record_export_rows
from ..selectors.flags import flags_for_checkin
from ..selectors.history import chart_data
from ..services.audit import audit_read
from ..templatetags.checkin_cards import checkin_cards

HISTORY_DAYS = 90


def history(request: AuthenticatedHttpRequest, *, survivor: User) -> HttpResponse:
    """Her last 90 days: her home page (survivor.home) and a nurse's view of
    it (survivor_history). Not a URL's view: its callers check who asks."""
    page = history_page(survivor=survivor, days=HISTORY_DAYS, reader=request.user)
    chart = chart_data(
        survivor=survivor,
        days=HISTORY_DAYS,
        tz=timezone.get_current_timezone(),
        symptoms=page.symptoms,
        weights=page.weights,
    )
    context = {
        "survivor": survivor,
        "is_own": survivor.pk == request.user.pk,
        "recent_checkins": checkin_cards(page.recent_checkins, viewer_id=request.user.pk),
        "open_flags": page.open_flags,
        "withdrawn_flags": page.withdrawn_flags,
        "chart_data": chart,
        "history_days": HISTORY_DAYS,
    }
    return render(request, "tracker/history.html", context)


@health_reader_required
def checkin_detail(request: AuthenticatedHttpRequest, checkin_id: int) -> HttpResponse:
    checkin = checkin_get_for_user(user=request.user, checkin_id=checkin_id)
    audit_read(reader=request.user, action="checkin.view", survivor=checkin.survivor, target=checkin)
    flags = flags_for_checkin(checkin=checkin)
    context = {
        "checkin": checkin,
        "survivor": checkin.survivor,
        "checkin_flags": flags,
        # Hers: advice only for the rules that really matched; a rule that
        # failed on her check-in sends it to a nurse instead (needs_review).
        "advice_flags": [flag for flag in flags if flag.matched_here and not flag.withdrawn],
        "needs_review": any(not flag.matched_here for flag in flags),
    }
    return render(request, "tracker/checkin_detail.html", context)


@health_reader_required
def survivor_history(request: AuthenticatedHttpRequest, survivor_id: int) -> HttpResponse:
    survivor = survivor_get_for_user(user=request.user, survivor_id=survivor_id)
    return history(request, survivor=survivor)  # audited as a read of her history (tracker/history_page.py)


@health_reader_required
def survivor_export(request: AuthenticatedHttpRequest, survivor_id: int) -> StreamingHttpResponse:
    """Her whole record as CSV: for her own files, or for a nurse to attach
    to the clinic's chart. A staff download is audited."""
    survivor = survivor_get_for_user(user=request.user, survivor_id=survivor_id)
    audit_read(reader=request.user, action="survivor.export", survivor=survivor, target=survivor)
    writer = csv.writer(_Echo())
    rows = itertools.chain([record_export_header()], record_export_rows(survivor=survivor))
    response = StreamingHttpResponse(
        (writer.writerow([_spreadsheet_safe(cell) for cell in row]) for row in rows), content_type="text/csv"
    )
    filename = f"followup-record-{survivor.pk}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


class _Echo:
    """csv.writer writes into this and hands each line back (Django's
    streaming CSV recipe)."""

    def write(self, value: str) -> str:
        return value


def _spreadsheet_safe(cell) -> str:
    # A note like "=HYPERLINK(...)" would run as a formula when a nurse opens
    # the file in a spreadsheet; a leading apostrophe keeps it text (OWASP
    # "CSV injection").
    text = str(cell)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
