"""The clinic admin's FHIR clients page (/admin-pages/fhir-clients/): her
clinics' backend clients, registering one, deactivating one; her clinics'
MRN system. And the MRN form (/staff/mrn/), which her clinic's nurses use
too. Nurses and other clinics' admins get 404 (the selectors)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from tracker.access import AuthenticatedHttpRequest, clinic_admin_required, clinic_staff_required

from . import services
from .forms import ApiClientForm, MrnForm, MrnSystemForm
from .selectors import admin_clinics_of, api_client_get_for_admin, api_clients_for_admin, survivor_for_staff_by_email


def _list_page(request: AuthenticatedHttpRequest, *, mrn_form=None, system_form=None, status=200) -> HttpResponse:
    clinics = admin_clinics_of(user=request.user)
    context = {
        "clients": api_clients_for_admin(user=request.user),
        "clinics": clinics,
        "mrn_form": mrn_form or MrnForm(),
        "system_form": system_form or MrnSystemForm(clinics=clinics),
    }
    return render(request, "fhirapi/clients.html", context, status=status)


@clinic_admin_required
def fhir_client_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _list_page(request)


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def fhir_client_register(request: AuthenticatedHttpRequest) -> HttpResponse:
    clinics = admin_clinics_of(user=request.user)
    form = ApiClientForm(request.POST or None, clinics=clinics)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            client = services.api_client_register(
                by=request.user, clinic=data["clinic"], name=data["name"], jwks=data["jwks"], scopes=data["scopes"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"\u201c{client.name}\u201d is registered. Its client_id is {client.client_id}.")
            return redirect("fhir_client_list")
    return render(request, "fhirapi/client_register.html", {"form": form})


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def fhir_client_deactivate(request: AuthenticatedHttpRequest, client_pk: int) -> HttpResponse:
    """GET asks to confirm; POST deactivates."""
    client = api_client_get_for_admin(user=request.user, client_pk=client_pk)
    if request.method == "POST":
        if services.api_client_deactivate(by=request.user, client=client):
            messages.success(request, f"\u201c{client.name}\u201d is deactivated: its tokens no longer work.")
        else:
            messages.info(request, f"\u201c{client.name}\u201d was already deactivated.")
        return redirect("fhir_client_list")
    return render(request, "fhirapi/client_deactivate.html", {"client": client})


@require_POST
@clinic_admin_required
def fhir_mrn_system(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = MrnSystemForm(request.POST, clinics=admin_clinics_of(user=request.user))
    if form.is_valid():
        clinic = form.cleaned_data["clinic"]
        try:
            changed = services.clinic_mrn_system_set(
                by=request.user, clinic=clinic, mrn_system=form.cleaned_data["mrn_system"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if changed:
                messages.success(request, f"{clinic.name}'s MRN system is saved.")
            return redirect("fhir_client_list")
    return _list_page(request, system_form=form, status=400)


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def survivor_mrn(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A survivor's MRN, by her email: for her clinic's nurses and admins.
    The admin's form is on the FHIR clients page and comes back there."""
    form = MrnForm(request.POST or None, initial={"email": request.GET.get("email", "")[:254]})
    if request.method == "POST" and form.is_valid():
        survivor = survivor_for_staff_by_email(user=request.user, email=form.cleaned_data["email"])
        try:
            if survivor is None:
                raise ValidationError({"email": "No survivor of your clinics has this email."})
            changed = services.survivor_mrn_set(by=request.user, survivor=survivor, mrn=form.cleaned_data["mrn"])
        except ValidationError as error:
            form.add_error(None, _on_fields(error, survivor="email"))
        else:
            if changed:
                messages.success(request, f"{survivor}'s MRN is saved.")
            else:
                messages.info(request, f"{survivor}'s MRN was already so.")
            return redirect("fhir_client_list" if request.user.is_clinic_admin else "survivor_mrn")
    if request.method == "POST" and request.user.is_clinic_admin:
        return _list_page(request, mrn_form=form, status=400)
    return render(request, "fhirapi/mrn.html", {"form": form}, status=400 if form.errors else 200)


def _on_fields(error: ValidationError, **renamed: str) -> ValidationError:
    """The service's error, its field names as the form's."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({renamed.get(name, name): messages for name, messages in error.message_dict.items()})
