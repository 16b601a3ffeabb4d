"""Her questions for a visit ("bring to your visit"): validated here,
saved by tracker/services/her_plan.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models.plans import PLAN_NOTE_MAX_LENGTH


class HerQuestionsForm(forms.Form):
    her_questions = forms.CharField(
        label=_("My questions for this visit"),
        help_text=_("Only you and your care team can read these. You can change them until the visit."),
        required=False,
        # strip=False: the service trims, and she gets back exactly what she typed on an error.
        strip=False,
        max_length=PLAN_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "max_length": _("Please keep your questions to %(limit_value)d characters (you wrote %(show_value)d).")
        },
    )
