"""Every read that depends on who asks. Each answers 404 alike for "missing"
and "not yours", so an outsider learns nothing from the status code.

Who may see a survivor's health data:
- the survivor herself;
- a nurse who works for the survivor's clinic.
Clinic admins manage accounts and rules; they do not read symptoms.
"""

import bisect
import datetime as dt
import functools
import heapq
import itertools
import json
import operator
import time
import zoneinfo
from dataclasses import dataclass, field, replace

from django.db import connection
from django.db.models import BooleanField, Case, Count, Max, Prefetch, Q, QuerySet, Sum, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .models import (
    BodySite,
    CheckIn,
    Clinic,
    Flag,
    Invitation,
    Rule,
    RuleVersion,
    Symptom,
    SymptomEntry,
    User,
    WeightEntry,
)
from .rules import engine, text


def survivors_visible_to(*, user: User) -> QuerySet[User]:
    """The survivors whose health data this user may read."""
    survivors = User.objects.filter(role=User.Role.SURVIVOR, is_active=True)
    if not user.is_authenticated:
        return survivors.none()
    if user.is_survivor:
        return survivors.filter(pk=user.pk)
    if user.is_nurse:
        return survivors.filter(clinic__in=user.staff_clinics.all())
    return survivors.none()


def survivor_get_for_user(*, user: User, survivor_id: int) -> User:
    survivor = survivors_visible_to(user=user).select_related("clinic").filter(pk=survivor_id).first()
    if survivor is None:
        raise Http404("No such survivor.")
    return survivor


def checkin_get_for_user(*, user: User, checkin_id: int) -> CheckIn:
    checkin = (
        CheckIn.objects.filter(survivor__in=survivors_visible_to(user=user), pk=checkin_id)
        .select_related("survivor__clinic")
        .prefetch_related(Prefetch("entries", queryset=_entries()))
        .first()
    )
    if checkin is None:
        raise Http404("No such check-in.")
    return checkin


def _entries() -> QuerySet[SymptomEntry]:
    return SymptomEntry.objects.select_related("symptom", "body_site").order_by("id")


def checkin_list_recent(*, survivor: User, limit: int = 10) -> list[CheckIn]:
    """The survivor's latest check-ins with their entries. Callers have
    already checked access through survivor_get_for_user or the session."""
    return list(
        CheckIn.objects.filter(survivor=survivor)
        .prefetch_related(Prefetch("entries", queryset=_entries()))
        .order_by("-created_at")[:limit]
    )


def symptom_timeline(*, survivor: User, since) -> list[SymptomEntry]:
    return list(_entries().filter(survivor=survivor, created_at__gte=since).order_by("created_at"))


def weight_list(*, survivor: User, since) -> list[WeightEntry]:
    return list(WeightEntry.objects.filter(survivor=survivor, recorded_at__gte=since).order_by("recorded_at"))


@dataclass(frozen=True)
class HistoryChart:
    data: dict
    recent_weights: list
    has_data: bool


def history_chart(*, survivor: User, days: int, tz) -> HistoryChart:
    """Her symptom timeline and weights over `days`, for Chart.js (two queries)."""
    since = timezone.now() - dt.timedelta(days=days)
    timeline = symptom_timeline(survivor=survivor, since=since)
    weights = weight_list(survivor=survivor, since=since)

    shown = survivor.weight_shown
    data = {
        "weights": [{"x": w.recorded_at.astimezone(tz).date().isoformat(), "y": float(shown(w.kg))} for w in weights],
        "weight_unit": survivor.weight_unit,
        "symptoms": [
            {"x": e.created_at.astimezone(tz).date().isoformat(), "y": e.symptom.label, "severity": e.severity}
            for e in timeline
        ],
    }
    return HistoryChart(
        data=data, recent_weights=[(w, shown(w.kg)) for w in reversed(weights)][:10], has_data=bool(weights or timeline)
    )


def staff_clinics(*, user: User) -> QuerySet[Clinic]:
    if not user.is_authenticated or not user.is_clinic_staff:
        return Clinic.objects.none()
    return user.staff_clinics.all()


