"""Every write of the follow-up app: scheduling messages, the sweep, delivery,
closing the loop. PostgreSQL holds the schedule; Celery only carries ids.

At-least-once: a message whose worker died mid-send (or whose task the broker
lost) is found again by the sweep and sent again. For clinical reminders a
rare duplicate is better than a miss. In the normal course the dedupe key and
the conditional claims make a second send impossible.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from tracker import services as tracker_services
from tracker.access import Refused
from tracker.db import prepared_cursor
from tracker.models import CheckIn, Flag, User
from tracker.rules.tiers import QUEUE_RANK

from . import cadence, channels, selectors
from .models import Attempt, Cadence, CallLog, Channel, FlagEvent, FlagFollowup, Heartbeat, Message, Preferences

log = logging.getLogger(__name__)

ALL_CHANNELS = [Channel.EMAIL, Channel.SMS, Channel.IN_APP]
OPEN_STATES = [Message.State.PENDING, Message.State.QUEUED]


def preferences_for(survivor: User) -> Preferences:
    prefs, _ = Preferences.objects.get_or_create(survivor=survivor)
    return prefs


def preferences_update(*, survivor: User, data: dict) -> Preferences:
    prefs = preferences_for(survivor)
    fields = ["email_on", "sms_on", "in_app_on", "phone", "checkin_weekday", "checkin_hour"]
    for name in fields:
        setattr(prefs, name, data[name])
    if prefs.email_on and prefs.email_failed_at and data.get("email_fixed"):
        prefs.email_failed_at = None
        fields.append("email_failed_at")
    prefs.full_clean()
    prefs.save(update_fields=fields)
    # A new weekday or hour applies from the next scheduled check-in.
    Message.objects.filter(
        recipient=survivor,
        kind__in=[Message.Kind.CHECKIN, Message.Kind.NUDGE],
        state=Message.State.PENDING,
        due_at__gt=timezone.now(),
    ).update(state=Message.State.CANCELLED, state_changed_at=timezone.now())
    return prefs


def cadence_plan(*, clinic_id: int, tier: str) -> cadence.Plan:
    """The clinic's cadence for the tier, or the default. A stored value out
    of the clinical range (a row older than its bounds, or written by hand)
    is clamped into it and logged: a reminder too far ahead once overflowed
    the date and failed the clinic's check-ins."""
    row = Cadence.objects.filter(clinic_id=clinic_id, tier=tier).first()
    if row is None:
        return cadence.DEFAULT_CADENCE[tier]
    first = min(max(row.first_after_minutes, 0), Cadence.MAX_FIRST_AFTER)
    every = min(max(row.every_minutes, Cadence.MIN_EVERY), Cadence.MAX_EVERY)
    count = min(max(row.max_count, Cadence.MIN_COUNT), Cadence.MAX_COUNT)
    if (first, every, count) != (row.first_after_minutes, row.every_minutes, row.max_count):
        log.warning("cadence %s (clinic %s, %s) is out of range; clamped", row.pk, clinic_id, tier)
    return cadence.Plan(dt.timedelta(minutes=first), dt.timedelta(minutes=every), count)


# ------------------------------------------------------------------ flags -> reminders


def reminders_schedule(*, flag: Flag, created: bool, tier_raised: bool) -> list[int]:
    return reminders_schedule_many(recorded=[(flag, created, tier_raised)])


def _sends_now(recorded: list[tuple[Flag, bool, bool]], now: dt.datetime) -> int | None:
    """The flag whose first reminders go the moment the check-in commits:
    her highest new (or raised) tier, if emergency, or urgent outside her
    quiet hours. One flag, not all: she needs one "contact your care team"
    at once, and publishing a dozen tasks doubled the time of a check-in
    that fired six rules (bench/README.md); the other flags' reminders are
    due too and go with the next sweep (emergency ones within seconds)."""
    opened = [flag for flag, created, raised in recorded if created or raised]
    if not opened:
        return None
    top = min(opened, key=lambda flag: QUEUE_RANK[flag.tier])
    if top.tier == "emergency":
        return top.pk
    if top.tier == "urgent" and quiet_until(top.survivor.time_zone, now) is None:
        return top.pk
    return None


