"""Her follow-up plan, her side (issue 15): "My follow-up" (what is next,
booked, overdue and done), a booked item as a calendar file, and "bring to
your visit" (what she reported since her last visit, and her questions).
Her care team's plan pages are staff pages (tracker/views/plans_staff.py)."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from icalendar import Calendar, Event

from ..access import AuthenticatedHttpRequest, survivor_required
from ..forms.her_plan import HerQuestionsForm
from ..models import PlanItem
from ..selectors.her_plan import plan_for_survivor, plan_item_get_for_owner, visit_summary
from ..service_errors import form_add_service_errors
from ..services.her_plan import QUESTION_STATES, plan_item_questions_save

# What a calendar event is called: the same words for every item, never its
# kind, a nurse's label or note. Her calendar may be shared, synced, or shown
# on a locked phone, and "Mammogram" there says she had cancer.
CALENDAR_SUMMARY = gettext_lazy("Follow-up appointment")


@survivor_required
@require_GET
def my_followup(request: AuthenticatedHttpRequest) -> HttpResponse:
    plan = plan_for_survivor(survivor=request.user)
    return render(request, "tracker/my_followup.html", {"her_plan": plan})


@survivor_required
@require_GET
def plan_item_calendar(request: AuthenticatedHttpRequest, item_id: int) -> HttpResponse:
    """A booked item as an .ics file with one event (RFC 5545). Only a
    booked item has a time to put in a calendar."""
    item = plan_item_get_for_owner(user=request.user, item_id=item_id)
    if item.state != PlanItem.State.BOOKED or item.booked_at is None:
        raise Http404("Not booked.")
    response = HttpResponse(plan_item_ics(item), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="follow-up-{item.pk}.ics"'
    response["Cache-Control"] = "no-store"
    return response


def plan_item_ics(item: PlanItem) -> bytes:
    """One VEVENT. Its UID stays the same for the item, so a calendar that
    imports the file again after a booking moved updates the event rather
    than adding a second one. Times in UTC (a "Z" time), which every
    calendar shows in its own zone. No end time: the clinic gives none, and
    a made-up one would be wrong."""
    assert item.booked_at is not None  # the view checked it is booked
    calendar = Calendar()
    calendar.add("prodid", "-//Follow-up//Follow-up plan//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"plan-item-{item.pk}@follow-up")
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", item.booked_at.astimezone(dt.UTC))
    event.add("summary", str(CALENDAR_SUMMARY))
    if item.booked_place:
        event.add("location", item.booked_place)
    calendar.add_component(event)
    return calendar.to_ical()


@survivor_required
@require_http_methods(["GET", "POST"])
def plan_item_visit(request: AuthenticatedHttpRequest, item_id: int) -> HttpResponse:
    """Bring to your visit: her symptoms, flags and weight since her last
    visit, printable on one page, and her questions for this one."""
    item = plan_item_get_for_owner(user=request.user, item_id=item_id)
    if item.state not in QUESTION_STATES:
        raise Http404("No visit coming up.")
    if request.method == "POST":
        form = HerQuestionsForm(request.POST)
        if form.is_valid():
            try:
                plan_item_questions_save(survivor=request.user, item=item, text=form.cleaned_data["her_questions"])
            except ValidationError as error:
                form_add_service_errors(form, error)
            else:
                messages.success(request, _("Your questions are saved."))
                return redirect("plan_item_visit", item_id=item.pk)
    else:
        form = HerQuestionsForm(initial={"her_questions": item.her_questions})
    summary = visit_summary(survivor=request.user, item=item)
    return render(request, "tracker/visit_summary.html", {"summary": summary, "form": form})
