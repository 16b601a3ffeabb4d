"""A demo survivor logs in, records a check-in with two symptoms on a
phone-width screen, and sees both in her history."""

from io import StringIO

import pytest
from django.core.management import call_command

from tracker.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_survivor_records_two_symptoms_and_sees_them_in_her_history(live_server, page, tmp_path):
    call_command("seed_demo", stdout=StringIO())
    page.goto(live_server.url + "/")
    page.get_by_label("Email").fill("maria@demo.followup.test")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Hello, Maria").wait_for()

    page.get_by_role("link", name="Check in").first.click()
    first = page.locator("fieldset.card").nth(0)
    first.get_by_label("What did you notice?").select_option("dizziness")
    first.get_by_text("7", exact=True).click()
    first.get_by_role("group", name="Is it new, or different from your usual?").get_by_label("Yes").check()
    first.get_by_role("group", name="Is it getting worse?").get_by_label("No").check()
    first.get_by_label("Anything else you want to tell us? (optional)").fill("Room spins when I stand up <quickly>")

    page.get_by_role("button", name="+ Add another symptom").click()
    second = page.locator("fieldset.card").nth(1)
    second.get_by_label("What did you notice?").select_option("pain")
    second.get_by_label("Where in your body?").select_option("lower_back")
    second.get_by_text("5", exact=True).click()
    second.get_by_role("group", name="Is it new, or different from your usual?").get_by_label("Yes").check()
    second.get_by_role("group", name="Is it getting worse?").get_by_label("Yes").check()
    page.get_by_role("button", name="Save check-in").click()

    page.get_by_role("heading", name="Thank you, your check-in is saved").wait_for()
    page.get_by_role("link", name="Back to my history").click()
    latest = page.locator("article.card").first
    latest.get_by_text("Dizziness").wait_for()
    assert latest.get_by_text("Pain · Lower back").is_visible()
    assert latest.get_by_text("Room spins when I stand up <quickly>").is_visible()
    # The charts drew (Chart.js from our own static files, allowed by the CSP).
    assert page.evaluate("typeof Chart") == "function"
    assert page.locator("#weight-chart").bounding_box()["height"] > 100
    page.screenshot(path=str(tmp_path / "history.png"), full_page=True)


def test_an_emergency_sign_shows_call_emergency_services_on_the_confirmation_page(live_server, page):
    from tracker.services.rules import rules_load_defaults

    rules_load_defaults()
    call_command("seed_demo", stdout=StringIO())
    page.goto(live_server.url + "/")
    page.get_by_label("Email").fill("aisha@demo.followup.test")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Check in").first.click()
    form = page.locator("fieldset.card").nth(0)
    form.get_by_label("What did you notice?").select_option("other")
    form.get_by_text("6", exact=True).click()
    form.get_by_role("group", name="Is it new, or different from your usual?").get_by_label("Yes").check()
    form.get_by_role("group", name="Is it getting worse?").get_by_label("Yes").check()
    form.get_by_label("Anything else you want to tell us? (optional)").fill(
        "My legs feel weak and heavy since this morning"
    )
    page.get_by_role("button", name="Save check-in").click()
    alert = page.get_by_role("alert")
    alert.get_by_role("heading", name="Call 911 now").wait_for()
    assert alert.get_by_role("link", name="911").first.get_attribute("href") == "tel:911"
    assert alert.get_by_text("not a diagnosis").is_visible()
