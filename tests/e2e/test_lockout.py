"""In the browser: a few wrong passwords make her wait, more lock her email
out, and the login page says so calmly (axe-core clean); the clinic admin
then finds the lockout on the security page (axe-core clean)."""

import time

import pytest

from tests.e2e.axe import assert_no_axe_violations
from tests.factories import PASSWORD, ClinicAdminFactory, ClinicFactory, SurvivorFactory
from tests.mfa_helpers import pass_second_step, second_step_ready

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def try_password(page, email, password):
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def test_she_is_told_to_wait_then_that_signing_in_is_paused(live_server, page, settings):
    settings.LOGIN_WAIT_SECONDS = 2  # the real 30 s would make this test slow, not truer
    clinic = ClinicFactory(name="Riverside")
    sara = SurvivorFactory(clinic=clinic, full_name="Sara Survivor", email="sara@example.org")
    admin = ClinicAdminFactory(clinics=[clinic], full_name="Ada Admin", email="ada@example.org")

    page.goto(live_server.url + "/accounts/login/")
    for _ in range(3):
        try_password(page, sara.email, "not my password")
    notice = page.get_by_role("alert").filter(has_text="Please wait")
    assert "Please wait 2 seconds before you try again" in notice.inner_text()
    for _ in range(2):
        time.sleep(2.2)
        try_password(page, sara.email, "still not it")
    paused = page.locator("#login-pause")
    assert paused.get_attribute("role") == "alert"
    text = paused.inner_text()
    assert "Signing in is paused for now" in text
    assert "with this email address" in text and "You can try again in 15 minutes" in text
    assert "Call your care team" in text
    assert page.get_by_role("link", name="Reset it by email").is_visible()
    assert_no_axe_violations(page, "the login page, locked out (390 px)")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert_no_axe_violations(page, "the login page, locked out (1280 px)")

    # Even her right password is refused for now.
    try_password(page, sara.email, PASSWORD)
    assert page.locator("#login-pause").is_visible()
    assert page.url.endswith("/accounts/login/")

    # Her clinic admin sees it on the security page.
    staff = second_step_ready(admin.email)
    try_password(page, admin.email, PASSWORD)
    pass_second_step(page, staff)
    page.get_by_role("link", name="Security").click()
    page.wait_for_url("**/admin-pages/security/")
    table = page.get_by_role("region", name="Security events")
    assert "Locked out after failed sign-ins" in table.inner_text()
    assert "Sara Survivor" in table.inner_text()
    assert_no_axe_violations(page, "the security events page (1280 px)")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_no_axe_violations(page, "the security events page (390 px)")
