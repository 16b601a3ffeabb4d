"""Her own words in a real browser: a Spanish note with an emergency sign
after a negated one gets the emergency advice at once; the nurse sees the
words that matched and, apart, what was set aside; a clinic admin tests a
sentence on the rules page."""

from io import StringIO

import pytest
from django.core.management import call_command

from tests.mfa_helpers import pass_second_step, second_step_ready
from tracker.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def login(page, url, email):
    staff = second_step_ready(email)
    page.goto(url + "/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if staff:
        pass_second_step(page, staff)  # the code her authenticator app shows


def test_a_spanish_note_is_understood_and_the_nurse_sees_what_was_set_aside(live_server, page, browser):
    from tracker.services.rules import rules_load_defaults

    rules_load_defaults()
    call_command("seed_demo", stdout=StringIO())
    login(page, live_server.url, "maria@demo.followup.test")
    page.get_by_role("link", name="Check in").first.click()
    form = page.locator("fieldset.card").nth(0)
    form.get_by_label("What did you notice?").select_option("other")
    form.get_by_text("5", exact=True).click()
    form.get_by_role("group", name="Is it new, or different from your usual?").get_by_label("No").check()
    form.get_by_role("group", name="Is it getting worse?").get_by_label("No").check()
    form.get_by_label("Anything else you want to tell us? (optional)").fill(
        "No tengo dolor de cabeza, pero desde ayer no siento las piernas"
    )
    page.get_by_role("button", name="Save check-in").click()
    page.get_by_role("alert").get_by_role("heading", name="Call 911 now").wait_for()

    nurse = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    login(nurse, live_server.url, "nurse@demo.followup.test")
    nurse.goto(live_server.url + "/staff/queue/")
    nurse.get_by_role("link", name="Maria Lopez").first.click()
    nurse.get_by_text("note read as Spanish").first.wait_for()
    assert nurse.get_by_test_id("set-aside").inner_text().startswith("Set aside: \u201cdolor de cabeza\u201d (negated)")
    assert nurse.get_by_text("no siento las piernas").first.is_visible()


def test_a_clinic_admin_tests_a_sentence(live_server, page):
    from tracker.services.rules import rules_load_defaults

    rules_load_defaults()
    call_command("seed_demo", stdout=StringIO())
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, live_server.url, "admin@demo.followup.test")
    page.goto(live_server.url + "/rules/")
    page.get_by_role("link", name="Test a sentence").click()
    page.get_by_label("Sentence").fill("my sister had a seizure, and my back pain wakes me at night")
    page.get_by_role("button", name="Read it").click()
    page.get_by_role("heading", name="Read as English").wait_for()
    found = page.get_by_test_id("found").inner_text()
    assert "bone_pain" in found and "night_pain" in found
    assert "seizure" in page.get_by_test_id("set-aside").inner_text()
    assert "about someone else" in page.get_by_test_id("set-aside").inner_text()
    assert "Pain at night or when coughing or straining" in page.get_by_test_id("rules").inner_text()
