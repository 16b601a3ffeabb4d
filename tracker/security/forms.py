import datetime as dt

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.models import AuditEvent

from .events import ACTIONS

EARLIEST_DAY = dt.date(2020, 1, 1)


class LoginForm(AuthenticationForm):
    """Django's login form in her words: its label and message name the
    field by the model's verbose name ("email"), which is not translated."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Please enter a correct email and password. Note that both fields may be case-sensitive."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Email")


class SecurityEventFilterForm(forms.Form):
    """Bounded: a known kind, and days between 2020 and tomorrow, in order."""

    action = forms.ChoiceField(
        required=False,
        label="What happened",
        choices=[("", "Everything")] + [(a, AuditEvent.ACTION_LABELS[a]) for a in ACTIONS],
    )
    day_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    day_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def _day_in_range(self, name: str) -> dt.date | None:
        day = self.cleaned_data.get(name)
        latest = timezone.localdate() + dt.timedelta(days=1)
        if day is not None and not EARLIEST_DAY <= day <= latest:
            raise forms.ValidationError(f"Choose a day between {EARLIEST_DAY:%-d %b %Y} and {latest:%-d %b %Y}.")
        return day

    def clean_day_from(self):
        return self._day_in_range("day_from")

    def clean_day_to(self):
        return self._day_in_range("day_to")

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("day_from") and cleaned.get("day_to") and cleaned["day_from"] > cleaned["day_to"]:
            self.add_error("day_to", "The end date is before the start date.")
        return cleaned
