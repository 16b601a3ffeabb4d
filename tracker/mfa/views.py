"""The second-factor pages: set up (first sign-in for staff; a survivor's
choice), the second step at sign-in, recovery codes shown once, and her own
factors. Views validate, call one service, render."""

from base64 import b32encode
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from tracker.access import AuthenticatedHttpRequest
from tracker.sessions import sessions_end_others

from . import services
from .forms import RecoveryCodeForm, TotpCodeForm
from .gate import REQUIRED_SESSION_KEY, is_verified, second_factor_exempt
from .selectors import factors_of

NEW_CODES_SESSION_KEY = "mfa_new_recovery_codes"


def _next(request: HttpRequest) -> str:
    """Where she was going: a path on this site, or her home page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, next_url: str) -> str:
    return reverse(name) + "?" + urlencode({"next": next_url})


def _wrong_code(form, field: str, result: services.CodeResult) -> None:
    if result.wait_seconds:
        form.add_error(
            field,
            ngettext(
                "Too many wrong codes. Wait %(seconds)d second, then try again.",
                "Too many wrong codes. Wait %(seconds)d seconds, then try again.",
                result.wait_seconds,
            )
            % {"seconds": result.wait_seconds},
        )
    elif field == "code":
        form.add_error(field, _("That code did not work. Type the newest code your app shows."))
    else:
        form.add_error(field, _("That recovery code did not work. Each code works only once."))


def _turned_on(request: AuthenticatedHttpRequest) -> None:
    """Her first factor is set up in this session: it now asks for it, and a
    survivor's other sessions (signed in without it) end."""
    if not services.user_must_have_factor(request.user):
        sessions_end_others(request=request)
    request.session[REQUIRED_SESSION_KEY] = True


def _show_codes(request: HttpRequest, codes: list[str], next_url: str) -> HttpResponse:
    request.session[NEW_CODES_SESSION_KEY] = {"codes": codes, "next": next_url}
    return redirect("mfa_recovery_codes")


@second_factor_exempt
@never_cache
def setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """An authenticator app: a QR code (and its secret as text), then one of
    its codes to show it works. Staff arrive here at their first sign-in."""
    user = request.user
    next_url = _next(request)
    factors = factors_of(user=user)
    if factors.enrolled and not is_verified(request):
        return redirect(_with_next("mfa_verify", next_url))  # a second app needs the first one's code
    if factors.totp is not None:
        return redirect("mfa_factors")
    device = services.totp_start(user=user)
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result, codes = services.totp_confirm(user=user, code=form.cleaned_data["code"])
        if result.ok:
            if not is_verified(request):
                otp_login(request, result.device)
            if not factors.enrolled:
                _turned_on(request)
            if codes:
                return _show_codes(request, codes, next_url)
            messages.success(request, _("Your authenticator app is set up."))
            return redirect(next_url)
        _wrong_code(form, "code", result)
    secret = b32encode(device.bin_key).decode()
    code = segno.make(device.config_url, error="m")
    width, height = code.symbol_size(scale=5, border=4)
    qr = code.svg_inline(scale=5, border=4, dark="#000", light="#fff")
    label = escape(_("QR code to scan with your authenticator app"))
    # A viewBox lets it shrink with a narrow screen (app.css .qr-code svg).
    qr = qr.replace("<svg ", f'<svg viewBox="0 0 {width} {height}" ', 1)
    context = {
        "form": form,
        "next": next_url,
        "qr_svg": qr.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1),
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        "staff": services.user_must_have_factor(user),
        "factors": factors,
    }
    return render(request, "mfa/setup.html", context)


