"""The clinic admin's accounts page (/admin-pages/accounts/): the survivors
and staff of her own clinics with their role, state and last sign-in (no
health data); search by name; deactivate and re-activate, each ending the
person's sessions for good and audited."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ..access import AuthenticatedHttpRequest, clinic_admin_required
from ..selectors.accounts import SEARCH_MAX_LENGTH, account_get_for_admin, accounts_for_admin, may_change
from ..services import accounts as account_services

ACCOUNTS_PAGE_SIZE = 50


@clinic_admin_required
def account_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:SEARCH_MAX_LENGTH]
    rows = accounts_for_admin(user=request.user, query=query)
    page = Paginator(rows, ACCOUNTS_PAGE_SIZE).get_page(request.GET.get("page"))
    for account in page.object_list:
        account.changeable = may_change(user=request.user, account=account)
    return render(request, "staff/accounts.html", {"page": page, "query": query})


def _back(request: AuthenticatedHttpRequest) -> HttpResponse:
    """To the list as she left it (its search and page, from the form)."""
    kept = {key: request.POST[key][:100] for key in ("q", "page") if request.POST.get(key)}
    return redirect(reverse("account_list") + (f"?{urlencode(kept)}" if kept else ""))


# What each button says: done, then nothing to do (a second click).
_SAID = {
    False: ("is deactivated and signed out everywhere.", "was already deactivated."),
    True: ("can sign in again (with a new sign-in: no old session comes back).", "was already active."),
}


def _account_set_active(request: AuthenticatedHttpRequest, account_id: int, *, active: bool) -> HttpResponse:
    """Deactivate and re-activate: the same steps, told apart by the service
    they call and what they say."""
    account = account_get_for_admin(user=request.user, account_id=account_id)
    change = account_services.account_reactivate if active else account_services.account_deactivate
    done, already = _SAID[active]
    if change(account=account, by=request.user):
        messages.success(request, f"{account} {done}")
    else:
        messages.info(request, f"{account} {already}")
    return _back(request)


@require_POST
@clinic_admin_required
def account_deactivate(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    return _account_set_active(request, account_id, active=False)


@require_POST
@clinic_admin_required
def account_reactivate(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    return _account_set_active(request, account_id, active=True)
