"""Every read that depends on who asks. Each answers 404 alike for "missing"
and "not yours", so an outsider learns nothing from the status code.

Who may see a survivor's health data:
- the survivor herself;
- a nurse who works for the survivor's clinic.
Clinic admins manage accounts and rules; they do not read symptoms.
"""

import datetime as dt
import functools
import operator
import re
import zoneinfo
from dataclasses import dataclass, field

from django.db.models import BooleanField, Case, Count, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from .models import CheckIn, Clinic, Flag, Invitation, Rule, RuleVersion, Snooze, SymptomEntry, User, WeightEntry
from .rules import engine


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


def rule_defs_active() -> list[engine.RuleDef]:
    """The current version of every switched-on rule, as plain engine data."""
    versions = RuleVersion.objects.filter(current_of__is_active=True).select_related("rule").order_by("rule__slug")
    return [rule_def(v) for v in versions]


def rule_def(version: RuleVersion) -> engine.RuleDef:
    return engine.RuleDef(
        slug=version.rule.slug,
        tier=version.tier,
        condition=version.condition,
        version_id=version.pk,
        rule_id=version.rule_id,
        name=version.name,
    )


def snoozes_active(*, survivor: User, at=None) -> tuple[frozenset[str], frozenset[str]]:
    """(snoozed rule slugs, snoozed symptom codes) for this survivor now."""
    at = at or timezone.now()
    rows = Snooze.objects.filter(survivor=survivor, starts_at__lte=at, ends_at__gt=at, ended_early_at__isnull=True)
    rules, symptoms = set(), set()
    for rule_slug, symptom_code in rows.values_list("rule__slug", "symptom__code"):
        if rule_slug:
            rules.add(rule_slug)
        if symptom_code:
            symptoms.add(symptom_code)
    return frozenset(rules), frozenset(symptoms)


def _local_day(moment, survivor: User):
    return moment.astimezone(zoneinfo.ZoneInfo(survivor.time_zone)).date()


def entry_fact(row: SymptomEntry, *, survivor: User, mentions=()) -> engine.Entry:
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
        mentions=tuple(mentions),
    )


def weight_fact(row: WeightEntry) -> engine.Weight:
    return engine.Weight(id=row.pk, kg=float(row.kg), at=row.recorded_at)


def rule_history(*, survivor: User, rules: list[engine.RuleDef], now=None) -> engine.History:
    """The entries and weights the rules' windows can reach. Earlier notes
    are not re-read by medspaCy: history tests use structured fields."""
    now = now or timezone.now()
    days = engine.max_window_days(r.condition for r in rules)
    since = now - dt.timedelta(days=days, hours=1)
    entries = (
        SymptomEntry.objects.filter(survivor=survivor, created_at__gte=since)
        .select_related("symptom", "body_site")
        .order_by("created_at", "id")
    )
    weights = WeightEntry.objects.filter(survivor=survivor, recorded_at__gte=since).order_by("recorded_at")
    return engine.History(
        entries=tuple(entry_fact(e, survivor=survivor) for e in entries),
        weights=tuple(weight_fact(w) for w in weights),
    )


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


def _text_regex(concepts: list[str]) -> str:
    """A PostgreSQL/SQLite regex that every note mentioning one of these
    concepts must match: the first words of the concepts' patterns. A
    superset: medspaCy makes the exact call on the rows it lets through."""
    from .rules.text import CONCEPTS

    words: set[str] = set()
    for concept in concepts:
        for pattern in CONCEPTS[concept][1]:
            first = pattern[0]["LOWER"]
            words.update(first["IN"] if isinstance(first, dict) else [first])
    return "|".join(sorted(re.escape(w) for w in words))


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
        return Q(body_site__code__in=value)
    if key == "min_severity":
        return Q(severity__gte=value)
    if key in ("new", "worse"):
        return Q(**{"is_new" if key == "new" else "is_worse": value})
    if key == "text":
        return Q(note__iregex=_text_regex(value))
    if key == "combination":
        a, b = _superset_q(value["a"]), _superset_q(value["b"])
        return None if a is None or b is None else a | b
    return None  # not, persistence, weight_loss: any entry may take part


