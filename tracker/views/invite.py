"""Accepting an invitation. The emailed link carries a signed token
(tracker/tokens.py). Its first visit trades it for an address without it:
the token moves into her session and the browser goes on to /invite/, so the
token is not in the address bar, the browser's history, a Referer header or
any later request line (Django's PasswordResetConfirmView does the same with
reset tokens). The first visit's own request line is redacted in the access
logs (config/access_log.py).

Her language: the welcome page is in the one she picked with the language
switcher (Django's language cookie), else the one her care team chose on
the invitation, else her browser's; the form's language choice starts
there, and what she picks is saved on her account."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from ..forms.invitations import InvitationAcceptForm
from ..i18n import language_supported
from ..models import Invitation
from ..security.throttle import invitation_throttled
from ..services.accounts import invitation_accept
from ..tokens import invite_token_read

SESSION_KEY = "invite_token"

INVITE_PROBLEMS = {
    "expired": gettext_lazy(
        "This invitation link has expired. Links work for 7 days. Please ask your care team to send a new one."
    ),
    "used": gettext_lazy(
        "This invitation link has already been used. If you set up your account, please log in. "
        "If not, ask your care team for a new link."
    ),
    "invalid": gettext_lazy(
        "This invitation link isn't valid. Please check that you copied the whole link, "
        "or ask your care team for a new one."
    ),
    "missing": gettext_lazy("Please open the invitation link in your email again to set up your account."),
}


@login_not_required
@require_http_methods(["GET", "POST"])
@invitation_throttled
def invite_link(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: a token that could be real goes into the session,
    and the browser on to the page without it."""
    problem = _token_problem(token)
    if problem:
        return _invite_problem(request, problem)
    request.session[SESSION_KEY] = token
    return redirect("invite_page")


@login_not_required
@require_http_methods(["GET", "POST"])
def invite_page(request: HttpRequest) -> HttpResponse:
    token = request.session.get(SESSION_KEY)
    if not token:
        return _invite_problem(request, "missing")
    return _invite_form(request, token)


@invitation_throttled
def _invite_form(request: HttpRequest, token: str) -> HttpResponse:
    problem = _token_problem(token)
    invitation = None
    if not problem:
        invitation = Invitation.objects.select_related("clinic").filter(nonce=invite_token_read(token)).first()
        if invitation is None:
            problem = "invalid"
        elif invitation.accepted_at is not None:
            problem = "used"
    if problem:
        request.session.pop(SESSION_KEY, None)
        return _invite_problem(request, problem)
    assert invitation is not None  # no problem: it was found
    language = _page_language(request, invitation)
    translation.activate(language)
    request.LANGUAGE_CODE = language  # LocaleMiddleware's Content-Language follows
    form = InvitationAcceptForm(request.POST or None, invitation=invitation, language=language)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                invitation=invitation,
                password=form.cleaned_data["password1"],
                time_zone=form.cleaned_data["time_zone"],
                date_of_birth=form.cleaned_data["date_of_birth"],
                weight_unit=form.cleaned_data["weight_unit"],
                language=form.cleaned_data["language"],
            )
        except ValidationError:
            return _invite_problem(request, "used")
        request.session.pop(SESSION_KEY, None)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        with translation.override(user.language):
            messages.success(
                request,
                _("Welcome. Your care team's number is %(phone)s.") % {"phone": invitation.clinic.care_team_phone},
            )
        return redirect("home")
    return render(request, "tracker/invite_accept.html", {"form": form, "invitation": invitation})


def _page_language(request: HttpRequest, invitation: Invitation) -> str:
    """Her pick on the language switcher, else her invitation's language,
    else her browser's (LocaleMiddleware read Accept-Language)."""
    picked = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if picked:
        return language_supported(picked)
    return language_supported(invitation.language or getattr(request, "LANGUAGE_CODE", None))


def _token_problem(token: str) -> str:
    """ "expired", "invalid", or "" for a signature that holds."""
    try:
        invite_token_read(token)
    except signing.SignatureExpired:
        return "expired"
    except signing.BadSignature:
        return "invalid"
    return ""


def _invite_problem(request: HttpRequest, kind: str) -> HttpResponse:
    return render(
        request,
        "tracker/invite_problem.html",
        {"problem": INVITE_PROBLEMS[kind]},
        status=400 if kind in ("invalid", "missing") else 410,
    )