# PostgreSQL: the follow-up rows of a check-in's flags and every reminder row
# of the flags it opened, at each clinic's cadence for the tier (or the
# default one), in one statement (data-modifying CTEs), with no model
# objects. This runs inside every check-in that raises a flag; the ORM batch
# below took four to six statements and ~20 objects a flag (bench/README.md,
# "Evaluation on the full bench database").
_REMINDERS_NEW_FLAGS_SQL = """
WITH followup AS (
    INSERT INTO followup_flagfollowup (flag_id, escalated_tier)
    SELECT id, '' FROM unnest(%(every_flag)s::bigint[]) AS a(id)
    ON CONFLICT (flag_id) DO NOTHING
), plan AS (
    SELECT f.id, f.tier, f.survivor_id, f.clinic_id, f.send_now, f.k,
           COALESCE(c.first_after_minutes::bigint * 60, d.first_s) AS first_s,
           COALESCE(c.every_minutes::bigint * 60, d.every_s) AS every_s,
           COALESCE(c.max_count, d.max_count) AS max_count
      FROM unnest(%(flag)s::bigint[], %(tier)s::varchar[], %(survivor)s::bigint[], %(clinic)s::bigint[],
                  %(send_now)s::boolean[])
           WITH ORDINALITY AS f(id, tier, survivor_id, clinic_id, send_now, k)
      JOIN unnest(%(default_tier)s::varchar[], %(default_first)s::bigint[], %(default_every)s::bigint[],
                  %(default_count)s::integer[]) AS d(tier, first_s, every_s, max_count) ON d.tier = f.tier
      LEFT JOIN LATERAL (
            SELECT first_after_minutes, every_minutes, max_count FROM followup_cadence
             WHERE clinic_id = f.clinic_id AND tier = f.tier ORDER BY id LIMIT 1) c ON true
     WHERE NOT EXISTS (
            SELECT FROM followup_flagfollowup x WHERE x.flag_id = f.id
               AND (x.survivor_contacted_at IS NOT NULL OR x.nurse_contacted_at IS NOT NULL))
), inserted AS (
INSERT INTO followup_message (kind, channel, recipient_id, survivor_id, clinic_id, flag_id, sequence, iso_week,
                              dedupe_key, urgent, due_at, state, state_changed_at, tries, sent_at, last_error,
                              dismissed_at, created_at)
SELECT 'reminder', ch.channel, plan.survivor_id, plan.survivor_id, plan.clinic_id, plan.id, 1 + n, '',
       'reminder:' || plan.id::text || ':' || (1 + n)::text || ':' || ch.channel, plan.tier = 'emergency',
       %(now)s + (plan.first_s + n * plan.every_s) * interval '1 second',
       'pending',
       %(now)s, 0, NULL, '', NULL, %(now)s
  FROM plan
 CROSS JOIN LATERAL generate_series(0, plan.max_count - 1) n
 CROSS JOIN unnest(%(channels)s::varchar[]) WITH ORDINALITY ch(channel, k)
 ORDER BY plan.k, n, ch.k
ON CONFLICT DO NOTHING
RETURNING id, flag_id, due_at
)
SELECT i.id FROM inserted i JOIN plan ON plan.id = i.flag_id WHERE plan.send_now AND i.due_at <= %(now)s ORDER BY i.id
"""


def reminders_schedule_many(*, recorded: list[tuple[Flag, bool, bool]]) -> list[int]:
    """Write the contact-your-provider reminders of a check-in's flags, in
    the check-in's transaction: one row per reminder and channel, at each
    tier's cadence. A raised tier replaces the pending ones with the faster
    cadence. Returns the ids of the reminders to send the moment the
    check-in commits (deliveries_send_now): the first ones of her highest
    tier's flag, if emergency, or urgent outside her quiet hours.

    1. One follow-up record per flag (the missing ones inserted).
    2. Each clinic and tier's cadence read once.
    3. Every reminder row in one insert: a check-in that fires six rules
       costs what one does, not six times (bench/README.md, issue 10).

    On PostgreSQL all of that is one statement for the flags the check-in
    opened or attached to; a raised tier (a new rule version, rare) takes the
    ORM path, as do other databases."""
    now = timezone.now()
    send_now = _sends_now(recorded, now)
    if connection.vendor != "postgresql":
        return _reminders_schedule_orm(recorded, now, send_now)
    raised = [item for item in recorded if item[2]]
    queued = _reminders_schedule_pg([item for item in recorded if not item[2]], now, send_now)
    return queued + (_reminders_schedule_orm(raised, now, send_now) if raised else [])


def _reminders_schedule_pg(
    recorded: list[tuple[Flag, bool, bool]], now: dt.datetime, send_now: int | None
) -> list[int]:
    if not recorded:
        return []
    new = [flag for flag, created, _ in recorded if created]
    tiers = list(cadence.DEFAULT_CADENCE)
    with connection.cursor() as cursor:
        cursor.execute(
            _REMINDERS_NEW_FLAGS_SQL,
            {
                "every_flag": [flag.pk for flag, _, _ in recorded],
                "flag": [flag.pk for flag in new],
                "tier": [flag.tier for flag in new],
                "survivor": [flag.survivor_id for flag in new],
                "clinic": [flag.survivor.clinic_id for flag in new],
                "send_now": [flag.pk == send_now for flag in new],
                "default_tier": tiers,
                "default_first": [int(cadence.DEFAULT_CADENCE[t].first_after.total_seconds()) for t in tiers],
                "default_every": [int(cadence.DEFAULT_CADENCE[t].every.total_seconds()) for t in tiers],
                "default_count": [cadence.DEFAULT_CADENCE[t].max_count for t in tiers],
                "now": now,
                "channels": [str(channel) for channel in ALL_CHANNELS],
            },
        )
        return [pk for (pk,) in cursor.fetchall()]