def _history_q(node: dict) -> Q | None:
    """Entries the node's history tests (persistence, combination) look at."""
    found: list[Q | None] = []

    def walk(n):
        [(key, value)] = n.items()
        if key in ("all", "any"):
            for child in value:
                walk(child)
        elif key == "not":
            walk(value)
        elif key == "persistence":
            found.append(Q(symptom__code__in=value["symptoms"]))
        elif key == "combination":
            found.append(_superset_q(value["a"]))
            found.append(_superset_q(value["b"]))

    walk(node)
    if not found:
        return Q(pk__in=[])
    if any(q is None for q in found):
        return None
    return functools.reduce(operator.or_, found)


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
    server-side cursor, and lets SQL drop every row that cannot match.

    Snoozes are not applied: the preview shows what the rule itself catches.
    The sample is de-identified: date and evidence, no name."""
    from .rules.text import find_mentions

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
    history_qs = [_history_q(r.condition) for r in rules]
    history = None if any(q is None for q in history_qs) else functools.reduce(operator.or_, history_qs)
    needs_history = history is None or history != Q(pk__in=[])
    history_start = start - dt.timedelta(days=engine.max_window_days(r.condition for r in rules) + 1)
    needs_weights = any("weight_loss" in engine.leaves(r.condition) for r in rules)

    rows = SymptomEntry.objects.filter(created_at__lte=now)
    in_window = Q(created_at__gte=start) & (candidate if candidate is not None else Q())
    if history is None:
        rows = rows.filter(created_at__gte=history_start)
    elif needs_history:
        rows = rows.filter(created_at__gte=history_start).filter(in_window | history)
    else:
        rows = rows.filter(in_window)
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
        "is_candidate",
    )
    text_used = any("text" in engine.leaves(r.condition) for r in rules)

    def flush(survivor_id, facts, candidates):
        if not candidates:
            return
        weights = _preview_weights_for(survivor_id, now) if needs_weights else ()
        for fact, checkin_id in candidates:
            history_facts = engine.History(entries=tuple(f for f in facts if f.at <= fact.at), weights=weights)
            for hit in engine.evaluate(rules, history=history_facts, entry=fact):
                side = result.draft if hit.rule.slug == "draft" else result.current
                side.entries += 1
                side.checkins.add(checkin_id)
                side.survivors.add(survivor_id)
                if hit.rule.slug == "draft" and len(result.sample) < PREVIEW_SAMPLE:
                    result.sample.append({"date": fact.at, "evidence": _deidentified(hit)})

    survivor_id, facts, candidates = None, [], []
    for row in rows.values_list(*columns).iterator(chunk_size=5000):
        (entry_id, sid, checkin_id, symptom, site, severity, is_new, is_worse, at, note, is_candidate) = row
        if sid != survivor_id:
            flush(survivor_id, facts, candidates)
            survivor_id, facts, candidates = sid, [], []
        mentions = find_mentions(note) if (text_used and is_candidate and note) else ()
        fact = engine.Entry(
            id=entry_id,
            symptom=symptom,
            body_site=site,
            severity=severity,
            is_new=is_new,
            is_worse=is_worse,
            at=at,
            day=at.date(),
            note="",
            mentions=mentions,
        )
        facts.append(fact)
        if is_candidate:
            result.scanned += 1
            candidates.append((fact, checkin_id))
    flush(survivor_id, facts, candidates)
    return result


def _deidentified(hit: engine.Hit) -> str:
    # Evidence without her own words: a clinic admin previews rules, she does
    # not read survivors' notes.
    return "; ".join(part for part in hit.evidence.split("; ") if not part.startswith("in her words"))


def _preview_weights_for(survivor_id: int, now) -> tuple[engine.Weight, ...]:
    return tuple(
        engine.Weight(id=pk, kg=float(kg), at=at)
        for pk, kg, at in WeightEntry.objects.filter(survivor_id=survivor_id, recorded_at__lte=now)
        .order_by("recorded_at")
        .values_list("id", "kg", "recorded_at")
    )


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