def clinic_survivor_list(*, user: User) -> QuerySet[User]:
    """Names and enrolment of survivors in the staff member's clinics: the
    account list that nurses and clinic admins both manage."""
    return (
        User.objects.filter(role=User.Role.SURVIVOR, clinic__in=staff_clinics(user=user))
        .select_related("clinic")
        .order_by("full_name")
    )


def invitation_list_pending(*, user: User) -> QuerySet[Invitation]:
    return Invitation.objects.filter(clinic__in=staff_clinics(user=user), accepted_at__isnull=True).select_related(
        "clinic", "invited_by"
    )


# ------------------------------------------------------------------ rules and flags


_RULES_CACHE: dict[str, tuple] = {}
RULES_RECHECK_SECONDS = 1.0


def rule_defs_active() -> list[engine.RuleDef]:
    """The current version of every switched-on rule, as plain engine data.

    Kept per process. At most once a second the process asks the database
    (one tiny query) whether any rule changed, and reloads if so; a change
    made in this process applies at once (rule_defs_forget). Django's cache
    framework would need a shared backend to be right across web and worker
    processes; the database already knows, so we ask it."""

    def load():
        versions = RuleVersion.objects.filter(current_of__is_active=True).select_related("rule").order_by("rule__slug")
        return [rule_def(v) for v in versions]

    return _rules_cached("active", load)


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


