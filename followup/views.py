"""Follow-up pages: closing the loop, preferences, a nurse's flag page,
messages and cadence for clinic admins, and /healthz."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tracker import services as tracker_services
from tracker.models import Tier

from . import selectors, services
from .cadence import DEFAULT_CADENCE
from .forms import CadenceForm, PreferencesForm, ResolveForm
from .models import Cadence, Heartbeat, Message


@require_http_methods(["GET", "POST"])
def flag_contacted(request: HttpRequest, flag_id: int) -> HttpResponse:
    """ "I contacted my care team" (also the link in every reminder)."""
    flag = selectors.flag_get_for_survivor(user=request.user, flag_id=flag_id)
    if request.method == "POST":
        services.flag_survivor_confirm_contact(flag=flag, survivor=request.user)
        messages.success(request, "Thank you. We have stopped the reminders about this.")
        return redirect("home")
    return render(request, "followup/flag_contacted.html", {"flag": flag})


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    if not request.user.is_survivor:
        raise Http404
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
def notice_dismiss(request: HttpRequest, message_id: int) -> HttpResponse:
    if not request.user.is_survivor:
        raise Http404
    message = Message.objects.filter(pk=message_id, recipient=request.user).first()
    if message is None:
        raise Http404
    services.notice_dismiss(message=message, survivor=request.user)
    return redirect("home")


@require_http_methods(["GET", "POST"])
def nurse_flag(request: HttpRequest, flag_id: int) -> HttpResponse:
    """A nurse's page for one flag: opening it stops escalation; she can
    record a contact or resolve it (the full triage workspace is issue 5)."""
    flag = selectors.flag_get_for_nurse(user=request.user, flag_id=flag_id)
    form = ResolveForm(request.POST or None)
    if request.method == "POST":
        if "contact" in request.POST:
            services.flag_nurse_contact(flag=flag, nurse=request.user)
            messages.success(request, "Contact recorded; her reminders have stopped.")
            return redirect("nurse_flag", flag_id=flag.pk)
        if form.is_valid():
            try:
                services.flag_nurse_resolve(flag=flag, nurse=request.user, outcome=form.cleaned_data["outcome"])
            except ValidationError as error:
                form.add_error("outcome", error.messages)
            else:
                messages.success(request, "Flag resolved.")
                return redirect("nurse_flag", flag_id=flag.pk)
    services.flag_opened(flag=flag, nurse=request.user)
    tracker_services.audit_record(actor=request.user, action="flag.view", survivor=flag.survivor, target=flag)
    context = {
        "flag": flag,
        "attachments": flag.attachments.select_related("entry__symptom", "entry__body_site", "weight"),
        "reminders": flag.messages.order_by("sequence", "channel"),
        "form": form,
    }
    return render(request, "followup/nurse_flag.html", context)


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
    for tier in Tier.values:
        row = Cadence.objects.filter(clinic=clinic, tier=tier).first()
        default = DEFAULT_CADENCE[tier]
        initial = {
            "first_after_minutes": int(default.first_after.total_seconds() // 60),
            "every_minutes": int(default.every.total_seconds() // 60),
            "max_count": default.max_count,
        }
        forms_by_tier[tier] = CadenceForm(
            request.POST or None, prefix=tier, instance=row or Cadence(clinic=clinic, tier=tier, **initial)
        )
    if request.method == "POST" and all(f.is_valid() for f in forms_by_tier.values()):
        for tier, form in forms_by_tier.items():
            services.cadence_save(clinic=clinic, tier=tier, by=request.user, **form.cleaned_data)
        messages.success(request, f"Reminder cadence saved for {clinic.name}.")
        return redirect(f"{request.path}?clinic={clinic.pk}")
    return render(request, "followup/cadence.html", {"clinic": clinic, "clinics": clinics, "forms": forms_by_tier})


@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    """Database, broker, and the sweep's last run. 503 when any is unwell."""
    report: dict = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        report["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - report any database failure
        report["database"] = f"error: {type(error).__name__}"
        healthy = False
    try:
        from config.celery import app

        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        report["broker"] = "ok"
    except Exception as error:  # noqa: BLE001 - report any broker failure
        report["broker"] = f"error: {type(error).__name__}"
        healthy = False
    beat = Heartbeat.objects.filter(name="sweep").first() if report["database"] == "ok" else None
    stale = dt.timedelta(seconds=settings.FOLLOWUP_SWEEP_STALE_SECONDS)
    if beat is None:
        report["sweep"] = "never ran"
        healthy = False
    else:
        age = (timezone.now() - beat.at).total_seconds()
        report["sweep"] = {"last_run": beat.at.isoformat(), "seconds_ago": round(age)}
        healthy = healthy and age <= stale.total_seconds()
    report["status"] = "ok" if healthy else "unhealthy"
    return JsonResponse(report, status=200 if healthy else 503)
