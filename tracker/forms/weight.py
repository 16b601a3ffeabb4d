"""Her weight: the field that reads a number as she types it, the form that
asks before saving one far from her last (corrections.weight_question), and
the form that corrects one she logged. Services write.
"""

import datetime as dt
import re
import uuid
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import User, WeightEntry
from ..services.checkins import weight_to_kg
from ..services.corrections import weight_confirmation, weight_question


class WeightField(forms.DecimalField):
    """A weight as she types it: "70.5", "70,5" (a decimal comma), " 70 . 5 ".
    A plain text box (inputmode="decimal" brings the phone's number pad): a
    type="number" box hands the server nothing when the browser can't read
    what she typed, so her text and our message about it would be lost.
    Localized (localize=True): a number shown back in the box is written as
    her language writes it ("68,5" in Spanish), and read so too."""

    def __init__(self, **kwargs):
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)

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
    unit = forms.ChoiceField(choices=User.WeightUnit.choices, widget=forms.RadioSelect, label=_("Unit"))
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
        super().clean()
        cleaned = self.cleaned_data
        value, unit = cleaned.get("value"), cleaned.get("unit")
        if value is None or unit is None:
            return cleaned
        kg = weight_to_kg(value=value, unit=unit)
        if not WeightEntry.MIN_KG <= kg <= WeightEntry.MAX_KG:
            if unit == User.WeightUnit.KG:
                low, high = WeightEntry.MIN_KG, WeightEntry.MAX_KG
            else:
                low, high = round(WeightEntry.MIN_KG * 2.2046), round(WeightEntry.MAX_KG * 2.2046)
            self.add_error(
                "value",
                gettext("That doesn't look right. Please enter a weight between %(low)s and %(high)s %(unit)s.")
                % {"low": low, "high": high, "unit": unit},
            )
            return cleaned
        confirmation = weight_confirmation(value=value, unit=unit)
        # Her "yes" counts only for the number it was asked about: changed
        # since, it is asked about again.
        if self.data.get("confirmed", "")[:40] != confirmation:
            question = weight_question(last=self.last, value=value, unit=unit, now=timezone.now(), tz=self.tz)
            if question:
                self.question, self.confirmation = question, confirmation
        return cleaned


class WeightCorrectForm(WeightForm):
    """The right number for a weight she logged: no question (she is
    correcting on purpose) and no token (the old weight is corrected once)."""

    # None removes an inherited field (Django's documented way; the stubs
    # want a field here).
    submission_token = None  # type: ignore[assignment]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["value"].label = _("The right weight")
