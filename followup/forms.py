from django import forms

from tracker.models import TIME_ZONE_CHOICES, Flag, Symptom, User

from .models import Cadence, FlagEvent, Preferences


class PreferencesForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=TIME_ZONE_CHOICES,
        label="Your time zone",
        help_text="We use it to show times and to keep messages out of the night.",
    )
    weight_unit = forms.ChoiceField(
        choices=User.WeightUnit.choices, widget=forms.RadioSelect, label="I weigh myself in"
    )
    email_fixed = forms.BooleanField(required=False, label="My email address works again")

    class Meta:
        model = Preferences
        fields = ["email_on", "sms_on", "in_app_on", "phone", "checkin_weekday", "checkin_hour"]
        labels = {"checkin_weekday": "Weekly check-in day", "checkin_hour": "Weekly check-in hour (8 to 20)"}
        widgets = {"phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"})}

    def __init__(self, *args, survivor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].initial = survivor.time_zone
        self.fields["weight_unit"].initial = survivor.weight_unit
        self.fields["checkin_hour"].widget = forms.Select(choices=[(h, f"{h}:00") for h in range(8, 21)])
        self.fields["checkin_hour"].error_messages.update(
            {
                "max_value": "Choose an hour between 8:00 and 20:00.",
                "min_value": "Choose an hour between 8:00 and 20:00.",
            }
        )
        if not (self.instance and self.instance.email_failed_at):
            del self.fields["email_fixed"]

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        digits = [c for c in phone if c.isdigit()]
        if phone and (len(digits) < 7 or any(c not in "0123456789+-() ." for c in phone)):
            raise forms.ValidationError("Please enter a phone number with digits only, for example +1 555 014 2000.")
        return phone

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("sms_on") and not cleaned.get("phone"):
            self.add_error("phone", "Add your mobile number to get text messages.")
        if not any(cleaned.get(name) for name in ("email_on", "sms_on", "in_app_on")):
            self.add_error("in_app_on", "Keep at least one way for us to reach you.")
        return cleaned


class CadenceForm(forms.ModelForm):
    """The clinical range is the model's (its validators give each field its
    message); the browser is told it too."""

    class Meta:
        model = Cadence
        fields = ["first_after_minutes", "every_minutes", "max_count"]
        labels = {
            "first_after_minutes": "First reminder after (minutes)",
            "every_minutes": "Then every (minutes)",
            "max_count": "At most (reminders)",
        }
        help_texts = {
            "first_after_minutes": "0 (at once) to 10,080 (7 days).",
            "every_minutes": "30 to 43,200 (30 days).",
            "max_count": "1 to 20.",
        }
        widgets = {
            "first_after_minutes": forms.NumberInput(attrs={"min": 0, "max": Cadence.MAX_FIRST_AFTER}),
            "every_minutes": forms.NumberInput(attrs={"min": Cadence.MIN_EVERY, "max": Cadence.MAX_EVERY}),
            "max_count": forms.NumberInput(attrs={"min": Cadence.MIN_COUNT, "max": Cadence.MAX_COUNT}),
        }


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(choices=Flag.Outcome.choices)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)


class ContactForm(forms.Form):
    result = forms.ChoiceField(choices=FlagEvent.Result.choices, widget=forms.RadioSelect)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)


class NoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label="Note")


class SnoozeForm(forms.Form):
    what = forms.ChoiceField(
        label="Snooze", choices=[("rule", "This rule"), ("symptom", "A symptom")], widget=forms.RadioSelect
    )
    symptom = forms.ModelChoiceField(
        queryset=Symptom.objects.filter(is_active=True), required=False, to_field_name="code"
    )
    until = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), help_text="At most 30 days from today.")
    reason = forms.CharField(max_length=300, help_text="For example: known arthritis in the left knee.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("what") == "symptom" and not cleaned.get("symptom"):
            self.add_error("symptom", "Choose the symptom to snooze.")
        return cleaned


class CallForm(forms.Form):
    survivor = forms.IntegerField(widget=forms.HiddenInput)
    result = forms.ChoiceField(choices=FlagEvent.Result.choices)
    note = forms.CharField(required=False, max_length=2000)


class AuditFilterForm(forms.Form):
    survivor = forms.CharField(required=False, max_length=200, label="Survivor (name or email)")
    staff = forms.CharField(required=False, max_length=200, label="Staff member (name or email)")
    day_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    day_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("day_from") and cleaned.get("day_to") and cleaned["day_from"] > cleaned["day_to"]:
            self.add_error("day_to", "The end date is before the start date.")
        return cleaned
