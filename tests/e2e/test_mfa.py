"""The second factor in Chromium (issue 13, section 1): a nurse's first
sign-in (password, the set-up page with its QR code and key, a code from
"her app" computed from the key the page shows, recovery codes, then her
queue); her next sign-in asks for the code (a wrong one first); a passkey
added with Chromium's virtual authenticator (DevTools' WebAuthn domain)
and used at the next sign-in; a survivor turns it on from her settings.
axe-core on every page of it, at phone width (the `page` fixture)."""

import base64
import re
import time

import pytest
from django.utils import timezone
from django_otp.oath import totp
from django_otp_webauthn.models import WebAuthnCredential

from tests.e2e.axe import assert_no_axe_violations
from tests.factories import PASSWORD, entry, record_checkin
from tests.mfa_helpers import pass_second_step, totp_device_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def people(survivor, nurse):
    return {"survivor": survivor, "nurse": nurse}


def sign_in_with_password(page, base, email):
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def log_out(page):
    menu = page.get_by_role("button", name="Show menu")
    if menu.is_visible():  # a phone's width: the menu is folded
        menu.click()
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()


def app_code(key_text: str, *, at: float | None = None) -> str:
    """What an authenticator app shows for the key she typed into it."""
    key = base64.b32decode(re.sub(r"\s+", "", key_text))
    t0 = 0 if at is None else int(time.time() - at)  # totp() counts from now; t0 shifts its clock
    return f"{totp(key, t0=t0):06d}"


def test_a_nurses_first_sign_in_sets_up_her_app_and_lands_on_her_queue(live_server, page, people):
    from tracker.services.rules import rules_load_defaults

    rules_load_defaults()
    record_checkin(people["survivor"], entry("jaundice", None, 5, True, False, started_on=timezone.localdate()))
    base = live_server.url

    sign_in_with_password(page, base, people["nurse"].email)
    assert page.url.startswith(base + "/accounts/second-factor/set-up/")
    assert page.get_by_role("heading", name="Set up two-step sign-in").is_visible()
    assert page.get_by_role("img", name="QR code to scan with your authenticator app").is_visible()
    assert_no_axe_violations(page, "the set-up page")
    key_text = page.locator(".totp-secret").inner_text()

    page.get_by_label("6-digit code from your authenticator app").fill("12345")  # a digit short
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm").click()
    assert page.get_by_text("The code is 6 digits, like 123456.").first.is_visible()
    assert_no_axe_violations(page, "the set-up page with an error")

    page.get_by_label("6-digit code from your authenticator app").fill(app_code(key_text))
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm").click()
    assert page.url == base + "/accounts/second-factor/recovery-codes/"
    codes = page.locator(".recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-7]{4} [a-z2-7]{4}", code) for code in codes)
    assert_no_axe_violations(page, "the recovery codes page")
    with page.expect_navigation():
        page.get_by_role("link", name="I have kept them: continue").click()
    assert page.url == base + "/staff/queue/"
    assert page.get_by_text("Sara Survivor").first.is_visible()

    # Her next sign-in asks for the code; a wrong one first.
    log_out(page)
    sign_in_with_password(page, base, people["nurse"].email)
    assert page.url.startswith(base + "/accounts/second-factor/verify/")
    assert_no_axe_violations(page, "the verify page")
    right = app_code(key_text)
    page.get_by_label("6-digit code from your authenticator app").fill(f"{(int(right) + 5) % 1_000_000:06d}")
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    assert page.get_by_text("That code did not work.").first.is_visible()
    assert_no_axe_violations(page, "the verify page with a wrong code")
    page.wait_for_timeout(1100)  # django-otp's wait after one wrong code
    field = page.get_by_label("6-digit code from your authenticator app")
    field.fill(app_code(key_text, at=time.time() + 30))  # the next code: the one used above works once
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    assert page.url == base + "/staff/queue/"


def test_a_recovery_code_gets_her_in_when_her_phone_is_lost(live_server, page, people):
    from tracker.mfa.services import recovery_codes_make

    totp_device_for(people["nurse"])
    code = recovery_codes_make(user=people["nurse"])[0]
    sign_in_with_password(page, live_server.url, people["nurse"].email)
    page.get_by_text("Lost your phone? Use a recovery code").click()
    page.get_by_label("Recovery code").fill(f"{code[:4]} {code[4:]}")
    assert_no_axe_violations(page, "the verify page, recovery code open")
    with page.expect_navigation():
        page.get_by_role("button", name="Use this recovery code").click()
    assert page.url == live_server.url + "/staff/queue/"
    assert page.get_by_text("You used a recovery code. You have 9 left").is_visible()