def _reminders_schedule_orm(
    recorded: list[tuple[Flag, bool, bool]], now: dt.datetime, send_now: int | None
) -> list[int]:
    ids = [flag.pk for flag, _, _ in recorded]
    followups = {f.flag_id: f for f in FlagFollowup.objects.filter(flag_id__in=ids)}
    missing = [FlagFollowup(flag_id=pk) for pk in ids if pk not in followups]
    if missing:
        FlagFollowup.objects.bulk_create(missing, ignore_conflicts=True)
    plans: dict[tuple[int, str], cadence.Plan] = {}
    first: dict[int, int] = {}  # flag id -> the sequence number that goes now
    rows = []
    for flag, created, tier_raised in recorded:
        followup = followups.get(flag.pk)
        contacted = followup is not None and (followup.survivor_contacted_at or followup.nurse_contacted_at)
        if not (created or tier_raised) or contacted:
            continue
        start = 1
        if tier_raised:
            Message.objects.filter(flag=flag, kind=Message.Kind.REMINDER, state=Message.State.PENDING).update(
                state=Message.State.CANCELLED, state_changed_at=now
            )
            start = (
                Message.objects.filter(flag=flag, kind=Message.Kind.REMINDER)
                .order_by("-sequence")
                .values_list("sequence", flat=True)
                .first()
                or 0
            ) + 1
        clinic_id = flag.survivor.clinic_id
        key = (clinic_id, flag.tier)
        if key not in plans:
            plans[key] = cadence_plan(clinic_id=clinic_id, tier=flag.tier)
        plan = plans[key]
        if plan.first_after <= dt.timedelta(0) and flag.pk == send_now:
            first[flag.pk] = start
        rows += [
            Message(
                kind=Message.Kind.REMINDER,
                channel=channel,
                recipient_id=flag.survivor_id,
                survivor_id=flag.survivor_id,
                clinic_id=clinic_id,
                flag=flag,
                sequence=start + n,
                dedupe_key=f"reminder:{flag.pk}:{start + n}:{channel}",
                urgent=flag.tier == "emergency",
                due_at=now + plan.first_after + n * plan.every,
                state_changed_at=now,
                created_at=now,
            )
            for n in range(plan.max_count)
            for channel in ALL_CHANNELS
        ]
    if not rows:
        return []
    Message.objects.bulk_create(rows, ignore_conflicts=True)
    # ignore_conflicts leaves the new rows without ids on some databases.
    keys = [row.dedupe_key for row in rows if row.sequence == first.get(row.flag_id)]
    return list(Message.objects.filter(dedupe_key__in=keys, state_changed_at=now).values_list("id", flat=True))


def loop_close(*, flag: Flag, by_survivor: bool = False, nurse: User | None = None) -> int:
    """She contacted her care team, or a nurse reached her, or the flag was
    closed: no more reminders. A send already in flight may finish; nothing
    is claimed afterwards. Returns how many messages were cancelled."""
    now = timezone.now()
    followup, _ = FlagFollowup.objects.get_or_create(flag=flag)
    if by_survivor and followup.survivor_contacted_at is None:
        followup.survivor_contacted_at = now
        followup.save(update_fields=["survivor_contacted_at"])
    if nurse is not None and followup.nurse_contacted_at is None:
        followup.nurse_contacted_at = now
        followup.save(update_fields=["nurse_contacted_at"])
    return Message.objects.filter(flag=flag, kind=Message.Kind.REMINDER, state__in=OPEN_STATES).update(
        state=Message.State.CANCELLED, state_changed_at=now
    )


def flag_survivor_confirm_contact(*, flag: Flag, survivor: User) -> int:
    cancelled = loop_close(flag=flag, by_survivor=True)
    log.info("flag %s: survivor confirmed contact, %d reminders cancelled", flag.pk, cancelled)
    return cancelled


def _event(*, flag: Flag, nurse: User, kind: str, result: str = "", text: str = "") -> FlagEvent:
    event = FlagEvent(flag=flag, kind=kind, result=result, text=text.strip(), author=nurse)
    event.full_clean()
    event.save()
    tracker_services.audit_record(actor=nurse, action=f"flag.{kind}", survivor=flag.survivor, target=flag)
    return event


def flag_nurse_contact(*, flag: Flag, nurse: User, result: str = FlagEvent.Result.REACHED, note: str = "") -> int:
    """A contact attempt. Reaching her closes this flag's loop (no more
    reminders) and answers her call back: a call back is about her, not one
    flag, so it is cleared on all her open flags, as a call from the call
    lists clears it (call_log). A message left or no answer clears nothing."""
    with transaction.atomic():
        _event(flag=flag, nurse=nurse, kind=FlagEvent.Kind.CONTACT, result=result, text=note)
        if result != FlagEvent.Result.REACHED:
            return 0
        _callback_answered(survivor_id=flag.survivor_id)
        return loop_close(flag=flag, nurse=nurse)


def _callback_answered(*, survivor_id: int) -> None:
    """A nurse reached her: "call back wanted" is done, on every open flag of hers."""
    Flag.objects.filter(survivor_id=survivor_id, status=Flag.Status.OPEN, callback_wanted=True).update(
        callback_wanted=False
    )


def flag_nurse_resolve(*, flag: Flag, nurse: User, outcome: str, note: str = "") -> int:
    with transaction.atomic():
        tracker_services.flag_close(flag=flag, by=nurse, outcome=outcome)
        _event(flag=flag, nurse=nurse, kind=FlagEvent.Kind.RESOLVE, result="", text=note)
        return loop_close(flag=flag, nurse=nurse)


def flags_nurse_resolve(*, survivor: User, flag_ids: list[int], nurse: User, outcome: str, note: str = "") -> int:
    """Resolve several of one survivor's open flags with one outcome and one
    note: a nurse calls a person, and one call can settle all she reported.

    1. Lock the flags; if one is no longer hers or no longer open (a
       colleague resolved it meanwhile), nothing is written.
    2. Each is resolved as flag_nurse_resolve does: closed with the outcome,
       its own event and audit rows, its reminders stopped.
    All in one transaction. Returns how many flags were resolved."""
    wanted = set(flag_ids)
    if not wanted:
        raise ValidationError({"flags": "Tick at least one flag to resolve."})
    with transaction.atomic():
        flags = list(
            Flag.objects.select_for_update()
            .filter(pk__in=wanted, survivor=survivor)
            .select_related("survivor")
            .order_by("tier_rank", "review_by", "id")
        )
        if len(flags) != len(wanted) or any(flag.status != Flag.Status.OPEN for flag in flags):
            raise ValidationError({"flags": "One of these flags is no longer open. Look at the list again."})
        for flag in flags:
            flag_nurse_resolve(flag=flag, nurse=nurse, outcome=outcome, note=note)
    return len(flags)


