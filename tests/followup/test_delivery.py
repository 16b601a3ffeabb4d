"""The sweep claims due rows; a task claims one row and sends it."""

import datetime as dt
import smtplib

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from followup.models import Attempt, Heartbeat, Message, Preferences
from followup.reminders import preferences
from followup.reminders.delivery import deliver
from followup.reminders.loop import flag_survivor_confirm_contact
from followup.reminders.sweep import sweep
from followup.triage.reads import call_list_bounced


def due_now(flag, channel="email"):
    return Message.objects.filter(flag=flag, kind="reminder", channel=channel, sequence=1).get()


def sweep_and_deliver(now=None):
    ids = sweep(now=now)
    return {pk: deliver(message_id=pk) for pk in ids}


def test_the_sweep_queues_due_rows_enqueues_one_task_each_and_notes_its_run(
    survivor, report, enqueued, django_capture_on_commit_callbacks
):
    flag = report(survivor, code="seizure", site=None)["seizure"]
    with django_capture_on_commit_callbacks(execute=True):
        ids = sweep()
    first = Message.objects.filter(flag=flag, sequence=1)
    assert set(ids) == set(first.values_list("pk", flat=True))
    assert set(first.values_list("state", flat=True)) == {"queued"}
    assert sorted(args[0] for name, args, _ in enqueued if name == "followup.tasks.deliver_message") == sorted(ids)
    assert Heartbeat.objects.get(name="sweep").at <= timezone.now()
    assert sweep() == []  # nothing is claimed twice


def test_delivery_sends_an_email_that_names_the_clinic_and_no_health_detail(survivor, report, clinic):
    flag = report(survivor, code="pain", site="hip", note="the pain in my right hip is worse")["bone-pain-new-or-worse"]
    results = sweep_and_deliver()
    assert set(results.values()) == {"sent", "cancelled"}  # SMS is off by default
    [email] = [m for m in mail.outbox if m.to == [survivor.email]]
    body = email.body + email.alternatives[0][0] + email.subject
    assert clinic.name in body and clinic.care_team_phone in body
    assert f"/flags/{flag.pk}/contacted/" in body
    for health_word in ("hip", "pain", "severity", "bone", flag.rule_version.name.lower()):
        assert health_word not in body.lower()
    message = due_now(flag)
    assert message.state == "sent" and message.sent_at is not None
    assert Attempt.objects.get(message=message).outcome == "sent"


def test_an_in_app_reminder_shows_on_her_home_page_until_she_closes_it(client, survivor, report):
    from django.urls import reverse

    report(survivor, code="jaundice", site=None)
    sweep_and_deliver()
    client.force_login(survivor)
    page = client.get(reverse("home")).content.decode()
    assert "Please contact your care team on" in page
    notice = Message.objects.get(channel="in_app", state="sent")
    client.post(reverse("notice_dismiss", args=[notice.pk]))
    assert "Please contact your care team on" not in client.get(reverse("home")).content.decode()


def test_sms_goes_to_the_file_backend_when_she_chose_texts(survivor, report, settings, tmp_path):
    settings.SMS_BACKEND = f"file://{tmp_path / 'sms.txt'}"
    Preferences.objects.create(survivor=survivor, sms_on=True, phone="+1 555 0100 200")
    report(survivor, code="jaundice", site=None)
    sweep_and_deliver()
    line = (tmp_path / "sms.txt").read_text()
    assert line.startswith("+1 555 0100 200\t")
    assert "care team" in line and "jaundice" not in line.lower() and "yellow" not in line.lower()


class FailingBackend:
    error: Exception = smtplib.SMTPServerDisconnected("gone")

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise self.error


@pytest.fixture
def failing_mail(settings):
    settings.EMAIL_BACKEND = "tests.followup.test_delivery.FailingBackend"
    return FailingBackend


def test_a_transient_error_is_retried_later_with_a_growing_delay(survivor, report, failing_mail, settings):
    settings.FOLLOWUP_RETRY_BASE_SECONDS = 60
    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    sweep_and_deliver()
    message = due_now(flag)
    assert message.state == "pending" and message.tries == 1
    assert dt.timedelta(seconds=55) < message.due_at - timezone.now() <= dt.timedelta(seconds=60)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61), tick=False):
        sweep_and_deliver()
        second_try = timezone.now()
    message.refresh_from_db()
    assert message.tries == 2
    assert dt.timedelta(seconds=115) < message.due_at - second_try <= dt.timedelta(seconds=120)
    assert [a.outcome for a in Attempt.objects.filter(message=message)] == ["transient", "transient"]
    assert all(a.duration_ms >= 0 for a in Attempt.objects.filter(message=message))


