"""The FHIR interface's ids, its CapabilityStatement, and proof that
fhir.resources validates what it is given."""

import datetime as dt
import json

import pytest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from pydantic import ValidationError

from fhirapi import resources as fhir
from fhirapi.resources import ids
from tracker.models import WeightEntry

from .checks import roundtrip


def test_the_capability_statement_lists_reads_searches_and_the_token_endpoint():
    data = roundtrip(
        fhir.capability_statement(
            "https://app.example/fhir/R4", {"Patient": ["_id", "_lastUpdated", "_count"], "Flag": ["patient"]}
        )
    )

    assert (data["status"], data["kind"], data["fhirVersion"], data["format"]) == (
        "active",
        "instance",
        "4.0.1",
        ["json"],
    )
    (rest,) = data["rest"]
    assert rest["mode"] == "server"
    assert rest["security"]["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"
    oauth = rest["security"]["extension"][0]
    assert oauth["url"] == "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
    assert oauth["extension"] == [{"url": "token", "valueUri": "https://app.example/fhir/R4/auth/token"}]
    by_type = {r["type"]: r for r in rest["resource"]}
    assert [i["code"] for i in by_type["Flag"]["interaction"]] == ["read", "search-type"]
    assert {p["name"]: p["type"] for p in by_type["Patient"]["searchParam"]} == {
        "_id": "token",
        "_lastUpdated": "date",
        "_count": "number",
    }
    assert by_type["Flag"]["searchParam"] == [
        {"name": "patient", "type": "reference", "documentation": "Her resources: Patient/<id>, or <id>"}
    ]


@pytest.mark.parametrize(
    ("resource_type", "raw", "parsed"),
    [
        ("Patient", "42", ("patient", 42)),
        ("Observation", "s7", ("symptom_entry", 7)),
        ("Observation", "w7", ("weight", 7)),
        ("Communication", "m3", ("reminder", 3)),
        ("Communication", "c3", ("call", 3)),
        ("Communication", "e3", ("contact", 3)),
        ("Questionnaire", "checkin", ("questionnaire", 0)),
        ("Task", "9" * 18, ("task", int("9" * 18))),
        ("Patient", "", None),
        ("Patient", "0", None),
        ("Patient", "042", None),
        ("Patient", "-1", None),
        ("Patient", "+1", None),
        ("Patient", " 1", None),
        ("Patient", "1.0", None),
        ("Patient", "\u0661", None),  # an Arabic-Indic one: a digit to Python, not to us
        ("Patient", "9" * 19, None),
        ("Patient", "s1", None),
        ("Observation", "7", None),
        ("Observation", "x7", None),
        ("Observation", "s", None),
        ("Observation", "s07", None),
        ("Questionnaire", "1", None),
        ("Encounter", "1", None),
    ],
)
def test_it_parses_only_well_formed_ids(resource_type, raw, parsed):
    assert ids.parse(resource_type, raw) == parsed


def test_ids_round_trip_through_their_references():
    for kind, pk in [("weight", 5), ("reminder", 6), ("service_request", 7), ("detected_issue", 8)]:
        resource_type, raw = ids.reference(kind, pk).split("/")
        assert ids.parse(resource_type, raw) == (kind, pk)
        assert ids.model_for(kind)._meta.label in ids.MODELS[kind]
    assert ids.model_for("weight") is WeightEntry


def test_validation_is_real(her):
    data = fhir.patient(her)
    Patient.model_validate(data)  # as built, it is valid

    with pytest.raises(ValidationError, match="birthDate"):
        Patient.model_validate_json(json.dumps({**data, "birthDate": "17/05/1960"}))
    with pytest.raises(ValidationError, match="id"):
        Patient.model_validate({**data, "id": "not an id!"})
    with pytest.raises(ValidationError, match="Extra inputs"):
        Patient.model_validate({**data, "favouriteColour": "blue"})
    with pytest.raises(ValidationError, match="valueQuantity|multiple"):
        Observation.model_validate(
            {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "valueQuantity": {"value": 1},
             "valueString": "two values"}
        )  # fmt: skip
    her.date_joined = dt.datetime(2026, 1, 1)  # noqa: DTZ001 - a naive time is refused, not guessed
    with pytest.raises(ValueError, match="naive"):
        fhir.patient(her)
