"""Field types of our own that are not one page's alone: a required yes/no
asked as two radio buttons (the check-in's questions), and her time zone by
the names people use (the invitation's form here, followup's forms too).
The weight field stays with the weight forms (weight.py), its only users.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..timezones import TIME_ZONE_PICKER_CHOICES

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class YesNoField(forms.TypedChoiceField):
    """A required yes/no asked as two radio buttons: a checkbox cannot tell
    "no" from "did not answer"."""

    def __init__(self, **kwargs):
        super().__init__(
            choices=YES_NO,
            coerce=lambda v: v == "yes",
            widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
            error_messages={"required": _("Please answer yes or no.")},
            **kwargs,
        )


class TimeZoneField(forms.ChoiceField):
    """Her time zone by the names people use, the common zones first
    (tracker/timezones.py); the same values as the model's choices."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Your time zone"))
        super().__init__(choices=TIME_ZONE_PICKER_CHOICES, **kwargs)
        self.error_messages["invalid_choice"] = _("Please choose your time zone from the list.")
