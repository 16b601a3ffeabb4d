"""The nurse's queue: the open flags of her clinics in queue order (emergency
first, then the least time left), a row per survivor, the filters, pages of
QUEUE_PAGE_SIZE survivors and "next in queue". flag_queue and queue_page are
the ORM definition, what SQLite runs; on PostgreSQL queue_page_read reads a
page and writes its audit row in one hand-written statement (_QUEUE_SQL), and
a test holds the two to the same rows. The row types are rows.py's; the
flag page is flag_page.py's."""

from __future__ import annotations

import datetime as dt
import operator
from typing import Any

from django.db import connection
from django.db.models import F, QuerySet
from django.utils import timezone

from tracker import scope
from tracker.access import Refused
from tracker.db import prepared_cursor
from tracker.evaluation.inputs import rule_choices
from tracker.models import Flag, User
from tracker.rules.tiers import QUEUE_RANK
from tracker.services.audit import audit_record_list

from .rows import QueueFlag, QueuePage, QueueRow, span

QUEUE_PAGE_SIZE = 25  # survivors a page


# PostgreSQL's order for an ascending index (a flag without a deadline last).
QUEUE_ORDER = ("tier_rank", F("review_by").asc(nulls_last=True), "id")

# The columns of one queue flag, in both the ORM definition and the SQL.
QUEUE_COLUMNS = (
    "pk",
    "survivor_id",
    "survivor__full_name",
    "survivor__language",
    "tier",
    "evidence",
    "created_at",
    "review_by",
    "callback_wanted",
    "followup__claimed_by__full_name",
    "followup__survivor_contacted_at",
)


def flag_queue(
    *,
    user: User,
    tier: str = "",
    rule: str = "",
    mine: bool = False,
    unclaimed: bool = False,
    overdue: bool = False,
    now: dt.datetime | None = None,
) -> QuerySet:
    """The open flags of her clinics that match the filters, in queue order:
    emergency first, then the least time left before the review deadline
    (overdue first), as (flag id, survivor id). A survivor's place in the
    queue is her first flag here (queue_page groups them): unfiltered, her
    highest tier and nearest deadline.

    This is the definition; on PostgreSQL queue_page_read's _QUEUE_SQL reads
    a page in one statement, and a test holds the two to the same rows. It
    reads in the order of the flag_open_queue index (tier_rank, review_by,
    id): the tier filter is a tier_rank prefix of it, the rule filter a rule
    id from the cached rule list. Her clinic ids go in as constants, so the
    planner knows how many survivors match (a subquery made it guess a few
    and sort every open flag)."""
    if not user.is_authenticated or not user.is_nurse:
        raise Refused
    now = now or timezone.now()
    clinic_ids = scope.clinic_ids_of(user)
    rows = Flag.objects.filter(status=Flag.Status.OPEN, survivor__clinic_id__in=clinic_ids)
    if tier:
        rows = rows.filter(tier_rank=QUEUE_RANK[tier])
    if rule:
        rule_id = queue_rule_id(rule)
        rows = rows.filter(rule_id=rule_id) if rule_id else rows.none()
    if mine:
        rows = rows.filter(followup__claimed_by=user)
    if unclaimed:
        rows = rows.filter(followup__claimed_by__isnull=True)
    if overdue:
        rows = rows.filter(review_by__lt=now)
    return rows.order_by(*QUEUE_ORDER).values_list("pk", "survivor_id")


def queue_page(rows: QuerySet, number: str | None, *, now: dt.datetime | None = None) -> QueuePage:
    """One page of survivors from flag_queue's flags: each survivor at her
    first flag there, with all her open flags (queue_page_read
    is the view's way in: it also writes the audit row)."""
    page = queue_page_number(number)
    start = (page - 1) * QUEUE_PAGE_SIZE
    order: list[int] = []
    seen: set[int] = set()
    for _, survivor_id in rows.iterator():
        if survivor_id not in seen:
            seen.add(survivor_id)
            order.append(survivor_id)
            if len(order) > start + QUEUE_PAGE_SIZE:
                break
    shown = order[start:]
    place = {survivor_id: k for k, survivor_id in enumerate(shown)}
    flags = Flag.objects.filter(status=Flag.Status.OPEN, survivor_id__in=shown).order_by(*QUEUE_ORDER)
    values = sorted(((place[v[1]], *v) for v in flags.values_list(*QUEUE_COLUMNS)), key=operator.itemgetter(0))
    return queue_page_from_values(values, page, now=now)


QUEUE_LAST_PAGE = 100_000  # 2.5 million survivors in a queue; beyond it OFFSET would overflow


def queue_page_number(number: str | None) -> int:
    try:
        return min(max(1, int(number or 1)), QUEUE_LAST_PAGE)
    except ValueError:
        return 1


def queue_page_from_values(values: list[tuple], page: int, *, now: dt.datetime | None = None) -> QueuePage:
    """values: (the survivor's place on the page, *QUEUE_COLUMNS) for the
    open flags of up to one more survivor than a page, by place then in queue
    order."""
    now = now or timezone.now()
    grouped: list[list[QueueFlag]] = []
    last = None
    for row in values:
        if row[0] != last:
            if len(grouped) == QUEUE_PAGE_SIZE:
                break
            grouped.append([])
            last = row[0]
        grouped[-1].append(_queue_flag(row, now))
    rows = [
        QueueRow(
            flags[0].survivor_id, flags[0].survivor_name, flags[0].survivor_language, tuple(flags), _contacted(flags)
        )
        for flags in grouped
    ]
    has_next = bool(values) and values[-1][0] >= QUEUE_PAGE_SIZE
    return QueuePage(rows=rows, number=page, has_previous=page > 1, has_next=has_next)


