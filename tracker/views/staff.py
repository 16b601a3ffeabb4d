"""The clinic staff's home page: the survivors of her clinics, the
invitations still pending, and the form that invites a survivor. A
survivor's history and check-ins, as a nurse reads them, are in record.py."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .. import scope
from ..access import AuthenticatedHttpRequest, clinic_staff_required
from ..forms.invitations import InvitationForm
from ..selectors.access import clinic_survivor_list, invitation_list_pending
from ..service_errors import form_add_service_errors
from ..services.accounts import invitation_create


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def staff_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    clinics = scope.clinics_of(request.user)
    form = InvitationForm(request.POST or None, clinics=clinics)
    if request.method == "POST" and form.is_valid():
        try:
            invitation_create(
                invited_by=request.user,
                clinic=form.cleaned_data["clinic"],
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                language=form.cleaned_data["language"],
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("staff_home")
    survivors = list(clinic_survivor_list(user=request.user))
    return render(
        request,
        "staff/home.html",
        {
            "form": form,
            "clinics": clinics,
            "survivors": survivors,
            "pending": invitation_list_pending(user=request.user),
            "can_read_health_data": request.user.is_nurse,
        },
    )
