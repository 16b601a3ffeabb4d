"""Her check-in: one form per symptom, the formset that holds them (at
least one, at most ten; none needed when she answers the question about her
hormone tablets), and the check-in's own form (that question while her plan
says she takes them, call-back, token). They validate and explain;
services/checkins.py (checkin_create) writes.
"""

import datetime as dt
import uuid
import zoneinfo
from typing import cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout
from django import forms
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..i18n import localized
from ..models import NOTE_MAX_LENGTH, BodySite, CheckIn, Symptom, User
from ..services.checkins import EntryData
from .fields import YesNoField

SEVERITY_CHOICES = [(0, _("0 – none"))] + [(n, str(n)) for n in range(1, 10)] + [(10, _("10 – worst imaginable"))]


class CatalogChoiceField(forms.ModelChoiceField):
    """A symptom or a body site, named in her language (the row's Spanish
    column when it is written: tracker/i18n.py). Read when the choices are
    drawn, so in the language of the request that draws them."""

    def label_from_instance(self, obj) -> str:
        return localized(obj, "label")


def symptom_words(symptom: Symptom) -> str:
    """A symptom's label in her language, as a sentence uses it ("pain")."""
    return localized(symptom, "label").lower()


def local_today(user: User) -> dt.date:
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(user.time_zone))


