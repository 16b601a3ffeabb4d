"""Follow-up pages: closing the loop, preferences, a nurse's flag page,
messages and cadence for clinic admins, and /healthz."""

import datetime as dt
import zoneinfo

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from tracker import selectors as tracker_selectors
from tracker import services as tracker_services
from tracker.access import clinic_staff_required, nurse_required, survivor_required
from tracker.models import TIER_RANK, Flag, Tier

from . import health, selectors, services
from .cadence import DEFAULT_CADENCE
from .forms import (
    AuditFilterForm,
    CadenceForm,
    CallForm,
    ContactForm,
    NoteForm,
    PreferencesForm,
    ResolveForm,
    SnoozeForm,
)
from .models import Cadence, FlagEvent, Message


@require_http_methods(["GET", "POST"])
def flag_contacted(request: HttpRequest, flag_id: int) -> HttpResponse:
    """ "I contacted my care team" (also the link in every reminder)."""
    flag = selectors.flag_get_for_survivor(user=request.user, flag_id=flag_id)
    if request.method == "POST":
        services.flag_survivor_confirm_contact(flag=flag, survivor=request.user)
        messages.success(request, "Thank you. We have stopped the reminders about this.")
        return redirect("home")
    return render(request, "followup/flag_contacted.html", {"flag": flag})


@survivor_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    prefs = services.preferences_for(request.user)
    form = PreferencesForm(request.POST or None, instance=prefs, survivor=request.user)
    if request.method == "POST" and form.is_valid():
        tracker_services.survivor_profile_update(
            survivor=request.user,
            time_zone=form.cleaned_data["time_zone"],
            weight_unit=form.cleaned_data["weight_unit"],
        )
        services.preferences_update(survivor=request.user, data=form.cleaned_data)
        messages.success(request, "Your settings are saved.")
        return redirect("home")
    return render(request, "followup/preferences.html", {"form": form})


@require_POST
@survivor_required
def notice_dismiss(request: HttpRequest, message_id: int) -> HttpResponse:
    message = Message.objects.filter(pk=message_id, recipient=request.user).first()
    if message is None:
        raise Http404
    services.notice_dismiss(message=message, survivor=request.user)
    return redirect("home")


@require_http_methods(["GET", "POST"])
def nurse_flag(request: HttpRequest, flag_id: int) -> HttpResponse:
    """A nurse's page for one flag. Opening it stops escalation. Actions:
    claim or unclaim, a note, a contact attempt, resolve, snooze."""
    flag = selectors.flag_get_for_nurse(user=request.user, flag_id=flag_id)
    forms_ = {
        "resolve": ResolveForm(request.POST if "resolve" in request.POST else None, prefix="resolve"),
        "contact": ContactForm(request.POST if "contact" in request.POST else None, prefix="contact"),
        "note": NoteForm(request.POST if "note" in request.POST else None, prefix="note"),
        "snooze": SnoozeForm(request.POST if "snooze" in request.POST else None, prefix="snooze"),
    }
    if request.method == "POST":
        done = _nurse_action(request, flag, forms_)
        if done:
            messages.success(request, done)
            return redirect("nurse_flag", flag_id=flag.pk)
    services.flag_opened(flag=flag, nurse=request.user)
    tracker_services.audit_record(actor=request.user, action="flag.view", survivor=flag.survivor, target=flag)
    context = {
        "flag": flag,
        "attachments": flag.attachments.select_related("entry__symptom", "entry__body_site", "weight"),
        "events": flag.events.select_related("author"),
        "reminders": flag.messages.order_by("sequence", "channel"),
        "other_flags": Flag.objects.filter(survivor=flag.survivor, status=Flag.Status.OPEN)
        .exclude(pk=flag.pk)
        .select_related("rule_version"),
        "snoozes": selectors.snoozes_for(survivor=flag.survivor),
        "forms": forms_,
        "chart_data": tracker_selectors.history_chart(
            survivor=flag.survivor, days=90, tz=timezone.get_current_timezone()
        ).data,
    }
    return render(request, "followup/nurse_flag.html", context)


