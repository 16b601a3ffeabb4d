"""Forms validate and explain; they never write (services do)."""

import datetime as dt
import re
import uuid
import zoneinfo
from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout
from django import forms
from django.contrib.auth import password_validation
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from . import corrections
from .models import NOTE_MAX_LENGTH, BodySite, Clinic, RuleSwitch, Symptom, Tier, User, WeightEntry
from .rules import limits, scenarios
from .rules.tiers import HIGHEST_FIRST
from .services import EntryData, weight_to_kg
from .timezones import TIME_ZONE_PICKER_CHOICES

YES_NO = [("yes", "Yes"), ("no", "No")]
SEVERITY_CHOICES = [(0, "0 – none")] + [(n, str(n)) for n in range(1, 10)] + [(10, "10 – worst imaginable")]


def local_today(user: User) -> dt.date:
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(user.time_zone))


class YesNoField(forms.TypedChoiceField):
    """A required yes/no asked as two radio buttons: a checkbox cannot tell
    "no" from "did not answer"."""

    def __init__(self, **kwargs):
        super().__init__(
            choices=YES_NO,
            coerce=lambda v: v == "yes",
            widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
            error_messages={"required": "Please answer yes or no."},
            **kwargs,
        )


class SymptomEntryForm(forms.Form):
    symptom = forms.ModelChoiceField(
        queryset=Symptom.objects.filter(is_active=True),
        to_field_name="code",
        label="What did you notice?",
        empty_label="Choose a symptom…",
        error_messages={
            "required": "Please choose what you noticed.",
            "invalid_choice": "Please choose a symptom from the list.",
        },
    )
    body_site = forms.ModelChoiceField(
        queryset=BodySite.objects.all(),
        to_field_name="code",
        required=False,
        label="Where in your body?",
        empty_label="Not needed / not sure",
        error_messages={"invalid_choice": "Please choose a body area from the list."},
    )
    severity = forms.TypedChoiceField(
        label="How bad is it?",
        choices=SEVERITY_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text="0 means none at all, 10 means the worst you can imagine.",
        error_messages={
            "required": "Please choose how bad it is, from 0 (none) to 10 (worst imaginable).",
            "invalid_choice": "Please choose a number from 0 (none) to 10 (worst imaginable).",
        },
    )
    is_new = YesNoField(label="Is it new, or different from your usual?")
    is_worse = YesNoField(label="Is it getting worse?")
    started_on = forms.DateField(
        label="When did it start?",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "Please give the date it started.", "invalid": "Please enter a real date."},
    )
    note = forms.CharField(
        label="Anything else you want to tell us? (optional)",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX_LENGTH}),
        error_messages={
            "max_length": "Please keep the note to %(limit_value)d characters (it has %(show_value)d now).",
        },
        help_text=f"Up to {NOTE_MAX_LENGTH:,} characters.",
    )

    def __init__(self, *args, survivor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.survivor = survivor
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

    def clean_started_on(self):
        started = self.cleaned_data["started_on"]
        survivor = self.survivor
        if started > local_today(survivor):
            raise forms.ValidationError("The start date can't be in the future. Please pick today or earlier.")
        if survivor.date_of_birth and started < survivor.date_of_birth:
            raise forms.ValidationError("The start date is before your date of birth. Please check the year.")
        if survivor.enrolled_on and started < survivor.enrolled_on:
            raise forms.ValidationError(
                f"Please pick a date on or after you joined ({date_format(survivor.enrolled_on)}). "
                "If it started earlier, pick that day and say when it began in the note."
            )
        return started

    def clean(self):
        cleaned = super().clean()
        symptom: Symptom | None = cleaned.get("symptom")
        site = cleaned.get("body_site")
        if symptom is None:
            return cleaned
        if symptom.body_site == Symptom.BodySiteRule.REQUIRED and site is None:
            self.add_error("body_site", f"Please choose where the {symptom.label.lower()} is.")
        if symptom.body_site == Symptom.BodySiteRule.NONE and site is not None:
            self.add_error(
                "body_site",
                f"{symptom.label} doesn't need a body area. Choose \u201cNot needed\u201d, "
                "or add a separate \u201cPain\u201d entry if it hurts somewhere.",
            )
        if symptom.free_text_only and not cleaned.get("note", "").strip():
            self.add_error("note", "Please describe it in your own words here.")
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

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not any(form.has_changed() and not self._should_delete_form(form) for form in self.forms):
            raise forms.ValidationError("Please add at least one symptom.")

    def entries(self) -> list[EntryData]:
        return [f.entry_data() for f in self.forms if f.has_changed() and f.cleaned_data]


SymptomEntryFormSet = forms.formset_factory(
    SymptomEntryForm, formset=BaseSymptomEntryFormSet, extra=0, min_num=1, max_num=10, validate_max=True
)


class CheckInForm(forms.Form):
    callback_requested = forms.BooleanField(
        label="I would like someone from my care team to call me back", required=False
    )
    submission_token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


class WeightField(forms.DecimalField):
    """A weight as she types it: "70.5", "70,5" (a decimal comma), " 70 . 5 ".
    A plain text box (inputmode="decimal" brings the phone's number pad): a
    type="number" box hands the server nothing when the browser can't read
    what she typed, so her text and our message about it would be lost."""

    widget = forms.TextInput

    def to_python(self, value):
        if isinstance(value, str):
            value = _DECIMAL_SEPARATOR.sub(r"\1", value.strip())
            if value.count(",") == 1 and "." not in value:
                value = value.replace(",", ".")
        return super().to_python(value)

    def widget_attrs(self, widget):
        # Not DecimalField's step/min (number-box attributes): the server judges.
        return {"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"}


_DECIMAL_SEPARATOR = re.compile(r"\s*([.,])\s*")


class WeightForm(forms.Form):
    value = WeightField(
        label=_("Your weight"),
        max_digits=6,
        decimal_places=1,
        min_value=Decimal("0.1"),
        help_text=_("For example 64.5 or 64,5."),
        error_messages={
            "required": _("Please enter your weight."),
            "invalid": _("Please enter your weight as a number, for example 64.5."),
            "min_value": _("Please enter your weight; it can't be zero or less."),
            "max_digits": _("That number is too long. Please check your weight."),
            "max_decimal_places": _("Please use at most one decimal place, for example 64.5."),
        },
    )
    unit = forms.ChoiceField(choices=User.WeightUnit.choices, widget=forms.RadioSelect, label="Unit")
    submission_token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, last: WeightEntry | None = None, tz: dt.tzinfo | None = None, **kwargs):
        """last: her latest weight that stands, to ask about a new one far
        from it before it is saved (corrections.weight_question); tz: hers."""
        super().__init__(*args, **kwargs)
        self.last, self.tz = last, tz or dt.UTC
        # Set by clean() when the weight needs her "yes, it's right" first:
        # the form is valid (nothing is wrong with it) but the view must not
        # save it. A question, not an error: she may well be right.
        self.question = self.confirmation = ""

    def clean(self):
        cleaned = super().clean()
        value, unit = cleaned.get("value"), cleaned.get("unit")
        if value is None or unit is None:
            return cleaned
        kg = weight_to_kg(value=value, unit=unit)
        if not WeightEntry.MIN_KG <= kg <= WeightEntry.MAX_KG:
            if unit == User.WeightUnit.KG:
                span = f"{WeightEntry.MIN_KG} and {WeightEntry.MAX_KG} kg"
            else:
                span = f"{round(WeightEntry.MIN_KG * 2.2046)} and {round(WeightEntry.MAX_KG * 2.2046)} lb"
            self.add_error("value", f"That doesn't look right. Please enter a weight between {span}.")
            return cleaned
        confirmation = corrections.weight_confirmation(value=value, unit=unit)
        # Her "yes" counts only for the number it was asked about: changed
        # since, it is asked about again.
        if self.data.get("confirmed", "")[:40] != confirmation:
            question = corrections.weight_question(
                last=self.last, value=value, unit=unit, now=timezone.now(), tz=self.tz
            )
            if question:
                self.question, self.confirmation = question, confirmation
        return cleaned


