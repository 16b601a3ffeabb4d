"""The code fields: bounded at the edge (length and characters) before any
code is checked, so junk gets a message by the field and never reaches the
device (nor counts as a wrong guess)."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

_SPACES = re.compile(r"[\s-]+")
TOTP_DIGITS = 6
RECOVERY_CODE = re.compile(r"[a-z2-7]{8}")  # django-otp's StaticToken.random_token()


class TotpCodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": r"[0-9 ]*",
                "size": 8,
                "autofocus": True,
            }
        ),
        error_messages={
            "required": _("Enter the 6-digit code from your authenticator app."),
            "max_length": _("The code is 6 digits."),
        },
    )

    def clean_code(self) -> str:
        code = _SPACES.sub("", self.cleaned_data["code"])
        if not code.isascii() or not code.isdigit() or len(code) != TOTP_DIGITS:
            raise forms.ValidationError(_("The code is 6 digits, like 123456."))
        return code


class RecoveryCodeForm(forms.Form):
    recovery_code = forms.CharField(
        label=_("Recovery code"),
        max_length=30,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false", "size": 12}
        ),
        error_messages={
            "required": _("Enter one of your recovery codes."),
            "max_length": _("A recovery code is 8 letters and numbers."),
        },
    )

    def clean_recovery_code(self) -> str:
        code = _SPACES.sub("", self.cleaned_data["recovery_code"]).lower()
        if not RECOVERY_CODE.fullmatch(code):
            raise forms.ValidationError(_("A recovery code is 8 letters and numbers, like abcd 2345."))
        return code