def flag_claim(*, flag: Flag, nurse: User) -> None:
    with transaction.atomic():
        followup, _ = FlagFollowup.objects.select_for_update().get_or_create(flag=flag)
        followup.claimed_by, followup.claimed_at = nurse, timezone.now()
        followup.save(update_fields=["claimed_by", "claimed_at"])
        _event(flag=flag, nurse=nurse, kind=FlagEvent.Kind.CLAIM)


def flag_unclaim(*, flag: Flag, nurse: User) -> None:
    with transaction.atomic():
        FlagFollowup.objects.filter(flag=flag).update(claimed_by=None, claimed_at=None)
        _event(flag=flag, nurse=nurse, kind=FlagEvent.Kind.UNCLAIM)


def flag_note_add(*, flag: Flag, nurse: User, text: str) -> FlagEvent:
    if not text.strip():
        raise ValidationError({"text": "Write the note first."})
    return _event(flag=flag, nurse=nurse, kind=FlagEvent.Kind.NOTE, text=text)


# ------------------------------------------------------------------ the queue

# Hand-written for PostgreSQL: every nurse's queue reloads every 30 s, and one
# statement that reads the page and writes its audit row (one, naming the
# survivors listed; none for an empty page) costs about half
# of what the ORM's three did (her clinic ids, the page, the audit insert)
# (bench/README.md, issue 5). The ORM definition in selectors.flag_queue and
# selectors.queue_page is the reference: SQLite takes it, and a test holds
# the two to the same rows.
#
# A row is a survivor (a nurse calls a person): `firsts` walks the matching
# flags in the flag_open_queue index's order and keeps a flag only if no
# earlier matching flag of hers exists (the anti-join reads her two or three
# open flags by flag_survivor_status), so her place is her first match and
# a page stops after 26 survivors; `shown` then reads all her open flags.
# Her clinics go in as ARRAY(subquery), which the planner evaluates first;
# as a join or IN (subquery) it guessed a few survivors and sorted every
# open flag instead of reading the index in order.
_QUEUE_SQL = """
WITH firsts AS (
    SELECT f.survivor_id, s.full_name, f.tier_rank, f.review_by, f.id
      FROM tracker_flag f
      JOIN tracker_user s ON s.id = f.survivor_id
     WHERE f.status = 'open'
       AND s.clinic_id = ANY(ARRAY(SELECT clinic_id FROM tracker_user_staff_clinics WHERE user_id = %(nurse)s))
       {filters_f}
       AND NOT EXISTS (
            SELECT FROM tracker_flag g
             WHERE g.survivor_id = f.survivor_id AND g.status = 'open'
               AND (g.tier_rank, COALESCE(g.review_by, 'infinity'), g.id)
                   < (f.tier_rank, COALESCE(f.review_by, 'infinity'), f.id)
               {filters_g})
     ORDER BY f.tier_rank, f.review_by, f.id
     LIMIT {limit} OFFSET {offset}
), placed AS (
    SELECT survivor_id, full_name, row_number() OVER (ORDER BY tier_rank, review_by, id) - 1 AS place FROM firsts
), seen AS (
    INSERT INTO tracker_auditevent (at, actor_id, action, object_type, object_id, survivors)
    SELECT %(now)s, %(nurse)s, 'queue.view', '', '', to_jsonb(array_agg(survivor_id ORDER BY survivor_id))
      FROM placed WHERE place < {size}
    HAVING count(*) > 0
)
SELECT p.place, f.id, f.survivor_id, p.full_name, f.tier, left(f.evidence, 91), f.created_at, f.review_by,
       f.callback_wanted, c.full_name, ff.survivor_contacted_at
  FROM placed p
  JOIN tracker_flag f ON f.survivor_id = p.survivor_id AND f.status = 'open'
  LEFT JOIN followup_flagfollowup ff ON ff.flag_id = f.id
  LEFT JOIN tracker_user c ON c.id = ff.claimed_by_id
 ORDER BY p.place, f.tier_rank, f.review_by, f.id
"""
# Each filter twice: on the flag (f) and on her earlier flags (g).
_QUEUE_FILTERS = {
    "tier": "AND {a}.tier_rank = %(tier_rank)s",
    "rule": "AND {a}.rule_id = %(rule_id)s",
    "mine": "AND EXISTS (SELECT FROM followup_flagfollowup x WHERE x.flag_id = {a}.id AND x.claimed_by_id = %(nurse)s)",
    # Not an outer join's "claimed_by_id IS NULL": the planner took that for
    # a rare outcome of the join and planned for a handful of rows.
    "unclaimed": (
        "AND NOT EXISTS (SELECT FROM followup_flagfollowup x WHERE x.flag_id = {a}.id AND x.claimed_by_id IS NOT NULL)"
    ),
    "overdue": "AND {a}.review_by < %(now)s",
}


