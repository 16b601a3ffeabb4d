"""From the ORM to the rules engine, for one survivor's check-in: the
per-process rule cache (the active rules as engine data, the skipped ones,
the rule choices for filters), the engine's view of a stored entry or weight,
and rule_inputs (her history within the rules' windows and her snoozes, in
one hand-written statement). Reads only, with no permission check: callers
have already found the survivor. Rule preview over many survivors lives in
preview.py; permission-checked reads live in tracker/selectors/.
"""

import datetime as dt
import json
import logging
import time
import zoneinfo
from dataclasses import dataclass
from typing import overload

from django.db import connection
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ..models import BodySite, Rule, RuleVersion, Symptom, SymptomEntry, User, WeightEntry
from ..rules import engine, text
from ..rules.facts import Answer, Entry, History, Weight

log = logging.getLogger(__name__)

_RULES_CACHE: dict[str, tuple] = {}
RULES_RECHECK_SECONDS = 1.0


def rule_defs_active() -> list[engine.RuleDef]:
    """The current version of every switched-on rule, as plain engine data.

    Kept per process. At most once a second the process asks the database
    (one tiny query) whether any rule changed, and reloads if so; a change
    made in this process applies at once (rule_defs_forget). Django's cache
    framework would need a shared backend to be right across web and worker
    processes; the database already knows, so we ask it."""
    return _rules_cached("active", _rule_defs_load)[0]


def rule_slugs_skipped() -> frozenset[str]:
    """The switched-on rules that can't run (their stored definition does
    not validate): the rules page marks them."""
    return _rules_cached("active", _rule_defs_load)[1]


def _rule_defs_load() -> tuple[list[engine.RuleDef], frozenset[str]]:
    """Each rule on its own: one whose stored definition does not validate
    (saved before the bounds, or written by hand) is left out and logged,
    never allowed to fail the check-in that loads it."""
    versions = RuleVersion.objects.filter(current_of__is_active=True).select_related("rule").order_by("rule__slug")
    rules, skipped = [], set()
    for version in versions:
        try:
            rules.append(rule_def(version))
        except Exception as error:  # a stored row that can't be used: every other rule still runs
            skipped.add(version.rule.slug)
            log.error(
                "rule %s (%s) version %s can't be loaded and is skipped (%s)",
                version.rule_id,
                version.rule.slug,
                version.pk,
                type(error).__name__,
            )
    return rules, frozenset(skipped)


@dataclass(frozen=True)
class RuleChoice:
    id: int
    slug: str
    name: str


def rule_choices() -> list[RuleChoice]:
    """Every rule (on or off: a switched-off rule can still have open flags)
    by name, for filters; kept per process like rule_defs_active."""

    def load():
        rows = Rule.objects.values_list("id", "slug", "current__name").order_by("current__name", "slug")
        return [RuleChoice(pk, slug, name or slug) for pk, slug, name in rows]

    return _rules_cached("choices", load)


def _rules_cached(name: str, load):
    cached = _RULES_CACHE.get(name)
    checked = time.monotonic()
    if cached is not None and checked - cached[2] < RULES_RECHECK_SECONDS:
        return cached[1]
    active = Q(is_active=True)
    stamp = Rule.objects.aggregate(
        changed=Max("changed_at"),
        newest=Max("current_id"),
        on=Count("id", filter=active),
        ids=Sum("id", filter=active),
        every=Count("id"),
    )
    key = tuple(stamp.values())
    value = cached[1] if cached is not None and cached[0] == key else load()
    _RULES_CACHE[name] = (key, value, checked)
    return value


def rule_defs_forget() -> None:
    _RULES_CACHE.clear()


def rule_def(version: RuleVersion) -> engine.RuleDef:
    """The engine's rule for a stored version; validation.InvalidRule if it no
    longer validates (shape and bounds: a stored row may predate them)."""
    return engine.RuleDef(
        slug=version.rule.slug,
        tier=version.tier,
        condition=version.condition,
        version_id=version.pk,
        rule_id=version.rule_id,
        name=version.name,
    )


def _local_day(moment, survivor: User):
    return moment.astimezone(zoneinfo.ZoneInfo(survivor.time_zone)).date()


def entry_fact(row: SymptomEntry, *, survivor: User) -> Entry:
    """The engine's view of a stored entry, her note as it was read when saved."""
    return Entry(
        id=row.pk,
        symptom=row.symptom.code,
        body_site=row.body_site.code if row.body_site else None,
        severity=row.severity,
        is_new=row.is_new,
        is_worse=row.is_worse,
        at=row.created_at,
        day=_local_day(row.created_at, survivor),
        note=row.note,
        **_reading(row.reading).entry_fields(),
    )


def _reading(data):
    if isinstance(data, str):  # SQLite's raw cursor hands back JSON as text
        data = json.loads(data)
    return text.Reading.from_json(data) or text.EMPTY


def weight_fact(row: WeightEntry) -> Weight:
    return Weight(id=row.pk, kg=float(row.kg), at=row.recorded_at)


@dataclass(frozen=True)
class RuleInputs:
    history: History
    snoozed_rules: frozenset[str]
    snoozed_symptoms: frozenset[str]


