"""Every read that depends on who asks. Each answers 404 alike for "missing"
and "not yours", so an outsider learns nothing from the status code.

Who may see a survivor's health data:
- the survivor herself;
- a nurse who works for the survivor's clinic.
Clinic admins manage accounts and rules; they do not read symptoms.
"""

import datetime as dt
import heapq
import json
import logging
import operator
import time
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.http import Http404
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime

from .access import Refused
from .evaluation import preview
from .models import (
    BodySite,
    CheckIn,
    Clinic,
    Flag,
    FlagEntry,
    Invitation,
    PreviewJob,
    Rule,
    RuleVersion,
    Symptom,
    SymptomEntry,
    User,
    WeightEntry,
)
from .rules import engine, text

log = logging.getLogger(__name__)


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


# The charts and their lists show what stands: an entry or a weight she
# marked entered in error is left out (her check-ins list it, marked, and
# the weight page lists her weights with their corrections).
def symptom_timeline(*, survivor: User, since) -> list[SymptomEntry]:
    return list(
        _entries()
        .filter(survivor=survivor, created_at__gte=since, entered_in_error_at__isnull=True)
        .order_by("created_at", "id")
    )


def weight_list(*, survivor: User, since) -> list[WeightEntry]:
    return list(
        WeightEntry.objects.filter(
            survivor=survivor, recorded_at__gte=since, entered_in_error_at__isnull=True
        ).order_by("recorded_at", "id")
    )


def weights_recent_for_owner(*, survivor: User, limit: int = 10) -> list[WeightEntry]:
    """Her latest weights, those she marked entered in error too (kept, and
    shown marked, with what corrected them), for her weight page."""
    return list(
        WeightEntry.objects.filter(survivor=survivor)
        .select_related("corrected_by")
        .order_by("-recorded_at", "-id")[:limit]
    )


def weight_last_standing(*, survivor: User) -> WeightEntry | None:
    """Her latest weight that stands, to judge a new one against."""
    return (
        WeightEntry.objects.filter(survivor=survivor, entered_in_error_at__isnull=True)
        .order_by("-recorded_at", "-id")
        .first()
    )


def entry_get_for_owner(*, user: User, entry_id: int) -> SymptomEntry:
    """One of her own symptom entries, for her to mark entered in error:
    404 for anyone else's, a nurse's included (a nurse never withdraws what
    a survivor reported)."""
    if not user.is_authenticated or not user.is_survivor:
        raise Http404("No such entry.")
    entry = _entries().filter(pk=entry_id, survivor=user).select_related("checkin").first()
    if entry is None:
        raise Http404("No such entry.")
    return entry


def weight_get_for_owner(*, user: User, weight_id: int) -> WeightEntry:
    """One of her own weights, as entry_get_for_owner."""
    if not user.is_authenticated or not user.is_survivor:
        raise Http404("No such weight.")
    weight = WeightEntry.objects.filter(pk=weight_id, survivor=user).select_related("corrected_by").first()
    if weight is None:
        raise Http404("No such weight.")
    return weight


# The weight axis spans at least this much around her values, so that 0.2 kg
# of scale noise doesn't fill the chart from top to bottom like a real loss.
WEIGHT_AXIS_MIN_SPAN = {"kg": 5, "lb": 10}


def chart_data(*, survivor: User, days: int, tz, symptoms: list[dict], weights: list[dict]) -> dict:
    """The charts' data (static/js/history-charts.js) and their tables, from
    her points over `days`. Points carry their real time (aware datetimes:
    ISO 8601 in the page's JSON) for a true time axis; the zone and locale
    say how the axis shows them. Severity is the point's height (0 to 10),
    the symptom its series (colour, shape and the legend): never the size of
    a dot."""
    now = timezone.now()
    return {
        "since": now - dt.timedelta(days=days),
        "until": now,
        "time_zone": getattr(tz, "key", "UTC"),
        "locale": translation.get_language() or settings.LANGUAGE_CODE,
        "weight_unit": survivor.weight_unit,
        "weight_min_span": WEIGHT_AXIS_MIN_SPAN.get(survivor.weight_unit, 5),
        "weights": weights,
        "symptoms": symptoms,
    }


def chart_points(*, survivor: User, since) -> tuple[list[dict], list[dict]]:
    """Her symptom and weight points since `since` (what stands), for
    chart_data (two queries)."""
    shown = survivor.weight_shown
    symptoms = [
        {
            "x": e.created_at,
            "y": e.severity,
            "symptom": e.symptom.label,
            "site": e.body_site.label if e.body_site_id else "",
        }
        for e in symptom_timeline(survivor=survivor, since=since)
    ]
    weights = [{"x": w.recorded_at, "y": float(shown(w.kg))} for w in weight_list(survivor=survivor, since=since)]
    return symptoms, weights


def history_chart(*, survivor: User, days: int, tz) -> dict:
    """Her charts' data over `days`. Her own pages read the same points in
    one statement with the rest of the page (tracker/history_page.py)."""
    symptoms, weights = chart_points(survivor=survivor, since=timezone.now() - dt.timedelta(days=days))
    return chart_data(survivor=survivor, days=days, tz=tz, symptoms=symptoms, weights=weights)


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


