"""Shared by the FHIR resource tests: a built resource serialized, validated
again by its own R4B class, and its status checked against its value set."""

import json

from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.communication import Communication
from fhir.resources.R4B.detectedissue import DetectedIssue
from fhir.resources.R4B.flag import Flag as FhirFlag
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

BASE = "https://fhir.riverside.example/fhir"
SNOMED = "http://snomed.info/sct"

# The codes each status element may take (fhir.resources checks types and
# cardinality, not required bindings: these tests do).
STATUSES = {
    "Observation": {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error"},
    "DetectedIssue": {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error"},
    "Flag": {"active", "inactive", "entered-in-error"},
    "Task": {
        "draft",
        "requested",
        "received",
        "accepted",
        "rejected",
        "ready",
        "cancelled",
        "in-progress",
        "on-hold",
        "failed",
        "completed",
        "entered-in-error",
    },
    "Communication": {"preparation", "in-progress", "not-done", "on-hold", "stopped", "completed", "entered-in-error"},
    "ServiceRequest": {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"},
    "CarePlan": {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"},
    "QuestionnaireResponse": {"in-progress", "completed", "amended", "entered-in-error", "stopped"},
}
CLASSES = {
    cls.__name__: cls
    for cls in (
        Patient,
        Practitioner,
        Organization,
        Questionnaire,
        QuestionnaireResponse,
        Observation,
        FhirFlag,
        DetectedIssue,
        Task,
        Communication,
        CarePlan,
        ServiceRequest,
        CapabilityStatement,
    )
}


def roundtrip(resource: dict) -> dict:
    """A builder's JSON, as the API sends it, validated by its own R4B class
    (fhir.resources); the model's own JSON says the same (the same elements,
    the same values once fhir.resources has normalized them)."""
    text = json.dumps(resource)
    data = json.loads(text)
    kind = data["resourceType"]
    model = CLASSES[kind].model_validate_json(text)
    again = json.loads(model.model_dump_json(exclude_none=True))
    assert _shape(again) == _shape(data), "fhir.resources read a different resource than the one sent"
    if kind in STATUSES:
        assert data["status"] in STATUSES[kind]
    if kind != "CapabilityStatement":
        assert data["meta"]["lastUpdated"].endswith("Z")
    return data


def codings(concept: dict, system: str) -> list[str]:
    return [c["code"] for c in concept.get("coding", []) if c["system"] == system]


def _shape(value):
    """Element names all the way down (values aside: fhir.resources writes
    68.5 as 68.5 and times with or without their microseconds alike)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__ if not isinstance(value, int | float) else "number"
