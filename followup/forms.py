import datetime as dt
from typing import cast

from django import forms
from django.conf import settings
from django.db import models
from django.utils.dates import WEEKDAYS
from django.utils.formats import time_format
from django.utils.translation import gettext_lazy as _

from tracker.forms.fields import TimeZoneField
from tracker.models import Flag, Symptom, User

from .cadence import QUIET_END_HOUR, QUIET_START_HOUR
from .models import Cadence, FlagEvent, Preferences


def _clock(hour: int) -> str:
    return time_format(dt.time(hour))


class PreferencesForm(forms.ModelForm):
    # Her language: each named in itself ("Español"), as settings.LANGUAGES
    # has them, so she finds hers whatever the page is in. Blank (a post
    # without it) keeps the one she has.
    language = forms.ChoiceField(
        choices=settings.LANGUAGES,
        widget=forms.RadioSelect,
        required=False,
        label=_("Language"),
        help_text=_("Your pages, emails and text messages come in this language."),
        error_messages={"invalid_choice": _("Please choose English or Spanish.")},
    )
    time_zone = TimeZoneField(help_text=_("We use it to show times and to keep messages out of the night."))
    weight_unit = forms.ChoiceField(
        # Her words for the units, not the model's English labels.
        choices=[(User.WeightUnit.KG, _("Kilograms (kg)")), (User.WeightUnit.LB, _("Pounds (lb)"))],
        widget=forms.RadioSelect,
        label=_("I weigh myself in"),
    )
    email_fixed = forms.BooleanField(required=False, label=_("My email address works again"))

    class Meta:
        model = Preferences
        fields = ["email_on", "sms_on", "in_app_on", "phone", "checkin_weekday", "checkin_hour"]
        # The model's verbose names are English; she reads these.
        labels = {
            "email_on": _("Email"),
            "sms_on": _("Text message (SMS)"),
            "in_app_on": _("In the app"),
            "phone": _("Mobile number for texts"),
            "checkin_weekday": _("Weekly check-in day"),
            "checkin_hour": _("Weekly check-in time"),
        }
        widgets = {"phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"})}

    def __init__(self, *args, survivor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.survivor = survivor
        self.fields["language"].initial = survivor.language
        self.fields["time_zone"].initial = survivor.time_zone
        self.fields["weight_unit"].initial = survivor.weight_unit
        # Day names from Django's own catalog (Preferences.WEEKDAYS is English).
        cast(forms.ChoiceField, self.fields["checkin_weekday"]).choices = [(day, WEEKDAYS[day]) for day in range(7)]
        # Hours as her language writes them ("8:00 AM" in English, "08:00" in Spanish).
        self.fields["checkin_hour"].widget = forms.Select(choices=[(h, _clock(h)) for h in range(8, 21)])
        between = _("Choose a time between %(start)s and %(end)s.") % {"start": _clock(8), "end": _clock(20)}
        self.fields["checkin_hour"].error_messages.update({"max_value": between, "min_value": between})
        self.fields["checkin_hour"].help_text = _("Between %(start)s and %(end)s.") % {
            "start": _clock(8),
            "end": _clock(20),
        }
        # Quiet hours, for the page's sentence about them.
        self.quiet_from, self.quiet_until = dt.time(QUIET_START_HOUR), dt.time(QUIET_END_HOUR)
        if not (self.instance and self.instance.email_failed_at):
            del self.fields["email_fixed"]

    def clean_language(self) -> str:
        return self.cleaned_data["language"] or self.survivor.language

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        digits = [c for c in phone if c.isdigit()]
        if phone and (len(digits) < 7 or any(c not in "0123456789+-() ." for c in phone)):
            raise forms.ValidationError(_("Please enter a phone number with digits only, for example +1 555 014 2000."))
        return phone

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("sms_on") and not cleaned.get("phone"):
            self.add_error("phone", _("Add your mobile number to get text messages."))
        if not any(cleaned.get(name) for name in ("email_on", "sms_on", "in_app_on")):
            self.add_error("in_app_on", _("Keep at least one way for us to reach you."))
        return cleaned


MINUTES_IN = {"minutes": 1, "hours": 60, "days": 24 * 60}
UNIT_CHOICES = [("minutes", _("minutes")), ("hours", _("hours")), ("days", _("days"))]


def in_largest_unit(minutes: int) -> tuple[int, str]:
    """120 -> (2, "hours"), 10080 -> (7, "days"), 90 -> (90, "minutes"); 0 -> (0, "hours")."""
    for unit in ("days", "hours"):
        if minutes % MINUTES_IN[unit] == 0:
            return minutes // MINUTES_IN[unit], unit
    return minutes, "minutes"


class CadenceForm(forms.Form):
    """One tier's cadence, each wait entered as a number and a unit (minutes,
    hours or days) and stored in minutes. The clinical range and its messages
    are the model's (Cadence's validators), checked on the minutes."""

    DURATIONS = {"first_after": "first_after_minutes", "every": "every_minutes"}

    first_after = forms.IntegerField(
        label=_("First reminder after"), min_value=0, help_text=_("0 means at once. At most 7 days.")
    )
    first_after_unit = forms.ChoiceField(choices=UNIT_CHOICES, label=_("Unit"))
    every = forms.IntegerField(label=_("Then every"), min_value=1, help_text=_("From 30 minutes to 30 days."))
    every_unit = forms.ChoiceField(choices=UNIT_CHOICES, label=_("Unit"))
    max_count = forms.IntegerField(label=_("At most (reminders)"), help_text=_("1 to 20."))

    def __init__(self, *args, minutes: dict[str, int] | None = None, **kwargs):
        """`minutes`: the stored cadence (first_after_minutes, every_minutes,
        max_count), shown in the largest unit that holds it exactly."""
        if minutes is not None:
            initial: dict[str, int | str] = {"max_count": minutes["max_count"]}
            for name, model_name in self.DURATIONS.items():
                initial[name], initial[f"{name}_unit"] = in_largest_unit(minutes[model_name])
            kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        for name in ("first_after", "every", "max_count"):
            # A text box, not type="number": what she typed comes back with its
            # message instead of an empty box.
            self.fields[name].widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})
            self.fields[name].error_messages.update(
                {"invalid": _("Please enter a whole number."), "min_value": _("Please enter %(limit_value)s or more.")}
            )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        for name, model_name in self.DURATIONS.items():
            number, unit = cleaned.get(name), cleaned.get(f"{name}_unit")
            if number is not None and unit in MINUTES_IN:
                cleaned[model_name] = number * MINUTES_IN[unit]
                self._check(name, model_name, cleaned[model_name])
        if cleaned.get("max_count") is not None:
            self._check("max_count", "max_count", cleaned["max_count"])
        return cleaned

    def _check(self, name: str, model_name: str, value: int) -> None:
        # The first of the model field's validators that fails: its own range
        # (with its message) comes before the database's integer range.
        field = Cadence._meta.get_field(model_name)
        assert isinstance(field, models.Field)  # a column, not a relation's other side
        for validator in field.validators:
            try:
                validator(value)
            except forms.ValidationError as error:
                self.add_error(name, error)
                return

    def cadence(self) -> dict[str, int]:
        """What cadence_save takes: every wait in minutes."""
        return {key: self.cleaned_data[key] for key in ("first_after_minutes", "every_minutes", "max_count")}


