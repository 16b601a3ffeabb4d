"""Her history page (her home page, and her page as a nurse opens it) in
one statement.

What the page shows: her clinic (its numbers), her open flags highest tier
first (with the advice, whether she said she contacted her care team, and
whether she withdrew what raised them), her ten latest check-ins with every
entry, and the charts' points over `days` (symptoms and weights that stand).

Through the ORM (`history_page_orm`, the definition, and the path on
SQLite) that is seven statements and a model instance per entry; on
PostgreSQL one prepared statement (tracker/db.py) returns it as JSON, built
into the same plain rows (`history_page_sql`), and writes the audit row of
a nurse's read. A test holds the two equal.
The page's markup is written in Python (tracker/templatetags/checkin_cards.py).
Figures: bench/README.md, "Her home page"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, cast, overload

from django.db import connection
from django.utils import timezone, translation

from .catalog import label_in_language
from .db import prepared_cursor
from .models import Clinic, Flag, RuleVersion, User
from .selectors.flags import flags_open_for_survivor
from .selectors.history import chart_points, checkin_list_recent
from .services.audit import audit_read
from .templatetags.checkin_cards import CheckInRow, EntryRow

if TYPE_CHECKING:
    from .selectors.flags import HerFlag

RECENT_CHECKINS = 10
AUDIT_ACTION = "survivor.history.view"


@dataclass
class HistoryPage:
    clinic: Clinic | None
    open_flags: list[HerFlag]  # what stands, highest tier first
    withdrawn_flags: list[HerFlag]  # everything behind them she marked entered in error
    recent_checkins: list[CheckInRow]
    symptoms: list[dict]  # chart points: x (aware datetime), y (0-10), symptom, site
    weights: list[dict]  # chart points: x, y (in her unit)


def history_page(*, survivor: User, days: int, reader: User) -> HistoryPage:
    """The page, and the audit row of the read when someone else (a nurse)
    reads it: written by the same statement on PostgreSQL."""
    if connection.vendor == "postgresql":
        return history_page_sql(survivor=survivor, days=days, reader=reader)
    audit_read(reader=reader, action=AUDIT_ACTION, survivor=survivor, target=survivor)
    return history_page_orm(survivor=survivor, days=days)


def history_page_orm(*, survivor: User, days: int) -> HistoryPage:
    flags = flags_open_for_survivor(survivor=survivor)
    symptoms, weights = chart_points(survivor=survivor, since=timezone.now() - dt.timedelta(days=days))
    return HistoryPage(
        clinic=survivor.clinic,
        open_flags=[flag for flag in flags if not flag.withdrawn],
        withdrawn_flags=[flag for flag in flags if flag.withdrawn],
        recent_checkins=[CheckInRow.of(c) for c in checkin_list_recent(survivor=survivor, limit=RECENT_CHECKINS)],
        symptoms=symptoms,
        weights=weights,
    )


# Each part is a JSON array of arrays (positional: no key repeated per row).
# The orders are those of the selectors history_page_orm calls; `withdrawn`
# is tracker.selectors.flags._for_her's (a later real match puts a flag back).
# `seen`: the audit row of a read by someone else, as services.audit_read
# writes it (a statement's data-modifying WITH runs whether or not it is
# read). The SELECT reads the snapshot taken before it, which it does not touch.
SQL = """
WITH seen AS (
    INSERT INTO tracker_auditevent (at, actor_id, action, survivor_id, object_type, object_id, survivors)
    SELECT %(now)s, %(reader)s, %(action)s, %(survivor)s, 'user', %(survivor)s::text, NULL
     WHERE %(reader)s::bigint <> %(survivor)s::bigint
)
SELECT
  (SELECT json_build_array(c.id, c.name, c.care_team_phone, c.emergency_number, c.created_at)
     FROM tracker_clinic c WHERE c.id = %(clinic)s),
  (SELECT json_agg(json_build_array(
            f.id, f.tier, f.tier_rank, f.created_at, f.entered_in_error_at, v.id, v.advice, v.advice_es,
            ff.survivor_contacted_at,
            f.entered_in_error_at IS NOT NULL AND NOT EXISTS (
              SELECT FROM tracker_flagentry a
               WHERE a.flag_id = f.id AND NOT a.rule_failed AND a.created_at > f.entered_in_error_at))
          ORDER BY f.tier_rank, f.created_at DESC, f.id DESC)
     FROM tracker_flag f
     JOIN tracker_ruleversion v ON v.id = f.rule_version_id
     LEFT JOIN followup_flagfollowup ff ON ff.flag_id = f.id
    WHERE f.survivor_id = %(survivor)s AND f.status = 'open' AND NOT f.rule_failed),
  (SELECT json_agg(json_build_array(c.id, c.created_at, c.callback_requested, (
            SELECT json_agg(json_build_array(e.id, sy.label, coalesce(bs.label, ''), e.severity, e.is_new, e.is_worse,
                                             e.started_on, e.note, e.entered_in_error_at,
                                             sy.label_es, coalesce(bs.label_es, '')) ORDER BY e.id)
              FROM tracker_symptomentry e
              JOIN tracker_symptom sy ON sy.id = e.symptom_id
              LEFT JOIN tracker_bodysite bs ON bs.id = e.body_site_id
             WHERE e.checkin_id = c.id), c.endocrine_answer) ORDER BY c.created_at DESC)
     FROM (SELECT * FROM tracker_checkin WHERE survivor_id = %(survivor)s
            ORDER BY created_at DESC LIMIT %(recent)s) c),
  (SELECT json_agg(json_build_array(e.created_at, e.severity, sy.label, coalesce(bs.label, ''),
                                    sy.label_es, coalesce(bs.label_es, ''))
                   ORDER BY e.created_at, e.id)
     FROM tracker_symptomentry e
     JOIN tracker_symptom sy ON sy.id = e.symptom_id
     LEFT JOIN tracker_bodysite bs ON bs.id = e.body_site_id
    WHERE e.survivor_id = %(survivor)s AND e.created_at >= %(since)s AND e.entered_in_error_at IS NULL),
  (SELECT json_agg(json_build_array(w.recorded_at, w.kg::text) ORDER BY w.recorded_at, w.id)
     FROM tracker_weightentry w
    WHERE w.survivor_id = %(survivor)s AND w.recorded_at >= %(since)s AND w.entered_in_error_at IS NULL)
