"""Invitations: the staff member's form that invites a survivor (her name,
email, clinic and the language of her invitation), and the survivor's form
that accepts one (her language, date of birth, time zone, weight unit,
password). Services send and accept. The staff form stays English (staff
pages are English for now); the survivor's is marked for translation.
"""

from typing import cast

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils import timezone
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from ..models import Clinic, User
from .fields import TimeZoneField


def _languages_in_their_own_names() -> list[tuple[str, str]]:
    # "English", "Español": a reader finds her own language by its own name,
    # whatever the language of the page.
    return [(code, get_language_info(code)["name_local"].capitalize()) for code, _name in settings.LANGUAGES]


class InvitationForm(forms.Form):
    full_name = forms.CharField(max_length=200, label="Survivor's full name")
    email = forms.EmailField(label="Survivor's email")
    clinic = forms.ModelChoiceField(queryset=Clinic.objects.none(), empty_label=None)
    language = forms.ChoiceField(
        choices=[("", "Her browser's language"), *_languages_in_their_own_names()],
        required=False,
        label="Language",
        help_text="Of her invitation email and her welcome page. She can change it when she sets up her account.",
    )

    def __init__(self, *args, clinics, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["clinic"]).queryset = clinics
        only = list(clinics[:2])
        if len(only) == 1:
            self.fields["clinic"].widget = forms.HiddenInput()
            self.fields["clinic"].initial = only[0].pk


class InvitationAcceptForm(forms.Form):
    language = forms.ChoiceField(
        choices=_languages_in_their_own_names,
        # Pre-set to the page's language; left out, the page's language.
        required=False,
        label=_("Your language"),
        help_text=_("Your pages, emails and text messages will be in this language. You can change it later."),
        widget=forms.RadioSelect,
    )
    date_of_birth = forms.DateField(
        label=_("Your date of birth"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Please enter a real date.")},
    )
    time_zone = TimeZoneField(help_text=_("We use it to show times and to avoid night-time messages."))
    weight_unit = forms.ChoiceField(
        choices=User.WeightUnit.choices, label=_("I weigh myself in"), widget=forms.RadioSelect
    )
    password1 = forms.CharField(
        label=_("Choose a password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Type the password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, invitation, language: str, **kwargs):
        """`language`: the page's language (tracker/views/invite.py), her
        first choice."""
        super().__init__(*args, **kwargs)
        self.invitation = invitation
        self.fields["language"].initial = language
        self.fields["time_zone"].initial = "America/New_York"
        self.fields["weight_unit"].initial = User.WeightUnit.KG
        self.fields["password1"].help_text = password_validation.password_validators_help_text_html()

    def clean_language(self):
        return self.cleaned_data["language"] or self.fields["language"].initial

    def clean_date_of_birth(self):
        dob = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if dob >= today:
            raise forms.ValidationError(_("Your date of birth must be in the past."))
        if dob.year < today.year - 120:
            raise forms.ValidationError(_("Please check the year of your date of birth."))
        return dob

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords don't match."))
        elif p1:
            probe = User(email=self.invitation.email, full_name=self.invitation.full_name)
            try:
                password_validation.validate_password(p1, probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned
