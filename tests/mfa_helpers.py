"""The second sign-in step in tests (tracker/mfa/): an authenticator app for a
person, the code it shows now, and a browser's way through the verify page.

`client.force_login(user)` already gives staff a verified session (see
tests/conftest.py); these are for tests that sign in the way a person does."""

import time

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

VERIFY_PATH = "/accounts/second-factor/verify/"


def totp_device_for(user) -> TOTPDevice:
    """Her confirmed authenticator app, made if she has none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)
    return device


def verifying_device_for(user):
    """The device a full sign-in of hers was verified by: her own authenticator
    app or passkey if she has one (a survivor who turned it on), else a new
    authenticator app (staff)."""
    from django_otp_webauthn.models import WebAuthnCredential

    existing = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    existing = existing or WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("pk").first()
    return existing or totp_device_for(user)


def totp_code(device: TOTPDevice) -> str:
    """The code her app shows now, computed from the device's key as the app
    does. A code works once: if this one was used (a second sign-in within
    the same 30 seconds), wait for the next."""
    device.refresh_from_db()
    while (int(time.time()) - device.t0) // device.step + device.drift <= device.last_t:
        time.sleep(0.5)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def pass_second_step(page, user, *, keyboard: bool = False) -> None:
    """In a browser that has just sent the password form: type her app's code
    on the verify page and continue (staff, or a survivor who turned it on)."""
    page.wait_for_url(f"**{VERIFY_PATH}**")
    code = totp_code(totp_device_for(user))
    field = page.get_by_label("6-digit code from your authenticator app")
    if keyboard:
        # The page puts focus in the field itself (autofocus): type at once.
        assert page.evaluate("() => document.activeElement.name") == "code"
        page.keyboard.type(code)
        with page.expect_navigation():
            page.keyboard.press("Enter")
    else:
        field.fill(code)
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()


def client_pass_second_step(client, user, response):
    """A Django test client that has just signed in with her password and was
    sent to the set-up or verify page (`response`, followed): set up an
    authenticator app (recovery codes seen and passed) or type its code, and
    follow on to where she was going. Returns the last response, followed."""
    from urllib.parse import parse_qs, urlsplit

    path = response.redirect_chain[-1][0] if response.redirect_chain else response.request["PATH_INFO"]
    url = urlsplit(path)
    next_url = parse_qs(url.query).get("next", ["/"])[0]
    if url.path == "/accounts/second-factor/set-up/":
        device = TOTPDevice.objects.get(user=user, confirmed=False)
        response = client.post(path, {"code": totp_code(device), "next": next_url}, follow=True)
        assert response.redirect_chain[-1][0] == "/accounts/second-factor/recovery-codes/", response.redirect_chain
        return client.get(response.context["next"], follow=True)
    assert url.path == VERIFY_PATH, path
    return client.post(path, {"code": totp_code(totp_device_for(user)), "next": next_url}, follow=True)


def second_step_ready(email: str):
    """Before a browser signs in as `email`: staff get an authenticator app
    (made if missing) and are returned, for pass_second_step after the
    password; a survivor without a second factor gets None (no second step)."""
    from tracker.mfa.selectors import has_factor
    from tracker.mfa.services import user_must_have_factor
    from tracker.models import User

    user = User.objects.get(email=email)
    if user_must_have_factor(user) or has_factor(user=user):
        totp_device_for(user)
        return user
    return None
