"""A clinic admin resets a nurse's second factor (she lost her phone): the
nurse's factors go, her sessions end, and she sets them up again at her next
sign-in. Nurses of the admin's own clinics only; audited."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tracker.access import clinic_admin_required

from . import selectors, services


@clinic_admin_required
def nurses(request: HttpRequest) -> HttpResponse:
    """Her clinics' nurses, whether each has set up a second factor, and a
    reset button for each."""
    rows = [(nurse, selectors.has_factor(user=nurse)) for nurse in selectors.nurses_for_admin(admin=request.user)]
    return render(request, "mfa/nurses.html", {"rows": rows})


@require_POST
@clinic_admin_required
def reset(request: HttpRequest, user_id: int) -> HttpResponse:
    nurse = selectors.nurse_get_for_admin(admin=request.user, nurse_id=user_id)
    services.factors_reset(by=request.user, nurse=nurse)
    messages.success(
        request,
        _("%(name)s's second factor is reset and she is signed out. She sets it up again when she next signs in.")
        % {"name": nurse.full_name or nurse.email},
    )
    return redirect("mfa_nurses")