@second_factor_exempt
@never_cache
def verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The second step at sign-in: a code from her app, a recovery code, or
    a passkey (the passkey button talks to django-otp-webauthn's views)."""
    user = request.user
    next_url = _next(request)
    if is_verified(request):
        return redirect(next_url)
    factors = factors_of(user=user)
    if not factors.enrolled and not factors.recovery_left:
        if services.user_must_have_factor(user):
            return redirect(_with_next("mfa_setup", next_url))
        request.session[REQUIRED_SESSION_KEY] = False  # she turned it off elsewhere
        return redirect(next_url)
    using_recovery = request.method == "POST" and "recovery_code" in request.POST
    totp_form = TotpCodeForm(request.POST if request.method == "POST" and not using_recovery else None)
    recovery_form = RecoveryCodeForm(request.POST if using_recovery else None)
    form, field, check = (
        (recovery_form, "recovery_code", services.recovery_code_check)
        if using_recovery
        else (totp_form, "code", services.totp_check)
    )
    if request.method == "POST" and form.is_valid():
        result = check(user=user, code=form.cleaned_data[field])
        if result.ok:
            otp_login(request, result.device)
            request.session[REQUIRED_SESSION_KEY] = True
            if using_recovery:
                left = factors_of(user=user).recovery_left
                messages.warning(
                    request,
                    ngettext(
                        "You used a recovery code. You have %(left)d left: make new ones under Two-step sign-in.",
                        "You used a recovery code. You have %(left)d left: make new ones under Two-step sign-in.",
                        left,
                    )
                    % {"left": left},
                )
            return redirect(next_url)
        _wrong_code(form, field, result)
    context = {
        "totp_form": totp_form,
        "recovery_form": recovery_form,
        "factors": factors,
        "next": next_url,
        "using_recovery": using_recovery,
    }
    return render(request, "mfa/verify.html", context)


@never_cache
def recovery_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Her new recovery codes, once: they leave the session as they are shown."""
    shown = request.session.pop(NEW_CODES_SESSION_KEY, None)
    if not shown:
        return redirect("mfa_factors")
    codes = [f"{code[:4]} {code[4:]}" for code in shown["codes"]]
    return render(request, "mfa/recovery_codes.html", {"codes": codes, "next": _next_from(shown, request)})


def _next_from(shown: dict, request: HttpRequest) -> str:
    candidate = shown.get("next") or ""
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


@never_cache
def factors(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Her own second factors: add a passkey, new recovery codes; a survivor
    can turn it on or off here (it is under her settings)."""
    user = request.user
    context = {
        "factors": factors_of(user=user),
        "staff": services.user_must_have_factor(user),
        "verified": is_verified(request),
        "sso": request.session.get("auth_sso") is True,
    }
    return render(request, "mfa/factors.html", context)


@require_POST
def recovery_codes_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not factors_of(user=request.user).enrolled:
        return redirect("mfa_factors")
    codes = services.recovery_codes_make(user=request.user)
    return _show_codes(request, codes, reverse("mfa_factors"))


@second_factor_exempt
@never_cache
def passkey_added(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Where the page goes once a passkey is registered: if it is her first
    factor, it now counts, and she gets recovery codes."""
    next_url = _next(request)
    if not is_verified(request) or not factors_of(user=request.user).passkeys:
        return redirect(_with_next("mfa_verify", next_url))
    codes = services.recovery_codes_if_missing(user=request.user)
    if codes:  # every first factor comes with codes: so this is her first
        _turned_on(request)
        return _show_codes(request, codes, next_url)
    messages.success(request, _("Your passkey is added."))
    return redirect(next_url)


@require_POST
def passkey_remove(request: AuthenticatedHttpRequest, passkey_id: int) -> HttpResponse:
    try:
        services.passkey_remove(user=request.user, passkey_id=passkey_id)
    except services.FactorError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The passkey is removed."))
        if not factors_of(user=request.user).enrolled:
            request.session[REQUIRED_SESSION_KEY] = False
    return redirect("mfa_factors")


@require_POST
def turn_off(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        services.factors_turn_off(user=request.user)
    except services.FactorError as error:
        messages.error(request, str(error))
    else:
        request.session[REQUIRED_SESSION_KEY] = False
        messages.success(request, _("Two-step sign-in is off. You sign in with your password only."))
    return redirect("mfa_factors")
