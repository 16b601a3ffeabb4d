"""Invitations: the staff member's form that invites a survivor, and the
survivor's form that accepts one (date of birth, time zone, weight unit,
password). Services send and accept.
"""

from typing import cast

from django import forms
from django.contrib.auth import password_validation
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Clinic, User
from .fields import TimeZoneField


class InvitationForm(forms.Form):
    full_name = forms.CharField(max_length=200, label="Survivor's full name")
    email = forms.EmailField(label="Survivor's email")
    clinic = forms.ModelChoiceField(queryset=Clinic.objects.none(), empty_label=None)

    def __init__(self, *args, clinics, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["clinic"]).queryset = clinics
        only = list(clinics[:2])
        if len(only) == 1:
            self.fields["clinic"].widget = forms.HiddenInput()
            self.fields["clinic"].initial = only[0].pk


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
        super().clean()
        cleaned = self.cleaned_data
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