def queue_page_read(
    *, nurse: User, number: str | None = None, now: dt.datetime | None = None, **filters
) -> selectors.QueuePage:
    """One page of her queue, a row per survivor (filters as
    selectors.flag_queue), and the audit row naming the survivors it lists,
    read and written together."""
    if not nurse.is_authenticated or not nurse.is_nurse:
        raise Refused
    now = now or timezone.now()
    if connection.vendor != "postgresql":
        page = selectors.queue_page(selectors.flag_queue(user=nurse, now=now, **filters), number, now=now)
        tracker_services.audit_record_list(
            actor=nurse, action="queue.view", survivor_ids=[row.survivor_id for row in page.rows]
        )
        return page
    number = selectors.queue_page_number(number)
    params = {
        "nurse": nurse.pk,
        "now": now,
        "tier_rank": QUEUE_RANK.get(filters.get("tier") or ""),
        "rule_id": selectors.queue_rule_id(filters["rule"]) if filters.get("rule") else None,
    }
    chosen = [clause for name, clause in _QUEUE_FILTERS.items() if filters.get(name)]
    # LIMIT and OFFSET are written into the statement (integers of ours):
    # as parameters, PostgreSQL's generic plan would assume a tenth of the
    # table and never be chosen, so every run would be planned afresh.
    sql = _QUEUE_SQL.format(
        filters_f=" ".join(clause.format(a="f") for clause in chosen),
        filters_g=" ".join(clause.format(a="g") for clause in chosen),
        limit=selectors.QUEUE_PAGE_SIZE + 1,
        offset=(number - 1) * selectors.QUEUE_PAGE_SIZE,
        size=selectors.QUEUE_PAGE_SIZE,
    )
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        values = cursor.fetchall()
    return selectors.queue_page_from_values(values, number, now=now)


def call_log(*, survivor: User, nurse: User, result: str, note: str = "") -> CallLog:
    """A call from the call lists. Reaching her answers her call back on all
    her open flags (as flag_nurse_contact does); a message left does not."""
    call = CallLog(survivor=survivor, nurse=nurse, result=result, note=note.strip())
    call.full_clean()
    with transaction.atomic():
        call.save()
        if result == FlagEvent.Result.REACHED:
            _callback_answered(survivor_id=survivor.pk)
        tracker_services.audit_record(actor=nurse, action="call.log", survivor=survivor, target=call)
    return call


def flag_opened(*, flag: Flag, nurse: User, now: dt.datetime | None = None) -> None:
    """A nurse opened the flag: it no longer escalates. The first nurse
    stays "first opened"."""
    FlagFollowup.objects.get_or_create(flag=flag)
    FlagFollowup.objects.filter(flag=flag, first_opened_at__isnull=True).update(
        first_opened_at=now or timezone.now(), first_opened_by=nurse
    )


# ------------------------------------------------------------------ the sweep


# Well inside the sweep task's soft time limit (followup/tasks.py).
SWEEP_CLAIM_SECONDS = 30


def sweep(*, now: dt.datetime | None = None, batch: int = 500) -> list[int]:
    """Beat runs this every minute. Each step is idempotent; a second beat
    running at the same time claims nothing twice (skip_locked).

    1. Write this week's check-in reminders and nudges that are missing.
    2. Escalate flags no nurse opened in time (once per breach).
    3. Put back messages stuck in queued or sending (lost task, dead worker).
    4. Claim due messages: defer the ones in her quiet hours, queue the rest
       and enqueue one task each after commit; batch after batch while a
       full one comes back, for up to SWEEP_CLAIM_SECONDS (everyone's weekly
       check-in falls due at 10:00 on Mondays: one batch a minute would
       leave thousands waiting for hours).
    5. Note the completed run for /healthz: last, so that a sweep failing
       midway leaves the previous one's time and the sweep lag grows.
    Returns the ids queued."""
    now = now or timezone.now()
    checkins_schedule(now=now)
    escalations_check(now=now)
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


def sweep_urgent(*, now: dt.datetime | None = None, batch: int = 500) -> list[int]:
    """Beat runs this every few seconds: the emergency lane of the sweep.
    Emergency messages put back after a lost task or a dead worker, and any
    emergency message due, are queued within seconds, not at the next full
    sweep. Two index-backed statements when there is nothing to do."""
    now = now or timezone.now()
    requeue_stuck(now=now, urgent_only=True)
    return claim_due(now=now, batch=batch, urgent_only=True)


def deliveries_send_now(*, message_ids: list[int]) -> int:
    """Right after a check-in commits: queue her reminders that go at once
    (one conditional update, so a sweep running at the same moment claims
    none twice) and enqueue one delivery task each. If the broker is down
    they stay queued and the sweep puts them back."""
    from . import tasks

    queued = Message.objects.filter(pk__in=message_ids, state=Message.State.PENDING).update(
        state=Message.State.QUEUED, state_changed_at=timezone.now()
    )
    if queued:
        # All of them: one the sweep claimed meanwhile gets a second task,
        # which finds it taken ("not claimed") and sends nothing.
        _enqueue(tasks.deliver_message, message_ids)
    return queued


def claim_due(*, now: dt.datetime, batch: int, urgent_only: bool = False) -> list[int]:
    from . import tasks

    queued: list[int] = []
    with transaction.atomic():
        due = Message.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            state=Message.State.PENDING, due_at__lte=now
        )
        if urgent_only:
            due = due.filter(urgent=True)
        due = due.order_by("due_at", "id").values_list("id", "urgent", "recipient__time_zone")[:batch]
        later: dict[int, dt.datetime] = {}
        for pk, urgent, time_zone in due:
            resume = None if urgent else quiet_until(time_zone, now)
            if resume is not None:
                later[pk] = resume
            else:
                queued.append(pk)
        for pk, resume in later.items():
            Message.objects.filter(pk=pk).update(due_at=resume)
        Message.objects.filter(pk__in=queued).update(state=Message.State.QUEUED, state_changed_at=now)
        transaction.on_commit(lambda: _enqueue(tasks.deliver_message, queued))
    return queued