NOTE_MAX_LENGTH = 2000  # FlagEvent.text and CallLog.note


class ResolveForm(forms.Form):
    """Resolve one or several of her open flags with one outcome and one
    note. No outcome is chosen for her: a default would be recorded by a
    nurse who missed the question."""

    flags = forms.TypedMultipleChoiceField(
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        label="Flags to resolve",
        error_messages={
            "required": "Tick at least one flag to resolve.",
            "invalid_choice": "One of these flags is no longer open. Look at the list again.",
        },
    )
    outcome = forms.ChoiceField(
        choices=Flag.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what came of it."},
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        error_messages={"max_length": "Keep the note to %(limit_value)d characters (it has %(show_value)d)."},
    )

    def __init__(self, *args, flag: Flag, choices: list[tuple[int, str]], **kwargs):
        """`choices`: her open flags (id, words), highest tier first; this
        flag is ticked, the others are hers to add."""
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["flags"]).choices = choices
        self.fields["flags"].initial = [flag.pk]


class ContactForm(forms.Form):
    result = forms.ChoiceField(
        choices=FlagEvent.Result.choices,
        widget=forms.RadioSelect,
        label="What happened",
        error_messages={"required": "Choose what happened when you called."},
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        error_messages={"max_length": "Keep the note to %(limit_value)d characters (it has %(show_value)d)."},
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=NOTE_MAX_LENGTH,
        label="Note",
        error_messages={
            "required": "Write the note first.",
            "max_length": "Keep the note to %(limit_value)d characters (it has %(show_value)d).",
        },
    )


class SnoozeForm(forms.Form):
    what = forms.ChoiceField(
        label="Snooze", choices=[("rule", "This rule"), ("symptom", "A symptom")], widget=forms.RadioSelect
    )
    # The catalog's codes, read once a minute (followup.triage.reads.symptom_choices):
    # a ModelChoiceField read the table on every flag page.
    symptom = forms.ChoiceField(required=False)
    until = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), help_text="At most 30 days from today.")
    reason = forms.CharField(max_length=300, help_text="For example: known arthritis in the left knee.")

    def __init__(self, *args, symptoms: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["symptom"]).choices = [("", "---------"), *symptoms]

    def clean_symptom(self) -> Symptom | None:
        code = self.cleaned_data["symptom"]
        if not code:
            return None
        symptom = Symptom.objects.filter(code=code, is_active=True).first()
        if symptom is None:
            raise forms.ValidationError("Choose a symptom from the list.")
        return symptom

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("what") == "symptom" and not cleaned.get("symptom"):
            self.add_error("symptom", "Choose the symptom to snooze.")
        return cleaned


class CallForm(forms.Form):
    """A call from the call lists. No result is chosen for her (a default
    would record a call that didn't reach anyone as "Reached her"); a note
    over the limit is refused with a message and kept on the page, never
    cut."""

    survivor = forms.IntegerField(widget=forms.HiddenInput)
    result = forms.ChoiceField(
        choices=[("", "Choose what happened"), *FlagEvent.Result.choices],
        label="Result",
        error_messages={"required": "Choose what happened when you called."},
    )
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        label="Note",
        widget=forms.Textarea(attrs={"rows": 1}),
        error_messages={"max_length": "Keep the note to %(limit_value)d characters (it has %(show_value)d)."},
    )


class AuditFilterForm(forms.Form):
    survivor = forms.CharField(required=False, max_length=200, label="Survivor (name or email)")
    staff = forms.CharField(required=False, max_length=200, label="Staff member (name or email)")
    day_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    day_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("day_from") and cleaned.get("day_to") and cleaned["day_from"] > cleaned["day_to"]:
            self.add_error("day_to", "The end date is before the start date.")
        return cleaned

    def as_session(self) -> dict[str, str]:
        """The valid filter as text, to keep in her session (not in a URL)."""
        return {name: self.data.get(name, "") for name in self.fields}