def test_too_many_transient_errors_end_in_failed(survivor, report, failing_mail, settings):
    settings.FOLLOWUP_MAX_TRIES = 2
    settings.FOLLOWUP_RETRY_BASE_SECONDS = 1
    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    sweep_and_deliver()
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5), tick=False):
        sweep_and_deliver()
    assert due_now(flag).state == "failed"


def test_a_bouncing_address_fails_for_good_stops_email_and_puts_her_on_the_call_list(
    survivor, nurse, report, failing_mail
):
    failing_mail.error = smtplib.SMTPRecipientsRefused({survivor.email: (550, b"no such user")})
    try:
        flag = report(survivor, code="jaundice", site=None)["jaundice"]
        sweep_and_deliver()
    finally:
        failing_mail.error = smtplib.SMTPServerDisconnected("gone")
    assert due_now(flag).state == "failed"
    assert Preferences.objects.get(survivor=survivor).email_failed_at is not None
    assert list(call_list_bounced(user=nurse)) == [survivor]
    # The next email reminder is not even tried.
    second = Message.objects.get(flag=flag, channel="email", sequence=2)
    Message.objects.filter(pk=second.pk).update(due_at=timezone.now())
    sweep_and_deliver()
    second.refresh_from_db()
    assert (second.state, second.last_error) == ("cancelled", "channel off")


def test_a_closed_loop_is_checked_again_at_send_time(survivor, report):
    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    ids = sweep()
    flag_survivor_confirm_contact(flag=flag, survivor=survivor)  # cancels queued rows too
    assert {deliver(message_id=pk) for pk in ids} == {"not claimed"}
    assert mail.outbox == []


def test_a_message_is_claimed_once(survivor, report):
    report(survivor, code="jaundice", site=None)
    [pk, *_] = sweep()
    assert deliver(message_id=pk) in ("sent", "cancelled")
    assert deliver(message_id=pk) == "not claimed"


def test_messages_stuck_in_queued_or_sending_go_back_to_pending(survivor, report, settings):
    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    ids = sweep()
    Message.objects.filter(pk=ids[0]).update(state="sending")
    later = timezone.now() + dt.timedelta(seconds=settings.FOLLOWUP_SENDING_TIMEOUT + 1)
    again = sweep(now=later)
    assert set(ids) <= set(again)
    assert due_now(flag).state == "queued"


@pytest.mark.parametrize(
    ("zone", "utc", "quiet_until"),
    [
        ("America/New_York", dt.datetime(2026, 6, 2, 2, 30, tzinfo=dt.UTC), dt.datetime(2026, 6, 2, 12, tzinfo=dt.UTC)),
        ("America/New_York", dt.datetime(2026, 6, 2, 16, 0, tzinfo=dt.UTC), None),
        ("Asia/Tokyo", dt.datetime(2026, 6, 2, 16, 0, tzinfo=dt.UTC), dt.datetime(2026, 6, 2, 23, tzinfo=dt.UTC)),
        # DST starts in New York on 8 March 2026: 08:00 local is 12:00 UTC, not 13:00.
        ("America/New_York", dt.datetime(2026, 3, 8, 5, 0, tzinfo=dt.UTC), dt.datetime(2026, 3, 8, 12, tzinfo=dt.UTC)),
        # DST ends in London on 25 October 2026: 08:00 local is 08:00 UTC.
        (
            "Europe/London",
            dt.datetime(2026, 10, 24, 21, 30, tzinfo=dt.UTC),
            dt.datetime(2026, 10, 25, 8, tzinfo=dt.UTC),
        ),
    ],
)
def test_quiet_hours_are_hers_across_time_zones_and_dst(zone, utc, quiet_until):
    assert preferences.quiet_until(zone, utc) == quiet_until


def test_routine_and_urgent_messages_wait_for_morning_but_emergencies_do_not(survivor, report):
    survivor.time_zone = "America/New_York"
    survivor.save(update_fields=["time_zone"])
    night = dt.datetime(2026, 6, 2, 3, 0, tzinfo=dt.UTC)  # 23:00 in New York
    with time_machine.travel(night, tick=False):
        urgent = report(survivor, code="jaundice", site=None)["jaundice"]
        emergency = report(survivor, code="seizure", site=None)["seizure"]
        ids = sweep()
    assert {m.flag_id for m in Message.objects.filter(pk__in=ids)} == {emergency.pk}
    assert due_now(urgent).due_at == dt.datetime(2026, 6, 2, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(dt.datetime(2026, 6, 2, 12, 0, 30, tzinfo=dt.UTC), tick=False):
        later = sweep()
    assert due_now(urgent).pk in later
