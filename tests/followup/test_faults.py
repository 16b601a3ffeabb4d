"""Fault tests: real worker and beat processes, a private redis-server on a
free port (the shared Redis is never touched), the real PostgreSQL."""

import datetime as dt
import time
import uuid
import zoneinfo

import pytest
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from followup.models import Attempt, Message
from tests.factories import ClinicFactory, NurseFactory, SurvivorFactory, entry, record_checkin
from tests.faults import cluster, midday_zone, midnight_zone, wait_for
from tracker.models import Flag
from tracker.services.rules import rules_load_defaults

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def daytime_in_new_york():
    """Overrides the package fixture: these tests run on the real clock,
    like the worker and beat processes they start."""
    yield


@pytest.fixture
def daytime_survivor():
    clinic = ClinicFactory()
    NurseFactory(clinics=[clinic])
    return SurvivorFactory(
        clinic=clinic, time_zone=midday_zone(), enrolled_on=timezone.localdate() - dt.timedelta(days=30)
    )


def report(survivor, code="jaundice", site=None):
    record_checkin(survivor, entry(code, site, 6, True, True, started_on=timezone.localdate()))
    return Flag.objects.filter(survivor=survivor).latest("created_at")


def sent_count(**filters) -> int:
    return Attempt.objects.filter(outcome="sent", **{f"message__{k}": v for k, v in filters.items()}).count()


def first_reminder(flag, channel="email") -> Message:
    return Message.objects.get(flag=flag, kind="reminder", sequence=1, channel=channel)


def test_1_broker_down_checkin_is_fast_and_the_reminder_follows_exactly_once(client, daytime_survivor, tmp_path):
    rules_load_defaults()
    with cluster(tmp_path, redis_running=False) as c:
        c.worker()
        c.beat()
        client.force_login(daytime_survivor)
        data = {
            "entry-TOTAL_FORMS": "1",
            "entry-INITIAL_FORMS": "0",
            "entry-MIN_NUM_FORMS": "1",
            "entry-MAX_NUM_FORMS": "10",
            "submission_token": str(uuid.uuid4()),
            "entry-0-symptom": "jaundice",
            "entry-0-body_site": "",
            "entry-0-severity": "5",
            "entry-0-is_new": "yes",
            "entry-0-is_worse": "no",
            # Her own today: the form refuses a day after hers (midnight UTC is not hers).
            "entry-0-started_on": timezone.localdate(
                timezone=zoneinfo.ZoneInfo(daytime_survivor.time_zone)
            ).isoformat(),
            "entry-0-note": "",
        }
        started = time.monotonic()
        response = client.post(reverse("checkin_create"), data)
        elapsed = time.monotonic() - started
        assert response.status_code == 302 and elapsed < 2, elapsed
        flag = Flag.objects.get(survivor=daytime_survivor, rule__slug="jaundice")
        assert flag.tier == "urgent"
        time.sleep(3)
        assert sent_count(flag=flag) == 0  # nothing can go out without a broker
        c.redis.start()
        back = time.monotonic()
        wait_for(lambda: first_reminder(flag).state == "sent", timeout=60)
        assert time.monotonic() - back < 60
        time.sleep(4)  # a few more sweeps: nothing is sent twice
        assert sent_count(flag=flag, sequence=1, channel="email") == 1
        assert len([m for m in c.mails() if daytime_survivor.email in m]) == 1


def test_2_kill_9_while_sending_still_delivers_with_at_most_one_duplicate(daytime_survivor, tmp_path):
    rules_load_defaults()
    with cluster(tmp_path, FAULT_SEND_DELAY=4) as c:
        worker = c.worker("w1")
        c.beat()
        flag = report(daytime_survivor)
        message = first_reminder(flag)
        wait_for(lambda: Message.objects.get(pk=message.pk).state == "sending", timeout=30)
        c.kill(worker)
        assert Message.objects.get(pk=message.pk).state == "sending"
        c.worker("w2")
        wait_for(lambda: Message.objects.get(pk=message.pk).state == "sent", timeout=60)
        delivered = [m for m in c.mails() if daytime_survivor.email in m and "contact your care team" in m]
        assert 1 <= len(delivered) <= 2
        assert 1 <= sent_count(pk=message.pk) <= 2


