"""What the nurse's flag page shows besides the flag itself, and the writes
that opening it makes: the audit row and "first opened" (which stops the
flag's escalation).

A nurse opens flag after flag all day. On PostgreSQL the lists (her open
flags, the care-team actions, the reminders, her snoozes) and both writes are
one prepared statement: the ORM took seven to nine statements for them, each
costing more to build than to run (bench/README.md, issue 12). The ORM
definition below (flag_page_lists_orm) is what SQLite runs, and a test holds
the two to the same values. Every list is bounded, so a flag open for months
costs what a new one does; the page says when a list is cut.

The flag is read before, permission-checked (selectors.flag_get_for_nurse)."""

import datetime as dt
import json
from dataclasses import dataclass

from django.db import connection
from django.db.models import F
from django.utils import timezone

from tracker import services as tracker_services
from tracker.models import Flag, Snooze, Tier, User

from .db import prepared_cursor
from .models import Channel, FlagEvent, FlagFollowup, Message

EVENTS_SHOWN = 200  # care-team actions on one flag (the latest)
REMINDERS_SHOWN = 60  # a cadence writes at most 20 reminders on 3 channels
ATTACHMENTS_SHOWN = 20  # the latest matches; her history page has the rest

_TIER = dict(Tier.choices)
_KIND = dict(FlagEvent.Kind.choices)
_RESULT = dict(FlagEvent.Result.choices)
_CHANNEL = dict(Channel.choices)
_STATE = dict(Message.State.choices)


@dataclass(frozen=True)
class OpenFlag:
    pk: int
    tier: str
    name: str

    @property
    def tier_label(self) -> str:
        return _TIER[self.tier]


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    author: str
    kind: str
    result: str
    text: str

    @property
    def kind_label(self) -> str:
        return _KIND.get(self.kind, self.kind)

    @property
    def result_label(self) -> str:
        return _RESULT.get(self.result, self.result)


@dataclass(frozen=True)
class Reminder:
    sequence: int
    channel: str
    due_at: dt.datetime
    state: str

    @property
    def channel_label(self) -> str:
        return _CHANNEL.get(self.channel, self.channel)

    @property
    def state_label(self) -> str:
        return _STATE.get(self.state, self.state)


@dataclass(frozen=True)
class SnoozeRow:
    pk: int
    what: str  # the rule's name or the symptom's label
    ends_at: dt.datetime
    reason: str


@dataclass(frozen=True)
class FlagPageLists:
    open_flags: list[OpenFlag]  # hers, this one too, highest tier first
    events: list[Event]  # oldest first
    events_total: int
    reminders: list[Reminder]
    snoozes: list[SnoozeRow]
    attachments_total: int


def flag_page_read(*, flag: Flag, nurse: User, now: dt.datetime | None = None) -> FlagPageLists:
    """The page's lists, and its writes: one audit row ("flag.view") and,
    the first time a nurse opens the flag, "first opened" by her."""
    now = now or timezone.now()
    if connection.vendor != "postgresql":
        opened = getattr(flag, "followup", None) if _has_followup(flag) else None
        if opened is None or opened.first_opened_at is None:
            FlagFollowup.objects.get_or_create(flag=flag)
            FlagFollowup.objects.filter(flag=flag, first_opened_at__isnull=True).update(
                first_opened_at=now, first_opened_by=nurse
            )
        tracker_services.audit_record(actor=nurse, action="flag.view", survivor=flag.survivor, target=flag)
        return flag_page_lists_orm(flag=flag, now=now)
    with prepared_cursor() as cursor:
        cursor.execute(_FLAG_PAGE_SQL, {"flag": flag.pk, "survivor": flag.survivor_id, "nurse": nurse.pk, "now": now})
        row = cursor.fetchone()
    return _from_json(row)


def _has_followup(flag: Flag) -> bool:
    try:
        flag.followup  # noqa: B018 (select_related may have loaded it; a missing one raises)
    except FlagFollowup.DoesNotExist:
        return False
    return True


def open_flags(*, survivor_id: int) -> list[OpenFlag]:
    """Her open flags, highest tier first (then the nearest deadline)."""
    rows = (
        Flag.objects.filter(survivor_id=survivor_id, status=Flag.Status.OPEN)
        .order_by("tier_rank", F("review_by").asc(nulls_last=True), "id")
        .values_list("pk", "tier", "rule_version__name")
    )
    return [OpenFlag(*values) for values in rows]


