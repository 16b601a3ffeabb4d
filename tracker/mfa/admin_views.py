"""A clinic admin resets a nurse's second factor (she lost her phone), from
the accounts page (/admin-pages/accounts/): the nurse's factors go, her
sessions end, and she sets them up again at her next sign-in. Audited."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tracker.access import AuthenticatedHttpRequest, clinic_admin_required

from . import selectors, services


@require_POST
@clinic_admin_required
def reset(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    nurse = selectors.nurse_get_for_admin(admin=request.user, nurse_id=user_id)
    services.factors_reset(by=request.user, nurse=nurse)
    messages.success(
        request,
        _("%(name)s's second factor is reset and she is signed out. She sets it up again when she next signs in.")
        % {"name": nurse.full_name or nurse.email},
    )
    # Back to the accounts page as she left it (its search and page).
    kept = {key: request.POST[key][:100] for key in ("q", "page") if request.POST.get(key)}
    return redirect(reverse("account_list") + (f"?{urlencode(kept)}" if kept else ""))
