"""Every read that depends on who asks. Each answers 404 alike for "missing"
and "not yours", so an outsider learns nothing from the status code.

Who may see a survivor's health data:
- the survivor herself;
- a nurse who works for the survivor's clinic.
Clinic admins manage accounts and rules; they do not read symptoms.
"""

import datetime as dt
import zoneinfo

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from .models import CheckIn, Clinic, Flag, Invitation, RuleVersion, Snooze, SymptomEntry, User, WeightEntry
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
