"""A demo nurse works the queue in a real browser: an urgent flag at the top,
claim, log a call, resolve as "appointment booked"; the survivor's reminders
stop and the admin's rules page counts one confirmation."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from followup.models import Message
from tests.factories import entry, record_checkin
from tracker import services as tracker_services
from tracker.demo import DEMO_PASSWORD
from tracker.models import Flag, Rule, User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def login(page, base, email):
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def report(survivor, code):
    record_checkin(
        survivor, entry(code, None, 5, True, False, started_on=timezone.localdate()), callback=code == "jaundice"
    )


def test_a_new_emergency_flag_is_announced_when_the_queue_refreshes(live_server, page):
    call_command("seed_demo", stdout=StringIO())
    tracker_services.rules_load_defaults()
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
    tracker_services.rules_load_defaults()
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
    page.locator("#id_resolve-outcome").select_option("appointment")
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
