"""Safety first (issue 12, section 1), in Chromium as she and her nurse see
it: the emergency leads her home page at phone width, its call buttons stay
whole with text at 200%, "I contacted my care team" takes effect on both
sides, and a weight typo is asked about, then corrected, without a flag left
behind."""

import datetime as dt
import re
import uuid
import zoneinfo
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.e2e.axe import assert_no_axe_violations
from tests.factories import WeightEntryFactory, entry, in_app_reminder, record_checkin

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def people(default_rules, survivor, nurse):
    return {"survivor": survivor, "nurse": nurse}


def open_as(browser, live_server, user, viewport=PHONE, *, text_200=False):
    """A page logged in as `user` (a session made by Django's test client);
    text_200: Chromium's default font size at 32 px (200%), as a person sets
    it, so everything in rem doubles while the viewport stays as it is."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=viewport)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    if text_200:
        cdp = context.new_cdp_session(page)
        cdp.send("Page.enable")
        cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
    return page


# Each call button: inside the window, and its words not cut (no box
# narrower than its text); and the page has no sideways scroll.
FITS_JS = """() => {
    const width = document.scrollingElement.clientWidth;
    const buttons = [...document.querySelectorAll(".call-button")].map(el => {
        const box = el.getBoundingClientRect();
        return {text: el.innerText.trim(), left: box.left, right: box.right, height: box.height,
                width: box.width, row: el.parentElement.getBoundingClientRect().width,
                clipped: el.scrollWidth > el.clientWidth + 1};
    });
    return {scrollWidth: document.scrollingElement.scrollWidth, clientWidth: width, buttons,
            root: parseFloat(getComputedStyle(document.documentElement).fontSize)};
}"""


def assert_call_buttons_fit(page, *, root):
    found = page.evaluate(FITS_JS)
    assert found["root"] == root
    assert found["scrollWidth"] <= found["clientWidth"], found
    assert [b["text"].split("\n")[0] for b in found["buttons"]] == ["Call 911", "Call my care team"]
    for button in found["buttons"]:
        assert 0 <= button["left"] and button["right"] <= found["clientWidth"], button
        assert not button["clipped"], button
        assert button["height"] >= 44, button  # a large target
        assert button["width"] >= button["row"] - 1, button  # on a phone, each the full width: one tap, no aiming
    return found


def test_two_emergencies_then_a_routine_flag_the_emergency_still_leads_at_390_px(
    browser, live_server, people, tmp_path
):
    from tracker.models import Flag

    survivor = people["survivor"]
    record_checkin(survivor, entry("seizure", None, 8))
    record_checkin(survivor, entry("confusion", None, 7))
    record_checkin(survivor, entry("cough", None, 3))  # routine, and the newest
    in_app_reminder(survivor, Flag.objects.get(rule__slug="seizure"))

    page = open_as(browser, live_server, survivor)
    page.goto(live_server.url + "/")
    advice = page.locator("[data-tier]")
    assert advice.count() == 1 and advice.get_attribute("data-tier") == "emergency"
    assert advice.get_by_role("heading").inner_text() == "Call 911 now"
    assert page.get_by_text("Mention this to your care team").count() == 0
    assert advice.get_by_role("link", name="Call 911").get_attribute("href") == "tel:911"
    assert advice.get_by_role("link", name="Call my care team").get_attribute("href") == "tel:555-0100"
    # Her notice about the emergency is in the emergency style, not the calm blue.
    notice = page.locator("[data-notice]")
    assert notice.get_attribute("data-notice") == "emergency"
    assert notice.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(251, 227, 228)"
    assert_call_buttons_fit(page, root=16)
    assert_no_axe_violations(page, "her home page with two emergencies and an emergency notice, 390 px")
    page.screenshot(path=str(tmp_path / "home-emergency.png"), full_page=True)

    big = open_as(browser, live_server, survivor, text_200=True)
    big.goto(live_server.url + "/")
    found = assert_call_buttons_fit(big, root=32)
    # At 200% the two buttons stack, each the full width of the advice.
    first, second = found["buttons"]
    assert second["left"] == first["left"]
    big.screenshot(path=str(tmp_path / "home-emergency-200.png"), full_page=True)


def test_an_emergency_check_in_with_a_call_back_says_call_now_at_200_percent_text(
    browser, live_server, people, tmp_path
):
    page = open_as(browser, live_server, people["survivor"], text_200=True)
    page.goto(live_server.url + "/check-in/")
    form = page.locator("fieldset.card").nth(0)
    form.get_by_label("What did you notice?").select_option("seizure")
    form.get_by_text("8", exact=True).click()
    form.get_by_role("group", name="Is it new, or different from your usual?").get_by_label("Yes").check()
    form.get_by_role("group", name="Is it getting worse?").get_by_label("No").check()
    page.get_by_label("I would like someone from my care team to call me back").check()
    page.get_by_role("button", name="Save check-in").click()

    alert = page.get_by_role("alert").filter(has=page.get_by_role("heading", name="Call 911 now"))
    alert.wait_for()
    assert alert.get_by_role("link", name="Call 911").get_attribute("href") == "tel:911"
    assert alert.get_by_role("link", name="Call my care team").get_attribute("href") == "tel:555-0100"
    assert "don't wait for it. Call now." in alert.inner_text()
    body = page.locator("main").inner_text()
    assert "will call you" not in body
    assert "I contacted my care team" not in body  # one instruction
    assert_call_buttons_fit(page, root=32)
    page.screenshot(path=str(tmp_path / "emergency-200.png"), full_page=True)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_i_contacted_my_care_team_shows_on_her_page_and_on_the_nurses(browser, live_server, people, viewport):
    from tracker.models import Flag

    survivor = people["survivor"]
    record_checkin(survivor, entry("jaundice", None, 4))
    flag = Flag.objects.get(rule__slug="jaundice")
    in_app_reminder(survivor, flag)

    page = open_as(browser, live_server, survivor, viewport)
    page.goto(live_server.url + "/")
    assert page.locator("[data-notice]").count() == 1
    page.get_by_role("button", name="I contacted my care team").click()
    page.get_by_text("Thank you. We have stopped the reminders about this.").wait_for()
    her_day = timezone.now().astimezone(zoneinfo.ZoneInfo(survivor.time_zone))  # her date, not the server's
    confirmed = page.locator("[data-contacted]")
    assert confirmed.inner_text() == (f"You told us you contacted your care team on {her_day.day} {her_day:%B %Y}.")
    assert page.get_by_role("button", name="I contacted my care team").count() == 0
    assert page.locator("[data-notice]").count() == 0
    assert page.locator("[data-tier]").get_attribute("data-tier") == "urgent"  # still open: her advice stays

    nurse = open_as(browser, live_server, people["nurse"], viewport)
    nurse.goto(f"{live_server.url}/staff/flags/{flag.pk}/")
    assert nurse.locator("[data-she-confirmed]").inner_text().startswith("She told us she contacted her care team on")
    assert_no_axe_violations(nurse, "the nurse's flag page after she confirmed contact")


def test_a_weight_typo_is_asked_about_then_corrected_and_its_flag_closes(browser, live_server, people, tmp_path):
    from tracker.models import Flag, WeightEntry

    survivor = people["survivor"]
    WeightEntryFactory(
        survivor=survivor,
        kg=Decimal("71"),
        recorded_at=timezone.now() - dt.timedelta(days=3),
        submission_token=uuid.uuid4(),
    )
    page = open_as(browser, live_server, survivor)
    page.goto(live_server.url + "/weight/")
    page.get_by_label("Your weight").fill("40")
    page.get_by_role("button", name="Save weight").click()
    question = page.locator("[data-weight-question]")
    assert question.get_by_text("That's 31 kg less than 3 days ago. Is 40 kg right?").is_visible()
    assert page.get_by_label("Your weight").input_value() == "40"  # kept as she typed it
    assert WeightEntry.objects.count() == 1
    page.screenshot(path=str(tmp_path / "weight-question.png"), full_page=True)
    page.get_by_role("button", name="Yes, 40 kg is right").click()
    page.get_by_text("Your weight is saved.").wait_for()
    flag = Flag.objects.get(rule__slug="unexplained-weight-loss")
    assert flag.status == "open"

    # She sees her mistake on her weight page and corrects it.
    page.goto(live_server.url + "/weight/")
    page.get_by_role("link", name=re.compile(r"^Correct or remove\W+40\.0 kg")).click()
    page.get_by_label("The right weight").fill("70,5")
    page.get_by_role("button", name="Save the right weight").click()
    page.get_by_text("Thank you. Your weight is corrected.").wait_for()
    mistake = page.locator(".recent-weights li", has_text="40.0 kg")
    assert mistake.get_by_text("Entered in error").is_visible()
    flag.refresh_from_db()
    assert (flag.status, flag.outcome) == ("closed", "entered_in_error")
    assert WeightEntry.objects.get(corrects__kg=Decimal("40.00")).kg == Decimal("70.50")


def test_she_withdraws_a_symptom_entry_from_her_check_in(browser, live_server, people):
    from tracker.models import Flag

    checkin = record_checkin(people["survivor"], entry("jaundice", None, 4))
    page = open_as(browser, live_server, people["survivor"])
    page.goto(f"{live_server.url}/check-ins/{checkin.pk}/")
    page.get_by_role("link", name=re.compile(r"^This was a mistake\W+Yellow skin or eyes")).click()
    page.get_by_role("button", name="Yes, it was a mistake").click()
    page.get_by_text("Thank you. We have marked it as entered in error").wait_for()
    assert page.locator("[data-entered-in-error]").get_by_text("Entered in error").is_visible()
    assert page.get_by_text("Yellow skin or eyes").first.is_visible()  # kept for the record
    assert Flag.objects.get(rule__slug="jaundice").outcome == "entered_in_error"


def test_a_withdrawn_emergency_waits_for_a_nurse_and_her_page_says_so(browser, live_server, people):
    from tracker.models import Flag
    from tracker.services.corrections import entry_mark_in_error

    survivor = people["survivor"]
    checkin = record_checkin(survivor, entry("seizure", None, 8))
    entry_mark_in_error(survivor=survivor, entry=checkin.entries.get())
    page = open_as(browser, live_server, survivor)
    page.goto(live_server.url + "/")
    assert page.locator("[data-tier]").count() == 0  # no "Call 911" headline for what she took back
    withdrawn = page.locator("[data-withdrawn]")
    assert "A nurse from your care team will check with you." in withdrawn.inner_text()
    assert withdrawn.get_by_text("If you do have these signs, call 911 now.").is_visible()
    assert_no_axe_violations(page, "her home page with a withdrawn emergency, 390 px")

    nurse = open_as(browser, live_server, people["nurse"], DESKTOP)
    nurse.goto(f"{live_server.url}/staff/flags/{Flag.objects.get(rule__slug='seizure').pk}/")
    assert "Please check with her" in nurse.locator("[data-flag-entered-in-error]").inner_text()
    assert nurse.locator("li [data-entered-in-error]").is_visible()
    assert_no_axe_violations(nurse, "the nurse's flag page of a withdrawn emergency")
