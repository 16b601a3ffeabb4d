"""The idle warning in Chromium (issue 13, section 2), with short timeouts:
the dialog opens a little before the idle end with focus on "Stay signed
in"; Enter and Escape keep her signed in (the server counts them as
activity); left alone, she lands on the login page with a calm message.
axe-core on the page with the dialog open."""

import time

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests.e2e.axe import assert_no_axe_violations
from tests.factories import ClinicFactory, NurseFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

IDLE = 12  # seconds, staff
WARN = 8  # the dialog opens this long before the end: at 4 s


@pytest.fixture
def short_sessions(settings):
    settings.SESSION_IDLE_SECONDS_STAFF = IDLE
    settings.SESSION_WARNING_SECONDS = WARN
    settings.SESSION_ACTIVITY_WRITE_SECONDS = 0  # every request she makes is written at once


def open_as(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.script_errors = errors
    return page


def focused_text(page) -> str:
    return page.evaluate("() => (document.activeElement.innerText || '').trim()")


def idle_left(page) -> int:
    # Asked the way the page's script asks: a background request, not activity.
    return page.evaluate(
        """async () => (await (await fetch("/account/session/",
            {headers: {"X-Background": "1", "Accept": "application/json"}})).json()).idle_left"""
    )


def test_the_idle_warning_keeps_her_signed_in_by_keyboard_and_signs_her_out_when_left(
    browser, live_server, short_sessions
):
    nurse = NurseFactory(clinics=[ClinicFactory()], full_name="Nina Nurse")
    page = open_as(browser, live_server, nurse)
    page.goto(live_server.url + "/account/sessions/")
    dialog = page.get_by_role("dialog", name="Are you still there?")
    expect(dialog).to_be_hidden()

    # 1. A little before the end: the dialog, focus on "Stay signed in", the time left.
    opened = time.monotonic()
    expect(dialog).to_be_visible(timeout=15_000)
    assert focused_text(page) == "Stay signed in"
    assert page.locator("[data-countdown]").inner_text().startswith("0:0")
    assert_no_axe_violations(page, "the idle warning")

    # 2. Enter on the button: she stays; the server's clock starts again.
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    assert idle_left(page) >= IDLE - 2
    assert page.url.endswith("/account/sessions/")

    # 3. Escape means the same.
    expect(dialog).to_be_visible(timeout=15_000)
    assert focused_text(page) == "Stay signed in"
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert idle_left(page) >= IDLE - 2

    # 4. Left alone: signed out, on the login page, told why.
    expect(dialog).to_be_visible(timeout=15_000)
    page.wait_for_url("**/accounts/login/**", timeout=20_000)
    assert "next=/account/sessions/" in page.url
    expect(page.get_by_text("You were signed out because there was no activity for a while.")).to_be_visible()
    assert time.monotonic() - opened > IDLE
    assert not page.script_errors


def test_activity_in_another_tab_closes_the_warning(browser, live_server, short_sessions):
    nurse = NurseFactory(clinics=[ClinicFactory()], full_name="Nina Nurse")
    page = open_as(browser, live_server, nurse)
    page.goto(live_server.url + "/account/sessions/")
    dialog = page.get_by_role("dialog", name="Are you still there?")
    expect(dialog).to_be_visible(timeout=15_000)
    other = page.context.new_page()
    for _ in range(3):  # she works in another tab past this one's end
        other.goto(live_server.url + "/account/sessions/")
        page.wait_for_timeout(3_000)
    assert page.url.endswith("/account/sessions/")  # this tab asked before signing out, and stayed
    other.close()
    page.wait_for_url("**/accounts/login/**", timeout=30_000)
    assert not page.script_errors
