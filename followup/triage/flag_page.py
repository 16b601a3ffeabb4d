"""The nurse's flag page: the flag, its latest matches, her other open
flags, the care-team actions, the reminders and her snoozes; and the writes
that opening it makes: the audit row and "first opened" (which stops the
flag's escalation).

A nurse opens flag after flag all day. On PostgreSQL all of it is one
prepared statement (followup/triage/flag_page_sql.py): the ORM took seven to nine
statements, each costing more to build and plan than to run (bench/README.md,
issue 12). flag_page_orm below is the definition, what SQLite runs, and a
test holds the two to the same values. Every list is bounded, so a flag open
for months costs what a new one does; the page says when a list is cut.
"""

import datetime as dt
import json
from dataclasses import dataclass

from django.db import connection
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from tracker.access import Refused
from tracker.db import prepared_cursor
from tracker.models import Flag, FlagEntry, Snooze, Tier, User
from tracker.services.audit import audit_record

from ..models import Channel, FlagEvent, Message
from . import actions, flag_page_sql, reads

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
        return str(_TIER[self.tier])


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


@dataclass
class FlagPage:
    flag: Flag  # with survivor (clinic, preferences), followup (claimed_by), rule, rule_version
    attachments: list[FlagEntry]  # the latest matches, oldest first, with entry (symptom, body site) or weight
    attachments_total: int
    open_flags: list[OpenFlag]  # hers, this one too, highest tier first
    events: list[Event]  # the latest, oldest first
    events_total: int
    reminders: list[Reminder]
    snoozes: list[SnoozeRow]

    @property
    def other_flags(self) -> list[OpenFlag]:
        return [f for f in self.open_flags if f.pk != self.flag.pk]


def flag_page_read(*, nurse: User, flag_id: int, now: dt.datetime | None = None) -> FlagPage:
    """Everything the page shows (404 for a flag not in her clinics), and
    its writes: one audit row ("flag.view") and, the first time a nurse
    opens the flag, "first opened" by her."""
    if not nurse.is_authenticated or not nurse.is_nurse:
        raise Refused
    now = now or timezone.now()
    if connection.vendor != "postgresql":
        flag = reads.flag_get_for_nurse(user=nurse, flag_id=flag_id)
        actions.flag_opened(flag=flag, nurse=nurse, now=now)
        audit_record(actor=nurse, action="flag.view", survivor=flag.survivor, target=flag)
        return flag_page_orm(nurse=nurse, flag_id=flag_id, now=now)
    statement = flag_page_sql.sql(events=EVENTS_SHOWN, reminders=REMINDERS_SHOWN, attachments=ATTACHMENTS_SHOWN)
    with prepared_cursor() as cursor:
        cursor.execute(statement, {"flag": flag_id, "nurse": nurse.pk, "now": now})
        rows = cursor.fetchall()
    if not rows:
        raise Http404
    flag, attachments, lists = flag_page_sql.from_rows(rows)
    open_flags, events, events_total, reminders, snoozes, attachments_total = lists
    return FlagPage(
        flag=flag,
        attachments=attachments,
        attachments_total=attachments_total,
        open_flags=[OpenFlag(*values) for values in _json(open_flags)],
        events=[Event(_when(at), *rest) for at, *rest in _json(events)],
        events_total=events_total,
        reminders=[Reminder(seq, channel, _when(due), state) for seq, channel, due, state in _json(reminders)],
        snoozes=[SnoozeRow(pk, what, _when(ends), reason) for pk, what, ends, reason in _json(snoozes)],
    )


def open_flags(*, survivor_id: int) -> list[OpenFlag]:
    """Her open flags, highest tier first (then the nearest deadline)."""
    rows = (
        Flag.objects.filter(survivor_id=survivor_id, status=Flag.Status.OPEN)
        .order_by("tier_rank", F("review_by").asc(nulls_last=True), "id")
        .values_list("pk", "tier", "rule_version__name")
    )
    return [OpenFlag(*values) for values in rows]


def flag_page_orm(*, nurse: User, flag_id: int, now: dt.datetime) -> FlagPage:
    """The definition of what the page shows (reads only; SQLite runs it)."""
    flag = reads.flag_get_for_nurse(user=nurse, flag_id=flag_id)
    latest_matches = flag.attachments.select_related("entry__symptom", "entry__body_site", "weight").order_by(
        "-created_at", "-id"
    )
    events = FlagEvent.objects.filter(flag=flag)
    latest = events.order_by("-at", "-id").values_list("at", "author__full_name", "kind", "result", "text")
    reminders = Message.objects.filter(flag=flag).order_by("sequence", "channel", "id")
    snoozes = (
        Snooze.objects.filter(survivor_id=flag.survivor_id, ended_early_at__isnull=True, ends_at__gt=now)
        .order_by("ends_at", "id")
        .values_list("pk", "rule__current__name", "symptom__label", "ends_at", "reason")
    )
    return FlagPage(
        flag=flag,
        attachments=list(reversed(latest_matches[:ATTACHMENTS_SHOWN])),
        attachments_total=flag.attachments.count(),
        open_flags=open_flags(survivor_id=flag.survivor_id),
        events=[Event(*values) for values in reversed(latest[:EVENTS_SHOWN])],
        events_total=events.count(),
        reminders=[
            Reminder(*values)
            for values in reminders.values_list("sequence", "channel", "due_at", "state")[:REMINDERS_SHOWN]
        ],
        snoozes=[SnoozeRow(pk, rule or symptom or "", ends, reason) for pk, rule, symptom, ends, reason in snoozes],
    )


def _when(text: str) -> dt.datetime:
    # json_build_array writes timestamptz in the session's zone (UTC, as
    # Django sets it), ISO 8601.
    return dt.datetime.fromisoformat(text)


def _json(value) -> list:
    # psycopg decodes json itself unless Django registered its text loader.
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else value