def _nurse_action(request: HttpRequest, flag: Flag, forms_: dict) -> str:
    """Run the posted action; a message on success, "" when a form has errors."""
    nurse = request.user
    if "claim" in request.POST:
        services.flag_claim(flag=flag, nurse=nurse)
        return "You have claimed this flag."
    if "unclaim" in request.POST:
        services.flag_unclaim(flag=flag, nurse=nurse)
        return "Flag released."
    if "note" in request.POST and forms_["note"].is_valid():
        services.flag_note_add(flag=flag, nurse=nurse, text=forms_["note"].cleaned_data["text"])
        return "Note added."
    if "contact" in request.POST and forms_["contact"].is_valid():
        data = forms_["contact"].cleaned_data
        services.flag_nurse_contact(flag=flag, nurse=nurse, result=data["result"], note=data["note"])
        return "Contact attempt recorded."
    if "resolve" in request.POST and forms_["resolve"].is_valid():
        data = forms_["resolve"].cleaned_data
        try:
            services.flag_nurse_resolve(flag=flag, nurse=nurse, outcome=data["outcome"], note=data["note"])
        except ValidationError as error:
            forms_["resolve"].add_error("outcome", error.messages)
            return ""
        return "Flag resolved; her reminders have stopped."
    if "snooze" in request.POST and forms_["snooze"].is_valid():
        data = forms_["snooze"].cleaned_data
        until = dt.datetime.combine(data["until"], dt.time(23, 59), tzinfo=zoneinfo.ZoneInfo(flag.survivor.time_zone))
        try:
            tracker_services.snooze_create(
                survivor=flag.survivor,
                by=nurse,
                ends_at=until,
                reason=data["reason"],
                rule=flag.rule if data["what"] == "rule" else None,
                symptom=data["symptom"] if data["what"] == "symptom" else None,
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                target = {"rule": "what", "ends_at": "until"}.get(field, field)
                forms_["snooze"].add_error(target if target in forms_["snooze"].fields else None, problems)
            return ""
        return "Snoozed."
    if "end_snooze" in request.POST:
        tracker_services.snooze_end(survivor=flag.survivor, snooze_id=int(request.POST["end_snooze"]), by=nurse)
        return "Snooze ended."
    return ""


@nurse_required
@require_http_methods(["GET", "POST"])
def call_lists(request: HttpRequest) -> HttpResponse:
    form = CallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        survivor = selectors.survivor_for_nurse(user=request.user, survivor_id=form.cleaned_data["survivor"])
        services.call_log(
            survivor=survivor, nurse=request.user, result=form.cleaned_data["result"], note=form.cleaned_data["note"]
        )
        messages.success(request, f"Call to {survivor.full_name} recorded.")
        return redirect("call_lists")
    lists = {
        "No check-in for 5 days or more": list(selectors.call_list_no_recent_checkin(user=request.user)),
        "Messages bounced": list(selectors.call_list_bounced(user=request.user)),
        "Asked for a call back": list(selectors.call_list_callback(user=request.user)),
    }
    shown = {s.pk for rows in lists.values() for s in rows}
    tracker_services.audit_record_list(actor=request.user, action="call_list.view", survivor_ids=shown)
    return render(request, "followup/call_lists.html", {"lists": lists, "results": FlagEvent.Result.choices})


def message_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state") or None
    if state not in (None, *Message.State.values):
        state = None
    rows = selectors.messages_for_admin(user=request.user, state=state)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "followup/messages.html", {"page": page, "state": state, "states": Message.State.choices})


