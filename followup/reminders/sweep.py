"""What is due, found by PostgreSQL, not by the broker: the sweep that beat
runs every minute (this week's check-in reminders written, flags no nurse
opened in time escalated, messages stuck in queued or sending put back, due
messages claimed and enqueued after commit, the heartbeat /healthz reads)
and its emergency lane every few seconds (sweep_urgent). Sending one message
is delivery.py's; the tasks are followup/tasks.py's.

At-least-once: a message whose worker died mid-send (or whose task the broker
lost) is found again by the sweep and sent again. For clinical reminders a
rare duplicate is better than a miss. In the normal course the dedupe key and
the conditional claims make a second send impossible.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from tracker import scope
from tracker.models import Flag
from tracker.services.plan_horizon import plans_extend
from tracker.services.plans import plan_items_mark_missed

from ..models import Attempt, Channel, FlagFollowup, Heartbeat, Message
from .delivery import enqueue
from .preferences import quiet_until
from .schedule import checkins_schedule

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ the sweep


# Well inside the sweep task's soft time limit (followup/tasks.py).
SWEEP_CLAIM_SECONDS = 30
# Her plan's missed items: a backlog is finished by the next sweeps.
SWEEP_PLANS_SECONDS = 10
# Plans extended a call (each its own transaction, a few statements and
# her new items' reminders).
EXTEND_BATCH = 100


def sweep(*, now: dt.datetime | None = None, batch: int = 500) -> list[int]:
    """Beat runs this every minute. Each step is idempotent; a second beat
    running at the same time claims nothing twice (skip_locked).

    1. Write this week's check-in reminders and nudges that are missing.
    2. Escalate flags no nurse opened in time (once per breach).
    3. Mark her plan's items missed once their window (and booking) has
       passed (plans_check): the "missed" reminder is written with them,
       due now, so step 5 of this same sweep claims it. Extend the plans
       short of their two-year horizon.
    4. Put back messages stuck in queued or sending (lost task, dead worker).
    5. Claim due messages: defer the ones in her quiet hours, queue the rest
       and enqueue one task each after commit; batch after batch while a
       full one comes back, for up to SWEEP_CLAIM_SECONDS (everyone's weekly
       check-in falls due at 10:00 on Mondays: one batch a minute would
       leave thousands waiting for hours).
    6. Note the completed run for /healthz: last, so that a sweep failing
       midway leaves the previous one's time and the sweep lag grows.
    Returns the ids queued."""
    now = now or timezone.now()
    checkins_schedule(now=now)
    escalations_check(now=now)
    plans_check(now=now, batch=batch, until=time.monotonic() + SWEEP_PLANS_SECONDS)
    requeue_stuck(now=now)
    queued: list[int] = []
    until = time.monotonic() + SWEEP_CLAIM_SECONDS
    while True:
        claimed = claim_due(now=now, batch=batch)
        queued += claimed
        if len(claimed) < batch or time.monotonic() > until:
            break
    Heartbeat.objects.update_or_create(name="sweep", defaults={"at": now})
    return queued


def plans_check(*, now: dt.datetime, batch: int, until: float) -> int:
    """Her plans, for up to SWEEP_PLANS_SECONDS, batch after batch (each
    through tracker's services, which send plan_items_changed:
    followup/reminders/plan.py writes the reminders in the same commit):

    1. items missed since the last sweep (their missed reminder);
    2. plans short of their two-year horizon get their next windows
       (plans_extend; their "time to book" reminders), EXTEND_BATCH plans
       at a time: a plan is heavier than an item, and nothing is late by a
       minute (a plan is extended a month before it runs short).
    Each at least once a sweep, so a backlog of one (the first sweep after
    a long outage) does not starve the other; the rest is finished by the
    next sweeps. A failure in either is logged and the sweep goes on: a
    broken plan must not cost anyone her flag reminders. Returns how many
    items were marked missed and plans extended."""
    return _plan_batches(plan_items_mark_missed, "marking missed plan items", now=now, batch=batch, until=until) + (
        _plan_batches(plans_extend, "extending plans", now=now, batch=min(batch, EXTEND_BATCH), until=until)
    )


def _plan_batches(step: Callable[..., int], what: str, *, now: dt.datetime, batch: int, until: float) -> int:
    done = 0
    while True:
        try:
            count = step(now=now, batch=batch)
        except Exception:  # noqa: BLE001 - isolated: the steps after it must run
            log.exception("%s failed; the next sweep tries again", what)
            return done
        done += count
        if count < batch or time.monotonic() > until:
            return done


def sweep_urgent(*, now: dt.datetime | None = None, batch: int = 500) -> list[int]:
    """Beat runs this every few seconds: the emergency lane of the sweep.
    Emergency messages put back after a lost task or a dead worker, and any
    emergency message due, are queued within seconds, not at the next full
    sweep. Two index-backed statements when there is nothing to do."""
    now = now or timezone.now()
    requeue_stuck(now=now, urgent_only=True)
    return claim_due(now=now, batch=batch, urgent_only=True)


def claim_due(*, now: dt.datetime, batch: int, urgent_only: bool = False) -> list[int]:
    # followup.tasks imports this module to call it: imported here, at call
    # time, to break the cycle.
    from .. import tasks

    queued: list[int] = []
    with transaction.atomic():
        due = Message.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            state=Message.State.PENDING, due_at__lte=now
        )
        if urgent_only:
            due = due.filter(urgent=True)
        rows = due.order_by("due_at", "id").values_list("id", "urgent", "recipient__time_zone")[:batch]
        later: dict[int, dt.datetime] = {}
        for pk, urgent, time_zone in rows:
            resume = None if urgent else quiet_until(time_zone, now)
            if resume is not None:
                later[pk] = resume
            else:
                queued.append(pk)
        for pk, resume in later.items():
            Message.objects.filter(pk=pk).update(due_at=resume)
        Message.objects.filter(pk__in=queued).update(state=Message.State.QUEUED, state_changed_at=now)
        transaction.on_commit(lambda: enqueue(tasks.deliver_message, queued))
    return queued


def requeue_stuck(*, now: dt.datetime, urgent_only: bool = False) -> int:
    """Put back messages stuck in queued (task lost) or sending (worker
    died): emergencies after seconds, the rest after minutes. A message that
    has used all its tries is failed instead, with an attempt row saying so,
    so that it shows on the Messages page rather than cycling for ever."""
    stuck = _stuck(now, urgent=True)
    if not urgent_only:
        stuck |= _stuck(now, urgent=False)
    rows = Message.objects.filter(stuck)
    spent = list(
        rows.filter(tries__gte=settings.FOLLOWUP_MAX_TRIES, state=Message.State.SENDING).values_list("id", "channel")
    )
    if spent:
        with transaction.atomic():
            failed = Message.objects.filter(pk__in=[pk for pk, _ in spent], state=Message.State.SENDING).update(
                state=Message.State.FAILED, state_changed_at=now, last_error=NO_OUTCOME
            )
            Attempt.objects.bulk_create(
                Attempt(
                    message_id=pk,
                    at=now,
                    channel=channel,
                    outcome=Attempt.Outcome.TRANSIENT,
                    duration_ms=0,
                    detail=NO_OUTCOME,
                )
                for pk, channel in spent
            )
        log.warning("%d message(s) failed: no outcome after %d tries", failed, settings.FOLLOWUP_MAX_TRIES)
    count = rows.update(state=Message.State.PENDING, state_changed_at=now)
    if count:
        log.warning("requeued %d message(s) stuck in queued/sending", count)
    return count


NO_OUTCOME = "no outcome: the worker stopped while sending"


def _stuck(now: dt.datetime, *, urgent: bool) -> Q:
    if urgent:
        queued_for, sending_for = settings.FOLLOWUP_URGENT_QUEUED_TIMEOUT, settings.FOLLOWUP_URGENT_SENDING_TIMEOUT
    else:
        queued_for, sending_for = settings.FOLLOWUP_QUEUED_TIMEOUT, settings.FOLLOWUP_SENDING_TIMEOUT
    return Q(urgent=urgent) & (
        Q(state=Message.State.QUEUED, state_changed_at__lt=now - dt.timedelta(seconds=queued_for))
        | Q(state=Message.State.SENDING, state_changed_at__lt=now - dt.timedelta(seconds=sending_for))
    )


# ------------------------------------------------------------------ escalation


def escalations_check(*, now: dt.datetime) -> int:
    """Flags no nurse opened within their tier's time: mark overdue and email
    the clinic's nurses, once per breach (per tier reached)."""
    escalated = 0
    # The flag keeps its own review deadline (tracker.Flag.review_by), moved
    # with its tier; a raised tier is a new breach.
    flags = (
        Flag.objects.filter(status=Flag.Status.OPEN, review_by__lte=now)
        .filter(followup__first_opened_at__isnull=True)
        .exclude(followup__escalated_tier=F("tier"))
        .select_related("survivor__clinic")
    )
    for flag in flags:
        tier = flag.tier
        with transaction.atomic():
            followup = FlagFollowup.objects.select_for_update().filter(flag=flag).first()
            if followup is None:
                # Written with the flag's reminders (schedule.py), or by
                # migration 0005 for older flags: a bug, one flag's, which
                # must not stop the others' escalation or the sweep.
                log.error("flag %s has no follow-up row: not escalated", flag.pk)
                continue
            if followup.escalated_tier == tier or followup.first_opened_at:
                continue
            followup.escalated_tier = tier
            followup.overdue_at = followup.overdue_at or now
            followup.save(update_fields=["escalated_tier", "overdue_at"])
            clinic_id = flag.survivor.clinic_id
            assert clinic_id is not None  # a survivor has a clinic (constraint survivor_has_clinic)
            nurses = scope.nurses_of(clinic_id)
            Message.objects.bulk_create(
                [
                    Message(
                        kind=Message.Kind.ESCALATION,
                        channel=Channel.EMAIL,
                        recipient=nurse,
                        survivor=flag.survivor,
                        clinic_id=clinic_id,
                        flag=flag,
                        dedupe_key=f"escalation:{flag.pk}:{tier}:{nurse.pk}",
                        urgent=True,
                        due_at=now,
                        state_changed_at=now,
                        created_at=now,
                    )
                    for nurse in nurses
                ],
                ignore_conflicts=True,
            )
            escalated += 1
    if escalated:
        log.warning("%d flag(s) overdue for review, nurses alerted", escalated)
    return escalated