# One round trip for everything evaluation needs about her: entries in the
# rules' windows, weights, her check-ins' answers about her hormone tablets
# (the answer rides in the kind column, 'a:stopped': the other columns' types
# are the entries' and weights', and || is the same in both databases), and
# active snoozes. Written as SQL by hand because
# this runs inside every check-in and three ORM queries cost three round
# trips (see bench/README.md); it is plain SQL that PostgreSQL and SQLite share.
# What she marked entered in error is no evidence: rules read what stands.
_RULE_INPUTS_SQL = """
SELECT 'e', id, symptom_id, body_site_id, severity, is_new, is_worse, created_at, NULL, reading
  FROM tracker_symptomentry WHERE survivor_id = %s AND created_at >= %s AND entered_in_error_at IS NULL
UNION ALL
SELECT 'w', id, NULL, NULL, NULL, NULL, NULL, recorded_at, kg, NULL
  FROM tracker_weightentry WHERE survivor_id = %s AND recorded_at >= %s AND entered_in_error_at IS NULL
UNION ALL
SELECT 's', id, symptom_id, rule_id, NULL, NULL, NULL, ends_at, NULL, NULL
  FROM tracker_snooze
 WHERE survivor_id = %s AND starts_at <= %s AND ends_at > %s AND ended_early_at IS NULL
UNION ALL
SELECT 'a:' || endocrine_answer, id, NULL, NULL, NULL, NULL, NULL, created_at, NULL, NULL
  FROM tracker_checkin WHERE survivor_id = %s AND created_at >= %s AND endocrine_answer <> ''
"""
_CATALOG: dict[str, dict[int, str]] = {}


@overload
def _catalog_code(kind: str, pk: int) -> str: ...
@overload
def _catalog_code(kind: str, pk: None) -> None: ...
def _catalog_code(kind: str, pk: int | None) -> str | None:
    """Symptom or body-site code by id, from a per-process copy of the small,
    append-only catalog (saves two joins on the hot path)."""
    if pk is None:
        return None
    codes = _CATALOG.get(kind)
    if codes is None or pk not in codes:
        model = Symptom if kind == "symptom" else BodySite
        codes = _CATALOG[kind] = dict(model.objects.values_list("id", "code"))
    return codes[pk]


def rule_inputs(*, survivor: User, rules: list[engine.RuleDef], now=None) -> RuleInputs:
    """Her history within the rules' windows, and her active snoozes. Earlier
    notes come as they were read when saved (never re-read here)."""
    now = now or timezone.now()
    tz = zoneinfo.ZoneInfo(survivor.time_zone)
    entry_days = max((r.entry_days for r in rules), default=0)
    weight_days = max((r.weight_days for r in rules), default=0)
    # A window of 0 still reads today's rows: this check-in's own entries.
    entries_since = now - dt.timedelta(days=entry_days, hours=1)
    weights_since = now - dt.timedelta(days=weight_days, hours=1) if weight_days else now + dt.timedelta(days=1)
    # Her answers only when a rule reads them (the event's own is handed to the engine by the caller).
    reads_answers = any(rule.kind == "answer" for rule in rules)
    answer_days = max((r.answer_days for r in rules), default=0)
    answers_since = now - dt.timedelta(days=answer_days, hours=1) if reads_answers else now + dt.timedelta(days=1)
    params = [survivor.pk, entries_since, survivor.pk, weights_since, survivor.pk, now, now, survivor.pk, answers_since]
    with connection.cursor() as cursor:
        cursor.execute(_RULE_INPUTS_SQL, params)
        rows = cursor.fetchall()
    entries, weights, answers, snoozed_rules, snoozed_symptoms = [], [], [], set(), set()
    slugs = {rule.rule_id: rule.slug for rule in rules}
    for kind, pk, symptom_id, site_or_rule_id, severity, is_new, is_worse, at, kg, reading in rows:
        if kind == "s":
            if site_or_rule_id is not None:
                # A snooze of a switched-off rule needs no slug: that rule cannot fire.
                snoozed_rules.add(slugs.get(site_or_rule_id, f"rule-{site_or_rule_id}"))
            if symptom_id is not None:
                snoozed_symptoms.add(_catalog_code("symptom", symptom_id))
            continue
        at = _aware(at)
        if kind.startswith("a:"):
            answers.append(Answer(id=pk, answer=kind[2:], at=at))
        elif kind == "e":
            entries.append(
                Entry(
                    id=pk,
                    symptom=_catalog_code("symptom", symptom_id),
                    body_site=_catalog_code("body_site", site_or_rule_id),
                    severity=severity,
                    is_new=bool(is_new),
                    is_worse=bool(is_worse),
                    at=at,
                    day=at.astimezone(tz).date(),
                    **(_reading(reading).entry_fields() if reading is not None else {}),
                )
            )
        else:
            weights.append(Weight(id=pk, kg=float(kg), at=at))
    entries.sort(key=lambda e: (e.at, e.id))
    weights.sort(key=lambda w: w.at)
    answers.sort(key=lambda a: (a.at, a.id))
    return RuleInputs(
        history=History(entries=tuple(entries), weights=tuple(weights), answers=tuple(answers)),
        snoozed_rules=frozenset(snoozed_rules),
        snoozed_symptoms=frozenset(snoozed_symptoms),
    )


def _aware(value) -> dt.datetime:
    # PostgreSQL hands back aware datetimes; SQLite's raw cursor hands back text.
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)
