"""The clinic admin's security page: failed sign-ins, lockouts and refused
pages of her clinics' accounts, newest first."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tracker.access import AuthenticatedHttpRequest, clinic_admin_required

from .forms import SecurityEventFilterForm
from .selectors import security_events_for_admin

PAGE_SIZE = 50


@clinic_admin_required
@require_GET
def security_events(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SecurityEventFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = security_events_for_admin(
        user=request.user,
        action=filters.get("action", ""),
        day_from=filters.get("day_from"),
        day_to=filters.get("day_to"),
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "staff/security_events.html",
        {"form": form, "page": page, "cool_off_minutes": settings.LOGIN_LOCKOUT_MINUTES},
    )
