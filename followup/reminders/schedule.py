"""Writing reminder rows: a check-in's flags' contact-your-care-team
reminders, at each clinic's cadence for the tier (reminders_schedule_many, in
the check-in's transaction; cadence_plan reads the cadence), and every
survivor's weekly check-in reminder and its nudge (checkins_schedule). The
rows in PostgreSQL are the schedule. What falls due is sweep.py's, sending
is delivery.py's, stopping a flag's reminders is loop.py's, and a clinic
admin saving a cadence is followup/admin_actions.py's."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Sequence

from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils import timezone

from tracker.models import Flag, User
from tracker.rules.tiers import QUEUE_RANK

from .. import cadence
from ..models import Cadence, Channel, FlagFollowup, Message, Preferences
from .preferences import next_checkin_at, quiet_until

log = logging.getLogger(__name__)


ALL_CHANNELS = [Channel.EMAIL, Channel.SMS, Channel.IN_APP]


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


def reminders_schedule_many(*, recorded: list[tuple[Flag, bool, bool]], flags: Sequence[Flag] = ()) -> list[int]:
    """Write the follow-up rows and the contact-your-provider reminders of a
    check-in's flags, in the check-in's transaction: one row per reminder and
    channel, at each tier's cadence. A raised tier replaces the pending ones
    with the faster cadence. Returns the ids of the reminders to send the
    moment the check-in commits (deliveries_send_now): the first ones of her
    highest tier's flag, if emergency, or urgent outside her quiet hours.

    1. One follow-up row per flag, for those of recorded and for `flags`
       (every flag the check-in opened or attached to, a failed rule's too,
       which asks no reminders): the missing ones inserted. This is the one
       place it is written (migration 0005 wrote those of older flags);
       claims, contacts, "first opened" and escalation read it.
    2. Each clinic and tier's cadence read once.
    3. Every reminder row in one insert: a check-in that fires six rules
       costs what one does, not six times (bench/README.md, issue 10).

    On PostgreSQL all of that is one statement for the flags the check-in
    opened or attached to; a raised tier (a new rule version, rare) takes the
    ORM path, as do other databases."""
    now = timezone.now()
    send_now = _sends_now(recorded, now)
    every = list(dict.fromkeys([flag.pk for flag in flags] + [flag.pk for flag, _, _ in recorded]))
    if connection.vendor != "postgresql":
        return _reminders_schedule_orm(recorded, every, now, send_now)
    raised = [item for item in recorded if item[2]]
    # The statement writes every flag's follow-up row, the raised ones' too.
    queued = _reminders_schedule_pg([item for item in recorded if not item[2]], every, now, send_now)
    return queued + (_reminders_schedule_orm(raised, [], now, send_now) if raised else [])


def _reminders_schedule_pg(
    recorded: list[tuple[Flag, bool, bool]], every: list[int], now: dt.datetime, send_now: int | None
) -> list[int]:
    if not every:
        return []
    new = [flag for flag, created, _ in recorded if created]
    tiers = list(cadence.DEFAULT_CADENCE)
    with connection.cursor() as cursor:
        cursor.execute(
            _REMINDERS_NEW_FLAGS_SQL,
            {
                "every_flag": every,
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
    recorded: list[tuple[Flag, bool, bool]], every: list[int], now: dt.datetime, send_now: int | None
) -> list[int]:
    ids = list(dict.fromkeys(every + [flag.pk for flag, _, _ in recorded]))
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
        assert clinic_id is not None  # a survivor has a clinic (constraint survivor_has_clinic)
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
    keys = [row.dedupe_key for row in rows if row.flag_id is not None and row.sequence == first.get(row.flag_id)]
    return list(Message.objects.filter(dedupe_key__in=keys, state_changed_at=now).values_list("id", flat=True))


# ------------------------------------------------------------------ weekly check-ins


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
        assert survivor.clinic_id is not None  # constraint survivor_has_clinic
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