def _enqueue(task, ids: list[int]) -> None:
    # With the broker down the rows stay "queued"; requeue_stuck finds them.
    # No publish retries: this runs at the end of a check-in request too,
    # and the sweep is the retry.
    if not ids:
        return
    try:
        with task.app.producer_or_acquire() as producer:
            for pk in ids:
                task.apply_async(args=[pk], producer=producer, retry=False)
    except Exception:  # noqa: BLE001 - any broker failure: the sweep will retry
        log.warning("broker unavailable; %d message(s) wait for the next sweep", len(ids))


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


def quiet_until(time_zone: str, now: dt.datetime) -> dt.datetime | None:
    """When quiet hours (21:00-08:00 in her zone) end, or None outside them.
    zoneinfo does the arithmetic, so DST changes land on 08:00 local."""
    tz = zoneinfo.ZoneInfo(time_zone)
    local = now.astimezone(tz)
    if cadence.QUIET_END_HOUR <= local.hour < cadence.QUIET_START_HOUR:
        return None
    day = local.date() if local.hour < cadence.QUIET_END_HOUR else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(cadence.QUIET_END_HOUR), tzinfo=tz).astimezone(dt.UTC)


# ------------------------------------------------------------------ weekly check-ins


def next_checkin_at(*, prefs: Preferences, time_zone: str, now: dt.datetime) -> dt.datetime:
    """Her chosen weekday and hour, this week if still ahead, else next week."""
    tz = zoneinfo.ZoneInfo(time_zone)
    local_today = now.astimezone(tz).date()
    monday = local_today - dt.timedelta(days=local_today.weekday())
    for week in (0, 1):
        day = monday + dt.timedelta(days=7 * week + prefs.checkin_weekday)
        at = dt.datetime.combine(day, dt.time(prefs.checkin_hour), tzinfo=tz).astimezone(dt.UTC)
        if at >= now:
            return at
    raise AssertionError("unreachable: next week is always ahead")


def checkins_schedule(*, now: dt.datetime, limit: int = 2000) -> int:
    """Write the next weekly check-in reminder (and its nudge) for every
    active survivor who has none ahead. Unique keys make reruns harmless."""
    ahead = Message.objects.filter(recipient=OuterRef("pk"), kind=Message.Kind.CHECKIN, due_at__gte=now)
    survivors = (
        User.objects.filter(role=User.Role.SURVIVOR, is_active=True)
        .exclude(Exists(ahead))
        .select_related("preferences")[:limit]
    )
    rows = []
    for survivor in survivors:
        # Her saved preferences, or the defaults (scheduling writes no preferences rows).
        prefs = getattr(survivor, "preferences", None) or Preferences(survivor=survivor)
        at = next_checkin_at(prefs=prefs, time_zone=survivor.time_zone, now=now)
        local = at.astimezone(zoneinfo.ZoneInfo(survivor.time_zone)).date()
        year, week, _ = local.isocalendar()
        iso_week = f"{year}-W{week:02d}"
        for kind, due in ((Message.Kind.CHECKIN, at), (Message.Kind.NUDGE, at + cadence.NUDGE_AFTER)):
            for channel in ALL_CHANNELS:
                rows.append(
                    Message(
                        kind=kind,
                        channel=channel,
                        recipient=survivor,
                        survivor=survivor,
                        clinic_id=survivor.clinic_id,
                        iso_week=iso_week,
                        dedupe_key=f"{kind}:{survivor.pk}:{iso_week}:{channel}",
                        due_at=due,
                        state_changed_at=now,
                        created_at=now,
                    )
                )
    Message.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# ------------------------------------------------------------------ escalation


