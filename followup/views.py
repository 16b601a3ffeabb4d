"""Follow-up pages: closing the loop, preferences, messages, cadence and
the audit trail for clinic admins, and /healthz. A nurse's pages are in
nurse_views.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from followup import admin_actions
from followup.admin_actions import (
    MESSAGE_COUNT_DAYS,
    admin_clinics,
    cadence_save,
    message_counts_for_admin,
    message_get_for_admin,
    messages_for_admin,
)
from followup.reminders import notices
from followup.reminders.loop import flag_get_for_survivor, flag_survivor_confirm_contact
from followup.reminders.preferences import preferences_for, preferences_update
from tracker.access import AuthenticatedHttpRequest, clinic_admin_required, survivor_required
from tracker.i18n import in_language_of
from tracker.models import Tier
from tracker.rules.tiers import QUEUE_RANK
from tracker.services.accounts import survivor_profile_update

from . import audit_trail as audit_trail_module
from . import health
from .cadence import DEFAULT_CADENCE
from .forms import (
    AuditFilterForm,
    CadenceForm,
    PreferencesForm,
)
from .models import Cadence, Message


@survivor_required
@require_http_methods(["GET", "POST"])
def flag_contacted(request: AuthenticatedHttpRequest, flag_id: int) -> HttpResponse:
    """ "I contacted my care team" (also the link in every reminder)."""
    flag = flag_get_for_survivor(user=request.user, flag_id=flag_id)
    if request.method == "POST":
        flag_survivor_confirm_contact(flag=flag, survivor=request.user)
        messages.success(request, _("Thank you. We have stopped the reminders about this."))
        return redirect("home")
    return render(request, "followup/flag_contacted.html", {"flag": flag})


@survivor_required
@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    prefs = preferences_for(request.user)
    form = PreferencesForm(request.POST or None, instance=prefs, survivor=request.user)
    if request.method == "POST" and form.is_valid():
        survivor_profile_update(
            survivor=request.user,
            time_zone=form.cleaned_data["time_zone"],
            weight_unit=form.cleaned_data["weight_unit"],
            language=form.cleaned_data["language"],
        )
        preferences_update(survivor=request.user, data=form.cleaned_data)
        # The message is stored as text now and shown on the next page, which
        # her new language already renders (UserLanguageMiddleware): say it in that one.
        with in_language_of(request.user):
            messages.success(request, _("Your settings are saved."))
        return redirect("home")
    return render(request, "followup/preferences.html", {"form": form})


@require_POST
@survivor_required
def notice_dismiss(request: AuthenticatedHttpRequest, message_id: int) -> HttpResponse:
    message = Message.objects.filter(pk=message_id, recipient=request.user).first()
    if message is None:
        raise Http404
    notices.notice_dismiss(message=message, survivor=request.user)
    return redirect("home")


@clinic_admin_required
def message_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    state = request.GET.get("state") or None
    if state not in (None, *Message.State.values):
        state = None
    rows = messages_for_admin(user=request.user, state=state)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "state": state,
        "states": Message.State.choices,
        "counts": message_counts_for_admin(user=request.user),
        "count_days": MESSAGE_COUNT_DAYS,
    }
    return render(request, "followup/messages.html", context)


@require_POST
@clinic_admin_required
def message_retry(request: AuthenticatedHttpRequest, message_id: int) -> HttpResponse:
    message = message_get_for_admin(user=request.user, message_id=message_id)
    admin_actions.message_retry(message=message, by=request.user)
    messages.success(request, "The message will be sent again at the next sweep.")
    return redirect(reverse("message_list") + "?state=failed")


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def cadence_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    clinics = list(admin_clinics(user=request.user))
    clinic = next((c for c in clinics if str(c.pk) == request.GET.get("clinic")), clinics[0] if clinics else None)
    if clinic is None:
        raise Http404
    forms_by_tier = {}
    for tier in sorted(Tier.values, key=QUEUE_RANK.__getitem__):  # emergency first, as everywhere
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
            cadence_save(clinic=clinic, tier=tier, by=request.user, **form.cadence())
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


AUDIT_FILTER_SESSION_KEY = "audit_filter"


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def audit_trail(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The filter's names and emails go by POST and wait in her session, so
    they are in no URL (access logs, the browser's history, a Referer); the
    page's address carries only its page number."""
    admin_clinics(user=request.user)  # 404 for anyone but a clinic admin
    if request.method == "POST":
        if "clear" in request.POST:
            request.session.pop(AUDIT_FILTER_SESSION_KEY, None)
            return redirect("audit_trail")
        form = AuditFilterForm(request.POST)
        if form.is_valid():
            request.session[AUDIT_FILTER_SESSION_KEY] = form.as_session()
            return redirect("audit_trail")
    else:
        form = AuditFilterForm(request.session.get(AUDIT_FILTER_SESSION_KEY))
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    rows = audit_trail_module.audit_for_admin(
        user=request.user,
        survivor=filters.get("survivor", ""),
        staff=filters.get("staff", ""),
        day_from=filters.get("day_from"),
        day_to=filters.get("day_to"),
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    audit_trail_module.audit_listed_names(page.object_list, user=request.user)
    return render(request, "followup/audit.html", {"form": form, "page": page, "filtered": bool(filters)})