class SymptomEntryForm(forms.Form):
    symptom = CatalogChoiceField(
        queryset=Symptom.objects.filter(is_active=True),
        to_field_name="code",
        label=_("What did you notice?"),
        empty_label=_("Choose a symptom…"),
        error_messages={
            "required": _("Please choose what you noticed."),
            "invalid_choice": _("Please choose a symptom from the list."),
        },
    )
    body_site = CatalogChoiceField(
        queryset=BodySite.objects.all(),
        to_field_name="code",
        required=False,
        label=_("Where in your body?"),
        empty_label=_("Not needed / not sure"),
        error_messages={"invalid_choice": _("Please choose a body area from the list.")},
    )
    severity = forms.TypedChoiceField(
        label=_("How bad is it?"),
        choices=SEVERITY_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("0 means none at all, 10 means the worst you can imagine."),
        error_messages={
            "required": _("Please choose how bad it is, from 0 (none) to 10 (worst imaginable)."),
            "invalid_choice": _("Please choose a number from 0 (none) to 10 (worst imaginable)."),
        },
    )
    is_new = YesNoField(label=_("Is it new, or different from your usual?"))
    is_worse = YesNoField(label=_("Is it getting worse?"))
    started_on = forms.DateField(
        label=_("When did it start?"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Please give the date it started."), "invalid": _("Please enter a real date.")},
    )
    note = forms.CharField(
        label=_("Anything else you want to tell us? (optional)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX_LENGTH}),
        error_messages={
            "max_length": _("Please keep the note to %(limit_value)d characters (it has %(show_value)d now)."),
        },
    )

    def __init__(self, *args, survivor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.survivor = survivor
        # Here, not on the field: the number is written as her language writes it ("2,000", "2.000").
        self.fields["note"].help_text = gettext("Up to %(count)s characters.") % {
            "count": number_format(NOTE_MAX_LENGTH, force_grouping=True)
        }
        today = local_today(survivor)
        self.fields["started_on"].widget.attrs["max"] = today.isoformat()
        self.fields["started_on"].initial = today
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            "symptom",
            "body_site",
            Field("severity", template="tracker/fields/severity.html"),
            Field("is_new", template="tracker/fields/inline_radios.html"),
            Field("is_worse", template="tracker/fields/inline_radios.html"),
            "started_on",
            "note",
        )

    def make_optional(self) -> None:
        """A row she may leave empty (her check-in asks about her hormone
        tablets: that answer is a check-in of its own). The page must not
        say otherwise: no asterisk and no required attribute on it. Its
        fields stop being required so nothing marks them; clean() asks for
        them again as soon as she fills any of the row, so a partly filled
        row is checked as before."""
        self.empty_permitted = True
        self.use_required_attribute = False
        self.required_when_filled = [name for name, field in self.fields.items() if field.required]
        for name in self.required_when_filled:
            self.fields[name].required = False

    def clean_started_on(self):
        started = self.cleaned_data["started_on"]
        if started is None:
            return started  # an optional row left without a date: clean() asks for it
        survivor = self.survivor
        if started > local_today(survivor):
            raise forms.ValidationError(gettext("The start date can't be in the future. Please pick today or earlier."))
        if survivor.date_of_birth and started < survivor.date_of_birth:
            raise forms.ValidationError(gettext("The start date is before your date of birth. Please check the year."))
        if survivor.enrolled_on and started < survivor.enrolled_on:
            raise forms.ValidationError(
                gettext(
                    "Please pick a date on or after you joined (%(day)s). "
                    "If it started earlier, pick that day and say when it began in the note."
                )
                % {"day": date_format(survivor.enrolled_on, "DATE_FORMAT")}
            )
        return started

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        for name in getattr(self, "required_when_filled", ()):
            if name not in self.errors and cleaned.get(name) in self.fields[name].empty_values:
                self.add_error(name, self.fields[name].error_messages["required"])
        symptom: Symptom | None = cleaned.get("symptom")
        site = cleaned.get("body_site")
        if symptom is None:
            return cleaned
        if symptom.body_site == Symptom.BodySiteRule.REQUIRED and site is None:
            self.add_error(
                "body_site", gettext("Please choose where the %(symptom)s is.") % {"symptom": symptom_words(symptom)}
            )
        if symptom.body_site == Symptom.BodySiteRule.NONE and site is not None:
            self.add_error(
                "body_site",
                gettext(
                    "%(symptom)s doesn't need a body area. Choose “Not needed”, "
                    "or add a separate “Pain” entry if it hurts somewhere."
                )
                % {"symptom": localized(symptom, "label")},
            )
        if symptom.free_text_only and not cleaned.get("note", "").strip():
            self.add_error("note", gettext("Please describe it in your own words here."))
        return cleaned

    def entry_data(self) -> EntryData:
        c = self.cleaned_data
        return EntryData(
            symptom=c["symptom"],
            body_site=c["body_site"],
            severity=c["severity"],
            is_new=c["is_new"],
            is_worse=c["is_worse"],
            started_on=c["started_on"],
            note=c["note"].strip(),
        )


class BaseSymptomEntryFormSet(forms.BaseFormSet):
    # How the error summary names a row: as the page's legend does.
    error_summary_row = _("Symptom {number}")

    def __init__(self, *args, symptoms_optional: bool = False, **kwargs):
        # True when her check-in asks about her hormone tablets: that answer
        # (required then) is a check-in of its own, symptoms or not, so even
        # the first row may be left empty.
        self.symptoms_optional = symptoms_optional
        super().__init__(*args, **kwargs)

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)  # type: ignore[misc]
        if self.symptoms_optional:
            form.make_optional()
        return form

    def clean(self):
        super().clean()
        if any(self.errors) or self.symptoms_optional:
            return
        # _should_delete_form: Django's own test for a row ticked for deletion (private, not in the stubs).
        if not any(form.has_changed() and not self._should_delete_form(form) for form in self.forms):  # type: ignore[attr-defined]
            raise forms.ValidationError(gettext("Please add at least one symptom."))

    def entries(self) -> list[EntryData]:
        return [f.entry_data() for f in self.forms if f.has_changed() and f.cleaned_data]


# A subclass of BaseSymptomEntryFormSet (the stubs give back only BaseFormSet).
SymptomEntryFormSet = cast(
    type[BaseSymptomEntryFormSet],
    forms.formset_factory(
        SymptomEntryForm, formset=BaseSymptomEntryFormSet, extra=0, min_num=1, max_num=10, validate_max=True
    ),
)


class CheckInForm(forms.Form):
    """asks_endocrine: her plan says she takes hormone therapy
    (Plan.takes_endocrine), so the form asks how it went this week."""

    callback_requested = forms.BooleanField(
        label=_("I would like someone from my care team to call me back"), required=False
    )
    submission_token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, asks_endocrine: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.asks_endocrine = asks_endocrine
        if asks_endocrine:
            self.fields["endocrine_answer"] = _endocrine_field()
        # The page draws the question on its own, above her symptoms
        # (templates/tracker/checkin_form.html); the helper the rest.
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout("callback_requested", "submission_token")

    def endocrine_answer(self) -> str:
        """Her answer, or "" when the form did not ask (a choice of CheckIn.Endocrine)."""
        return self.cleaned_data.get("endocrine_answer", "") if self.asks_endocrine else ""


def _endocrine_field() -> forms.ChoiceField:
    # Plain, calm words: no wrong answer, and stopping is something to talk
    # through, not to be scolded for.
    return forms.ChoiceField(
        label=_("Your hormone tablets this week"),
        choices=CheckIn.Endocrine.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "For example tamoxifen, letrozole, anastrozole or exemestane. There is no wrong answer: "
            "it helps your care team support you."
        ),
        error_messages={
            "required": _("Please tell us how your hormone tablets went this week."),
            "invalid_choice": _("Please choose one of the answers about your hormone tablets."),
        },
    )