def people_visible_to_staff(user: User) -> Q:
    """The accounts a staff member may know exist: survivors of her clinics
    (her list above) and the staff she works beside."""
    clinics = staff_clinics(user=user)
    return Q(role=User.Role.SURVIVOR, clinic__in=clinics) | Q(pk__in=User.objects.filter(staff_clinics__in=clinics))


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
    """The engine's rule for a stored version; engine.InvalidRule if it no
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
    # When she marked a symptom or a weight entered in error (kept in the record, marked).
    "error": "entered in error (her time zone)",
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
                "error": e.entered_in_error_at,
            }
            for e in entries.iterator(chunk_size=2000)
        ),
        (
            {
                "at": w.recorded_at,
                "type": "weight",
                "weight": f"{survivor.weight_shown(w.kg):.1f}",
                "unit": survivor.weight_unit,
                "error": w.entered_in_error_at,
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
        error = row.get("error")
        row["error"] = error.astimezone(tz).strftime("%Y-%m-%d %H:%M") if error else ""
        yield tuple(row.get(key, "") for key in _EXPORT)


def _for_her(flags: QuerySet[Flag]) -> QuerySet[Flag]:
    """What her pages need of each flag, highest tier first: the headline
    follows the first (templates/tracker/_advice.html), so this order is what
    keeps an emergency from hiding behind a newer routine flag.

    contacted_at: when she told us she contacted her care team. It is the
    follow-up app's row, read here by its relation name in the same query
    (no import: tracker never imports followup).
    withdrawn: she marked everything that raised it entered in error, and no
    real match came after (tracker/corrections.py: a nurse will check)."""
    newer = FlagEntry.objects.filter(
        flag=OuterRef("pk"), rule_failed=False, created_at__gt=OuterRef("entered_in_error_at")
    )
    return (
        flags.annotate(
            contacted_at=F("followup__survivor_contacted_at"),
            withdrawn=ExpressionWrapper(
                Q(entered_in_error_at__isnull=False) & ~Exists(newer), output_field=BooleanField()
            ),
        )
        .select_related("rule_version", "rule__current")
        .order_by("tier_rank", "-created_at", "-id")
    )


def flags_open_for_survivor(*, survivor: User) -> list[Flag]:
    """Her open flags, for her own page, highest tier first: not those opened
    only because a rule failed (she is given no advice for a rule that did
    not run)."""
    return list(_for_her(Flag.objects.filter(survivor=survivor, status=Flag.Status.OPEN, rule_failed=False)))


def flags_for_checkin(*, checkin: CheckIn) -> list[Flag]:
    """The open flags this check-in raised or attached to, highest tier first.
    flag.matched_here: a rule really matched one of its entries (False: the
    rule only failed on them, and a nurse reads it; she gets no advice for it)."""
    matched = FlagEntry.objects.filter(flag=OuterRef("pk"), entry__checkin=checkin, rule_failed=False)
    # An Exists rather than a join on attachments: one row per flag, no DISTINCT.
    here = FlagEntry.objects.filter(flag=OuterRef("pk"), entry__checkin=checkin)
    return list(
        _for_her(Flag.objects.filter(Exists(here), status=Flag.Status.OPEN)).annotate(matched_here=Exists(matched))
    )


# ------------------------------------------------------------------ rule preview

# The preview itself lives in tracker/evaluation/preview.py; these names
# stay importable from here while callers move.
rule_preview = preview.rule_preview
Preview, PreviewSide = preview.Preview, preview.PreviewSide


def _may_preview(user: User) -> bool:
    # Who may preview is who may edit rules (tracker.access.clinic_admin_required).
    return user.is_authenticated and user.is_clinic_admin


def preview_job_get_for_user(*, user: User, job_id: int) -> PreviewJob:
    """One of her own preview jobs; 404 alike for "missing", "another
    admin's" and anyone who may not edit rules."""
    if not _may_preview(user):
        raise Refused
    job = PreviewJob.objects.select_related("rule").filter(pk=job_id, requested_by=user).first()
    if job is None:
        raise Http404
    return job


def preview_jobs_recent(*, user: User, rule: Rule | None, limit: int = 5) -> list[PreviewJob]:
    """Her latest previews of this rule (rule None: of rules not saved yet)."""
    if not _may_preview(user):
        return []
    return list(PreviewJob.objects.filter(requested_by=user, rule=rule).order_by("-created_at", "-id")[:limit])


@dataclass(frozen=True)
class SentenceTest:
    reading: object  # tracker.rules.text.Reading
    hits: list[engine.Hit]
    found: list[dict]  # each counting mention, described for the page
    set_aside: list[dict]
    failed: list[engine.Failure]


def sentence_test(*, sentence: str, lang: str | None) -> SentenceTest:
    """How the reader reads a sentence an admin typed, and the active rules
    that would fire on it as a "Something else" entry today (no history)."""
    reading = text.read(sentence, lang=lang)
    fact = text.something_else(note=sentence, reading=reading, at=timezone.now())
    failed: list[engine.Failure] = []
    hits = engine.evaluate(rule_defs_active(), history=engine.History(entries=(fact,)), entry=fact, failures=failed)
    hits.sort(key=lambda h: (-engine.SEVERITY[h.tier], h.rule.name))
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
    return SentenceTest(reading=reading, hits=hits, found=found, set_aside=set_aside, failed=failed)


# ------------------------------------------------------------------ rules pages


def rule_list_with_counts(*, user: User, days: int = 90) -> list[Rule]:
    """Every rule with its 90-day record for the admin's clinics: fired,
    confirmed and dismissed (outcomes come from nurses' triage)."""
    since = timezone.now() - dt.timedelta(days=days)
    # A flag opened only because the rule failed is not the rule firing.
    mine = Q(
        flags__survivor__clinic__in=staff_clinics(user=user), flags__created_at__gte=since, flags__rule_failed=False
    )
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
        raise Refused
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
