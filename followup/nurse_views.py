"""A nurse's day: the queue (a row per survivor), "next in queue", a flag's
page and its actions, the survivors of her clinics, the call lists, and the
clinic dashboard."""

import datetime as dt
import zoneinfo
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from followup.triage import flag_page, queue, reads
from followup.triage.actions import (
    call_log,
    flag_claim,
    flag_note_add,
    flag_nurse_contact,
    flag_unclaim,
    flags_nurse_resolve,
)
from followup.triage.flag_page import OpenFlag, flag_page_read
from followup.triage.plan_reads import PLAN_OVERDUE_DAYS, call_list_plan_overdue
from followup.triage.queue import queue_page_read
from followup.triage.reads import (
    call_list_bounced,
    call_list_callback,
    call_list_no_recent_checkin,
    flag_get_for_nurse,
    survivor_for_nurse,
    symptom_choices,
)
from followup.triage.survivor_list import survivor_list_read
from tracker.access import AuthenticatedHttpRequest, clinic_staff_required, nurse_required
from tracker.evaluation.inputs import rule_choices
from tracker.models import Flag, Tier, User
from tracker.selectors.history import history_chart
from tracker.service_errors import form_add_service_errors
from tracker.services.audit import audit_record, audit_record_list
from tracker.services.snoozes import snooze_create, snooze_end

from .forms import CallForm, ContactForm, NoteForm, ResolveForm, SnoozeForm
from .models import FlagEvent


@nurse_required
def flag_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The nurse's triage queue, a row per survivor. htmx reloads the table
    every 30 s with the same filters; the page, her focus and her scroll
    position stay (static/js/queue.js)."""
    filters: dict[str, Any] = {
        "tier": request.GET.get("tier", "") if request.GET.get("tier") in Tier.values else "",
        "rule": request.GET.get("rule", "")[:80],
        "mine": request.GET.get("mine") == "1",
        "unclaimed": request.GET.get("unclaimed") == "1",
        "overdue": request.GET.get("overdue") == "1",
    }
    page = queue_page_read(nurse=request.user, number=request.GET.get("page"), **filters)
    flags = page.flags
    context = {
        "page": page,
        "rows": page.rows,
        "flags": flags,
        "filters": filters,
        "newest_emergency": max((f.pk for f in flags if f.tier == Tier.EMERGENCY), default=0),
    }
    if not request.headers.get("HX-Request"):
        context |= {"tiers": Tier.choices, "rules": rule_choices()}
    template = "followup/_queue_table.html" if request.headers.get("HX-Request") else "followup/queue.html"
    return render(request, template, context)


@nurse_required
def queue_next(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Next in queue": the flag page of the next survivor in her queue
    (not the one she has just worked on, `?after=<survivor id>`)."""
    after = request.GET.get("after", "")
    flag_id = queue.queue_next(user=request.user, after=int(after) if after.isdigit() and len(after) < 16 else None)
    if flag_id is None:
        messages.info(request, "Nobody else is waiting in the queue.")
        return redirect("flag_queue")
    return redirect("nurse_flag", flag_id=flag_id)


def _flag_forms(data, flag: Flag, open_flags: list[OpenFlag]) -> dict:
    def bound(name):
        return data if data is not None and name in data else None

    return {
        "contact": ContactForm(bound("contact"), prefix="contact"),
        "resolve": ResolveForm(
            bound("resolve"),
            prefix="resolve",
            flag=flag,
            choices=[(f.pk, f"{f.tier_label}: {f.name}") for f in open_flags],
        ),
        "note": NoteForm(bound("note"), prefix="note"),
        "snooze": SnoozeForm(bound("snooze"), prefix="snooze", symptoms=symptom_choices()),
    }


