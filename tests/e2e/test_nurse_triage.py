"""A demo nurse works the queue in a real browser: an urgent flag at the top,
claim, log a call, resolve as "appointment booked"; the survivor's reminders
stop and the admin's rules page counts one confirmation. Her day (issue 12,
section 2): she lands on the queue, a row per survivor; the 30 s refresh
keeps her focus and scroll; she resolves two flags in one action and goes
on with "Next in queue"; no outcome or call result is chosen for her; the
survivors page finds a survivor by name; a long call note is kept with its
message; the dashboard speaks in minutes and rule names. At desktop and
phone width, with axe-core on the pages she sees."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from followup.models import CallLog, Message
from followup.triage.actions import flag_claim
from tests.e2e.axe import assert_no_axe_violations
from tests.factories import SurvivorFactory, entry, record_checkin
from tests.mfa_helpers import pass_second_step, second_step_ready
from tracker.demo import DEMO_PASSWORD
from tracker.models import Flag, Rule, User
from tracker.services.rules import rules_load_defaults

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def login(page, base, email):
    staff = second_step_ready(email)
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if staff:
        pass_second_step(page, staff)  # the code her authenticator app shows


def report(survivor, code):
    record_checkin(
        survivor, entry(code, None, 5, True, False, started_on=timezone.localdate()), callback=code == "jaundice"
    )


def test_a_new_emergency_flag_is_announced_when_the_queue_refreshes(live_server, page):
    call_command("seed_demo", stdout=StringIO())
    rules_load_defaults()
    maria = User.objects.get(email="maria@demo.followup.test")
    report(maria, "jaundice")
    login(page, live_server.url, "nurse@demo.followup.test")
    page.goto(live_server.url + "/staff/queue/?unclaimed=1")
    announcer = page.locator("#emergency-announcer")
    assert not announcer.is_visible()
    refresh = "htmx.ajax('GET', document.getElementById('queue').getAttribute('hx-get'), '#queue')"
    page.evaluate(refresh)  # what "every 30s" does; nothing new yet
    page.wait_for_load_state("networkidle")
    assert not announcer.is_visible()

    report(maria, "seizure")  # emergency
    page.evaluate(refresh)
    announcer.wait_for(state="visible")
    assert announcer.get_by_text("New emergency flag.").is_visible()
    first_row = page.locator("#queue tbody tr").first
    assert first_row.get_by_text("Emergency").is_visible()
    assert page.locator("#f-unclaimed").is_checked()  # the filters stay
    assert "unclaimed=1" in page.evaluate("document.getElementById('queue').getAttribute('hx-get')")


def test_a_nurse_resolves_an_urgent_flag_and_the_loop_closes(live_server, page):
    call_command("seed_demo", stdout=StringIO())  # no rules yet: the demo history raises nothing
    rules_load_defaults()
    maria = User.objects.get(email="maria@demo.followup.test")
    report(maria, "jaundice")
    flag = Flag.objects.get(survivor=maria, rule__slug="jaundice")
    assert Message.objects.filter(flag=flag, state="pending").exists()

    login(page, live_server.url, "nurse@demo.followup.test")
    page.goto(live_server.url + "/staff/queue/")
    first_row = page.locator("#queue tbody tr").first
    assert first_row.get_by_text("Urgent").is_visible()
    assert first_row.get_by_text("Call back wanted").is_visible()
    first_row.get_by_role("link", name="Maria Lopez").click()

    page.get_by_role("button", name="Claim").click()
    page.get_by_text("You have claimed this flag.").wait_for()
    page.get_by_label("Reached her").check()
    page.locator("#id_contact-note").fill("Yellow eyes since Monday; booked for Thursday")
    page.get_by_role("button", name="Log contact").click()
    page.get_by_text("Contact attempt recorded.").wait_for()
    page.get_by_label("Appointment booked").check()
    page.get_by_role("button", name="Resolve").click()
    page.get_by_text("Flag resolved; her reminders have stopped.").wait_for()

    flag.refresh_from_db()
    assert (flag.status, flag.outcome) == ("closed", "appointment")
    assert not Message.objects.filter(flag=flag, state__in=["pending", "queued"]).exists()

    page.context.clear_cookies()
    login(page, live_server.url, "admin@demo.followup.test")
    page.goto(live_server.url + "/rules/")
    row = page.locator("tr", has=page.get_by_role("link", name=Rule.objects.get(slug="jaundice").current.name))
    cells = row.locator("td")
    assert [cells.nth(i).inner_text() for i in (3, 4, 5)] == ["1", "1", "0"]


# ------------------------------------------------------------------ a nurse's day (issue 12)

WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def at_width(browser, request):
    context = browser.new_context(viewport=WIDTHS[request.param])
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _busy_queue(n: int = 30):
    """Maria with two flags and `n` other survivors with one each: a queue
    taller than the screen."""
    call_command("seed_demo", stdout=StringIO())
    rules_load_defaults()
    maria = User.objects.get(email="maria@demo.followup.test")
    report(maria, "jaundice")  # urgent, with a call back asked for
    record_checkin(maria, entry("dizziness", None, 4, True, False, started_on=timezone.localdate()))  # routine
    for k in range(n):
        other = SurvivorFactory(clinic=maria.clinic, full_name=f"Queue Person {k:02d}")
        report(other, "jaundice")
    return maria


def _until(page, expression: str, seconds: float = 10.0) -> None:
    """Poll a condition through evaluate (wait_for_function would eval a
    string in the page, which our CSP refuses)."""
    for _ in range(int(seconds * 10)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"never true: {expression}")


REFRESH = "htmx.ajax('GET', document.getElementById('queue').getAttribute('hx-get'), '#queue')"


@pytest.mark.parametrize("at_width", list(WIDTHS), indirect=True)
def test_the_queue_is_a_row_a_survivor_and_its_refresh_keeps_focus_and_scroll(live_server, at_width):
    page = at_width
    maria = _busy_queue()
    login(page, live_server.url, "nurse@demo.followup.test")
    page.wait_for_url("**/staff/queue/")  # she lands on the queue
    maria_row = page.locator("#queue tbody tr", has=page.get_by_role("link", name="Maria Lopez"))
    assert maria_row.count() == 1
    assert maria_row.get_by_role("list", name="Her other open flags").get_by_text("Routine").is_visible()
    assert_no_axe_violations(page, "the queue")

    target = page.locator(f"#q-{Flag.objects.filter(survivor__full_name='Queue Person 20').get().pk}")
    target.focus()
    target.evaluate("link => window.scrollBy(0, link.getBoundingClientRect().top - 300)")  # she reads mid-screen
    page.locator("#queue .table-responsive").evaluate("box => { box.scrollLeft = 40; }")
    where = """() => [document.activeElement.id, Math.round(document.activeElement.getBoundingClientRect().top),
                     document.querySelector('#queue .table-responsive').scrollLeft, window.scrollY]"""
    before = page.evaluate(where)
    assert before[0] == target.get_attribute("id") and before[3] > 0

    report(maria, "seizure")  # a new emergency: her row moves up and grows while she reads further down
    page.evaluate(REFRESH)
    page.locator("#emergency-announcer").wait_for(state="visible")
    page.wait_for_timeout(200)  # let any scroll adjustment land
    after = page.evaluate(where)
    assert after[0] == before[0] and abs(after[1] - before[1]) <= 1  # the same link focused, at the same height
    assert after[2] == before[2]  # the table not scrolled back sideways (a phone)
    first = page.locator("#queue tbody tr").first
    assert first.get_by_role("link", name="Maria Lopez").is_visible()
    assert first.get_by_text("Emergency").first.is_visible()


@pytest.mark.parametrize("at_width", list(WIDTHS), indirect=True)
def test_she_resolves_two_flags_in_one_action_then_goes_next_in_queue(live_server, at_width):
    page = at_width
    maria = _busy_queue(n=1)
    urgent = Flag.objects.get(survivor=maria, tier="urgent")
    routine = Flag.objects.get(survivor=maria, tier="routine")
    nextone = Flag.objects.get(survivor__full_name="Queue Person 00")
    login(page, live_server.url, "nurse@demo.followup.test")
    page.goto(live_server.url + f"/staff/flags/{urgent.pk}/")

    outcome = page.locator("input[name='resolve-outcome']")
    result = page.locator("input[name='contact-result']")
    assert outcome.count() >= 6 and result.count() == 3
    assert page.locator("input[name='resolve-outcome']:checked, input[name='contact-result']:checked").count() == 0
    page.locator("#id_resolve-note").fill("Seen in clinic today")
    page.get_by_role("button", name="Resolve").click()  # no outcome chosen
    message = page.locator("#id_resolve-outcome_error")
    message.wait_for()
    assert message.inner_text() == "Choose what came of it."
    assert page.locator("#id_resolve-note").input_value() == "Seen in clinic today"  # kept
    assert outcome.first.get_attribute("aria-invalid") == "true"
    assert_no_axe_violations(page, "the flag page with a missing outcome")

    # Her last 90 days load in place when she asks, focus on their heading.
    assert page.locator("#symptom-chart").count() == 0
    page.get_by_role("link", name="Show her symptoms and weight, last 90 days").click()
    page.locator("#symptom-chart").wait_for()
    _until(page, "document.activeElement && document.activeElement.id === 'her-90-days-h'")
    _until(page, "!!Chart.getChart(document.getElementById('symptom-chart'))")  # drawn, not just there
    assert page.get_by_text("Symptoms as a table").is_visible()
    assert_no_axe_violations(page, "the flag page with her last 90 days")

    page.get_by_label(f"Routine: {routine.rule_version.name}").check()
    page.get_by_label("Appointment booked").check()
    page.get_by_role("button", name="Resolve").click()
    page.get_by_text("2 flags resolved; her reminders about them have stopped.").wait_for()
    assert set(Flag.objects.filter(survivor=maria).values_list("status", "outcome")) == {("closed", "appointment")}

    page.get_by_role("link", name="Next in queue").click()
    page.wait_for_url(f"**/staff/flags/{nextone.pk}/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Urgent")


@pytest.mark.parametrize("at_width", ["phone"], indirect=True)
def test_the_survivors_page_finds_her_by_name_with_her_highest_flag_and_check_in(live_server, at_width):
    page = at_width
    maria = _busy_queue(n=2)
    report(maria, "seizure")
    login(page, live_server.url, "nurse@demo.followup.test")
    page.get_by_role("button", name="Show menu").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Survivors").click()
    page.wait_for_url("**/staff/survivors/")
    first = page.locator("tbody tr").first
    assert first.get_by_role("link", name="Maria Lopez").is_visible()  # her emergency first
    assert first.get_by_text("Emergency").is_visible()
    page.get_by_label("Name").fill("lop")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/staff/survivors/?q=lop")
    rows = page.locator("tbody tr")
    assert rows.count() == 1 and "and 2 more" in rows.first.inner_text()
    assert "On time" in rows.first.inner_text()  # she checked in today
    assert_no_axe_violations(page, "the survivors page")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_long_call_note_gets_a_message_by_the_field_and_is_kept(live_server, page):
    maria = _busy_queue(n=0)
    login(page, live_server.url, "nurse@demo.followup.test")
    page.goto(live_server.url + "/staff/call-lists/")
    section = page.get_by_role("region", name="Asked for a call back: log a call")
    row = section.locator("tr", has=page.get_by_role("link", name="Maria Lopez"))
    assert row.locator("select").input_value() == ""  # no result chosen for her
    note = "She says the pain is worse at night and she is not sleeping. " * 40  # 2,440 characters
    row.locator("textarea").fill(note)
    row.locator("select").select_option("left_message")
    row.get_by_role("button", name="Log call").click()
    page.wait_for_load_state("load")
    row = page.get_by_role("region", name="Asked for a call back: log a call").locator(
        "tr", has=page.get_by_role("link", name="Maria Lopez")
    )
    assert "Keep the note to 2000 characters" in row.inner_text()
    assert row.locator("textarea").input_value() == note  # nothing cut
    assert row.locator("select").input_value() == "left_message"
    assert not CallLog.objects.filter(survivor=maria).exists()
    assert_no_axe_violations(page, "the call lists with a note too long")


def test_the_dashboard_says_minutes_and_rule_names(live_server, page):
    maria = _busy_queue(n=0)
    flag = Flag.objects.get(survivor=maria, tier="urgent")
    Flag.objects.filter(pk=flag.pk).update(created_at=timezone.now() - dt.timedelta(hours=3, minutes=5, seconds=20))
    flag_claim(flag=flag, nurse=User.objects.get(email="nurse@demo.followup.test"))
    login(page, live_server.url, "admin@demo.followup.test")
    page.goto(live_server.url + "/staff/dashboard/")
    assert page.get_by_text("3 h 5 min").first.is_visible()
    table = page.locator("table", has=page.get_by_text("Per rule, last 90 days"))
    assert table.get_by_role("cell", name=flag.rule_version.name).first.is_visible()
    assert "jaundice" not in table.inner_text()
