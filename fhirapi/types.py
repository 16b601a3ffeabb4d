"""What each resource type reads: its sources (fhirapi/search.py), each a
queryset of the client's clinic only, with what its builder needs fetched
(fhirapi/resources/*_SELECT, *_PREFETCH), and `fhir_updated`, the same
"last changed" the builder writes as meta.lastUpdated.

The one rule of who a system may read: a client registered for a clinic
reads that clinic's survivors and their records, its nurses and the
clinic itself, nothing else (read and search alike: another clinic's id is
a 404, as a missing one)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.db.models import Expression, F, Max, Model, QuerySet
from django.db.models.functions import Coalesce, Greatest

from followup.models import CallLog, FlagEvent, Message
from tracker import scope
from tracker.models import CheckIn, Clinic, Flag, Plan, PlanItem, RuleVersion, SymptomEntry, User, WeightEntry

from . import resources as r
from .outcome import FhirError
from .resources import ids
from .search import Source


def latest(first: str, *nullable: str) -> Expression | F:
    """The SQL twin of resources.common.latest: the latest of a row's times
    that are set (GREATEST skips NULLs on PostgreSQL but not on SQLite)."""
    if not nullable:
        return F(first)
    return Greatest(F(first), *(Coalesce(F(name), F(first)) for name in nullable))


@dataclass(frozen=True)
class TypeSpec:
    sources: tuple[Source, ...]
    patient_search: bool = True
    single: Callable[[], dict[str, Any]] | None = None  # a type with one instance and no row


def _survivors(client: Any) -> QuerySet:
    return User.objects.filter(role=User.Role.SURVIVOR, clinic_id=client.clinic_id)


def _of_clinic(model: type[Model], path: str = "survivor__clinic_id") -> Callable[[Any], QuerySet]:
    return lambda client: model.objects.filter(**{path: client.clinic_id})  # type: ignore[attr-defined]


# A flag's resources read its rule's slug and its version's name and number,
# never the condition (a JSON tree decoded and depth-checked row by row).
_VERSION_UNREAD = ("condition", "advice", "advice_es", "nurse_note", "source", "change_note")


_FLAG_READS = (
    "id", "survivor_id", "rule_id", "rule_version_id", "tier", "status", "outcome", "created_at", "updated_at",
    "closed_at",
)  # fmt: skip
# A rule version never changes (a new one is a new row) and a rule keeps its
# slug: what flag() reads of them is cached for the process's life.
_VERSIONS: dict[int, tuple[SimpleNamespace, SimpleNamespace]] = {}


def _flag_rows(rows: list[dict[str, Any]]) -> list[SimpleNamespace]:
    """Flag values as the rows flag() reads: pk, the columns, .rule.slug,
    .rule_version.name."""
    missing = {row["rule_version_id"] for row in rows} - _VERSIONS.keys()
    if missing:
        for pk, number, name, slug in RuleVersion.objects.filter(pk__in=missing).values_list(
            "pk", "number", "name", "rule__slug"
        ):
            _VERSIONS[pk] = (SimpleNamespace(slug=slug), SimpleNamespace(name=name, number=number))
    out = []
    for row in rows:
        rule, version = _VERSIONS[row["rule_version_id"]]
        out.append(SimpleNamespace(pk=row["id"], rule=rule, rule_version=version, **row))
    return out


def _FLAGS(client: Any) -> QuerySet:
    return _of_clinic(Flag)(client).defer(*(f"rule_version__{name}" for name in _VERSION_UNREAD))


TYPES: dict[str, TypeSpec] = {
    "Patient": TypeSpec(
        (
            Source(
                0,
                lambda c: _survivors(c).select_related(*r.PATIENT_SELECT),
                latest("date_joined"),
                r.patient,
                patient="pk",
            ),
        )
    ),
    "Practitioner": TypeSpec(
        (
            Source(
                0,
                lambda c: scope.nurses_of(c.clinic_id),
                latest("date_joined"),
                r.practitioner,
            ),
        ),
        patient_search=False,
    ),
    "Organization": TypeSpec(
        (Source(0, lambda c: Clinic.objects.filter(pk=c.clinic_id), latest("created_at"), r.organization),),
        patient_search=False,
    ),
    "Questionnaire": TypeSpec((), patient_search=False, single=r.questionnaire),
    "QuestionnaireResponse": TypeSpec(
        (
            Source(
                0,
                lambda c: (
                    _of_clinic(CheckIn)(c)
                    .prefetch_related(*r.CHECKIN_PREFETCH)
                    .annotate(in_error=Max("entries__entered_in_error_at"))
                ),
                latest("created_at", "in_error"),
                r.questionnaire_response,
                patient="survivor_id",
            ),
        )
    ),
    "Observation": TypeSpec(
        (
            Source(
                0,
                lambda c: _of_clinic(SymptomEntry)(c).select_related(*r.SYMPTOM_ENTRY_SELECT),
                latest("created_at", "entered_in_error_at"),
                r.observation_symptom,
                patient="survivor_id",
            ),
            Source(
                1,
                _of_clinic(WeightEntry),
                latest("recorded_at", "entered_in_error_at"),
                r.observation_weight,
                patient="survivor_id",
            ),
        )
    ),
    "Flag": TypeSpec(
        (
            Source(
                0,
                # The month's flags are the page a chart system pulls most: plain
                # values and the rules' names from a cache, not three model
                # objects a row (bench/README.md, issue 17).
                lambda c: _of_clinic(Flag)(c).values(*_FLAG_READS),
                latest("created_at", "updated_at", "closed_at"),
                r.flag,
                patient="survivor_id",
                adapt=_flag_rows,
            ),
        )
    ),
    "DetectedIssue": TypeSpec(
        (
            Source(
                0,
                lambda c: _FLAGS(c).select_related(*r.FLAG_SELECT).prefetch_related(*r.FLAG_PREFETCH),
                latest("created_at", "updated_at", "closed_at"),
                r.detected_issue,
                patient="survivor_id",
            ),
        )
    ),
    "Task": TypeSpec(
        (
            Source(
                0,
                lambda c: _FLAGS(c).select_related(*r.TASK_SELECT),
                latest(
                    "created_at",
                    "updated_at",
                    "closed_at",
                    # The same times as task() writes (resources/flags.py).
                    "followup__claimed_at",
                    "followup__first_opened_at",
                    "followup__nurse_contacted_at",
                    "followup__overdue_at",
                ),
                r.task,
                patient="survivor_id",
            ),
        )
    ),
    "Communication": TypeSpec(
        (
            Source(
                0,
                lambda c: Message.objects.filter(clinic_id=c.clinic_id, recipient__role=User.Role.SURVIVOR),
                latest("created_at", "state_changed_at", "sent_at"),
                r.communication_reminder,
                patient="survivor_id",
            ),
            Source(
                1,
                _of_clinic(CallLog),
                latest("at"),
                r.communication_call,
                patient="survivor_id",
            ),
            Source(
                2,
                lambda c: FlagEvent.objects.filter(
                    flag__survivor__clinic_id=c.clinic_id, kind=FlagEvent.Kind.CONTACT
                ).select_related(*r.CONTACT_SELECT),
                latest("at"),
                r.communication_contact,
                patient="flag__survivor_id",
            ),
        )
    ),
    "CarePlan": TypeSpec(
        (
            Source(
                0,
                lambda c: _of_clinic(Plan)(c).select_related(*r.PLAN_SELECT).prefetch_related(*r.PLAN_PREFETCH),
                latest("created_at", "updated_at"),
                r.care_plan,
                patient="survivor_id",
            ),
        )
    ),
    "ServiceRequest": TypeSpec(
        (
            Source(
                0,
                lambda c: _of_clinic(PlanItem, "plan__survivor__clinic_id")(c).select_related(
                    *r.SERVICE_REQUEST_SELECT
                ),
                latest("created_at", "updated_at", "booked_at", "missed_at"),
                r.service_request,
                patient="plan__survivor_id",
            ),
        )
    ),
}

# What the CapabilityStatement lists: each type's search parameters.
SEARCHABLE: dict[str, list[str]] = {
    name: (["patient"] if spec.patient_search else []) + ["_lastUpdated", "_count"] for name, spec in TYPES.items()
}


def read_row(spec: TypeSpec, resource_type: str, client: Any, raw_id: str) -> tuple[Source, Any]:
    """The row behind `{type}/{id}` if the client may read it; a 404 for a
    malformed id, a missing row and another clinic's row alike."""
    parsed = ids.parse(resource_type, raw_id)
    missing = FhirError(404, f"{resource_type}/{raw_id[:40]} is not here.")
    if parsed is None:
        raise missing
    kind, pk = parsed
    kinds = list(ids.KINDS[resource_type].values())
    source = spec.sources[kinds.index(kind)]
    row = source.queryset(client).annotate(fhir_updated=source.updated).filter(pk=pk).first()
    if row is None:
        raise missing
    return source, source.adapt([row])[0] if source.adapt else row
