from django import forms

from tracker.models import TIME_ZONE_CHOICES, Flag, User

from .models import Cadence, Preferences


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
    class Meta:
        model = Cadence
        fields = ["first_after_minutes", "every_minutes", "max_count"]
        labels = {
            "first_after_minutes": "First reminder after (minutes)",
            "every_minutes": "Then every (minutes)",
            "max_count": "At most (reminders)",
        }


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(choices=Flag.Outcome.choices)