def queue_rule_id(slug: str) -> int | None:
    return next((r.id for r in rule_choices() if r.slug == slug), None)


def _queue_flag(row: tuple, now: dt.datetime) -> QueueFlag:
    # Positional and unpacked once: 75 of these a page, every 30 s per nurse.
    (_, pk, survivor_id, name, language, tier, evidence, created_at, review_by, callback_wanted, claimed_by,
     contacted_at) = row  # fmt: skip
    if review_by is None:
        overdue, due = False, "no deadline"
    elif review_by < now:
        overdue, due = True, f"Overdue by {span(now - review_by)}"
    else:
        overdue, due = False, f"in {span(review_by - now)}"
    summary = evidence if len(evidence) <= 90 else evidence[:89] + "…"
    return QueueFlag(
        pk, survivor_id, name, language, tier, summary, span(now - created_at), due, overdue, callback_wanted,
        claimed_by or "", contacted_at,
    )  # fmt: skip


def _contacted(flags: list[QueueFlag]) -> str:
    """When she last said she contacted her care team about an open flag,
    in the nurse's time zone."""
    latest = max((f.contacted_at for f in flags if f.contacted_at), default=None)
    if latest is None:
        return ""
    local = timezone.localtime(latest)
    return f"{local.day} {local:%b %H:%M}"


def queue_next(*, user: User, after: int | None = None) -> int | None:
    """ "Next in queue": the flag her queue leads with for the first survivor
    other than `after` (the one she has just worked on). In queue order a
    survivor's first flag is her highest, so it is the first flag not hers.
    Nothing is shown here (the flag page she lands on is audited)."""
    rows = flag_queue(user=user)
    if after is not None:
        rows = rows.exclude(survivor_id=after)
    first = rows.first()
    return None if first is None else first[0]


# ------------------------------------------------------------------ the queue

# Hand-written for PostgreSQL: every nurse's queue reloads every 30 s, and one
# statement that reads the page and writes its audit row (one, naming the
# survivors listed; none for an empty page) costs about half
# of what the ORM's three did (her clinic ids, the page, the audit insert)
# (bench/README.md, issue 5). The ORM definition in flag_queue and
# queue_page above is the reference: SQLite takes it, and a test holds
# the two to the same rows.
#
# A row is a survivor (a nurse calls a person): `firsts` walks the matching
# flags in the flag_open_queue index's order and keeps a flag only if no
# earlier matching flag of hers exists (the anti-join reads her two or three
# open flags by flag_survivor_status), so her place is her first match and
# a page stops after 26 survivors; `shown` then reads all her open flags.
# Her clinics go in as ARRAY(subquery) (tracker/scope.py's
# STAFF_CLINIC_IDS_SQL), which the planner evaluates first;
# as a join or IN (subquery) it guessed a few survivors and sorted every
# open flag instead of reading the index in order.
_QUEUE_SQL = """
WITH firsts AS (
    SELECT f.survivor_id, s.full_name, s.language, f.tier_rank, f.review_by, f.id
      FROM tracker_flag f
      JOIN tracker_user s ON s.id = f.survivor_id
     WHERE f.status = 'open'
       AND s.clinic_id = ANY(ARRAY({staff_clinic_ids}))
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
    SELECT survivor_id, full_name, language, row_number() OVER (ORDER BY tier_rank, review_by, id) - 1 AS place
      FROM firsts
), seen AS (
    INSERT INTO tracker_auditevent (at, actor_id, action, object_type, object_id, survivors)
    SELECT %(now)s, %(nurse)s, 'queue.view', '', '', to_jsonb(array_agg(survivor_id ORDER BY survivor_id))
      FROM placed WHERE place < {size}
    HAVING count(*) > 0
)
SELECT p.place, f.id, f.survivor_id, p.full_name, p.language, f.tier, left(f.evidence, 91), f.created_at, f.review_by,
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


def queue_page_read(*, nurse: User, number: str | None = None, now: dt.datetime | None = None, **filters) -> QueuePage:
    """One page of her queue, a row per survivor (filters as
    flag_queue), and the audit row naming the survivors it lists,
    read and written together."""
    if not nurse.is_authenticated or not nurse.is_nurse:
        raise Refused
    now = now or timezone.now()
    if connection.vendor != "postgresql":
        page = queue_page(flag_queue(user=nurse, now=now, **filters), number, now=now)
        audit_record_list(actor=nurse, action="queue.view", survivor_ids=[row.survivor_id for row in page.rows])
        return page
    page_number = queue_page_number(number)
    params: dict[str, Any] = {
        "nurse": nurse.pk,
        "now": now,
        "tier_rank": QUEUE_RANK.get(filters.get("tier") or ""),
        "rule_id": queue_rule_id(filters["rule"]) if filters.get("rule") else None,
    }
    chosen = [clause for name, clause in _QUEUE_FILTERS.items() if filters.get(name)]
    # LIMIT and OFFSET are written into the statement (integers of ours):
    # as parameters, PostgreSQL's generic plan would assume a tenth of the
    # table and never be chosen, so every run would be planned afresh.
    sql = _QUEUE_SQL.format(
        staff_clinic_ids=scope.STAFF_CLINIC_IDS_SQL,
        filters_f=" ".join(clause.format(a="f") for clause in chosen),
        filters_g=" ".join(clause.format(a="g") for clause in chosen),
        limit=QUEUE_PAGE_SIZE + 1,
        offset=(page_number - 1) * QUEUE_PAGE_SIZE,
        size=QUEUE_PAGE_SIZE,
    )
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        values = cursor.fetchall()
    return queue_page_from_values(values, page_number, now=now)