def flag_page_lists_orm(*, flag: Flag, now: dt.datetime) -> FlagPageLists:
    """The definition of the lists (what SQLite runs)."""
    events = FlagEvent.objects.filter(flag=flag)
    latest = list(
        events.order_by("-at", "-id").values_list("at", "author__full_name", "kind", "result", "text")[:EVENTS_SHOWN]
    )
    reminders = Message.objects.filter(flag=flag).order_by("sequence", "channel", "id")
    snoozes = (
        Snooze.objects.filter(survivor_id=flag.survivor_id, ended_early_at__isnull=True, ends_at__gt=now)
        .order_by("ends_at", "id")
        .values_list("pk", "rule__current__name", "symptom__label", "ends_at", "reason")
    )
    return FlagPageLists(
        open_flags=open_flags(survivor_id=flag.survivor_id),
        events=[Event(*values) for values in reversed(latest)],
        events_total=events.count(),
        reminders=[
            Reminder(*values)
            for values in reminders.values_list("sequence", "channel", "due_at", "state")[:REMINDERS_SHOWN]
        ],
        snoozes=[SnoozeRow(pk, rule or symptom or "", ends, reason) for pk, rule, symptom, ends, reason in snoozes],
        attachments_total=flag.attachments.count(),
    )


# The lists as JSON arrays, and both writes in CTEs: "first opened" only
# when no nurse has opened it (a repeated view writes nothing but its audit
# row, and takes no row lock). The main SELECT reads the snapshot taken
# before the writes, which change nothing it shows.
_FLAG_PAGE_SQL = f"""
WITH opened AS (
    INSERT INTO followup_flagfollowup (flag_id, escalated_tier, first_opened_at, first_opened_by_id)
    SELECT %(flag)s, '', %(now)s, %(nurse)s
     WHERE NOT EXISTS (SELECT FROM followup_flagfollowup x WHERE x.flag_id = %(flag)s AND x.first_opened_at IS NOT NULL)
    ON CONFLICT (flag_id) DO UPDATE SET first_opened_at = EXCLUDED.first_opened_at,
                                        first_opened_by_id = EXCLUDED.first_opened_by_id
     WHERE followup_flagfollowup.first_opened_at IS NULL
), seen AS (
    INSERT INTO tracker_auditevent (at, actor_id, action, survivor_id, object_type, object_id, survivors)
    VALUES (%(now)s, %(nurse)s, 'flag.view', %(survivor)s, 'flag', %(flag)s::text, NULL)
)
SELECT
    (SELECT json_agg(json_build_array(o.id, o.tier, v.name) ORDER BY o.tier_rank, o.review_by, o.id)
       FROM tracker_flag o JOIN tracker_ruleversion v ON v.id = o.rule_version_id
      WHERE o.survivor_id = %(survivor)s AND o.status = 'open'),
    (SELECT json_agg(json_build_array(e.at, e.full_name, e.kind, e.result, e.text) ORDER BY e.at, e.id)
       FROM (SELECT e.id, e.at, u.full_name, e.kind, e.result, e.text
               FROM followup_flagevent e JOIN tracker_user u ON u.id = e.author_id
              WHERE e.flag_id = %(flag)s ORDER BY e.at DESC, e.id DESC LIMIT {EVENTS_SHOWN}) e),
    (SELECT count(*) FROM followup_flagevent WHERE flag_id = %(flag)s),
    (SELECT json_agg(json_build_array(m.sequence, m.channel, m.due_at, m.state) ORDER BY m.sequence, m.channel, m.id)
       FROM (SELECT id, sequence, channel, due_at, state FROM followup_message WHERE flag_id = %(flag)s
              ORDER BY sequence, channel, id LIMIT {REMINDERS_SHOWN}) m),
    (SELECT json_agg(json_build_array(z.id, COALESCE(v.name, sy.label, ''), z.ends_at, z.reason)
                     ORDER BY z.ends_at, z.id)
       FROM tracker_snooze z
       LEFT JOIN tracker_rule r ON r.id = z.rule_id
       LEFT JOIN tracker_ruleversion v ON v.id = r.current_id
       LEFT JOIN tracker_symptom sy ON sy.id = z.symptom_id
      WHERE z.survivor_id = %(survivor)s AND z.ended_early_at IS NULL AND z.ends_at > %(now)s),
    (SELECT count(*) FROM tracker_flagentry WHERE flag_id = %(flag)s)
"""  # noqa: S608 (the f-string holds our integer constants only)


def _when(text: str) -> dt.datetime:
    # json_build_array writes timestamptz in the session's zone (UTC, as
    # Django sets it), ISO 8601.
    return dt.datetime.fromisoformat(text)


def _from_json(row) -> FlagPageLists:
    open_flags, events, events_total, reminders, snoozes, attachments_total = row

    def load(value):
        # psycopg decodes json itself unless Django registered its text loader.
        if value is None:
            return []
        return json.loads(value) if isinstance(value, str) else value

    return FlagPageLists(
        open_flags=[OpenFlag(*values) for values in load(open_flags)],
        events=[Event(_when(at), *rest) for at, *rest in load(events)],
        events_total=events_total,
        reminders=[Reminder(seq, channel, _when(due), state) for seq, channel, due, state in load(reminders)],
        snoozes=[SnoozeRow(pk, what, _when(ends), reason) for pk, what, ends, reason in load(snoozes)],
        attachments_total=attachments_total,
    )
