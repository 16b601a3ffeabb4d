"""A flag three ways: the Flag (an alert on her chart while it is open),
the DetectedIssue (what the rule found, how severe, on which entries) and
the Task (the nurse's work on it: who has it, how far, what came of it).
All three share the flag's pk as their id."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from followup.models import FlagFollowup
from tracker.models import Flag, FlagEntry, Tier

from . import codes, ids
from .common import choice_label, instant, latest, meta, resource

# flag(flag) reads its rule and version: Flag.objects.select_related(*FLAG_SELECT).
FLAG_SELECT = ("rule", "rule_version")
# detected_issue(flag) reads those and what attached to it:
# .select_related(*FLAG_SELECT).prefetch_related(*FLAG_PREFETCH).
FLAG_PREFETCH = (Prefetch("attachments", queryset=FlagEntry.objects.select_related("entry")),)
# task(flag) reads its rule version and its follow-up row (claim, contact):
# Flag.objects.select_related(*TASK_SELECT).
TASK_SELECT = ("rule", "rule_version", "followup")


def flag(row: Flag) -> dict[str, Any]:
    """Written as the JSON it is (instants as strings, no empty element),
    not through resource(): the month's flags are the page a chart system
    pulls most (bench/README.md, issue 17). tests/fhirapi: test_resources
    checks that resource() would change nothing."""
    period = {"start": instant(row.created_at)}
    if row.closed_at is not None:
        period["end"] = instant(row.closed_at)
    return {
        "resourceType": "Flag",
        "id": ids.make("flag", row.pk),
        "meta": {"lastUpdated": instant(latest(row.created_at, row.updated_at, row.closed_at))},
        "status": _flag_status(row),
        "category": [
            {
                "coding": [
                    {"system": codes.FLAG_CATEGORY, "code": "clinical", "display": "Clinical"},
                    codes.coding(codes.TIER, row.tier, choice_label(Tier, row.tier)),
                ]
            }
        ],
        "code": _rule_concept(row),
        "subject": ids.ref("patient", row.survivor_id),
        "period": period,
    }


def detected_issue(row: Flag) -> dict[str, Any]:
    """Severity by tier; evidence: the Observations (and the check-ins'
    QuestionnaireResponses) the rule fired on; detail: the rule, the version
    that first fired, the tier."""
    version = row.rule_version
    detail = f"{version.name} (version {version.number}); tier: {choice_label(Tier, row.tier)}"
    if row.rule_failed:
        detail += "; the rule could not run on her entry: read her check-in"
    data: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "id": ids.make("detected_issue", row.pk),
        "meta": meta(latest(row.created_at, row.updated_at, row.closed_at)),
        "status": _issue_status(row),
        "code": _rule_concept(row),
        "severity": codes.TIER_SEVERITY[row.tier],
        "patient": ids.ref("patient", row.survivor_id),
        "identifiedDateTime": row.created_at,
        "detail": detail,
    }
    evidence = _evidence(row.attachments.all())
    if evidence:
        data["evidence"] = [{"detail": evidence}]
    return resource(data)


def task(row: Flag) -> dict[str, Any]:
    followup: FlagFollowup | None = getattr(row, "followup", None)
    data: dict[str, Any] = {
        "resourceType": "Task",
        "id": ids.make("task", row.pk),
        "status": _task_status(row, followup),
        "intent": "order",
        "priority": codes.TIER_PRIORITY[row.tier],
        "description": f"Review the flag: {row.rule_version.name}",
        "focus": ids.ref("flag", row.pk),
        "for": ids.ref("patient", row.survivor_id),
        "reasonReference": ids.ref("detected_issue", row.pk),
        "authoredOn": row.created_at,
    }
    changed = [row.created_at, row.updated_at, row.closed_at]
    if followup is not None:
        changed += [followup.claimed_at, followup.first_opened_at, followup.nurse_contacted_at, followup.overdue_at]
        if followup.claimed_by_id is not None:
            data["owner"] = ids.ref("practitioner", followup.claimed_by_id)
        started = followup.claimed_at or followup.first_opened_at
        if started is not None:
            data["executionPeriod"] = _period(started, row.closed_at)
        if followup.overdue_at is not None and row.status == Flag.Status.OPEN:
            data["businessStatus"] = {"text": "Overdue: not reviewed by its deadline"}
    if row.review_by is not None:
        data["restriction"] = {"period": {"end": row.review_by}}
    if row.outcome:
        label = choice_label(Flag.Outcome, row.outcome)
        outcome = {"coding": [codes.coding(codes.FLAG_OUTCOME, row.outcome, label)], "text": label}
        data["output"] = [
            {
                "type": {"coding": [codes.coding(codes.TASK_OUTPUT, "outcome", "Outcome")], "text": "Outcome"},
                "valueCodeableConcept": outcome,
            }
        ]
    last = latest(*changed)
    data["meta"] = meta(last)
    data["lastModified"] = last
    return resource(data)


def _rule_concept(row: Flag) -> dict[str, Any]:
    name = row.rule_version.name
    return {"coding": [codes.coding(codes.RULE, row.rule.slug, name)], "text": name}


def _withdrawn(row: Flag) -> bool:
    """Closed because she marked all that raised it entered in error."""
    return row.status == Flag.Status.CLOSED and row.outcome == Flag.Outcome.ENTERED_IN_ERROR


def _flag_status(row: Flag) -> str:
    if _withdrawn(row):
        return "entered-in-error"
    return "active" if row.status == Flag.Status.OPEN else "inactive"


def _issue_status(row: Flag) -> str:
    """entered-in-error when withdrawn (what it was found on was entered in
    error); preliminary while it waits for a nurse to confirm it (the rule
    could not run, or she corrected her entry and it is left for a nurse);
    final otherwise."""
    if _withdrawn(row):
        return "entered-in-error"
    if row.status == Flag.Status.OPEN and (row.rule_failed or row.entered_in_error_at is not None):
        return "preliminary"
    return "final"


def _task_status(row: Flag, followup: FlagFollowup | None) -> str:
    if row.status == Flag.Status.CLOSED:
        return "cancelled" if _withdrawn(row) else "completed"
    if followup is None:
        return "requested"
    if followup.nurse_contacted_at is not None:
        return "in-progress"
    if followup.claimed_by_id is not None:
        return "accepted"
    if followup.first_opened_at is not None:
        return "received"
    return "requested"


def _evidence(attachments) -> list[dict[str, str]]:
    refs: dict[str, None] = {}
    for link in attachments:
        if link.entry_id is not None:
            refs[ids.reference("symptom_entry", link.entry_id)] = None
            refs[ids.reference("questionnaire_response", link.entry.checkin_id)] = None
        elif link.weight_id is not None:
            refs[ids.reference("weight", link.weight_id)] = None
        elif link.checkin_id is not None:
            refs[ids.reference("questionnaire_response", link.checkin_id)] = None
    return [{"reference": ref} for ref in refs]


def _period(start, end) -> dict[str, Any]:
    return {"start": start, **({"end": end} if end is not None else {})}