@pytest.fixture
def passkeys_here(settings, live_server):
    """Passkeys for the live server's origin (http://localhost:<port>: a
    secure context to the browser, and a valid relying party, which
    127.0.0.1 is not)."""
    assert live_server.url.startswith("http://localhost:")
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]


def virtual_authenticator(page) -> str:
    """Chromium's own authenticator (a phone's screen lock, say), through the
    DevTools protocol: it answers every passkey request of this page."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    page.authenticator_cdp = cdp
    return cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})["authenticatorId"]


def test_a_nurse_adds_a_passkey_and_signs_in_with_it(live_server, page, people, passkeys_here):
    from tracker.mfa.services import recovery_codes_make

    nurse = people["nurse"]
    totp_device_for(nurse)  # her app and codes, set up at her first sign-in
    recovery_codes_make(user=nurse)
    authenticator = virtual_authenticator(page)
    base = live_server.url
    sign_in_with_password(page, base, nurse.email)
    pass_second_step(page, nurse)
    page.goto(base + "/accounts/second-factor/")
    assert_no_axe_violations(page, "her two-step sign-in page")
    with page.expect_navigation():
        page.get_by_role("button", name="Add a passkey").click()
    assert page.get_by_text("Your passkey is added.").is_visible()
    assert WebAuthnCredential.objects.filter(user=nurse, confirmed=True).count() == 1
    assert page.authenticator_cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert page.get_by_text("Passkey 1", exact=True).is_visible()

    log_out(page)
    sign_in_with_password(page, base, nurse.email)
    assert page.url.startswith(base + "/accounts/second-factor/verify/")
    assert_no_axe_violations(page, "the verify page with a passkey")
    with page.expect_navigation():
        page.get_by_role("button", name="Use my passkey").click()
    assert page.url == base + "/staff/queue/"
    assert WebAuthnCredential.objects.get(user=nurse).last_used_at is not None


def test_a_survivor_turns_it_on_with_a_passkey_from_her_settings(live_server, page, people, passkeys_here):
    virtual_authenticator(page)
    base = live_server.url
    sign_in_with_password(page, base, "sara@example.org")
    assert page.url == base + "/"  # not asked: it is her choice
    page.goto(base + "/preferences/")
    with page.expect_navigation():
        page.get_by_role("link", name="Two-step sign-in settings").click()
    assert page.get_by_text("Two-step sign-in is off").is_visible()
    assert_no_axe_violations(page, "her two-step sign-in page, off")
    with page.expect_navigation():
        page.get_by_role("button", name="Add a passkey").click()
    assert page.url == base + "/accounts/second-factor/recovery-codes/"  # her first factor comes with codes
    with page.expect_navigation():
        page.get_by_role("link", name="I have kept them: continue").click()
    assert page.get_by_text("Two-step sign-in is on").is_visible()

    log_out(page)
    sign_in_with_password(page, base, "sara@example.org")
    assert page.url.startswith(base + "/accounts/second-factor/verify/")
    with page.expect_navigation():
        page.get_by_role("button", name="Use my passkey").click()
    assert page.url == base + "/"


def test_the_second_step_pages_fit_320_px_with_text_at_200_percent(live_server, browser, people):
    from tests.e2e.test_accessibility import assert_fits
    from tracker.mfa.services import recovery_codes_make

    nurse = people["nurse"]
    totp_device_for(nurse)
    code = recovery_codes_make(user=nurse)[0]
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.set_default_timeout(15_000)
    cdp = context.new_cdp_session(page)
    cdp.send("Page.enable")
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
    try:
        sign_in_with_password(page, live_server.url, nurse.email)
        assert_fits(page, "the verify page at 320 px, text at 200%")
        page.get_by_text("Lost your phone? Use a recovery code").click()
        page.get_by_label("Recovery code").fill(code)
        with page.expect_navigation():
            page.get_by_role("button", name="Use this recovery code").click()
        page.goto(live_server.url + "/accounts/second-factor/")
        with page.expect_navigation():
            page.get_by_role("button", name="Make new recovery codes").click()
        assert page.url == live_server.url + "/accounts/second-factor/recovery-codes/"
        assert_fits(page, "the recovery codes page at 320 px, text at 200%")
        assert_no_axe_violations(page, "the recovery codes page at 320 px, text at 200%")
    finally:
        context.close()