"""


@overload
def _at(value: str) -> dt.datetime: ...
@overload
def _at(value: None) -> None: ...
def _at(value: str | None) -> dt.datetime | None:
    # JSON carries timestamptz as ISO 8601 with the session's offset (UTC).
    return dt.datetime.fromisoformat(value) if value is not None else None


def history_page_sql(*, survivor: User, days: int, reader: User) -> HistoryPage:
    now = timezone.now()
    params = {
        "survivor": survivor.pk,
        "clinic": survivor.clinic_id,
        "since": now - dt.timedelta(days=days),
        "recent": RECENT_CHECKINS,
        "now": now,
        "reader": reader.pk,
        "action": AUDIT_ACTION,
    }
    with prepared_cursor() as cursor:
        cursor.execute(SQL, params)
        clinic_row, flag_rows, checkin_rows, symptom_rows, weight_rows = cursor.fetchone()

    clinic = None
    if clinic_row is not None:
        clinic = Clinic(
            id=clinic_row[0],
            name=clinic_row[1],
            care_team_phone=clinic_row[2],
            emergency_number=clinic_row[3],
            created_at=_at(clinic_row[4]),
        )
        survivor.clinic = clinic  # the templates read survivor.clinic
    open_flags: list[HerFlag] = []
    withdrawn_flags: list[HerFlag] = []
    for pk, tier, rank, created, in_error, version_id, advice, advice_es, contacted, withdrawn in flag_rows or ():
        flag = Flag(
            id=pk,
            survivor_id=survivor.pk,
            tier=tier,
            tier_rank=rank,
            created_at=_at(created),
            entered_in_error_at=_at(in_error),
            rule_version_id=version_id,
        )
        # Both languages: the page shows hers (tracker/i18n.localized).
        flag.rule_version = RuleVersion(id=version_id, advice=advice, advice_es=advice_es)
        her = cast("HerFlag", flag)  # given by hand what _for_her annotates
        her.contacted_at = _at(contacted)
        her.withdrawn = withdrawn
        (withdrawn_flags if withdrawn else open_flags).append(her)
    # Labels in the page's language: the row's Spanish when it is written (tracker/i18n.py).
    language = translation.get_language()
    checkins = [
        CheckInRow(
            pk,
            _at(created),
            callback,
            [
                EntryRow(
                    e[0],
                    survivor.pk,
                    label_in_language(e[1], e[9], language),
                    label_in_language(e[2], e[10], language),
                    e[3],
                    e[4],
                    e[5],
                    dt.date.fromisoformat(e[6]),
                    e[7],
                    _at(e[8]),
                )
                for e in entries or ()
            ],
            answer,
        )
        for pk, created, callback, entries, answer in checkin_rows or ()
    ]
    shown = survivor.weight_shown
    return HistoryPage(
        clinic=clinic,
        open_flags=open_flags,
        withdrawn_flags=withdrawn_flags,
        recent_checkins=checkins,
        symptoms=[
            {
                "x": _at(x),
                "y": y,
                "symptom": label_in_language(label, label_es, language),
                "site": label_in_language(site, site_es, language),
            }
            for x, y, label, site, label_es, site_es in symptom_rows or ()
        ],
        weights=[{"x": _at(x), "y": float(shown(Decimal(kg)))} for x, kg in weight_rows or ()],
    )
