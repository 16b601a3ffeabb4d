"""Her own pages, the survivor's: home (her history; staff are sent on to
their own home), the check-in, her weight, and her corrections (a symptom
entry or a weight entered in error). The pages a nurse reads too (a
check-in, her history, her record as CSV) are in record.py."""

import uuid
from types import SimpleNamespace

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import scope
from ..access import AuthenticatedHttpRequest, survivor_required
from ..forms.checkin import CheckInForm, SymptomEntryFormSet
from ..forms.weight import WeightCorrectForm, WeightForm
from ..i18n import localized
from ..models import Symptom, User
from ..selectors.access import entry_get_for_owner, weight_get_for_owner
from ..selectors.history import endocrine_asked, weight_last_standing, weights_recent_for_owner
from ..services import checkins as checkin_services
from ..services import corrections as correction_services
from ..services.checkins import weight_record
from ..services.corrections import entry_mark_in_error, weight_mark_in_error
from .record import history


def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.user.is_survivor:
        return history(request, survivor=request.user)
    if request.user.is_superuser and not scope.clinics_of(request.user).exists():
        # Fresh from `createsuperuser`: no clinic yet, so nothing to show in
        # the app; clinics and staff are set up in the Django admin.
        return redirect("admin:index")
    if request.user.is_nurse:
        return redirect("flag_queue")  # she calls people about their flags: the queue is her day
    if request.user.is_clinic_staff:
        return redirect("staff_home")
    return redirect("admin:index")


@survivor_required
@require_http_methods(["GET", "POST"])
def checkin_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    survivor = request.user
    asks_endocrine = endocrine_asked(survivor=survivor)
    if request.method == "POST":
        form = CheckInForm(request.POST, asks_endocrine=asks_endocrine)
        # Her answer about her hormone tablets (required when asked) is
        # enough for a check-in: "I have stopped taking them" and nothing else.
        formset = SymptomEntryFormSet(
            request.POST, form_kwargs={"survivor": survivor}, prefix="entry", symptoms_optional=asks_endocrine
        )
        if "add_entry" in request.POST:
            # "Add another symptom" without JavaScript: re-show everything typed
            # so far with one more empty row. The bound form keeps her answer.
            formset = _formset_with_extra_row(request, survivor, symptoms_optional=asks_endocrine)
            form = CheckInForm(initial=_typed(form), asks_endocrine=asks_endocrine)
        elif form.is_valid() and formset.is_valid():
            checkin, created = checkin_services.checkin_create(
                survivor=survivor,
                entries=formset.entries(),
                callback_requested=form.cleaned_data["callback_requested"],
                submission_token=form.cleaned_data["submission_token"],
                endocrine_answer=form.endocrine_answer(),
            )
            if not created:
                messages.info(request, _("This check-in was already saved; here it is."))
            return redirect("checkin_detail", checkin_id=checkin.pk)
    else:
        form = CheckInForm(asks_endocrine=asks_endocrine)
        formset = SymptomEntryFormSet(
            form_kwargs={"survivor": survivor}, prefix="entry", symptoms_optional=asks_endocrine
        )
    return render(
        request,
        "tracker/checkin_form.html",
        {"form": form, "formset": formset, "symptoms": _symptom_help()},
    )


def _symptom_help() -> list[SimpleNamespace]:
    """The page's list of what each symptom means, in her language."""
    return [
        SimpleNamespace(code=s.code, label=localized(s, "label"), help_text=localized(s, "help_text"))
        for s in Symptom.objects.filter(is_active=True)
    ]


def _typed(form: CheckInForm) -> dict:
    """What she gave in the check-in's own form, as initial values (no errors shown)."""
    return {name: form[name].value() for name in form.fields}


def _formset_with_extra_row(request: AuthenticatedHttpRequest, survivor: User, *, symptoms_optional: bool):
    """Everything typed so far as initial values (so nothing is lost and no
    errors are shown for rows not yet finished), plus one empty row."""
    bound = SymptomEntryFormSet(request.POST, form_kwargs={"survivor": survivor}, prefix="entry")
    rows = [{name: form[name].value() for name in form.fields} for form in bound.forms]
    rows = rows[: SymptomEntryFormSet.max_num - 1] + [{}]
    return SymptomEntryFormSet(
        initial=rows, form_kwargs={"survivor": survivor}, prefix="entry", symptoms_optional=symptoms_optional
    )


@survivor_required
@require_http_methods(["GET", "POST"])
def entry_entered_in_error(request: AuthenticatedHttpRequest, entry_id: int) -> HttpResponse:
    """She marks one of her symptom entries as a mistake (kept for the record)."""
    entry = entry_get_for_owner(user=request.user, entry_id=entry_id)
    if request.method == "POST" and entry.entered_in_error_at is None:
        try:
            entry_mark_in_error(survivor=request.user, entry=entry)
        except ValidationError as error:
            messages.info(request, " ".join(error.messages))
        else:
            messages.success(request, _("Thank you. We have marked it as entered in error and told your care team."))
        return redirect("checkin_detail", checkin_id=entry.checkin_id)
    return render(request, "tracker/entry_entered_in_error.html", {"entry": entry})


@survivor_required
@require_http_methods(["GET", "POST"])
def weight_correct(request: AuthenticatedHttpRequest, weight_id: int) -> HttpResponse:
    """She gives the right number for a weight, or removes it: the old one
    is kept, marked entered in error."""
    weight = weight_get_for_owner(user=request.user, weight_id=weight_id)
    form = WeightCorrectForm(
        request.POST if "correct" in request.POST else None, initial={"unit": request.user.weight_unit}
    )
    if request.method == "POST" and weight.entered_in_error_at is None:
        try:
            if "remove" in request.POST:
                weight_mark_in_error(survivor=request.user, weight=weight)
                messages.success(request, _("Thank you. We have marked that weight as entered in error."))
                return redirect("weight_create")
            if form.is_valid():
                correction_services.weight_correct(
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
def weight_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    survivor = request.user
    last = weight_last_standing(survivor=survivor)
    tz = timezone.get_current_timezone()
    if request.method == "POST":
        form = WeightForm(request.POST, last=last, tz=tz)
        # A weight far from her last one is asked about first (form.question).
        if form.is_valid() and not form.question:
            weight_record(
                survivor=survivor,
                value=form.cleaned_data["value"],
                unit=form.cleaned_data["unit"],
                submission_token=form.cleaned_data["submission_token"],
            )
            messages.success(request, _("Your weight is saved."))
            return redirect("home")
    else:
        form = WeightForm(initial={"unit": survivor.weight_unit, "submission_token": uuid.uuid4()}, last=last, tz=tz)
    recent = [(w, survivor.weight_shown(w.kg)) for w in weights_recent_for_owner(survivor=survivor)]
    return render(request, "tracker/weight_form.html", {"form": form, "recent_weights": recent})