@require_POST
def message_retry(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.message_get_for_admin(user=request.user, message_id=message_id)
    services.message_retry(message=message, by=request.user)
    messages.success(request, "The message will be sent again at the next sweep.")
    return redirect(reverse("message_list") + "?state=failed")


@require_http_methods(["GET", "POST"])
def cadence_edit(request: HttpRequest) -> HttpResponse:
    clinics = list(selectors.admin_clinics(user=request.user))
    clinic = next((c for c in clinics if str(c.pk) == request.GET.get("clinic")), clinics[0] if clinics else None)
    if clinic is None:
        raise Http404
    forms_by_tier = {}
    for tier in sorted(Tier.values, key=TIER_RANK.__getitem__):  # emergency first, as everywhere
        row = Cadence.objects.filter(clinic=clinic, tier=tier).first()
        default = DEFAULT_CADENCE[tier]
        minutes = {
            "first_after_minutes": row.first_after_minutes if row else int(default.first_after.total_seconds() // 60),
            "every_minutes": row.every_minutes if row else int(default.every.total_seconds() // 60),
            "max_count": row.max_count if row else default.max_count,
        }
        forms_by_tier[tier] = CadenceForm(request.POST or None, prefix=tier, minutes=minutes)
    if request.method == "POST" and all([f.is_valid() for f in forms_by_tier.values()]):
        for tier, form in forms_by_tier.items():
            services.cadence_save(clinic=clinic, tier=tier, by=request.user, **form.cadence())
        messages.success(request, f"Reminder cadence saved for {clinic.name}.")
        return redirect(f"{request.path}?clinic={clinic.pk}")
    return render(request, "followup/cadence.html", {"clinic": clinic, "clinics": clinics, "forms": forms_by_tier})


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Public: 503 when the database or broker is down, the last completed
    sweep is too old, or a due message has waited too long unsent (see
    followup/health.py). Aggregate figures only."""
    report = health.report()
    return JsonResponse(report.as_json(), status=200 if report.healthy else 503)


def flag_queue(request: HttpRequest) -> HttpResponse:
    """The nurse's triage queue. htmx reloads the table every 30 s with the
    same filters; the page (and its scroll position) stays."""
    filters = {
        "tier": request.GET.get("tier", "") if request.GET.get("tier") in Tier.values else "",
        "rule": request.GET.get("rule", "")[:80],
        "mine": request.GET.get("mine") == "1",
        "unclaimed": request.GET.get("unclaimed") == "1",
        "overdue": request.GET.get("overdue") == "1",
    }
    page = services.queue_page_read(nurse=request.user, number=request.GET.get("page"), **filters)
    flags = page.flags
    context = {
        "page": page,
        "flags": flags,
        "filters": filters,
        "newest_emergency": max((f.pk for f in flags if f.tier == Tier.EMERGENCY), default=0),
    }
    if not request.headers.get("HX-Request"):
        context |= {"tiers": Tier.choices, "rules": tracker_selectors.rule_choices()}
    template = "followup/_queue_table.html" if request.headers.get("HX-Request") else "followup/queue.html"
    return render(request, template, context)


@clinic_staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    figures = selectors.dashboard(user=request.user, periods=(30, 90))
    chart = {
        "tiers": ["Emergency", "Urgent", "Routine"],
        "open": list(figures[30]["open_by_tier"].values()),
        "rules": [r["rule__slug"] for r in figures[90]["per_rule"][:12]],
        "confirmed": [r["confirmed"] for r in figures[90]["per_rule"][:12]],
        "dismissed": [r["dismissed"] for r in figures[90]["per_rule"][:12]],
    }
    return render(request, "followup/dashboard.html", {"figures": figures, "chart": chart})


def audit_trail(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.audit_for_admin(
        user=request.user,
        survivor=filters.get("survivor", ""),
        staff=filters.get("staff", ""),
        day_from=filters.get("day_from"),
        day_to=filters.get("day_to"),
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    selectors.audit_listed_names(page.object_list)
    return render(request, "followup/audit.html", {"form": form, "page": page})
