"""Resource ids: which row a FHIR resource type and id name, and back.

    Patient/<user pk>            Practitioner/<user pk>       Organization/<clinic pk>
    Questionnaire/checkin        QuestionnaireResponse/<checkin pk>
    Observation/s<entry pk>      Observation/w<weight pk>
    Flag/<flag pk>               DetectedIssue/<flag pk>      Task/<flag pk>
    Communication/m<message pk>  Communication/c<call log pk> Communication/e<flag event pk>
    CarePlan/<plan pk>           ServiceRequest/<plan item pk>

An id is parsed into (kind, pk): the kind names the row's model (MODELS) and
the builder. Whether the row is the right one (a Patient id names a
survivor, a Communication/e a contact attempt) and whether the caller may
read it is the caller's to check. Parsing is strict: 1 to 18 digits (within
a bigint), no sign, no leading zero (one row, one id), a known prefix."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Model

MAX_DIGITS = 18
QUESTIONNAIRE_ID = "checkin"
# Questionnaire has one instance and no row: it parses to this pk.
NO_ROW = 0

# Resource type -> {id prefix: kind}. "" is a plain pk.
KINDS: dict[str, dict[str, str]] = {
    "Patient": {"": "patient"},
    "Practitioner": {"": "practitioner"},
    "Organization": {"": "organization"},
    "QuestionnaireResponse": {"": "questionnaire_response"},
    "Observation": {"s": "symptom_entry", "w": "weight"},
    "Flag": {"": "flag"},
    "DetectedIssue": {"": "detected_issue"},
    "Task": {"": "task"},
    "Communication": {"m": "reminder", "c": "call", "e": "contact"},
    "CarePlan": {"": "care_plan"},
    "ServiceRequest": {"": "service_request"},
}
RESOURCE_TYPES = ("Questionnaire", *KINDS)

# kind -> the model whose row it is (app_label.Model).
MODELS: dict[str, str] = {
    "patient": "tracker.User",
    "practitioner": "tracker.User",
    "organization": "tracker.Clinic",
    "questionnaire_response": "tracker.CheckIn",
    "symptom_entry": "tracker.SymptomEntry",
    "weight": "tracker.WeightEntry",
    "flag": "tracker.Flag",
    "detected_issue": "tracker.Flag",
    "task": "tracker.Flag",
    "reminder": "followup.Message",
    "call": "followup.CallLog",
    "contact": "followup.FlagEvent",
    "care_plan": "tracker.Plan",
    "service_request": "tracker.PlanItem",
}

_PREFIX = {kind: prefix for kinds in KINDS.values() for prefix, kind in kinds.items()}
_TYPE = {kind: resource_type for resource_type, kinds in KINDS.items() for kind in kinds.values()}


def make(kind: str, pk: int) -> str:
    """The id of a row of this kind: make("weight", 7) == "w7"."""
    return f"{_PREFIX[kind]}{int(pk)}"


def reference(kind: str, pk: int) -> str:
    """A relative reference: reference("weight", 7) == "Observation/w7"."""
    return f"{_TYPE[kind]}/{make(kind, pk)}"


def ref(kind: str, pk: int) -> dict:
    """A FHIR Reference to that row."""
    return {"reference": reference(kind, pk)}


def parse(resource_type: str, raw: str) -> tuple[str, int] | None:
    """(kind, pk) for a resource type's id, or None: an unknown type, a
    malformed id, or one that names no row of that type."""
    if resource_type == "Questionnaire":
        return ("questionnaire", NO_ROW) if raw == QUESTIONNAIRE_ID else None
    kinds = KINDS.get(resource_type)
    if kinds is None or not raw or len(raw) > MAX_DIGITS + 1:
        return None
    prefix = raw[0] if raw[0] in kinds and raw[0] else ""
    kind = kinds.get(prefix)
    digits = raw[len(prefix) :]
    if kind is None or not _canonical_digits(digits):
        return None
    return kind, int(digits)


def _canonical_digits(digits: str) -> bool:
    return (
        0 < len(digits) <= MAX_DIGITS
        and digits.isascii()
        and digits.isdigit()
        and digits[0] != "0"  # no leading zero, and no pk 0
    )


def model_for(kind: str) -> type[Model]:
    """The model of a kind's rows (the Questionnaire has none)."""
    return apps.get_model(MODELS[kind])
