"""The clinic admin's forms on the FHIR clients page (staff pages are
English): register a backend client, a survivor's MRN, her clinic's MRN
system. They validate what they can show next to a field; the services
check again and decide."""

from typing import cast

from django import forms
from django.core.exceptions import ValidationError

from tracker.models import Clinic

from .jwks import jwks_clean, jwks_parse
from .scopes import REGISTRABLE_SCOPES
from .services import MRN_MAX_LENGTH, MRN_SYSTEM_MAX_LENGTH

JWKS_EXAMPLE = '{"keys": [{"kty": "RSA", "kid": "key-1", "n": "...", "e": "AQAB"}]}'


def _clinic_field(form: forms.Form, clinics) -> None:
    """Her clinics to choose from; hidden when she has one."""
    field = cast(forms.ModelChoiceField, form.fields["clinic"])
    field.queryset = clinics
    only = list(clinics[:2])
    if len(only) == 1:
        field.widget = forms.HiddenInput()
        field.initial = only[0].pk


class ApiClientForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name", help_text="The system, as your team knows it (e.g. the EHR).")
    clinic = forms.ModelChoiceField(queryset=Clinic.objects.none(), empty_label=None)
    scopes = forms.MultipleChoiceField(
        choices=[(s, s) for s in REGISTRABLE_SCOPES],
        widget=forms.CheckboxSelectMultiple,
        label="What it may read",
        help_text="system/*.read is every resource type.",
        error_messages={"required": "Choose at least one scope."},
    )
    jwks = forms.CharField(
        label="Public keys (JWK Set)",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "font-monospace"}),
        help_text=f"The system's public keys as JSON, e.g. {JWKS_EXAMPLE}. RSA (2048 bits or more, RS384) "
        "or EC P-384 (ES384); each with its own kid. Never a private key.",
        strip=True,
    )

    def __init__(self, *args, clinics, **kwargs):
        super().__init__(*args, **kwargs)
        _clinic_field(self, clinics)

    def clean_jwks(self) -> dict:
        try:
            return jwks_clean(jwks_parse(self.cleaned_data["jwks"]))
        except ValidationError as error:
            raise ValidationError(error.messages) from None


class MrnForm(forms.Form):
    email = forms.EmailField(label="Survivor's email", max_length=254)
    mrn = forms.CharField(
        label="MRN",
        max_length=MRN_MAX_LENGTH,
        required=False,
        strip=True,
        help_text="Her medical record number at the hospital. Leave it empty to clear it.",
    )


class MrnSystemForm(forms.Form):
    clinic = forms.ModelChoiceField(queryset=Clinic.objects.none(), empty_label=None)
    mrn_system = forms.CharField(
        label="MRN system",
        max_length=MRN_SYSTEM_MAX_LENGTH,
        required=False,
        strip=True,
        help_text="The hospital's identifier system for MRNs: urn:oid:..., or an https:// address.",
    )

    def __init__(self, *args, clinics, **kwargs):
        super().__init__(*args, **kwargs)
        _clinic_field(self, clinics)