def escalations_check(*, now: dt.datetime) -> int:
    """Flags no nurse opened within their tier's time: mark overdue and email
    the clinic's nurses, once per breach (per tier reached)."""
    escalated = 0
    # The flag keeps its own review deadline (tracker.Flag.review_by), moved
    # with its tier; a raised tier is a new breach.
    flags = (
        Flag.objects.filter(status=Flag.Status.OPEN, review_by__lte=now)
        .filter(Q(followup__isnull=True) | Q(followup__first_opened_at__isnull=True))
        .exclude(followup__escalated_tier=F("tier"))
        .select_related("survivor__clinic")
    )
    for flag in flags:
        tier = flag.tier
        with transaction.atomic():
            followup, _ = FlagFollowup.objects.select_for_update().get_or_create(flag=flag)
            if followup.escalated_tier == tier or followup.first_opened_at:
                continue
            followup.escalated_tier = tier
            followup.overdue_at = followup.overdue_at or now
            followup.save(update_fields=["escalated_tier", "overdue_at"])
            nurses = User.objects.filter(role=User.Role.NURSE, is_active=True, staff_clinics=flag.survivor.clinic_id)
            Message.objects.bulk_create(
                [
                    Message(
                        kind=Message.Kind.ESCALATION,
                        channel=Channel.EMAIL,
                        recipient=nurse,
                        survivor=flag.survivor,
                        clinic_id=flag.survivor.clinic_id,
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


# ------------------------------------------------------------------ delivery


def deliver(*, message_id: int) -> str:
    """Claim one queued message and send it. Thin tasks call this.

    1. Claim: queued -> sending, or stop (someone else has it, or it was
       cancelled). 2. Read it and check it is still wanted. 3. Send, outside
    any transaction. 4. Record the attempt and the new state."""
    envelope = _claim(message_id)
    if envelope is None:
        return "not claimed"
    reason = _not_wanted(envelope)
    if reason:
        _finish(envelope.id, Message.State.CANCELLED, error=reason)
        return "cancelled"
    started = time.monotonic()
    try:
        channels.channel_for(envelope.channel).send(envelope)
    except channels.DeliveryError as error:
        duration = int((time.monotonic() - started) * 1000)
        return _failed(envelope, error, duration)
    except Exception as error:  # noqa: BLE001 - see below
        # A provider's own exception (or the task's soft time limit in a
        # hung send) is a failed attempt like any other, named by its class
        # (its message could quote an address): left to propagate, it kept
        # the message cycling between sending and pending forever, never
        # failed and never on the Messages page. Tries cap the retries.
        duration = int((time.monotonic() - started) * 1000)
        return _failed(envelope, channels.DeliveryError(f"{envelope.channel}: {type(error).__name__}"), duration)
    duration = int((time.monotonic() - started) * 1000)
    _record_sent(envelope, duration)
    return "sent"


_ENVELOPE_FIELDS = (
    "id",
    "kind",
    "channel",
    "urgent",
    "due_at",
    "tries",
    "recipient_id",
    "survivor_id",
    "recipient__email",
    "recipient__full_name",
    "recipient__preferences__phone",
    "clinic__name",
    "clinic__care_team_phone",
    "clinic__emergency_number",
    "flag_id",
    "flag__tier",
    "flag__status",
    "flag__followup__survivor_contacted_at",
    "flag__followup__nurse_contacted_at",
    "flag__followup__first_opened_at",
    "recipient__preferences__email_on",
    "recipient__preferences__email_failed_at",
    "recipient__preferences__sms_on",
    "recipient__preferences__sms_failed_at",
    "recipient__preferences__in_app_on",
)


# Claim and read in one statement on PostgreSQL: the conditional UPDATE is
# the claim, RETURNING feeds the joins. Hand-written because delivery runs once
# per message and the ORM's two queries cost a third of its time
# (bench/README.md). Columns in _ENVELOPE_FIELDS order.
_CLAIM_SQL = """
WITH claimed AS (
    UPDATE followup_message SET state = 'sending', state_changed_at = %(now)s, tries = tries + 1
     WHERE id = %(id)s AND state = 'queued'
    RETURNING id, kind, channel, urgent, due_at, tries, recipient_id, survivor_id, clinic_id, flag_id
)
SELECT c.id, c.kind, c.channel, c.urgent, c.due_at, c.tries, c.recipient_id, c.survivor_id,
       u.email, u.full_name, p.phone, cl.name, cl.care_team_phone, cl.emergency_number, c.flag_id, f.tier, f.status,
       fu.survivor_contacted_at, fu.nurse_contacted_at, fu.first_opened_at,
       p.email_on, p.email_failed_at, p.sms_on, p.sms_failed_at, p.in_app_on
  FROM claimed c
  JOIN tracker_user u ON u.id = c.recipient_id
  JOIN tracker_clinic cl ON cl.id = c.clinic_id
  LEFT JOIN followup_preferences p ON p.survivor_id = c.recipient_id
  LEFT JOIN tracker_flag f ON f.id = c.flag_id
  LEFT JOIN followup_flagfollowup fu ON fu.flag_id = c.flag_id
"""


def _claim(message_id: int) -> channels.Envelope | None:
    """queued -> sending and read it, or None if someone else has it or it
    was cancelled."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_SQL, {"now": now, "id": message_id})
            row = cursor.fetchone()
        return None if row is None else _envelope(row)
    claimed = Message.objects.filter(pk=message_id, state=Message.State.QUEUED).update(
        state=Message.State.SENDING, state_changed_at=now, tries=F("tries") + 1
    )
    if claimed != 1:
        return None
    return _envelope(Message.objects.filter(pk=message_id).values_list(*_ENVELOPE_FIELDS).get())


def _envelope(row) -> channels.Envelope:
    (
        pk,
        kind,
        channel,
        urgent,
        due_at,
        tries,
        recipient_id,
        survivor_id,
        email,
        name,
        phone,
        clinic_name,
        care_phone,
        emergency,
        flag_id,
        tier,
        status,
        her_contact,
        nurse_contact,
        opened,
        email_on,
        email_failed,
        sms_on,
        sms_failed,
        in_app_on,
    ) = row
    # Her saved preferences, or the defaults if she never saved any (no row).
    prefs = (
        Preferences(phone=phone or "")
        if email_on is None
        else Preferences(
            phone=phone or "",
            email_on=email_on,
            email_failed_at=email_failed,
            sms_on=sms_on,
            sms_failed_at=sms_failed,
            in_app_on=in_app_on,
        )
    )
    return channels.Envelope(
        id=pk,
        kind=kind,
        channel=channel,
        urgent=urgent,
        due_at=due_at,
        tries=tries,
        recipient_id=recipient_id,
        survivor_id=survivor_id,
        to_email=email,
        to_name=name,
        to_phone=phone or "",
        clinic_name=clinic_name,
        care_team_phone=care_phone,
        emergency_number=emergency,
        flag_id=flag_id,
        flag_status=status,
        loop_closed_at=her_contact or nurse_contact,
        first_opened_at=opened,
        channel_on=bool(prefs.channel_on(channel)),
    )


def _not_wanted(envelope: channels.Envelope) -> str:
    if envelope.kind != Message.Kind.ESCALATION and not envelope.channel_on:
        return "channel off"
    if envelope.kind == Message.Kind.REMINDER and (envelope.flag_status != Flag.Status.OPEN or envelope.loop_closed_at):
        return "loop closed"
    if envelope.kind == Message.Kind.ESCALATION and (
        envelope.flag_status != Flag.Status.OPEN or envelope.first_opened_at
    ):
        return "already opened"
    if envelope.kind == Message.Kind.NUDGE:
        since = envelope.due_at - cadence.NUDGE_AFTER
        if CheckIn.objects.filter(survivor_id=envelope.survivor_id, created_at__gte=since).exists():
            return "checked in"
    return ""


def _finish(message_id: int, state: str, *, error: str = "") -> None:
    Message.objects.filter(pk=message_id, state=Message.State.SENDING).update(
        state=state, state_changed_at=timezone.now(), last_error=error
    )


# One statement for "sent": the attempt row and the message's new state
# (PostgreSQL's data-modifying CTE). Two statements in a transaction cost an
# extra round trip per message (bench/README.md); other databases use the ORM.
_RECORD_SENT_SQL = """
WITH attempt AS (
    INSERT INTO followup_attempt (message_id, at, channel, outcome, duration_ms, detail)
    VALUES (%(id)s, %(now)s, %(channel)s, 'sent', %(ms)s, '')
)
UPDATE followup_message SET state = 'sent', state_changed_at = %(now)s, sent_at = %(now)s, last_error = ''
 WHERE id = %(id)s AND state = 'sending'
"""


def _record_sent(envelope: channels.Envelope, duration: int) -> None:
    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _RECORD_SENT_SQL, {"id": envelope.id, "now": now, "channel": envelope.channel, "ms": duration}
            )
        return
    with transaction.atomic():
        Attempt.objects.create(
            message_id=envelope.id, channel=envelope.channel, outcome=Attempt.Outcome.SENT, duration_ms=duration, at=now
        )
        Message.objects.filter(pk=envelope.id, state=Message.State.SENDING).update(
            state=Message.State.SENT, state_changed_at=now, sent_at=now, last_error=""
        )


def _failed(message: channels.Envelope, error: channels.DeliveryError, duration: int) -> str:
    """Transient: back to pending with a growing delay (the row is the retry
    schedule, not a Celery countdown). Permanent or too many tries: failed,
    and a permanent failure switches that channel off for her, which puts her
    on the nurses' call list."""
    now = timezone.now()
    give_up = error.permanent or message.tries >= settings.FOLLOWUP_MAX_TRIES
    with transaction.atomic():
        Attempt.objects.create(
            message_id=message.id,
            channel=message.channel,
            outcome=Attempt.Outcome.PERMANENT if error.permanent else Attempt.Outcome.TRANSIENT,
            duration_ms=duration,
            detail=error.reason,
        )
        if give_up:
            _finish(message.id, Message.State.FAILED, error=error.reason)
            if error.permanent and message.kind != Message.Kind.ESCALATION:
                field = {"email": "email_failed_at", "sms": "sms_failed_at"}.get(message.channel)
                if field:
                    Preferences.objects.update_or_create(survivor_id=message.recipient_id, defaults={field: now})
        else:
            backoff = dt.timedelta(seconds=settings.FOLLOWUP_RETRY_BASE_SECONDS * 2 ** (message.tries - 1))
            Message.objects.filter(pk=message.id, state=Message.State.SENDING).update(
                state=Message.State.PENDING, state_changed_at=now, due_at=now + backoff, last_error=error.reason
            )
    log.warning("message %s %s: %s", message.id, "failed" if give_up else "will retry", error.reason)
    return "failed" if give_up else "retry"


def message_retry(*, message: Message, by: User) -> None:
    """An admin sends a failed message again."""
    Message.objects.filter(pk=message.pk, state=Message.State.FAILED).update(
        state=Message.State.PENDING, state_changed_at=timezone.now(), due_at=timezone.now(), tries=0
    )
    tracker_services.audit_record(actor=by, action="message.retry", survivor=message.survivor, target=message)


def notice_dismiss(*, message: Message, survivor: User) -> None:
    Message.objects.filter(pk=message.pk, recipient=survivor, channel=Channel.IN_APP).update(
        dismissed_at=timezone.now()
    )


def cadence_save(
    *, clinic, tier: str, first_after_minutes: int, every_minutes: int, max_count: int, by: User
) -> Cadence:
    """Checked (the clinical range: Cadence's validators) before it is written:
    a value out of range raises ValidationError by its field and saves nothing."""
    row = Cadence.objects.filter(clinic=clinic, tier=tier).first() or Cadence(clinic=clinic, tier=tier)
    row.first_after_minutes, row.every_minutes, row.max_count = first_after_minutes, every_minutes, max_count
    row.full_clean()
    if row.pk is None:
        row.save()
    else:
        row.save(update_fields=["first_after_minutes", "every_minutes", "max_count"])
    tracker_services.audit_record(actor=by, action="cadence.save", target=row)
    return row