@nurse_required
@require_http_methods(["GET", "POST"])
def nurse_flag(request: AuthenticatedHttpRequest, flag_id: int) -> HttpResponse:
    """A nurse's page for one flag. Opening it stops escalation. Actions:
    claim or unclaim, a note, a contact attempt, resolve (this flag and any
    of her other open flags, with one outcome), snooze."""
    forms_ = None
    if request.method == "POST":
        flag = flag_get_for_nurse(user=request.user, flag_id=flag_id)
        forms_ = _flag_forms(request.POST, flag, flag_page.open_flags(survivor_id=flag.survivor_id))
        done = _nurse_action(request, flag, forms_)
        if done:
            messages.success(request, done)
            return redirect("nurse_flag", flag_id=flag.pk)
    page = flag_page_read(nurse=request.user, flag_id=flag_id)
    if forms_ is None:
        forms_ = _flag_forms(None, page.flag, page.open_flags)
    context = {
        "flag": page.flag,
        "lists": page,
        "attachments": page.attachments,
        "other_flags": page.other_flags,
        "forms": forms_,
    }
    return render(request, "followup/nurse_flag.html", context)


@nurse_required
@require_http_methods(["GET"])
def flag_history(request: AuthenticatedHttpRequest, flag_id: int) -> HttpResponse:
    """Her last 90 days (charts and their tables) on a flag's page, when the
    nurse asks for them. A read of her history: audited as one."""
    flag = flag_get_for_nurse(user=request.user, flag_id=flag_id)
    audit_record(actor=request.user, action="survivor.history.view", survivor=flag.survivor, target=flag.survivor)
    chart = history_chart(survivor=flag.survivor, days=90, tz=timezone.get_current_timezone())
    return render(request, "followup/_flag_history.html", {"chart_data": chart})


def _nurse_action(request: AuthenticatedHttpRequest, flag: Flag, forms_: dict) -> str:
    """Run the posted action; a message on success, "" when a form has errors."""
    nurse = request.user
    if "claim" in request.POST:
        flag_claim(flag=flag, nurse=nurse)
        return "You have claimed this flag."
    if "unclaim" in request.POST:
        flag_unclaim(flag=flag, nurse=nurse)
        return "Flag released."
    if "note" in request.POST and forms_["note"].is_valid():
        flag_note_add(flag=flag, nurse=nurse, text=forms_["note"].cleaned_data["text"])
        return "Note added."
    if "contact" in request.POST and forms_["contact"].is_valid():
        data = forms_["contact"].cleaned_data
        flag_nurse_contact(flag=flag, nurse=nurse, result=data["result"], note=data["note"])
        return "Contact attempt recorded."
    if "resolve" in request.POST and forms_["resolve"].is_valid():
        return _resolve(flag, nurse, forms_["resolve"])
    if "snooze" in request.POST and forms_["snooze"].is_valid():
        return _snooze(flag, nurse, forms_["snooze"])
    if "end_snooze" in request.POST:
        snooze_id = request.POST["end_snooze"]
        if snooze_id.isdigit() and len(snooze_id) < 16:
            snooze_end(survivor=flag.survivor, snooze_id=int(snooze_id), by=nurse)
            return "Snooze ended."
    return ""


def _resolve(flag: Flag, nurse: User, form: ResolveForm) -> str:
    data = form.cleaned_data
    try:
        count = flags_nurse_resolve(
            survivor=flag.survivor, flag_ids=data["flags"], nurse=nurse, outcome=data["outcome"], note=data["note"]
        )
    except ValidationError as error:
        form_add_service_errors(form, error)
        return ""
    if count == 1:
        return "Flag resolved; her reminders have stopped."
    return f"{count} flags resolved; her reminders about them have stopped."


def _snooze(flag: Flag, nurse: User, form: SnoozeForm) -> str:
    data = form.cleaned_data
    until = dt.datetime.combine(data["until"], dt.time(23, 59), tzinfo=zoneinfo.ZoneInfo(flag.survivor.time_zone))
    try:
        snooze_create(
            survivor=flag.survivor,
            by=nurse,
            ends_at=until,
            reason=data["reason"],
            rule=flag.rule if data["what"] == "rule" else None,
            symptom=data["symptom"] if data["what"] == "symptom" else None,
        )
    except ValidationError as error:
        form_add_service_errors(form, error, rename={"rule": "what", "ends_at": "until"})
        return ""
    return "Snoozed."


