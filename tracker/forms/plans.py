"""The forms of her plan's staff pages and of the clinic admin's plan
templates. They check shape only (a date is a date); what a date may be
(not in the future, not before her diagnosis...) is the services' to say
(tracker/services/plans.py), and their messages land by these fields."""

from __future__ import annotations

from django import forms

from ..models import Clinic, PlanTemplate
from ..models.plans import (
    PLAN_LABEL_MAX_LENGTH,
    PLAN_NOTE_MAX_LENGTH,
    PLAN_PLACE_MAX_LENGTH,
    PLAN_TEMPLATE_NAME_MAX_LENGTH,
    PLAN_TEMPLATE_SOURCE_MAX_LENGTH,
    PlanItem,
)
from ..plans.serialize import MAX_JSON_CHARS
from ..services.plan_items import REASON_MAX_LENGTH


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _date(label: str, *, required: bool = False, help_text: str = "") -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=DateInput(), help_text=help_text)


class KeyDatesForm(forms.Form):
    diagnosis_on = _date("Diagnosis", required=True)
    surgery_on = _date("Surgery")
    radiation_end_on = _date("End of radiation", help_text="Leave empty if she had no radiation.")
    first_mammogram_on = _date(
        "Mammogram that found the cancer", help_text="If unknown, the first mammogram counts from the diagnosis."
    )
    endocrine_start_on = _date("Start of hormone therapy", help_text="Leave empty if she takes none.")


class PlanStartForm(KeyDatesForm):
    template = forms.ModelChoiceField(queryset=PlanTemplate.objects.none(), label="Template", empty_label=None)

    field_order = ["template"]

    def __init__(self, *args, templates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates  # type: ignore[attr-defined]


class EndocrineEndForm(forms.Form):
    end_on = _date("She stopped or finished hormone therapy on", required=True)


# A plan item's note is on her follow-up page: the nurse is told so where she writes it.
NOTE_SHOWN_TO_HER = 'She sees this note on her follow-up page (e.g. "bring your last report").'


def _note() -> forms.CharField:
    return forms.CharField(
        label="Note for her",
        required=False,
        max_length=PLAN_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=NOTE_SHOWN_TO_HER,
    )


class ItemMoveForm(forms.Form):
    """An item's window. Its order is shape, checked here so it comes back
    together with every other problem of the form (a note too long and
    dates the wrong way round, in one go), not one resubmission later. What
    the dates may be (not closed already, not too far ahead) is the
    service's."""

    opens_on = _date("Due from", required=True)
    due_by = _date("Due by", required=True)

    def clean(self) -> dict:
        data = super().clean() or {}
        opens_on, due_by = data.get("opens_on"), data.get("due_by")
        if opens_on and due_by and due_by < opens_on:
            self.add_error("due_by", WINDOW_ORDER)
        return data


WINDOW_ORDER = "The window must close on or after the day it opens."


class ItemAddForm(ItemMoveForm):
    # The error summary names the form: the page has one "Due by" per item.
    error_summary_row = "New item"

    kind = forms.ChoiceField(label="What", choices=PlanItem.KIND_CHOICES)
    label = forms.CharField(label="Name", max_length=PLAN_LABEL_MAX_LENGTH)
    note = _note()

    field_order = ["kind", "label", "opens_on", "due_by", "note"]


class ItemBookForm(forms.Form):
    booked_on = _date("Booked for", required=True)
    booked_time = forms.TimeField(label="At (her time)", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    place = forms.CharField(label="Where", required=False, max_length=PLAN_PLACE_MAX_LENGTH)


class ItemDoneForm(forms.Form):
    done_on = _date("Done on", required=True)
    # Only on a booked item's form (the view removes it elsewhere): the
    # nurse confirms a visit before the booked day (plan_item_done).
    seen_early = forms.BooleanField(label="She was seen before her booking (the booking is then over)", required=False)


class ItemReasonForm(forms.Form):
    reason = forms.CharField(label="Why", max_length=REASON_MAX_LENGTH, required=False)


class ItemDropForm(forms.Form):
    reason = forms.CharField(label="Why it does not apply to her", max_length=REASON_MAX_LENGTH)


class ItemNoteForm(forms.Form):
    note = _note()


class PlanTemplateForm(forms.Form):
    clinic = forms.ModelChoiceField(queryset=Clinic.objects.none(), label="Clinic", empty_label=None)
    name = forms.CharField(label="Name", max_length=PLAN_TEMPLATE_NAME_MAX_LENGTH)
    source = forms.CharField(
        label="Source",
        required=False,
        max_length=PLAN_TEMPLATE_SOURCE_MAX_LENGTH,
        help_text="The guidance it follows, cited.",
    )
    source_note = forms.CharField(
        label="What it leaves out, and why (shown to her)",
        required=False,
        max_length=PLAN_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # No max_length here: the service counts, so an over-long text gets the
    # same sentence whether it came through this form or not.
    items_json = forms.CharField(
        label="Items (JSON)",
        widget=forms.Textarea(attrs={"rows": 16, "class": "font-monospace", "spellcheck": "false"}),
        help_text=f"A list of items; at most {MAX_JSON_CHARS:,} characters. See the example below.",
    )

    def __init__(self, *args, clinics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics  # type: ignore[attr-defined]
