"""The gate: a signed-in person who must pass a second factor and has not
sees only the sign-in pages until she does.

Who must: staff always (nurses, clinic admins, superusers, Django admin
users); a survivor once she has turned it on. What counts as passed: a
device django-otp verified in this session (OTPMiddleware, before this one),
or a single sign-on (the provider's own second factor counts; the sso code
sets session["auth_sso"] = True).

What stays open: public pages (marked login_not_required: login, password
reset, invitations, /healthz, /metrics), logout, and the second-factor pages
themselves (marked with second_factor_exempt). Static files never reach
Django's views (WhiteNoise).
"""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from ..htmx import whole_page_redirect
from .selectors import has_factor
from .services import user_must_have_factor

SSO_SESSION_KEY = "auth_sso"
# A survivor's choice, read once a session (a query) and kept in it; turning
# it on or off in this session updates it, and ends her other sessions.
REQUIRED_SESSION_KEY = "mfa_required"
OPEN_URL_NAMES = frozenset({"logout", "admin:logout"})


def second_factor_exempt(view):
    """For the pages that ask for the second factor (and their passkey calls)."""
    view.second_factor_exempt = True
    return view


def is_verified(request) -> bool:
    if request.session.get(SSO_SESSION_KEY) is True:
        return True
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


def must_pass(request) -> bool:
    user = request.user
    if user_must_have_factor(user):
        return True
    required = request.session.get(REQUIRED_SESSION_KEY)
    if required is None:
        required = has_factor(user=user)
        request.session[REQUIRED_SESSION_KEY] = required
    return required


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated:
            return None  # LoginRequiredMiddleware sends her to the login page
        if getattr(view_func, "login_required", True) is False:
            return None
        if getattr(view_func, "second_factor_exempt", False):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_URL_NAMES:
            return None
        if is_verified(request) or not must_pass(request):
            return None
        if user_must_have_factor(request.user) and not has_factor(user=request.user):
            target = reverse("mfa_setup")
        else:
            target = reverse("mfa_verify")
        # A fragment (the queue's refresh): the whole page goes to the second
        # step, and back to the page she was on, not into the fragment.
        if (whole_page := whole_page_redirect(request, target)) is not None:
            return whole_page
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)
