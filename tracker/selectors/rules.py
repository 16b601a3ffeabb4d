"""The clinic admin's rule pages: the rules with their record, one rule and
its versions, the export, her preview jobs, and the "test a sentence" box.
The rule cache and the engine's inputs live in tracker/evaluation/inputs.py,
the preview itself in tracker/evaluation/preview.py.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from .. import scope
from ..access import Refused
from ..evaluation.inputs import rule_defs_active
from ..models import Flag, PreviewJob, Rule, RuleVersion, User
from ..rules import engine, text
from ..rules.facts import SET_ASIDE_WORDS, History
from ..rules.tiers import SEVERITY


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
    hits = engine.evaluate(rule_defs_active(), history=History(entries=(fact,)), entry=fact, failures=failed)
    hits.sort(key=lambda h: (-SEVERITY[h.tier], h.rule.name))
    labels = text.concept_labels()
    found = []
    for m in reading.mentions:
        details = [f"site {m.site}"] if m.site else []
        details += [w for w, on in (("new", m.new), ("getting worse", m.worse)) if on]
        if m.explained:
            details.append(f"she puts it down to \u201c{m.explained}\u201d (routine at most)")
        found.append({"concept": m.concept, "label": labels.get(m.concept, ""), "text": m.text, "details": details})
    set_aside = [
        {"concept": s.concept, "text": s.text, "why": SET_ASIDE_WORDS.get(s.why, s.why)} for s in reading.set_aside
    ]
    return SentenceTest(reading=reading, hits=hits, found=found, set_aside=set_aside, failed=failed)


# ------------------------------------------------------------------ rules pages


def rule_list_with_counts(*, user: User, days: int = 90) -> list[Rule]:
    """Every rule with its 90-day record for the admin's clinics: fired,
    confirmed and dismissed (outcomes come from nurses' triage)."""
    since = timezone.now() - dt.timedelta(days=days)
    # A flag opened only because the rule failed is not the rule firing.
    mine = Q(flags__survivor__clinic__in=scope.clinics_of(user), flags__created_at__gte=since, flags__rule_failed=False)
    return list(
        Rule.objects.select_related("current")
        .annotate(
            fired=Count("flags", filter=mine),
            confirmed=Count("flags", filter=mine & Q(flags__outcome__in=Flag.CONFIRMED_OUTCOMES)),
            dismissed=Count("flags", filter=mine & Q(flags__outcome__in=Flag.DISMISSED_OUTCOMES)),
        )
        .order_by("slug")
    )


def rules_missing_spanish(rules: list[Rule]) -> list[Rule]:
    """The active rules whose advice has no Spanish: a Spanish-speaking
    survivor they fire for reads the English (tracker/i18n.localized)."""
    return [rule for rule in rules if rule.is_active and rule.current is not None and not rule.current.advice_es]


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
                "advice_es": rule.current.advice_es,
                "nurse_note": rule.current.nurse_note,
                "source": rule.current.source,
            }
            for rule in rules
            if rule.current is not None
        ],
    }
