"""Forms and pages in Chromium (issue 12, section 3): the error summary takes
focus and its links reach the field, the live character count, a weight
typed as "seventy" or "70,5", the charts' time and weight axes and their
tables, the time-zone picker, switching an emergency rule off with a reason,
the cadence in hours or days. At phone width (390 px) and desktop (1280 px)
where she would see the change; axe-core on the error and chart states."""

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.axe import assert_no_axe_violations
from tests.factories import (
    CheckInFactory,
    ClinicAdminFactory,
    ClinicFactory,
    SurvivorFactory,
    SymptomEntryFactory,
    WeightEntryFactory,
    body_site,
    symptom,
)
from tracker.models import Rule, User, WeightEntry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def open_as(browser, live_server, user, viewport=PHONE, reduced_motion="no-preference"):
    """A page whose browser is logged in as `user` (a session made by Django's test client)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=viewport, reduced_motion=reduced_motion)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.script_errors = errors
    return page


def wait_until(page, predicate: str, timeout: float = 10) -> None:
    # Not page.wait_for_function: it evaluates a string, which our CSP (no
    # 'unsafe-eval') refuses; page.evaluate runs a function.
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {predicate}"
        page.wait_for_timeout(100)


def focused(page, attribute: str) -> str | None:
    return page.evaluate(f"document.activeElement && document.activeElement.getAttribute('{attribute}')")


@pytest.fixture
def survivor(db):
    return SurvivorFactory(clinic=ClinicFactory(name="Riverside"), full_name="Rosa Survivor")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_weight_she_typed_as_words_comes_back_with_a_summary_that_takes_focus(
    browser, live_server, survivor, viewport, tmp_path
):
    page = open_as(browser, live_server, survivor, viewport)
    page.goto(live_server.url + reverse("weight_create"))
    page.get_by_label("Your weight").fill("seventy")
    page.get_by_role("button", name="Save weight").click()

    summary = page.locator("[data-error-summary]")
    summary.get_by_role("heading", name="There is a problem").wait_for()
    assert focused(page, "data-error-summary") is not None  # focus moved to it on load
    assert page.get_by_label("Your weight").input_value() == "seventy"  # what she typed is kept
    page.screenshot(path=str(tmp_path / "weight-error.png"), full_page=True)
    assert_no_axe_violations(page, f"the weight form with an error at {viewport['width']} px")

    summary.get_by_role("link", name="Please enter your weight as a number").click()
    assert focused(page, "id") == "id_value"
    page.keyboard.press("Control+A")
    page.keyboard.type("70,5")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Hello, Rosa").wait_for()
    assert WeightEntry.objects.get(survivor=survivor).kg == Decimal("70.50")
    assert page.script_errors == []


def test_the_note_counts_its_characters_and_never_cuts_a_long_paste(browser, live_server, survivor):
    page = open_as(browser, live_server, survivor)
    page.goto(live_server.url + reverse("checkin_create"))
    note = page.get_by_label("Anything else you want to tell us? (optional)")
    count = page.locator("#id_entry-0-note-count")
    assert count.text_content() == "0 of 2,000 characters"
    assert "id_entry-0-note-count" in note.get_attribute("aria-describedby")
    note.type("Hello")
    assert count.text_content() == "5 of 2,000 characters"
    # The polite live region speaks once she pauses, not at every key.
    expect(page.locator("#id_entry-0-note-count + [aria-live=polite]")).to_have_text("5 of 2,000 characters")

    note.fill("x" * 2010)  # as a paste: the browser's maxlength would have cut it to 2,000 without a word
    assert count.text_content() == "2,010 of 2,000 characters: 10 too many"
    assert len(note.input_value()) == 2010
    assert "charcount-over" in count.get_attribute("class")

    form = page.locator("fieldset.card").nth(0)
    form.get_by_label("What did you notice?").select_option("fatigue")
    form.get_by_text("3", exact=True).click()
    form.get_by_role("group", name="Is it new, or different from your usual?").get_by_label("No").check()
    form.get_by_role("group", name="Is it getting worse?").get_by_label("No").check()
    page.get_by_role("button", name="Save check-in").click()
    link = page.locator("[data-error-summary]").get_by_role("link", name="Please keep the note to 2000 characters")
    link.wait_for()
    assert focused(page, "data-error-summary") is not None
    link.click()
    assert focused(page, "id") == "id_entry-0-note"
    assert len(note.input_value()) == 2010  # kept, to shorten
    assert page.script_errors == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_her_charts_run_on_real_time_with_a_calm_weight_axis_and_tables(
    browser, live_server, survivor, viewport, tmp_path
):
    now = timezone.now()
    for days_ago, kg in [(30, "70.1"), (20, "70.3"), (19, "70.0"), (2, "70.2")]:
        WeightEntryFactory(survivor=survivor, kg=Decimal(kg), recorded_at=now - dt.timedelta(days=days_ago))
    for days_ago, code, site, severity in [(10, "fatigue", None, 3), (1, "pain", "hip", 8)]:
        when = now - dt.timedelta(days=days_ago)
        SymptomEntryFactory(
            checkin=CheckInFactory(survivor=survivor, created_at=when),
            created_at=when,
            symptom=symptom(code),
            body_site=body_site(site) if site else None,
            severity=severity,
        )
    # Reduced motion: no animation (history-charts.js), so the points are where they end up.
    page = open_as(browser, live_server, survivor, viewport, reduced_motion="reduce")
    page.goto(live_server.url + "/")
    wait_until(page, "() => !!(window.Chart && Chart.getChart('weight-chart') && Chart.getChart('symptom-chart'))")

    weight = page.evaluate(
        """() => {
        const c = Chart.getChart('weight-chart'), x = c.scales.x, y = c.scales.y;
        const px = c.data.datasets[0].data.map(p => x.getPixelForValue(Date.parse(p.x)));
        return {type: x.type, labels: x.ticks.map(t => t.label), px, min: y.min, max: y.max};
    }"""
    )
    assert weight["type"] == "time"
    labels = [str(label) for label in weight["labels"]]
    assert len(labels) == len(set(labels)) >= 3  # no repeated dates
    assert all(label[:3] in "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec" for label in labels), labels
    gaps = [b - a for a, b in zip(weight["px"], weight["px"][1:], strict=False)]
    # 10 days, 1 day, 17 days apart: spaced by time, not evenly.
    assert gaps[0] / gaps[1] == pytest.approx(10, rel=0.05) and gaps[2] / gaps[1] == pytest.approx(17, rel=0.05)
    assert weight["max"] - weight["min"] >= 5  # 0.3 kg of noise is not a cliff
    assert weight["min"] <= 70.0 and weight["max"] >= 70.3

    symptoms = page.evaluate(
        """() => {
        const c = Chart.getChart('symptom-chart'), y = c.scales.y;
        const points = c.data.datasets.map((d, i) => ({label: d.label, radius: d.pointRadius,
            y: c.getDatasetMeta(i).data.map(el => el.y)}));
        return {min: y.min, max: y.max, points, legend: c.options.plugins.legend.display};
    }"""
    )
    assert (symptoms["min"], symptoms["max"], symptoms["legend"]) == (0, 10, True)
    by_label = {p["label"]: p for p in symptoms["points"]}
    assert by_label["Pain"]["y"][0] < by_label["Tiredness"]["y"][0]  # 8 stands higher than 3
    assert by_label["Pain"]["radius"] == by_label["Tiredness"]["radius"]  # not by dot size

    page.get_by_text("Weight as a table").click()
    rows = page.locator("[data-chart-table=weights] tbody tr")
    assert rows.count() == 4
    assert rows.first.locator("td").nth(1).text_content() == "70.2"
    page.get_by_text("Symptoms as a table").click()
    assert page.locator("[data-chart-table=symptoms] tbody tr").first.text_content().count("Pain · Hip") == 1
    page.screenshot(path=str(tmp_path / f"history-{viewport['width']}.png"), full_page=True)
    assert_no_axe_violations(page, f"her history with charts and tables at {viewport['width']} px")
    assert page.script_errors == []


def test_she_picks_her_time_zone_by_its_everyday_name(browser, live_server, survivor):
    page = open_as(browser, live_server, survivor)
    page.goto(live_server.url + reverse("preferences"))
    picker = page.get_by_label("Your time zone")
    assert picker.locator("option").first.text_content() == "Eastern Time (New York)"
    picker.select_option(label="Central Time (Chicago)")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Hello, Rosa").wait_for()
    survivor.refresh_from_db()
    assert survivor.time_zone == "America/Chicago"


@pytest.fixture
def admin(db):
    from tracker.services.rules import rules_load_defaults

    rules_load_defaults()
    return ClinicAdminFactory(clinics=[ClinicFactory(name="Hillside", emergency_number="911")], full_name="Ada Admin")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_an_admin_switches_an_emergency_rule_off_with_a_reason(browser, live_server, admin, viewport, tmp_path):
    rule = Rule.objects.get(slug="seizure")
    page = open_as(browser, live_server, admin, viewport)
    page.goto(live_server.url + reverse("rule_list"))
    page.get_by_role("link", name=f"Switch off {rule.current.name}").click()
    warning = page.locator("[data-emergency-warning]")
    assert f"no one will be told to call 911 for \u201c{rule.current.name}\u201d" in warning.text_content()
    page.screenshot(path=str(tmp_path / "switch-off.png"), full_page=True)
    assert_no_axe_violations(page, f"switching an emergency rule off at {viewport['width']} px")

    page.get_by_role("button", name="Switch it off").click()
    page.locator("[data-error-summary]").wait_for()
    assert focused(page, "data-error-summary") is not None
    page.get_by_role("link", name="Please say why you are switching this rule off.").click()
    assert focused(page, "id") == "id_reason"
    page.keyboard.type("Covered by the new seizure rule")
    assert page.locator("#id_reason-count").text_content() == "31 of 300 characters"
    page.get_by_role("button", name="Switch it off").click()
    page.get_by_text(f"\u201c{rule.current.name}\u201d is now off.").wait_for()
    assert not Rule.objects.get(pk=rule.pk).is_active

    page.goto(live_server.url + reverse("rule_detail", args=["seizure"]))
    history = page.locator("[data-switch-history]")
    assert "Ada Admin switched it off: Covered by the new seizure rule" in " ".join(history.text_content().split())
    assert page.script_errors == []


def test_the_cadence_is_entered_in_days(browser, live_server, admin):
    page = open_as(browser, live_server, admin, DESKTOP)
    page.goto(live_server.url + reverse("cadence_edit"))
    routine = page.locator("fieldset.col-md-4").nth(2)
    assert routine.get_by_role("textbox", name="Then every (number)").input_value() == "7"
    assert routine.get_by_role("combobox", name="Then every (unit)").input_value() == "days"
    routine.get_by_role("textbox", name="Then every (number)").fill("45")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="At most 30 days (43,200 minutes).").wait_for()
    assert routine.get_by_role("textbox", name="Then every (number)").input_value() == "45"
    routine.get_by_role("textbox", name="Then every (number)").fill("14")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Reminder cadence saved").wait_for()
    assert routine.get_by_role("textbox", name="Then every (number)").input_value() == "14"
    assert User.objects.filter(pk=admin.pk).exists()
    assert page.script_errors == []
