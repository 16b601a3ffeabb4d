"""/healthz tells the truth about delivery, and /metrics gives operators the
same figures from the database.

A worker that fails every task leaves its messages queued; the sweep puts
them back and claims them again, so a fresh sweep proves nothing. Health
fails on the oldest due message not sent, and recovers only when it is."""

import datetime as dt
import socket

import pytest
import time_machine
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from followup import health, tasks
from followup.models import Attempt, Heartbeat, Message
from followup.reminders.delivery import deliver
from followup.reminders.sweep import sweep
from tracker.models import Flag, Rule

TOKEN = "s3cret-metrics-token-for-tests-0123456789"


def message(survivor, *, due_at, state="pending", channel="email", key="", urgent=False):
    return Message.objects.create(
        kind=Message.Kind.CHECKIN,
        channel=channel,
        recipient=survivor,
        survivor=survivor,
        clinic=survivor.clinic,
        dedupe_key=key or f"health:{due_at.isoformat()}:{state}:{channel}",
        urgent=urgent,
        due_at=due_at,
        state=state,
        state_changed_at=due_at,
    )


def a_worker_failing_every_task(monkeypatch, ids):
    """What a worker with a dead database connection does with each task:
    it raises before it can claim the row, so the row stays queued."""

    def dead(message_id):
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patched:
        patched.setattr("followup.reminders.delivery._claim", dead)
        for pk in ids:
            with pytest.raises(OperationalError):
                tasks.deliver_message(pk)


def healthz(client):
    response = client.get(reverse("healthz"))
    return response.status_code, response.json()


def test_it_fails_on_a_due_message_stuck_unsent_though_the_sweep_is_fresh(client, survivor, monkeypatch):
    start = timezone.now()
    stuck = message(survivor, due_at=start - dt.timedelta(seconds=30))
    with time_machine.travel(start, tick=False):
        ids = sweep()
        assert ids == [stuck.pk]
        a_worker_failing_every_task(monkeypatch, ids)
        assert healthz(client)[0] == 200  # 30 s late: within one sweep
    for minutes in (1, 2, 3, 4):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            a_worker_failing_every_task(monkeypatch, sweep())
    with time_machine.travel(start + dt.timedelta(minutes=4, seconds=5), tick=False):
        status, body = healthz(client)
    assert status == 503 and body["status"] == "unhealthy" and body["problems"] == ["delivery"]
    assert body["sweep"]["seconds_ago"] == 5  # the sweep ran, and ran to the end
    assert body["delivery"]["oldest_due_unsent_seconds"] == 4 * 60 + 35
    assert Message.objects.get(pk=stuck.pk).state in ("pending", "queued")


def test_it_recovers_when_the_message_is_delivered_not_when_a_sweep_runs(client, survivor, monkeypatch):
    start = timezone.now()
    stuck = message(survivor, due_at=start - dt.timedelta(minutes=10))
    with time_machine.travel(start, tick=False):
        a_worker_failing_every_task(monkeypatch, sweep())
        assert healthz(client)[0] == 503
    later = start + dt.timedelta(minutes=3)
    with time_machine.travel(later, tick=False):
        ids = sweep()  # puts it back and claims it again
        assert ids == [stuck.pk]
        status, body = healthz(client)
        assert status == 503 and body["problems"] == ["delivery"]
        assert deliver(message_id=stuck.pk) == "sent"
        status, body = healthz(client)
    assert status == 200 and body["problems"] == [] and body["delivery"]["oldest_due_unsent_seconds"] == 0


def test_the_oldest_due_age_grows_while_nothing_is_delivered(survivor, monkeypatch):
    start = timezone.now()
    message(survivor, due_at=start)
    ages = []
    for minutes in range(0, 8):
        now = start + dt.timedelta(minutes=minutes)
        with time_machine.travel(now, tick=False):
            a_worker_failing_every_task(monkeypatch, sweep())
            ages.append(health.oldest_due_unsent_seconds(now=now))
    # Requeued after 120 s and claimed again, it never looks new.
    assert ages == [60.0 * minutes for minutes in range(0, 8)]