def entry_fact(row: SymptomEntry, *, survivor: User) -> engine.Entry:
    """The engine's view of a stored entry, her note as it was read when saved."""
    return engine.Entry(
        id=row.pk,
        symptom=row.symptom.code,
        body_site=row.body_site.code if row.body_site_id else None,
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


def weight_fact(row: WeightEntry) -> engine.Weight:
    return engine.Weight(id=row.pk, kg=float(row.kg), at=row.recorded_at)


@dataclass(frozen=True)
class RuleInputs:
    history: engine.History
    snoozed_rules: frozenset[str]
    snoozed_symptoms: frozenset[str]


# One round trip for everything evaluation needs about her: entries in the
# rules' windows, weights, and active snoozes. Written as SQL by hand because
# this runs inside every check-in and three ORM queries cost three round
# trips (see bench/README.md); it is plain SQL that PostgreSQL and SQLite share.
_RULE_INPUTS_SQL = """
SELECT 'e', id, symptom_id, body_site_id, severity, is_new, is_worse, created_at, NULL, reading
  FROM tracker_symptomentry WHERE survivor_id = %s AND created_at >= %s
UNION ALL
SELECT 'w', id, NULL, NULL, NULL, NULL, NULL, recorded_at, kg, NULL
  FROM tracker_weightentry WHERE survivor_id = %s AND recorded_at >= %s
UNION ALL
SELECT 's', id, symptom_id, rule_id, NULL, NULL, NULL, ends_at, NULL, NULL
  FROM tracker_snooze
 WHERE survivor_id = %s AND starts_at <= %s AND ends_at > %s AND ended_early_at IS NULL
"""
_CATALOG: dict[str, dict[int, str]] = {}


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
    params = [survivor.pk, entries_since, survivor.pk, weights_since, survivor.pk, now, now]
    with connection.cursor() as cursor:
        cursor.execute(_RULE_INPUTS_SQL, params)
        rows = cursor.fetchall()
    entries, weights, snoozed_rules, snoozed_symptoms = [], [], set(), set()
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
        if kind == "e":
            entries.append(
                engine.Entry(
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
            weights.append(engine.Weight(id=pk, kg=float(kg), at=at))
    entries.sort(key=lambda e: (e.at, e.id))
    weights.sort(key=lambda w: w.at)
    return RuleInputs(
        history=engine.History(entries=tuple(entries), weights=tuple(weights)),
        snoozed_rules=frozenset(snoozed_rules),
        snoozed_symptoms=frozenset(snoozed_symptoms),
    )


def _aware(value) -> dt.datetime:
    # PostgreSQL hands back aware datetimes; SQLite's raw cursor hands back text.
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)


# Column key -> heading, in the file's order.
_EXPORT = {
    "at": "recorded (her time zone)",
    "type": "type",
    "what": "what",
    "site": "body site",
    "severity": "severity (0-10)",
    "new": "new",
    "worse": "getting worse",
    "since": "since",
    "note": "note",
    "weight": "weight",
    "unit": "weight unit",
    "tier": "flag tier",
    "status": "flag status",
    "outcome": "flag outcome",
}
EXPORT_COLUMNS = tuple(_EXPORT.values())


def record_export_rows(*, survivor: User):
    """Her whole record, oldest first, one row per symptom, weight and flag,
    in EXPORT_COLUMNS order: three queries read in time order and merged as
    they stream. Callers have checked access through survivor_get_for_user."""
    tz = zoneinfo.ZoneInfo(survivor.time_zone or "UTC")
    entries = _entries().filter(survivor=survivor).order_by("created_at", "id")
    weights = WeightEntry.objects.filter(survivor=survivor).order_by("recorded_at", "id")
    flags = Flag.objects.filter(survivor=survivor).select_related("rule__current").order_by("created_at", "id")
    rows = heapq.merge(
        (
            {
                "at": e.created_at,
                "type": "symptom",
                "what": e.symptom.label,
                "site": e.body_site.label if e.body_site else "",
                "severity": e.severity,
                "new": "yes" if e.is_new else "no",
                "worse": "yes" if e.is_worse else "no",
                "since": e.started_on.isoformat() if e.started_on else "",
                "note": e.note,
            }
            for e in entries.iterator(chunk_size=2000)
        ),
        (
            {
                "at": w.recorded_at,
                "type": "weight",
                "weight": f"{survivor.weight_shown(w.kg):.1f}",
                "unit": survivor.weight_unit,
            }
            for w in weights.iterator(chunk_size=2000)
        ),
        (
            {
                "at": f.created_at,
                "type": "flag",
                "what": f.rule.current.name if f.rule.current else f.rule.slug,
                "note": f.evidence,
                "tier": f.get_tier_display(),
                "status": f.get_status_display(),
                "outcome": f.get_outcome_display(),
            }
            for f in flags.iterator(chunk_size=2000)
        ),
        key=operator.itemgetter("at"),
    )
    for row in rows:
        row["at"] = row["at"].astimezone(tz).strftime("%Y-%m-%d %H:%M")
        yield tuple(row.get(key, "") for key in _EXPORT)


def flags_open_for_survivor(*, survivor: User) -> list[Flag]:
    return list(
        Flag.objects.filter(survivor=survivor, status=Flag.Status.OPEN)
        .select_related("rule_version", "rule__current")
        .order_by("-created_at")
    )


def flags_for_checkin(*, checkin: CheckIn) -> list[Flag]:
    """The open flags this check-in raised or attached to, highest tier first."""
    flags = list(
        Flag.objects.filter(attachments__entry__checkin=checkin, status=Flag.Status.OPEN)
        .select_related("rule_version", "rule__current")
        .distinct()
    )
    return sorted(flags, key=lambda f: -engine.TIER_RANK[f.tier])


# ------------------------------------------------------------------ rule preview


PREVIEW_SAMPLE = 20


def _superset_q(node: dict) -> Q | None:
    """A SQL filter that every entry the node matches passes (None: no
    filter), so that preview streams only candidates to the engine."""
    [(key, value)] = node.items()
    if key == "all":
        parts = [q for q in (_superset_q(child) for child in value) if q is not None]
        return functools.reduce(operator.and_, parts) if parts else None
    if key == "any":
        parts = [_superset_q(child) for child in value]
        return None if any(q is None for q in parts) else functools.reduce(operator.or_, parts)
    if key == "symptom":
        return Q(symptom__code__in=value)
    if key == "body_site":
        return Q(body_site__code__in=value) | _read_as(f"site:{code}" for code in value)
    if key == "min_severity":
        return Q(severity__gte=value)
    if key in ("new", "worse"):
        ticked = Q(**{"is_new" if key == "new" else "is_worse": value})
        return ticked | _read_as([key]) if value else ticked
    if key == "text":
        return _read_as(value)
    if key == "unread_note":
        return _read_as(["content"])
    if key == "combination":
        a, b = _superset_q(value["a"]), _superset_q(value["b"])
        return None if a is None or b is None else a | b
    return None  # not, persistence, weight_loss: any entry may take part


def _read_as(terms) -> Q:
    """Entries whose stored reading has one of these terms, or whose note
    was read by an older reader (or never): those are read again."""
    stale = ~Q(note="") & ~Q(reading_terms__startswith=text.CURRENT_TERMS)
    return functools.reduce(operator.or_, (Q(reading_terms__contains=f" {t} ") for t in terms), stale)


def _history_qs(node: dict) -> list[Q | None]:
    """A filter for the entries each of the node's history tests (persistence,
    combination) looks at; None in the list: any entry may count."""
    found: list[Q | None] = []

    def walk(n):
        [(key, value)] = n.items()
        if key in ("all", "any"):
            for child in value:
                walk(child)
        elif key == "not":
            walk(value)
        elif key == "persistence":
            found.append(Q(symptom__code__in=value["symptoms"]) | _read_as(value["symptoms"]))
        elif key == "combination":
            found.append(_superset_q(value["a"]))
            found.append(_superset_q(value["b"]))

    walk(node)
    return found


@dataclass
class PreviewSide:
    entries: int = 0
    checkins: set = field(default_factory=set)
    survivors: set = field(default_factory=set)

    @property
    def checkin_count(self) -> int:
        return len(self.checkins)

    @property
    def survivor_count(self) -> int:
        return len(self.survivors)


@dataclass
class Preview:
    days: int
    scanned: int
    draft: PreviewSide
    current: PreviewSide | None
    sample: list[dict]


def rule_preview(*, condition: dict, tier: str, days: int, current: engine.RuleDef | None = None, now=None) -> Preview:
    """Run a draft condition (and the rule's current version, to compare)
    over the last `days` of stored check-ins. Reads only; streams rows with a
    server-side cursor, and lets SQL drop every row that cannot match. Notes
    come as read when saved; a note read by an older reader is read again.

    Snoozes are not applied: the preview shows what the rule itself catches.
    The sample is de-identified: date and evidence, no name."""
    now = now or timezone.now()
    draft = engine.RuleDef(slug="draft", tier=tier, condition=condition)
    rules = [draft] + (
        [engine.RuleDef(slug="current", tier=current.tier, condition=current.condition)] if current else []
    )
    start = now - dt.timedelta(days=days)
    result = Preview(days=days, scanned=0, draft=PreviewSide(), current=PreviewSide() if current else None, sample=[])
    if all(engine.trigger(r.condition) == "weight" for r in rules):
        _preview_weights(rules, start, now, result)
        return result
    candidate_q = [_superset_q(r.condition) for r in rules]
    candidate = None if any(q is None for q in candidate_q) else functools.reduce(operator.or_, candidate_q)
    history_qs = [q for r in rules for q in _history_qs(r.condition)]
    history_start = start - dt.timedelta(days=engine.max_window_days(r.condition for r in rules) + 1)
    needs_weights = any("weight_loss" in engine.leaves(r.condition) for r in rules)

    rows = SymptomEntry.objects.filter(created_at__lte=now)
    in_window = Q(created_at__gte=start) & (candidate if candidate is not None else Q())
    if not history_qs:  # no history tests: only the window's candidates
        rows = rows.filter(in_window)
    elif any(q is None for q in history_qs):  # any entry may count as history
        rows = rows.filter(created_at__gte=history_start)
    else:
        rows = rows.filter(created_at__gte=history_start).filter(in_window | functools.reduce(operator.or_, history_qs))
    rows = rows.annotate(
        is_candidate=Case(When(in_window, then=Value(True)), default=Value(False), output_field=BooleanField())
    ).order_by("survivor_id", "created_at", "id")
    columns = (
        "id",
        "survivor_id",
        "checkin_id",
        "symptom__code",
        "body_site__code",
        "severity",
        "is_new",
        "is_worse",
        "created_at",
        "note",
        "reading",
        "is_candidate",
    )
    window = dt.timedelta(days=max((r.entry_days for r in rules), default=0) + 1)
    weight_stream = _WeightStream(history_start - dt.timedelta(days=366), now) if needs_weights else None

    def flush(survivor_id, facts, candidates):
        if not candidates:
            return
        weights = weight_stream.get(survivor_id) if weight_stream else ()
        times = [f.at for f in facts]
        for index, checkin_id in candidates:
            fact = facts[index]
            # Only the entries the rules' windows can see: sorted, so bisect.
            lo, hi = bisect.bisect_left(times, fact.at - window), bisect.bisect_right(times, fact.at)
            history = engine.History(entries=tuple(facts[lo:hi]), weights=weights)
            for hit in engine.evaluate(rules, history=history, entry=fact):
                side = result.draft if hit.rule.slug == "draft" else result.current
                side.entries += 1
                side.checkins.add(checkin_id)
                side.survivors.add(survivor_id)
                if hit.rule.slug == "draft" and len(result.sample) < PREVIEW_SAMPLE:
                    result.sample.append({"date": fact.at, "evidence": _deidentified(hit)})

    survivor_id, facts, candidates = None, [], []
    for row in rows.values_list(*columns).iterator(chunk_size=5000):
        (entry_id, sid, checkin_id, symptom, site, severity, is_new, is_worse, at, note, reading, is_candidate) = row
        if sid != survivor_id:
            flush(survivor_id, facts, candidates)
            survivor_id, facts, candidates = sid, [], []
        fact = engine.Entry(
            id=entry_id,
            symptom=symptom,
            body_site=site,
            severity=severity,
            is_new=is_new,
            is_worse=is_worse,
            at=at,
            day=at.date(),
        )
        # Nine rows in ten have no note: they skip the reading altogether.
        facts.append(replace(fact, note=note, **_preview_reading(note, reading).entry_fields()) if note else fact)
        if is_candidate:
            result.scanned += 1
            candidates.append((len(facts) - 1, checkin_id))
    flush(survivor_id, facts, candidates)
    return result


def _preview_reading(note: str, stored):
    """A stored reading by the current reader, else the note read now
    (rows saved before the reader, or by an older one)."""
    if not note:
        return text.EMPTY
    reading = _reading(stored) if stored is not None else text.EMPTY
    return reading if reading is not text.EMPTY else text.read(note)


class _WeightStream:
    """Weights grouped by survivor, read in survivor order alongside the
    entries (a merge join in Python: one query, not one per survivor)."""

    def __init__(self, since, now):
        rows = (
            WeightEntry.objects.filter(recorded_at__gte=since, recorded_at__lte=now)
            .order_by("survivor_id", "recorded_at")
            .values_list("survivor_id", "id", "kg", "recorded_at")
            .iterator(chunk_size=5000)
        )
        self._groups = itertools.groupby(rows, key=operator.itemgetter(0))
        self._current: tuple[int, tuple[engine.Weight, ...]] | None = None

    def get(self, survivor_id: int) -> tuple[engine.Weight, ...]:
        while self._current is None or self._current[0] < survivor_id:
            try:
                sid, group = next(self._groups)
            except StopIteration:
                self._current = (float("inf"), ())
                break
            self._current = (sid, tuple(engine.Weight(id=pk, kg=float(kg), at=at) for _, pk, kg, at in group))
        return self._current[1] if self._current[0] == survivor_id else ()


def _deidentified(hit: engine.Hit) -> str:
    # Evidence without her own words (every quoted part): a clinic admin
    # previews rules, she does not read survivors' notes.
    return "; ".join(part for part in hit.evidence.split("; ") if "\u201c" not in part)


def _preview_weights(rules, start, now, result: Preview) -> None:
    window = engine.max_window_days(r.condition for r in rules)
    rows = (
        WeightEntry.objects.filter(recorded_at__gte=start - dt.timedelta(days=window), recorded_at__lte=now)
        .order_by("survivor_id", "recorded_at")
        .values_list("id", "survivor_id", "kg", "recorded_at")
    )
    survivor_id, weights = None, []

    def flush():
        for weight in weights:
            if weight.at < start:
                continue
            history = engine.History(weights=tuple(w for w in weights if w.at <= weight.at))
            for hit in engine.evaluate(rules, history=history, weight=weight):
                side = result.draft if hit.rule.slug == "draft" else result.current
                side.entries += 1
                side.checkins.add(("w", weight.id))
                side.survivors.add(survivor_id)
                if hit.rule.slug == "draft" and len(result.sample) < PREVIEW_SAMPLE:
                    result.sample.append({"date": weight.at, "evidence": hit.evidence})
            result.scanned += 1

    for pk, sid, kg, at in rows.iterator(chunk_size=5000):
        if sid != survivor_id:
            flush()
            survivor_id, weights = sid, []
        weights.append(engine.Weight(id=pk, kg=float(kg), at=at))
    flush()


@dataclass(frozen=True)
class SentenceTest:
    reading: object  # tracker.rules.text.Reading
    hits: list[engine.Hit]
    found: list[dict]  # each counting mention, described for the page
    set_aside: list[dict]


def sentence_test(*, sentence: str, lang: str | None) -> SentenceTest:
    """How the reader reads a sentence an admin typed, and the active rules
    that would fire on it as a "Something else" entry today (no history)."""
    reading = text.read(sentence, lang=lang)
    fact = text.something_else(note=sentence, reading=reading, at=timezone.now())
    hits = engine.evaluate(rule_defs_active(), history=engine.History(entries=(fact,)), entry=fact)
    hits.sort(key=lambda h: (-engine.TIER_RANK[h.tier], h.rule.name))
    labels = text.concept_labels()
    found = []
    for m in reading.mentions:
        details = [f"site {m.site}"] if m.site else []
        details += [w for w, on in (("new", m.new), ("getting worse", m.worse)) if on]
        if m.explained:
            details.append(f"she puts it down to \u201c{m.explained}\u201d (routine at most)")
        found.append({"concept": m.concept, "label": labels.get(m.concept, ""), "text": m.text, "details": details})
    set_aside = [
        {"concept": s.concept, "text": s.text, "why": engine.SET_ASIDE_WORDS.get(s.why, s.why)}
        for s in reading.set_aside
    ]
    return SentenceTest(reading=reading, hits=hits, found=found, set_aside=set_aside)


# ------------------------------------------------------------------ rules pages


def rule_list_with_counts(*, user: User, days: int = 90) -> list[Rule]:
    """Every rule with its 90-day record for the admin's clinics: fired,
    confirmed and dismissed (outcomes come from nurses' triage)."""
    since = timezone.now() - dt.timedelta(days=days)
    mine = Q(flags__survivor__clinic__in=staff_clinics(user=user), flags__created_at__gte=since)
    return list(
        Rule.objects.select_related("current")
        .annotate(
            fired=Count("flags", filter=mine),
            confirmed=Count("flags", filter=mine & Q(flags__outcome__in=Flag.CONFIRMED_OUTCOMES)),
            dismissed=Count("flags", filter=mine & Q(flags__outcome__in=Flag.DISMISSED_OUTCOMES)),
        )
        .order_by("slug")
    )


def rule_get_for_admin(*, user: User, slug: str) -> Rule:
    if not user.is_authenticated or not user.is_clinic_admin:
        raise Http404
    rule = Rule.objects.select_related("current").filter(slug=slug).first()
    if rule is None:
        raise Http404
    return rule


def rule_versions(*, rule: Rule) -> list[RuleVersion]:
    return list(rule.versions.select_related("created_by").order_by("-number"))


def rules_export() -> dict:
    rules = Rule.objects.select_related("current").order_by("slug")
    return {
        "format": "followup-rules/1",
        "exported_at": timezone.now().isoformat(),
        "rules": [
            {
                "slug": rule.slug,
                "is_active": rule.is_active,
                "name": rule.current.name,
                "tier": rule.current.tier,
                "condition": rule.current.condition,
                "advice": rule.current.advice,
                "nurse_note": rule.current.nurse_note,
                "source": rule.current.source,
            }
            for rule in rules
            if rule.current is not None
        ],
    }