class WeightCorrectForm(WeightForm):
    """The right number for a weight she logged: no question (she is
    correcting on purpose) and no token (the old weight is corrected once)."""

    submission_token = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["value"].label = _("The right weight")


class InvitationForm(forms.Form):
    full_name = forms.CharField(max_length=200, label="Survivor's full name")
    email = forms.EmailField(label="Survivor's email")
    clinic = forms.ModelChoiceField(queryset=Clinic.objects.none(), empty_label=None)

    def __init__(self, *args, clinics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics
        only = list(clinics[:2])
        if len(only) == 1:
            self.fields["clinic"].widget = forms.HiddenInput()
            self.fields["clinic"].initial = only[0].pk


class TimeZoneField(forms.ChoiceField):
    """Her time zone by the names people use, the common zones first
    (tracker/timezones.py); the same values as the model's choices."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Your time zone"))
        super().__init__(choices=TIME_ZONE_PICKER_CHOICES, **kwargs)
        self.error_messages["invalid_choice"] = _("Please choose your time zone from the list.")


class InvitationAcceptForm(forms.Form):
    date_of_birth = forms.DateField(
        label="Your date of birth",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Please enter a real date."},
    )
    time_zone = TimeZoneField(help_text=_("We use it to show times and to avoid night-time messages."))
    weight_unit = forms.ChoiceField(
        choices=User.WeightUnit.choices, label="I weigh myself in", widget=forms.RadioSelect
    )
    password1 = forms.CharField(
        label="Choose a password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="Type the password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, invitation, **kwargs):
        super().__init__(*args, **kwargs)
        self.invitation = invitation
        self.fields["time_zone"].initial = "America/New_York"
        self.fields["weight_unit"].initial = User.WeightUnit.KG
        self.fields["password1"].help_text = password_validation.password_validators_help_text_html()

    def clean_date_of_birth(self):
        dob = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if dob >= today:
            raise forms.ValidationError("Your date of birth must be in the past.")
        if dob.year < today.year - 120:
            raise forms.ValidationError("Please check the year of your date of birth.")
        return dob

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords don't match.")
        elif p1:
            probe = User(email=self.invitation.email, full_name=self.invitation.full_name)
            try:
                password_validation.validate_password(p1, probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class RuleForm(forms.Form):
    """A rule's content. The condition is a JSON tree (see tracker/rules/engine.py
    and the reference on the edit page); every problem is listed by the field."""

    # Lengths and the slug's form are services.rule_content_errors' and
    # rule_slug_errors' (which an import goes through too); given here as
    # well so that the browser stops at them and each message sits by its field.
    slug = forms.CharField(
        max_length=limits.MAX_SLUG,
        required=False,
        help_text="Lower-case words joined by hyphens, e.g. bone-pain-new-or-worse.",
    )
    name = forms.CharField(max_length=limits.MAX_NAME)
    tier = forms.ChoiceField(choices=[(tier, Tier(tier).label) for tier in HIGHEST_FIRST])
    condition = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 16, "class": "font-monospace", "spellcheck": "false"}),
        max_length=limits.MAX_CONDITION_CHARS,
        error_messages={"max_length": f"At most {limits.MAX_CONDITION_CHARS:,} characters (this has %(show_value)s)."},
        help_text=(
            "A JSON tree of all / any / not groups and tests; see the reference below. "
            f"At most {limits.MAX_DEPTH} levels deep and {limits.MAX_NODES} groups and tests."
        ),
    )
    advice = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=limits.MAX_ADVICE,
        help_text="Shown to the survivor. Plain words.",
    )
    nurse_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=limits.MAX_NURSE_NOTE
    )
    source = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=limits.MAX_SOURCE,
        help_text="Article section, and the guideline that sets the urgency.",
    )
    change_note = forms.CharField(max_length=300, required=False, label="What changed and why")
    preview_days = forms.IntegerField(
        min_value=1,
        max_value=365,
        initial=30,
        label="Preview over the last N days",
        error_messages={"min_value": "Choose 1 to 365 days.", "max_value": "Choose 1 to 365 days."},
    )

    def __init__(self, *args, new_rule: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.new_rule = new_rule
        if new_rule:
            self.fields["slug"].required = True
        else:
            del self.fields["slug"]

    def clean_condition(self):
        import json

        raw = self.cleaned_data["condition"]
        try:
            return limits.loads(raw)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"This isn't valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
            ) from None
        except limits.TooDeep:
            raise forms.ValidationError(
                f"This condition is nested too deeply: at most {limits.MAX_DEPTH} levels of groups and tests."
            ) from None

    def clean_slug(self):
        from .models import Rule
        from .services import rule_slug_errors

        slug = self.cleaned_data["slug"]
        if not slug:
            return slug
        problems = rule_slug_errors(slug)
        if problems:
            raise forms.ValidationError(problems)
        if Rule.objects.filter(slug=slug).exists():
            raise forms.ValidationError("A rule with this slug already exists.")
        return slug

    def clean(self):
        from .services import rule_content_errors

        cleaned = super().clean()
        if "condition" in cleaned:
            for field_name, messages in rule_content_errors(cleaned).items():
                if field_name in self.fields and field_name not in self.errors:
                    for message in messages:
                        self.add_error(field_name, message)
        return cleaned

    def content(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("name", "tier", "condition", "advice", "nurse_note", "source")}


class RuleSwitchForm(forms.Form):
    """Switching a rule on or off. The state asked for is in the form (never
    "the opposite of now"), so a second click or an old page changes nothing.
    Switching off asks why; the reason is kept in the rule's history."""

    active = forms.TypedChoiceField(
        choices=[("on", "On"), ("off", "Off")], coerce=lambda value: value == "on", widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label="Why are you switching it off?",
        required=False,
        max_length=RuleSwitch.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the rule's history, with your name and the time.",
        error_messages={
            "max_length": "Please keep the reason to %(limit_value)d characters (it has %(show_value)d now)."
        },
    )

    def __init__(self, *args, active: bool | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if active is not None:
            self.fields["active"].initial = "on" if active else "off"
            if active:
                self.fields["reason"].label = "Why are you switching it on? (optional)"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("active") is False and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Please say why you are switching this rule off.")
        return cleaned


_IMPORT_SIZE = f"{limits.MAX_IMPORT_BYTES // 1000:,} kB"


class RulesImportForm(forms.Form):
    """The file's envelope: its size, that it is JSON, how deep it nests and
    how many rules it holds. Each rule is then checked by the service, as
    the edit form checks one (services.rules_import)."""

    file = forms.FileField(required=False, help_text=f"A rules JSON file, as exported (at most {_IMPORT_SIZE}).")
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "class": "font-monospace"}),
        required=False,
        label="…or paste the JSON here",
        max_length=limits.MAX_IMPORT_BYTES,
        error_messages={"max_length": f"At most {_IMPORT_SIZE} of JSON (this has %(show_value)s characters)."},
    )

    def clean(self):
        import json

        cleaned = super().clean()
        if self.errors:
            return cleaned
        upload, text = cleaned.get("file"), cleaned.get("text", "").strip()
        if not upload and not text:
            raise forms.ValidationError("Choose a file or paste the JSON.")
        field = "file" if upload else "text"
        if upload:
            # Its size before a byte of it is read: the upload handler has it.
            if upload.size > limits.MAX_IMPORT_BYTES:
                self.add_error("file", f"The file is {upload.size / 1000:,.0f} kB; at most {_IMPORT_SIZE}.")
                return cleaned
            try:
                raw = upload.read(limits.MAX_IMPORT_BYTES + 1).decode("utf-8")
            except UnicodeDecodeError:
                self.add_error("file", "This isn't a JSON file: it is not UTF-8 text.")
                return cleaned
        else:
            raw = text
        try:
            payload = limits.loads(raw)
        except json.JSONDecodeError as error:
            self.add_error(field, f"This isn't valid JSON: {error.msg} at line {error.lineno}.")
            return cleaned
        except limits.TooDeep as error:
            self.add_error(field, f"This JSON is {error}; an exported rule set is never that deep.")
            return cleaned
        rules = payload.get("rules") if isinstance(payload, dict) else None
        if isinstance(rules, list) and len(rules) > limits.MAX_IMPORT_RULES:
            self.add_error(field, f"At most {limits.MAX_IMPORT_RULES} rules in one import (this has {len(rules):,}).")
            return cleaned
        cleaned["payload"] = payload
        return cleaned


class ScenarioBenchForm(forms.Form):
    scenarios = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10, "class": "font-monospace", "spellcheck": "false"}),
        help_text=(
            "One scenario per line (JSON), as for manage.py check_rules: at most "
            f"{limits.MAX_BENCH_SCENARIOS} scenarios and {limits.MAX_BENCH_EVENTS:,} entries and weights a run."
        ),
        max_length=200_000,
    )

    def clean_scenarios(self):
        text = self.cleaned_data["scenarios"]
        problems = scenarios.bench_size_problems(text.splitlines())
        if problems:
            raise forms.ValidationError(problems)
        return text


class SentenceTestForm(forms.Form):
    """The rules page's "test a sentence" box: how the note reader reads it."""

    LANGUAGES = [("", "Detect from the words"), ("en", "English"), ("es", "Spanish")]

    sentence = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=NOTE_MAX_LENGTH,
        help_text="Type what a survivor might write. Nothing is saved.",
    )
    language = forms.ChoiceField(choices=LANGUAGES, required=False)
