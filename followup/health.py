"""How the delivery pipeline is doing, in figures read from the database: the
one place that both /healthz (public) and the Prometheus collector (/metrics,
operators only) read, so the two never disagree.

Every figure comes from PostgreSQL at the time it is asked for, not from a
process's memory: any gunicorn worker gives the same answer, and a Celery
worker that fails every task cannot look healthy by staying silent. Each is an
index probe or an index range (followup/migrations/0004_health_index.py), so
a probe every few seconds costs nothing. All are aggregates: no survivor, no
health detail, no count per person."""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Min
from django.utils import timezone

from config.celery import app
from tracker.models import Flag, Tier

from .models import Attempt, Channel, Heartbeat, Message

SWEEP = "sweep"
IN_FLIGHT = [Message.State.QUEUED, Message.State.SENDING]
# Not yet sent. Sent, failed and cancelled are final and pile up forever:
# counting them would read the whole table at every scrape (their rates are
# in the attempts by outcome). Pending rows not yet due are left out too: a
# week of check-ins ahead is over a million rows at 200,000 survivors
# (slow to count: bench/README.md), and nothing an operator acts on.
OPEN_STATES = [Message.State.PENDING, *IN_FLIGHT]
WINDOWS = {"last_hour": dt.timedelta(hours=1), "last_day": dt.timedelta(days=1)}


def oldest_due_unsent_seconds(*, now: dt.datetime) -> float:
    """How long the longest-waiting due message has gone unsent; 0 if none.

    Due and not sent: pending with due_at passed (the sweep has not claimed
    it), or queued or sending (claimed, but no worker finished it: a lost
    task, a dead worker, or a worker failing every task). The figure keeps
    growing until the message is sent, failed or cancelled: a sweep that
    only puts it back does not reset it. A message deferred for quiet hours
    or waiting for a retry has its due_at moved ahead, so it is not due.
    Two probes of partial indexes (message_pending_due, message_inflight_due)."""
    pending = Message.objects.filter(state=Message.State.PENDING, due_at__lte=now).aggregate(at=Min("due_at"))["at"]
    claimed = Message.objects.filter(state__in=IN_FLIGHT, due_at__lte=now).aggregate(at=Min("due_at"))["at"]
    oldest = min((at for at in (pending, claimed) if at is not None), default=None)
    return 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())


def last_sweep() -> dt.datetime | None:
    """When the last sweep that ran to the end started (reminders.sweep.sweep
    writes its heartbeat after its last step, so a sweep that failed midway
    leaves the previous one's)."""
    return Heartbeat.objects.filter(name=SWEEP).values_list("at", flat=True).first()


def messages_due_by_state(*, now: dt.datetime) -> dict[str, int]:
    """Due messages not yet sent, by state: the backlog, not the archive.
    Pending and in-flight are counted apart, each over its own partial index
    (one query on "state IN (...)" would read the whole table)."""
    counts = dict(
        Message.objects.filter(state__in=IN_FLIGHT, due_at__lte=now)
        .order_by()
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    counts[Message.State.PENDING] = Message.objects.filter(state=Message.State.PENDING, due_at__lte=now).count()
    return {state: counts.get(state, 0) for state in OPEN_STATES}


def attempts_by_outcome(*, since: dt.datetime) -> dict[tuple[str, str], int]:
    """Delivery attempts since then, by (channel, outcome), every pair present."""
    counts = {
        (channel, outcome): n
        for channel, outcome, n in Attempt.objects.filter(at__gte=since)
        .order_by()
        .values_list("channel", "outcome")
        .annotate(n=Count("id"))
        .values_list("channel", "outcome", "n")
    }
    return {(c, o): counts.get((c, o), 0) for c in Channel.values for o in Attempt.Outcome.values}


def flags_past_review(*, now: dt.datetime) -> dict[str, int]:
    """Open flags whose review deadline has passed, by tier (the queue's
    "overdue": review_by < now), from the flag_open_queue index."""
    counts = dict(
        Flag.objects.filter(status=Flag.Status.OPEN, review_by__lt=now)
        .order_by()
        .values_list("tier")
        .annotate(n=Count("id"))
        .values_list("tier", "n")
    )
    return {tier: counts.get(tier, 0) for tier in Tier.values}


@dataclass
class Report:
    """What /healthz says. `problems` names each check that failed."""

    database: str = "ok"
    broker: str = "ok"
    sweep: dict | str = "never ran"
    delivery: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def as_json(self) -> dict:
        return {
            "status": "ok" if self.healthy else "unhealthy",
            "problems": self.problems,
            "database": self.database,
            "broker": self.broker,
            "sweep": self.sweep,
            "delivery": self.delivery,
        }


def report(*, now: dt.datetime | None = None) -> Report:
    """The public health check: database, broker, sweep lag, oldest due
    unsent message. Any database error is reported, never raised."""
    now = now or timezone.now()
    result = Report()
    try:
        beat = last_sweep()
        oldest = oldest_due_unsent_seconds(now=now)
    except DatabaseError as error:
        result.database = f"error: {type(error).__name__}"
        result.sweep = "unknown"
        result.problems.append("database")
    else:
        sweep_limit = settings.FOLLOWUP_SWEEP_STALE_SECONDS
        delivery_limit = settings.FOLLOWUP_DELIVERY_STALE_SECONDS
        if beat is None:
            result.problems.append("sweep")
        else:
            lag = max(0.0, (now - beat).total_seconds())
            result.sweep = {"last_success": beat.isoformat(), "seconds_ago": round(lag), "limit": sweep_limit}
            if lag > sweep_limit:
                result.problems.append("sweep")
        result.delivery = {"oldest_due_unsent_seconds": round(oldest), "limit": delivery_limit}
        if oldest > delivery_limit:
            result.problems.append("delivery")
    result.broker = broker_status()
    if result.broker != "ok":
        result.problems.append("broker")
    return result


def broker_status() -> str:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as error:  # noqa: BLE001 - report any broker failure
        return f"error: {type(error).__name__}"
    return "ok"