def test_3_two_beats_and_two_workers_send_each_message_exactly_once(tmp_path):
    clinic = ClinicFactory()
    survivors = [SurvivorFactory(clinic=clinic, time_zone=midday_zone()) for _ in range(40)]
    now = timezone.now()
    Message.objects.bulk_create(
        [
            Message(
                kind="checkin",
                channel=channel,
                recipient=s,
                survivor=s,
                clinic=clinic,
                iso_week="2026-W01",
                dedupe_key=f"checkin:{s.pk}:load:{channel}",
                due_at=now,
                state_changed_at=now,
            )
            for s in survivors
            for channel in ("email", "in_app")
        ]
    )
    total = len(survivors) * 2
    with cluster(tmp_path) as c:
        c.worker("w1", concurrency=2)
        c.worker("w2", concurrency=2)
        c.beat("b1")
        c.beat("b2")
        wait_for(
            lambda: Message.objects.filter(dedupe_key__contains=":load:", state="sent").count() == total, timeout=90
        )
        time.sleep(3)
    per_message = Attempt.objects.filter(outcome="sent", message__dedupe_key__contains=":load:").values("message")
    counts = per_message.annotate(n=Count("id")).values_list("n", flat=True)
    assert len(counts) == total and set(counts) == {1}
    assert len([m for m in c.mails() if "weekly check-in" in m]) == len(survivors)


def test_4_a_flushed_broker_loses_nothing(tmp_path):
    clinic = ClinicFactory()
    survivors = [SurvivorFactory(clinic=clinic, time_zone=midday_zone()) for _ in range(10)]
    now = timezone.now()
    Message.objects.bulk_create(
        [
            Message(
                kind="checkin",
                channel="email",
                recipient=s,
                survivor=s,
                clinic=clinic,
                iso_week="2026-W01",
                dedupe_key=f"checkin:{s.pk}:flush",
                due_at=now,
                state_changed_at=now,
            )
            for s in survivors
        ]
    )
    rows = Message.objects.filter(dedupe_key__endswith=":flush")
    with cluster(tmp_path) as c:
        import redis

        from config.celery import app
        from followup.reminders.sweep import claim_due

        # A sweep queues the rows and their tasks reach the broker (the
        # private one), but no worker takes them yet.
        queued = claim_due(now=timezone.now(), batch=100)
        assert sorted(queued) == sorted(rows.values_list("pk", flat=True))
        with app.connection_for_write(c.redis.url) as conn:
            for pk in queued:
                app.send_task("followup.tasks.deliver_message", args=[pk], connection=conn)
        assert redis.Redis(port=c.redis.port).llen("celery") == 10
        c.redis.flush()  # every queued task is gone
        assert redis.Redis(port=c.redis.port).llen("celery") == 0
        c.worker()
        c.beat()
        wait_for(lambda: rows.filter(state="sent").count() == 10, timeout=60)
    assert set(Attempt.objects.filter(message__in=rows, outcome="sent").values_list("message", flat=True)) == set(
        rows.values_list("pk", flat=True)
    )
    assert Attempt.objects.filter(message__in=rows, outcome="sent").count() == 10


def test_5_a_rolled_back_flag_leaves_no_message_and_sends_nothing(daytime_survivor, tmp_path):
    rules_load_defaults()
    with cluster(tmp_path) as c:
        c.worker()
        c.beat()
        with pytest.raises(RuntimeError):
            from django.db import transaction

            with transaction.atomic():
                report(daytime_survivor, code="seizure")
                assert Message.objects.filter(kind="reminder").exists()
                raise RuntimeError("roll back")
        time.sleep(4)
    assert not Message.objects.filter(kind="reminder").exists()
    assert not Flag.objects.exists()
    assert not Attempt.objects.exists()
    assert c.mails() == []


def test_6_confirming_contact_stops_the_reminders(daytime_survivor, tmp_path):
    rules_load_defaults()
    with cluster(tmp_path) as c:
        c.worker()
        c.beat()
        flag = report(daytime_survivor)
        wait_for(lambda: first_reminder(flag).state == "sent", timeout=30)
        from followup.reminders.loop import flag_survivor_confirm_contact

        flag_survivor_confirm_contact(flag=flag, survivor=daytime_survivor)
        confirmed = timezone.now()
        # Make every later reminder due now: none may go out.
        Message.objects.filter(flag=flag, sequence__gt=1).update(due_at=timezone.now())
        time.sleep(5)
    late = Attempt.objects.filter(message__flag=flag, outcome="sent", at__gt=confirmed, message__sequence__gt=1)
    assert not late.exists()
    assert set(Message.objects.filter(flag=flag, sequence__gt=1).values_list("state", flat=True)) == {"cancelled"}


