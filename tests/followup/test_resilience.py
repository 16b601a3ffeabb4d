"""Issue 11, unit level: emergency reminders go out when the check-in
commits, lost or stuck emergencies come back within seconds, and providers
that raise or hang end as failed attempts instead of looping for ever."""

import datetime as dt
import signal
import socket
import threading
import time

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from followup.models import Attempt, Message, Preferences
from followup.reminders.delivery import deliver
from followup.reminders.sweep import sweep, sweep_urgent
from tests.followup.test_delivery import due_now


def sweep_and_deliver(now=None):
    return {pk: deliver(message_id=pk) for pk in sweep(now=now)}


# ------------------------------------------------------------------ on commit


def test_an_emergency_check_in_queues_and_enqueues_its_first_reminders_on_commit(
    survivor, report, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        flag = report(survivor, code="seizure", site=None)["seizure"]
    first = Message.objects.filter(flag=flag, sequence=1)
    assert set(first.values_list("state", flat=True)) == {"queued"}
    sent = sorted(args[0] for name, args, _ in enqueued if name == "followup.tasks.deliver_message")
    assert sent == sorted(first.values_list("pk", flat=True))
    # Later reminders wait for their time.
    assert set(Message.objects.filter(flag=flag, sequence=2).values_list("state", flat=True)) == {"pending"}


def test_an_urgent_check_in_too_but_not_in_her_quiet_hours(
    survivor, report, enqueued, django_capture_on_commit_callbacks
):
    import time_machine

    with django_capture_on_commit_callbacks(execute=True):
        flag = report(survivor, code="jaundice", site=None)["jaundice"]
    assert flag.tier == "urgent"
    assert Message.objects.filter(flag=flag, sequence=1, state="queued").count() == 3
    # 23:00 in New York: an urgent (not emergency) reminder waits for the morning.
    with time_machine.travel(dt.datetime(2026, 6, 3, 3, 0, tzinfo=dt.UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            thirst = report(survivor, code="thirst", site=None, severity=8)["hypercalcaemia-thirst"]
        assert thirst.tier == "urgent"
        first = Message.objects.get(flag=thirst, sequence=1, channel="email")
        assert first.state == "pending"
        sweep()  # and the sweep holds it for the morning
    first.refresh_from_db()
    assert (first.state, first.due_at.astimezone(dt.UTC).hour) == ("pending", 12)  # 08:00 in New York


def test_a_routine_check_in_waits_for_the_sweep(survivor, report, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        flags = report(survivor, code="fatigue", site=None, severity=3, new=True, worse=False)
    assert flags and all(flag.tier == "routine" for flag in flags.values())
    assert Message.objects.filter(kind="reminder").exists()
    assert not Message.objects.filter(state="queued").exists()
    assert not [name for name, _, _ in enqueued if name == "followup.tasks.deliver_message"]


def test_a_check_in_through_the_web_still_succeeds_when_sending_now_fails(
    client, survivor, default_rules, monkeypatch, django_capture_on_commit_callbacks
):
    """Her check-in has committed: a failure while sending at once is logged
    and left to the sweep, never an error page."""
    from tests.tracker.test_checkin import entry, post_data

    def broken(**kwargs):
        raise RuntimeError("broker exploded")

    monkeypatch.setattr("followup.reminders.delivery.deliveries_send_now", broken)
    client.force_login(survivor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("checkin_create"), post_data(entry(0, symptom="seizure", body_site="")))
    assert response.status_code == 302
    assert Message.objects.filter(kind="reminder", state="pending").exists()  # for the sweep


# ------------------------------------------------------------------ the emergency lane


def _stuck(message, state, seconds_ago, tries=1):
    Message.objects.filter(pk=message.pk).update(
        state=state,
        tries=tries,
        due_at=timezone.now() - dt.timedelta(seconds=seconds_ago),
        state_changed_at=timezone.now() - dt.timedelta(seconds=seconds_ago),
    )


@pytest.mark.parametrize("state", ["queued", "sending"])
def test_a_lost_emergency_comes_back_within_seconds_an_urgent_one_after_minutes(survivor, report, settings, state):
    emergency = due_now(report(survivor, code="seizure", site=None)["seizure"])
    other = due_now(report(survivor, code="jaundice", site=None)["jaundice"])
    assert (emergency.urgent, other.urgent) == (True, False)
    urgent_timeout = {
        "queued": settings.FOLLOWUP_URGENT_QUEUED_TIMEOUT,
        "sending": settings.FOLLOWUP_URGENT_SENDING_TIMEOUT,
    }
    routine_timeout = {"queued": settings.FOLLOWUP_QUEUED_TIMEOUT, "sending": settings.FOLLOWUP_SENDING_TIMEOUT}
    assert urgent_timeout[state] < routine_timeout[state] / 2
    Message.objects.filter(state="pending").update(due_at=timezone.now() + dt.timedelta(hours=1))
    for message in (emergency, other):
        _stuck(message, state, urgent_timeout[state] + 1)
    assert sweep_urgent() == [emergency.pk]
    assert sweep() == []  # the other one waits its own, longer time
    _stuck(other, state, routine_timeout[state] + 1)
    assert sweep() == [other.pk]


def test_the_emergency_lane_leaves_routine_messages_to_the_full_sweep(survivor, report):
    report(survivor, code="jaundice", site=None)
    assert sweep_urgent() == []
    assert len(sweep()) == 3


def test_a_message_stuck_sending_with_no_tries_left_fails_with_an_attempt_row(
    survivor, report, settings, client, clinic_admin
):
    settings.FOLLOWUP_MAX_TRIES = 3
    message = due_now(report(survivor, code="seizure", site=None)["seizure"])
    _stuck(message, "sending", settings.FOLLOWUP_URGENT_SENDING_TIMEOUT + 1, tries=3)
    sweep_urgent()
    message.refresh_from_db()
    assert message.state == "failed"
    [attempt] = Attempt.objects.filter(message=message)
    assert attempt.outcome == "transient" and "no outcome" in attempt.detail
    client.force_login(clinic_admin)
    page = client.get(reverse("message_list") + "?state=failed").content.decode()
    assert f"/admin-pages/messages/{message.pk}/retry/" in page


# ------------------------------------------------------------------ providers that misbehave


class RaisingBackend:
    """A mail library raising something of its own, not an SMTP error."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ValueError("provider said: rita@example.org is odd")


class RaisingSms:
    def send(self, to, text, *, timeout):
        raise KeyError("+1 555 0100 200")


class HangingSms:
    """Honours nothing: sleeps past any timeout (the task's soft limit ends it)."""

    def send(self, to, text, *, timeout):
        time.sleep(float(__import__("os").environ.get("HANGING_SMS_SECONDS", "3600")))


def test_a_provider_exception_is_a_failed_attempt_named_by_its_class_and_tries_are_capped(survivor, report, settings):
    settings.EMAIL_BACKEND = "tests.followup.test_resilience.RaisingBackend"
    settings.FOLLOWUP_MAX_TRIES = 2
    settings.FOLLOWUP_RETRY_BASE_SECONDS = 1
    flag = report(survivor, code="seizure", site=None)["seizure"]
    results = sweep_and_deliver()
    message = due_now(flag)
    assert results[message.pk] == "retry"
    message.refresh_from_db()
    assert message.state == "pending" and message.last_error == "email: ValueError"
    [attempt] = Attempt.objects.filter(message=message)
    assert (attempt.outcome, attempt.detail) == ("transient", "email: ValueError")
    assert "rita" not in attempt.detail
    later = timezone.now() + dt.timedelta(seconds=5)
    import time_machine

    with time_machine.travel(later, tick=False):
        assert sweep_and_deliver()[message.pk] == "failed"
    message.refresh_from_db()
    assert message.state == "failed"
    assert Attempt.objects.filter(message=message).count() == 2


def test_an_sms_provider_exception_is_a_failed_attempt(survivor, report, settings):
    settings.SMS_BACKEND = "tests.followup.test_resilience.RaisingSms"
    Preferences.objects.create(survivor=survivor, sms_on=True, phone="+1 555 0100 200")
    flag = report(survivor, code="seizure", site=None)["seizure"]
    sweep_and_deliver()
    message = due_now(flag, channel="sms")
    assert (message.state, message.last_error) == ("pending", "sms: KeyError")
    assert Attempt.objects.get(message=message).detail == "sms: KeyError"


@pytest.fixture
def silent_smtp_server():
    """An SMTP server that accepts the connection and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_hung_mail_server_times_out_as_a_failed_attempt(survivor, report, settings, silent_smtp_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", silent_smtp_server
    settings.EMAIL_TIMEOUT = 1
    flag = report(survivor, code="seizure", site=None)["seizure"]
    message = due_now(flag)
    assert message.pk in sweep()

    def hung(signum, frame):
        raise AssertionError("the send hung: no timeout on the mail server")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(15)
    started = time.monotonic()
    try:
        outcome = deliver(message_id=message.pk)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert outcome == "retry"
    assert 0.9 <= time.monotonic() - started < 10
    message.refresh_from_db()
    # smtplib reports the timed-out greeting as a dropped connection.
    assert message.last_error in ("mail server: TimeoutError", "mail server: SMTPServerDisconnected")
    assert mail.outbox == []


def test_one_sweep_claims_every_due_message_batch_after_batch(survivor, enqueued, django_capture_on_commit_callbacks):
    """Monday 10:00: everyone's weekly check-in is due at once."""
    now = timezone.now()
    Message.objects.bulk_create(
        Message(
            kind="checkin",
            channel="in_app",
            recipient=survivor,
            survivor=survivor,
            clinic_id=survivor.clinic_id,
            iso_week=f"2026-W{n:02d}",
            dedupe_key=f"bench:{n}",
            due_at=now - dt.timedelta(minutes=1),
            state_changed_at=now,
            created_at=now,
        )
        for n in range(25)
    )
    with django_capture_on_commit_callbacks(execute=True):
        queued = sweep(batch=10)
    assert len(queued) == 25
    assert not Message.objects.filter(state="pending", due_at__lte=now).exists()
    assert len([name for name, _, _ in enqueued if name == "followup.tasks.deliver_message"]) == 25


def test_only_her_highest_flag_goes_at_once_the_others_with_the_sweep(
    survivor, default_rules, enqueued, django_capture_on_commit_callbacks
):
    from tests.factories import entry, record_checkin

    with django_capture_on_commit_callbacks(execute=True):
        record_checkin(survivor, entry("jaundice", None), entry("seizure", None))
    queued = Message.objects.filter(state="queued")
    assert {m.flag.rule.slug for m in queued} == {"seizure"}
    assert queued.count() == 3  # each channel of its first reminder
    jaundice = Message.objects.get(flag__rule__slug="jaundice", sequence=1, channel="email")
    assert jaundice.state == "pending" and jaundice.due_at <= timezone.now()
    assert jaundice.pk in sweep()