def test_a_message_deferred_for_quiet_hours_is_not_late(client, survivor):
    survivor.time_zone = "Asia/Tokyo"  # 00:00 there: quiet hours
    survivor.save(update_fields=["time_zone"])
    routine = message(survivor, due_at=timezone.now() - dt.timedelta(minutes=10))
    sweep()
    routine.refresh_from_db()
    assert routine.state == "pending" and routine.due_at > timezone.now()
    assert healthz(client)[0] == 200


def test_it_is_503_when_the_last_sweep_failed_midway(client, survivor, monkeypatch):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sweep()
        assert healthz(client)[0] == 200

    def broken(**kwargs):
        raise OperationalError("the database went away mid-sweep")

    monkeypatch.setattr("followup.reminders.sweep.claim_due", broken)
    later = start + dt.timedelta(minutes=4)
    with time_machine.travel(later, tick=False):
        with pytest.raises(OperationalError):
            sweep()
        status, body = healthz(client)
    assert status == 503 and body["problems"] == ["sweep"]
    assert body["sweep"]["seconds_ago"] == 4 * 60
    assert Heartbeat.objects.get(name="sweep").at == start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def database_down(settings):
    """The next query finds nothing listening where the database was. Its
    test must be transactional (no test transaction holds the connection)
    with serialized_rollback, so that the flush after it puts the migrated
    data back for the tests that follow."""
    settings.METRICS_TOKEN = TOKEN
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_database_error_is_a_503_with_json_not_an_error_page(client, database_down):
    status, body = healthz(client)
    assert status == 503 and body["problems"] == ["database"]
    assert body["database"] == "error: OperationalError" and body["broker"] == "ok"
    response = client.get(reverse("metrics"), headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert scrape_values(response) == {("followup_database_up", ()): 0.0}


def test_healthz_shows_figures_only_no_survivor(client, survivor):
    message(survivor, due_at=timezone.now() - dt.timedelta(minutes=10))
    body = client.get(reverse("healthz")).content.decode()
    for private in (survivor.full_name, survivor.email, "checkin", "email"):
        assert private not in body


def plans_of(figure) -> list[str]:
    """The plans PostgreSQL makes for a figure's queries. The test tables are
    nearly empty, so with table scans priced out only a query that matches an
    index's condition gets an index plan."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        figure()
    plans = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for query in queries.captured_queries:
            cursor.execute("EXPLAIN " + query["sql"])
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans")
def test_the_figures_read_indexes_not_tables(db):
    now = timezone.now()
    pending, in_flight = plans_of(lambda: health.oldest_due_unsent_seconds(now=now))
    assert "Index Only Scan using message_pending_due" in pending
    assert "Index Only Scan using message_inflight_due" in in_flight
    [attempts] = plans_of(lambda: health.attempts_by_outcome(since=now - dt.timedelta(days=1)))
    assert "Bitmap Index Scan on attempt_at_brin" in attempts


# ------------------------------------------------------------------ /metrics


def scrape(client, token=TOKEN):
    return client.get(reverse("metrics"), headers={"Authorization": f"Bearer {token}"})


def scrape_values(response) -> dict:
    text = response.content.decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_is_not_found_without_a_token_configured(client, settings, db):
    settings.METRICS_TOKEN = ""
    assert client.get(reverse("metrics")).status_code == 404
    assert scrape(client, token="").status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", f"Bearer {TOKEN}x", f"Basic {TOKEN}", f"bearer{TOKEN}", TOKEN],
)
def test_metrics_refuses_a_missing_or_wrong_token(client, settings, db, authorization):
    settings.METRICS_TOKEN = TOKEN
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get(reverse("metrics"), headers=headers)
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert b"followup_" not in response.content


def test_metrics_figures_match_the_rows(client, settings, survivor, same_clinic_survivor, default_rules):
    settings.METRICS_TOKEN = TOKEN
    now = timezone.now()
    minutes = lambda n: now - dt.timedelta(minutes=n)  # noqa: E731
    for state, due in [
        ("pending", minutes(10)),
        ("pending", minutes(2)),
        ("pending", now + dt.timedelta(days=3)),  # not due
        ("queued", minutes(3)),
        ("sending", minutes(1)),
        ("sent", minutes(20)),
        ("failed", minutes(30)),
        ("cancelled", minutes(40)),
    ]:
        message(survivor, due_at=due, state=state)
    sent = Message.objects.get(state="sent")
    for at, channel, outcome in [
        (minutes(5), "email", "sent"),
        (minutes(50), "email", "sent"),
        (minutes(120), "sms", "transient"),
        (minutes(23 * 60), "in_app", "sent"),
        (minutes(30 * 60), "email", "permanent"),  # older than a day
    ]:
        Attempt.objects.create(message=sent, at=at, channel=channel, outcome=outcome, duration_ms=5)
    rules = iter(Rule.objects.order_by("slug"))
    for who, tier, status, review_by in [
        (survivor, "urgent", "open", minutes(1)),
        (survivor, "emergency", "open", minutes(90)),
        (same_clinic_survivor, "urgent", "open", minutes(5)),
        (survivor, "emergency", "open", now + dt.timedelta(minutes=30)),  # not yet
        (survivor, "routine", "closed", minutes(60)),  # closed
    ]:
        rule = next(rules)
        flag = Flag.objects.create(survivor=who, rule=rule, rule_version=rule.current, tier=tier, evidence="x")
        Flag.objects.filter(pk=flag.pk).update(status=status, review_by=review_by)
    Heartbeat.objects.create(name="sweep", at=now - dt.timedelta(seconds=42))

    with time_machine.travel(now, tick=False):
        response = scrape(client)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    values = scrape_values(response)
    assert values[("followup_database_up", ())] == 1
    assert values[("followup_oldest_due_unsent_seconds", ())] == 600
    assert values[("followup_sweep_lag_seconds", ())] == 42
    due = {labels[0][1]: v for (name, labels), v in values.items() if name == "followup_messages_due_unsent"}
    assert due == {"pending": 2, "queued": 1, "sending": 1}
    for window, expected in [
        ("last_hour", {("email", "sent"): 2}),
        ("last_day", {("email", "sent"): 2, ("sms", "transient"): 1, ("in_app", "sent"): 1}),
    ]:
        got = {
            (dict(labels)["channel"], dict(labels)["outcome"]): v
            for (name, labels), v in values.items()
            if name == f"followup_delivery_attempts_{window}"
        }
        assert len(got) == 9  # every channel and outcome, zeros included
        assert {pair: v for pair, v in got.items() if v} == expected
    flags = {labels[0][1]: v for (name, labels), v in values.items() if name == "followup_flags_past_review"}
    assert flags == {"emergency": 1, "urgent": 2, "routine": 0}


def test_metrics_are_read_from_the_database_at_each_scrape(client, settings, survivor):
    settings.METRICS_TOKEN = TOKEN
    first = scrape_values(scrape(client))
    assert first[("followup_sweep_lag_seconds", ())] == float("inf")  # never swept
    assert first[("followup_messages_due_unsent", (("state", "queued"),))] == 0
    # Another process (a worker, a beat) writes rows; this one reads them.
    Heartbeat.objects.create(name="sweep", at=timezone.now())
    message(survivor, due_at=timezone.now() - dt.timedelta(minutes=1), state="queued")
    second = scrape_values(scrape(client))
    assert second[("followup_sweep_lag_seconds", ())] < 5
    assert second[("followup_messages_due_unsent", (("state", "queued"),))] == 1