CALL_LISTS = ("No check-in for 5 days or more", "Messages bounced", "Asked for a call back")


def _call_record(request: AuthenticatedHttpRequest, *, place: int) -> dict | None:
    """Log the call a call list's row posted: None when saved (a message
    says so), else what the page needs to show the form again in its row
    (`place`: which list), with the message by the field and what she typed."""
    form = CallForm(request.POST, auto_id=f"call-{place}-{request.POST.get('survivor', '')[:16]}-%s")
    if not form.is_valid():
        return {"form": form, "list": place, "survivor": form.cleaned_data.get("survivor")}
    survivor = survivor_for_nurse(user=request.user, survivor_id=form.cleaned_data["survivor"])
    call_log(survivor=survivor, nurse=request.user, result=form.cleaned_data["result"], note=form.cleaned_data["note"])
    messages.success(request, f"Call to {survivor.full_name} recorded.")
    return None


@nurse_required
@require_http_methods(["GET", "POST"])
def call_lists(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The three call lists, each row with a "log a call" form. A call that
    fails to save (no result, a note over the limit) comes back in its row
    with the message by the field and what she typed."""
    failed = None
    if request.method == "POST":
        number = request.POST.get("list", "")
        failed = _call_record(request, place=int(number) if number in ("1", "2", "3") else 1)
        if failed is None:
            return redirect("call_lists")
    found = (
        call_list_no_recent_checkin(user=request.user),
        call_list_bounced(user=request.user),
        call_list_callback(user=request.user),
    )
    lists = {title: list(rows) for title, rows in zip(CALL_LISTS, found, strict=True)}
    shown = {s.pk for rows in lists.values() for s in rows}
    audit_record_list(actor=request.user, action="call_list.view", survivor_ids=shown)
    context = {"lists": lists, "results": FlagEvent.Result.choices, "failed": failed}
    return render(request, "followup/call_lists.html", context)


@nurse_required
@require_http_methods(["GET", "POST"])
def plan_overdue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The "follow-up overdue" call list (issue 15): survivors with a plan
    item missed by more than 30 days, each row with the call lists' "log a
    call" form (the same CallLog). A call that fails to save comes back in
    its row with the message by the field and what she typed."""
    failed = None
    if request.method == "POST":
        failed = _call_record(request, place=1)
        if failed is None:
            return redirect("plan_overdue")
    rows = call_list_plan_overdue(user=request.user)
    audit_record_list(actor=request.user, action="call_list.view", survivor_ids=[row.pk for row in rows])
    context = {"rows": rows, "results": FlagEvent.Result.choices, "failed": failed, "days": PLAN_OVERDUE_DAYS}
    return render(request, "followup/plan_overdue.html", context)


@nurse_required
def survivors(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The survivors of her clinics: open flags (highest tier), last
    check-in, overdue for her weekly check-in; search by name."""
    query = request.GET.get("q", "").strip()[:100]
    page = survivor_list_read(nurse=request.user, query=query, number=request.GET.get("page"))
    return render(request, "followup/survivors.html", {"page": page, "query": query})


@clinic_staff_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    figures = reads.dashboard(user=request.user, periods=(30, 90))
    top = figures[90]["per_rule"][:12]
    chart = {
        "tiers": ["Emergency", "Urgent", "Routine"],
        "open": list(figures[30]["open_by_tier"].values()),
        "rules": [r["name"] for r in top],
        "confirmed": [r["confirmed"] for r in top],
        "dismissed": [r["dismissed"] for r in top],
    }
    return render(request, "followup/dashboard.html", {"figures": figures, "chart": chart})
