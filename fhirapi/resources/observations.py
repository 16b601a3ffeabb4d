"""Each symptom entry and each weight as an Observation.

A symptom entry: the symptom as the code (our catalog code, SNOMED CT where
certain), her severity, new, worse and start day as components, the body
site, her note as she wrote it (it is her report, and what the nurse
reads), derived from the check-in's QuestionnaireResponse.

A weight: the vital-signs body weight (LOINC 29463-7) in kg, UCUM "kg". The
app stores kilograms whatever unit she typed (tracker.WeightEntry) and keeps
no record of the unit of each entry: her current unit says nothing about an
old weight, and a conversion back to pounds would only add rounding. So
every weight goes out exactly as stored, in kg."""

from __future__ import annotations

from typing import Any

from tracker.models import SymptomEntry, WeightEntry

from . import codes, ids
from .common import latest, meta, resource

# observation_symptom(entry) reads its symptom and body site:
# SymptomEntry.objects.select_related(*SYMPTOM_ENTRY_SELECT).
SYMPTOM_ENTRY_SELECT = ("symptom", "body_site")
# observation_weight(weight) reads nothing beyond its row.
WEIGHT_SELECT: tuple[str, ...] = ()


def observation_symptom(entry: SymptomEntry) -> dict[str, Any]:
    symptom = entry.symptom
    data: dict[str, Any] = {
        "resourceType": "Observation",
        "id": ids.make("symptom_entry", entry.pk),
        "meta": meta(latest(entry.created_at, entry.entered_in_error_at)),
        "status": _status(entry.entered_in_error_at),
        "category": [codes.observation_category("survey", "Survey")],
        "code": codes.symptom_concept(symptom.code, symptom.label),
        "subject": ids.ref("patient", entry.survivor_id),
        "effectiveDateTime": entry.created_at,
        "issued": entry.created_at,
        "performer": [ids.ref("patient", entry.survivor_id)],
        "derivedFrom": [ids.ref("questionnaire_response", entry.checkin_id)],
        "component": [
            _component("severity", "Severity (0 to 10)", {"valueInteger": entry.severity}),
            _component("new", "New, or different from usual", {"valueBoolean": entry.is_new}),
            _component("worse", "Getting worse", {"valueBoolean": entry.is_worse}),
            _component("started", "Started on", {"valueDateTime": entry.started_on}),
        ],
    }
    if entry.body_site is not None:
        data["bodySite"] = codes.body_site_concept(entry.body_site.code, entry.body_site.label)
    if entry.note:
        data["note"] = [{"authorReference": ids.ref("patient", entry.survivor_id), "text": entry.note}]
    return resource(data)


def observation_weight(weight: WeightEntry) -> dict[str, Any]:
    return resource(
        {
            "resourceType": "Observation",
            "id": ids.make("weight", weight.pk),
            "meta": meta(latest(weight.recorded_at, weight.entered_in_error_at), profile=codes.BODY_WEIGHT_PROFILE),
            "status": _status(weight.entered_in_error_at),
            "category": [codes.observation_category("vital-signs", "Vital Signs")],
            "code": codes.body_weight_concept(),
            "subject": ids.ref("patient", weight.survivor_id),
            "effectiveDateTime": weight.recorded_at,
            "issued": weight.recorded_at,
            "performer": [ids.ref("patient", weight.survivor_id)],
            "valueQuantity": {"value": weight.kg, "unit": "kg", "system": codes.UCUM, "code": "kg"},
        }
    )


def _status(entered_in_error_at) -> str:
    return "final" if entered_in_error_at is None else "entered-in-error"


def _component(code: str, display: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"code": {"coding": [codes.coding(codes.SYMPTOM_ATTRIBUTE, code, display)], "text": display}, **value}
