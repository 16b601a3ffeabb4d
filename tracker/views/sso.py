"""The pages of single sign-on (tracker/sso.py): the start, which sends the
browser to the hospital's provider, the callback it comes back to, and the
logout of a session it signed in.

mozilla-django-oidc's views, with every way a sign-in can fail ending on the
login page with a message, never a 400 or a 500, and a signed-in session
marked `auth_sso` (the second-factor gate counts the provider's own)."""

import logging
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from ..sso import SSOUnavailable, sso_enabled, sso_logout_endpoint, sso_setting

logger = logging.getLogger(__name__)

# The session key the second-factor gate (tracker/mfa/) reads: this session
# was signed in by the hospital's provider, whose second factor counts.
SESSION_FLAG = "auth_sso"


def _refused() -> str:
    # One answer for an unknown email, a survivor's, a deactivated account's
    # and an unverified one: it says who may use it, not which accounts exist.
    return _(
        "Single sign-on did not sign you in. It is only for staff whose hospital account has a verified "
        "email address that matches an active staff account here. Log in with your password, or ask "
        "your clinic admin."
    )


def _failed() -> str:
    return _("Single sign-on did not finish. Please try again, or log in with your password.")


def _back_to_login(request: HttpRequest, message: str) -> HttpResponse:
    messages.error(request, message)
    return redirect("login")


@method_decorator(login_not_required, name="dispatch")
class SSOStartView(OIDCAuthenticationRequestView):
    get_settings = staticmethod(sso_setting)

    def __init__(self, **kwargs) -> None:
        # Not the library's __init__: it reads the authorization endpoint
        # there, where an unreachable provider (discovery) or single sign-on
        # being off would be a 500 before get() can answer.
        View.__init__(self, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = sso_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except SSOUnavailable:
            return _back_to_login(request, _failed())
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


@method_decorator(login_not_required, name="dispatch")
class SSOCallbackView(OIDCAuthenticationCallbackView):
    get_settings = staticmethod(sso_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404
        # RFC 9207: a provider that says who answered must be ours (a
        # mix-up attack sends another provider's answer here).
        if "iss" in request.GET and request.GET["iss"] != settings.OIDC_OP_ISSUER:
            logger.warning("sso_failed reason=wrong_issuer")
            return _back_to_login(request, _failed())
        try:
            return super().get(request)
        except (SuspiciousOperation, requests.RequestException, SSOUnavailable) as exc:
            # A state this session never made (replayed or forged callback),
            # a wrong nonce or token, or a provider that did not answer: the
            # library raises, which would be a 400 or a 500.
            logger.warning("sso_failed reason=%s", type(exc).__name__)
            return self.login_failure()

    def login_failure(self) -> HttpResponse:
        # The library sets self.user once it has asked the backends: None
        # then means the provider's user is not one we sign in.
        if hasattr(self, "user"):
            return _back_to_login(self.request, _refused())
        return _back_to_login(self.request, _failed())

    def login_success(self) -> HttpResponse:
        response = super().login_success()
        self.request.session[SESSION_FLAG] = True
        logger.info("sso_signed_in user=%s", self.user.pk)
        return response


class SSOLogoutView(auth_views.LogoutView):
    """Django's logout (the local session ends, as for everyone); a session
    single sign-on made then goes to a page that offers to sign out of the
    hospital's provider too."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        by_sso = request.session.get(SESSION_FLAG) is True  # read before the session is flushed
        response = super().post(request, *args, **kwargs)
        if by_sso and sso_enabled():
            return redirect("sso_signed_out")
        return response


@login_not_required
def sso_signed_out(request: HttpRequest) -> HttpResponse:
    # A link, not a redirect from the logout form: the page's CSP
    # (form-action 'self') stops a form's redirect to another site, and on a
    # shared ward computer she should see that the provider is a second
    # session. The provider asks her to confirm, then sends her to the login
    # page (register it as a post-logout redirect URI there).
    endpoint = sso_logout_endpoint() if sso_enabled() else ""
    if not endpoint:
        return redirect("login")
    query = urlencode(
        {
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
        }
    )
    return render(request, "registration/sso_signed_out.html", {"provider_logout_url": f"{endpoint}?{query}"})
