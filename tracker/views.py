"""Views validate, call one service or selector, and render."""

import csv
import itertools
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import corrections, selectors, services
from .access import clinic_staff_required, health_reader_required, survivor_required
from .forms import (
    CheckInForm,
    InvitationForm,
    SymptomEntryFormSet,
    WeightCorrectForm,
    WeightForm,
)
from .history_page import history_page
from .models import Symptom, User
from .service_errors import form_add_service_errors
from .templatetags.checkin_cards import checkin_cards

HISTORY_DAYS = 90


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_survivor:
        return _history(request, survivor=request.user)
    if request.user.is_superuser and not request.user.staff_clinics.exists():
        # Fresh from `createsuperuser`: no clinic yet, so nothing to show in
        # the app; clinics and staff are set up in the Django admin.
        return redirect("admin:index")
    if request.user.is_nurse:
        return redirect("flag_queue")  # she calls people about their flags: the queue is her day
    if request.user.is_clinic_staff:
        return redirect("staff_home")
    return redirect("admin:index")


def _history(request: HttpRequest, *, survivor: User) -> HttpResponse:
    page = history_page(survivor=survivor, days=HISTORY_DAYS, reader=request.user)
    chart = selectors.chart_data(
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


@survivor_required
@require_http_methods(["GET", "POST"])
def checkin_create(request: HttpRequest) -> HttpResponse:
    survivor = request.user
    if request.method == "POST":
        form = CheckInForm(request.POST)
        formset = SymptomEntryFormSet(request.POST, form_kwargs={"survivor": survivor}, prefix="entry")
        if "add_entry" in request.POST:
            # "Add another symptom" without JavaScript: re-show everything typed
            # so far with one more empty row.
            formset = _formset_with_extra_row(request, survivor)
        elif form.is_valid() and formset.is_valid():
            checkin, created = services.checkin_create(
                survivor=survivor,
                entries=formset.entries(),
                callback_requested=form.cleaned_data["callback_requested"],
                submission_token=form.cleaned_data["submission_token"],
            )
            if not created:
                messages.info(request, "This check-in was already saved; here it is.")
            return redirect("checkin_detail", checkin_id=checkin.pk)
    else:
        form = CheckInForm()
        formset = SymptomEntryFormSet(form_kwargs={"survivor": survivor}, prefix="entry")
    return render(
        request,
        "tracker/checkin_form.html",
        {"form": form, "formset": formset, "symptoms": Symptom.objects.filter(is_active=True)},
    )


def _formset_with_extra_row(request: HttpRequest, survivor: User):
    """Everything typed so far as initial values (so nothing is lost and no
    errors are shown for rows not yet finished), plus one empty row."""
    bound = SymptomEntryFormSet(request.POST, form_kwargs={"survivor": survivor}, prefix="entry")
    rows = [{name: form[name].value() for name in form.fields} for form in bound.forms]
    rows = rows[: SymptomEntryFormSet.max_num - 1] + [{}]
    return SymptomEntryFormSet(initial=rows, form_kwargs={"survivor": survivor}, prefix="entry")


@health_reader_required
def checkin_detail(request: HttpRequest, checkin_id: int) -> HttpResponse:
    checkin = selectors.checkin_get_for_user(user=request.user, checkin_id=checkin_id)
    services.audit_read(reader=request.user, action="checkin.view", survivor=checkin.survivor, target=checkin)
    flags = selectors.flags_for_checkin(checkin=checkin)
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


@survivor_required
@require_http_methods(["GET", "POST"])
def entry_entered_in_error(request: HttpRequest, entry_id: int) -> HttpResponse:
    """She marks one of her symptom entries as a mistake (kept for the record)."""
    entry = selectors.entry_get_for_owner(user=request.user, entry_id=entry_id)
    if request.method == "POST" and entry.entered_in_error_at is None:
        try:
            corrections.entry_mark_in_error(survivor=request.user, entry=entry)
        except ValidationError as error:
            messages.info(request, " ".join(error.messages))
        else:
            messages.success(request, _("Thank you. We have marked it as entered in error and told your care team."))
        return redirect("checkin_detail", checkin_id=entry.checkin_id)
    return render(request, "tracker/entry_entered_in_error.html", {"entry": entry})


@survivor_required
@require_http_methods(["GET", "POST"])
def weight_correct(request: HttpRequest, weight_id: int) -> HttpResponse:
    """She gives the right number for a weight, or removes it: the old one
    is kept, marked entered in error."""
    weight = selectors.weight_get_for_owner(user=request.user, weight_id=weight_id)
    form = WeightCorrectForm(
        request.POST if "correct" in request.POST else None, initial={"unit": request.user.weight_unit}
    )
    if request.method == "POST" and weight.entered_in_error_at is None:
        try:
            if "remove" in request.POST:
                corrections.weight_mark_in_error(survivor=request.user, weight=weight)
                messages.success(request, _("Thank you. We have marked that weight as entered in error."))
                return redirect("weight_create")
            if form.is_valid():
                corrections.weight_correct(
                    survivor=request.user,
                    weight=weight,
                    value=form.cleaned_data["value"],
                    unit=form.cleaned_data["unit"],
                )
                messages.success(request, _("Thank you. Your weight is corrected."))
                return redirect("weight_create")
        except ValidationError as error:
            messages.info(request, " ".join(error.messages))
            return redirect("weight_create")
    return render(
        request,
        "tracker/weight_correct.html",
        {"weight": weight, "shown": request.user.weight_shown(weight.kg), "form": form},
    )


@survivor_required
@require_http_methods(["GET", "POST"])
def weight_create(request: HttpRequest) -> HttpResponse:
    survivor = request.user
    last = selectors.weight_last_standing(survivor=survivor)
    tz = timezone.get_current_timezone()
    if request.method == "POST":
        form = WeightForm(request.POST, last=last, tz=tz)
        # A weight far from her last one is asked about first (form.question).
        if form.is_valid() and not form.question:
            services.weight_record(
                survivor=survivor,
                value=form.cleaned_data["value"],
                unit=form.cleaned_data["unit"],
                submission_token=form.cleaned_data["submission_token"],
            )
            messages.success(request, "Your weight is saved.")
            return redirect("home")
    else:
        form = WeightForm(initial={"unit": survivor.weight_unit, "submission_token": uuid.uuid4()}, last=last, tz=tz)
    recent = [(w, survivor.weight_shown(w.kg)) for w in selectors.weights_recent_for_owner(survivor=survivor)]
    return render(request, "tracker/weight_form.html", {"form": form, "recent_weights": recent})


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def staff_home(request: HttpRequest) -> HttpResponse:
    clinics = selectors.staff_clinics(user=request.user)
    form = InvitationForm(request.POST or None, clinics=clinics)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(
                invited_by=request.user,
                clinic=form.cleaned_data["clinic"],
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("staff_home")
    survivors = list(selectors.clinic_survivor_list(user=request.user))
    return render(
        request,
        "staff/home.html",
        {
            "form": form,
            "clinics": clinics,
            "survivors": survivors,
            "pending": selectors.invitation_list_pending(user=request.user),
            "can_read_health_data": request.user.is_nurse,
        },
    )


@health_reader_required
def survivor_export(request: HttpRequest, survivor_id: int) -> StreamingHttpResponse:
    """Her whole record as CSV: for her own files, or for a nurse to attach
    to the clinic's chart. A staff download is audited."""
    survivor = selectors.survivor_get_for_user(user=request.user, survivor_id=survivor_id)
    services.audit_read(reader=request.user, action="survivor.export", survivor=survivor, target=survivor)
    writer = csv.writer(_Echo())
    rows = itertools.chain([selectors.EXPORT_COLUMNS], selectors.record_export_rows(survivor=survivor))
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


@health_reader_required
def survivor_history(request: HttpRequest, survivor_id: int) -> HttpResponse:
    survivor = selectors.survivor_get_for_user(user=request.user, survivor_id=survivor_id)
    return _history(request, survivor=survivor)  # audited as a read of her history (tracker/history_page.py)
