"""Keyboard only, in a real browser: no clicks, no fills. A survivor logs in
and records a check-in with Tab, Shift+Tab, the arrow keys, Space and
Enter; a nurse goes from the queue to a flag, claims it, logs a call and
resolves it the same way."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.factories import entry, record_checkin
from tests.mfa_helpers import pass_second_step, second_step_ready
from tracker.demo import DEMO_PASSWORD
from tracker.models import CheckIn, Flag, User
from tracker.services.rules import rules_load_defaults

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
IS_FOCUSED = """([css, text]) => {
    const el = document.activeElement;
    return !!el && el.matches(css) && (text === null || (el.innerText || "").trim() === text);
}"""


def tab_to(page, css, text=None, *, back=False, limit=120):
    """Press Tab (Shift+Tab going back) until the focused element matches."""
    key = "Shift+Tab" if back else "Tab"
    for _ in range(limit):
        if page.evaluate(IS_FOCUSED, [css, text]):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{key} never reached {css} {text or ''}")


def choose_radio(page, name, label):
    """Tab into a radio group, Space to tick the first, arrows to the one wanted."""
    tab_to(page, f"input[type=radio][name='{name}']")
    if not page.evaluate("(name) => !!document.querySelector(`input[name='${name}']:checked`)", name):
        page.keyboard.press("Space")
    for _ in range(15):
        checked = page.evaluate(
            "(name) => document.querySelector(`input[name='${name}']:checked`).labels[0].innerText.trim()", name
        )
        if checked == label:
            return
        page.keyboard.press("ArrowRight")
    raise AssertionError(f"the arrow keys never reached {label!r} in {name}")


def choose_option(page, css, value):
    """A focused select changes with the arrow keys, without opening."""
    tab_to(page, css)
    page.keyboard.press("Home")
    for _ in range(60):
        if page.evaluate("() => document.activeElement.value") == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"the arrow keys never reached {value!r} in {css}")


def log_in(page, base, email):
    staff = second_step_ready(email)
    page.goto(base + "/accounts/login/")
    tab_to(page, "input[name=username]")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    if staff:
        pass_second_step(page, staff, keyboard=True)  # typed, then Enter


def open_link(page, text, css="a"):
    tab_to(page, css, text)
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_survivor_checks_in_with_the_keyboard_only(live_server, browser, width):
    call_command("seed_demo", stdout=StringIO())
    maria = User.objects.get(email="maria@demo.followup.test")
    before = set(CheckIn.objects.filter(survivor=maria).values_list("pk", flat=True))
    context = browser.new_context(viewport=WIDTHS[width])
    page = context.new_page()
    page.set_default_timeout(15_000)

    log_in(page, live_server.url, maria.email)
    open_link(page, "Check in")  # the navigation's link on a desktop, the page's button on a phone
    assert page.url.endswith("/check-in/")
    choose_option(page, "select[name=entry-0-symptom]", "dizziness")
    choose_radio(page, "entry-0-severity", "6")
    choose_radio(page, "entry-0-is_new", "Yes")
    choose_radio(page, "entry-0-is_worse", "No")
    tab_to(page, "textarea[name=entry-0-note]")
    page.keyboard.type("Room spins when I stand up")
    # Back up with Shift+Tab: it is worse than she first said.
    tab_to(page, "input[name=entry-0-severity]", back=True)
    page.keyboard.press("ArrowRight")
    tab_to(page, "button[type=submit]:not([name])")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert re.search(r"/check-ins/\d+/$", page.url), page.url
    (checkin,) = CheckIn.objects.filter(survivor=maria).exclude(pk__in=before)
    (saved,) = checkin.entries.all()
    assert (saved.symptom.code, saved.severity, saved.is_new, saved.is_worse) == ("dizziness", 7, True, False)
    assert saved.note == "Room spins when I stand up"
    context.close()


def test_a_nurse_works_a_flag_from_the_queue_with_the_keyboard_only(live_server, browser):
    call_command("seed_demo", stdout=StringIO())
    rules_load_defaults()
    maria = User.objects.get(email="maria@demo.followup.test")
    record_checkin(maria, entry("jaundice", None, 5, True, False, started_on=timezone.localdate()), callback=True)
    flag = Flag.objects.get(survivor=maria, rule__slug="jaundice")
    context = browser.new_context(viewport=WIDTHS["desktop"])
    page = context.new_page()
    page.set_default_timeout(15_000)

    log_in(page, live_server.url, "nurse@demo.followup.test")
    if "/staff/queue/" not in page.url:
        open_link(page, "Queue", "nav a")
    open_link(page, "Maria Lopez", "#queue a")
    assert page.url.endswith(f"/staff/flags/{flag.pk}/")

    tab_to(page, "button[name=claim]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    choose_radio(page, "contact-result", "Reached her")
    tab_to(page, "textarea[name=contact-note]")
    page.keyboard.type("Yellow eyes since Monday; booked for Thursday")
    tab_to(page, "button[name=contact]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    choose_radio(page, "resolve-outcome", "Appointment booked")
    tab_to(page, "button[name=resolve]")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    flag.refresh_from_db()
    assert flag.followup.claimed_by.email == "nurse@demo.followup.test"
    assert flag.events.filter(kind="contact", result="reached", text__startswith="Yellow eyes").exists()
    assert (flag.status, flag.outcome) == (Flag.Status.CLOSED, Flag.Outcome.APPOINTMENT)
    context.close()