def test_7_quiet_hours_hold_for_real_processes_and_escalation_fires_once(tmp_path):
    rules_load_defaults()
    clinic = ClinicFactory()
    nurses = [NurseFactory(clinics=[clinic]) for _ in range(2)]
    asleep = SurvivorFactory(clinic=clinic, time_zone=midnight_zone())
    urgent = report(asleep, code="jaundice")
    emergency = report(asleep, code="seizure")
    raised = timezone.now() - dt.timedelta(hours=2)
    Flag.objects.filter(pk=emergency.pk).update(created_at=raised, review_by=raised + dt.timedelta(hours=1))
    with cluster(tmp_path) as c:
        c.worker()
        c.beat()
        wait_for(lambda: first_reminder(emergency).state == "sent", timeout=30)
        wait_for(lambda: Message.objects.filter(kind="escalation", state="sent").count() == 2, timeout=30)
        time.sleep(4)  # more sweeps: no second escalation
    assert first_reminder(urgent).state == "pending"  # waits for 08:00 in her zone
    assert first_reminder(urgent).due_at > timezone.now()
    escalations = Message.objects.filter(kind="escalation", flag=emergency)
    assert sorted(escalations.values_list("recipient", flat=True)) == sorted(n.pk for n in nurses)
    assert sent_count(kind="escalation") == 2


def test_8_a_hung_text_provider_ends_in_failed_attempts_and_does_not_hold_the_worker(daytime_survivor, tmp_path):
    """The provider ignores its timeout and sleeps: the task's soft time
    limit ends each try as a failed attempt, the tries run out, the message
    is failed (on the Messages page), and the email still goes out."""
    from followup.models import Preferences

    rules_load_defaults()
    Preferences.objects.create(survivor=daytime_survivor, sms_on=True, phone="+1 555 0100 200")
    hung = {
        "SMS_BACKEND": "tests.followup.test_resilience.HangingSms",
        "FOLLOWUP_SEND_SOFT_LIMIT": 2,
        "FOLLOWUP_SEND_HARD_LIMIT": 4,
        "FOLLOWUP_MAX_TRIES": 2,
        "FOLLOWUP_RETRY_BASE_SECONDS": 1,
    }
    with cluster(tmp_path, **hung) as c:
        c.worker("w1")
        c.beat()
        flag = report(daytime_survivor)
        wait_for(lambda: first_reminder(flag, channel="email").state == "sent", timeout=30)
        sms = first_reminder(flag, channel="sms")
        wait_for(lambda: Message.objects.get(pk=sms.pk).state == "failed", timeout=60)
        attempts = list(Attempt.objects.filter(message=sms).values_list("outcome", "detail"))
        assert attempts == [("transient", "sms: SoftTimeLimitExceeded")] * 2


def test_9_a_missed_plan_item_is_reminded_once_through_a_killed_worker(daytime_survivor, tmp_path):
    """Her plan (issue 15): beat's sweep marks a closed item missed and
    writes its reminder rows in the same transaction; the worker sending the
    email is killed mid-send; a second worker sends it after the sweep puts
    it back. The item is marked once and the reminder written once; it is
    sent at least once and at most twice (kill -9 mid-send, as test 2)."""
    from tests.followup.plan_world import item_for, plan_for
    from tracker.models import PlanChange

    nurse = NurseFactory(clinics=[daytime_survivor.clinic])
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(daytime_survivor.time_zone))
    item = item_for(
        plan_for(daytime_survivor, nurse),
        opens_on=today - dt.timedelta(days=90),
        due_by=today - dt.timedelta(days=2),
        kind="mammogram",
    )
    with cluster(tmp_path, FAULT_SEND_DELAY=4) as c:
        worker = c.worker("w1")
        c.beat()

        def reminder():
            return Message.objects.filter(plan_item=item, kind="plan_missed", channel="email").first()

        wait_for(lambda: reminder() is not None and reminder().state == "sending", timeout=60)
        message = reminder()
        c.kill(worker)
        assert Message.objects.get(pk=message.pk).state == "sending"
        c.worker("w2")
        wait_for(lambda: Message.objects.get(pk=message.pk).state == "sent", timeout=90)
        delivered = [m for m in c.mails() if daytime_survivor.email in m and "overdue" in m]
        assert 1 <= len(delivered) <= 2
        assert all("mammogram" not in m.lower() for m in delivered)
        assert 1 <= sent_count(pk=message.pk) <= 2
        assert Message.objects.filter(plan_item=item, kind="plan_missed").count() == 2  # email, in-app
        assert PlanChange.objects.filter(item=item, action="missed").count() == 1
