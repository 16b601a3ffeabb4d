"""The FHIR builders (fhirapi/resources/): every resource kind built from
real rows (flags raised by the default rules), serialized, validated again
by its R4B class, and read for the fields a chart relies on."""

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from fhirapi import resources as fhir
from fhirapi.resources import codes
from followup.models import FlagEvent, FlagFollowup, Message
from followup.triage.actions import call_log, flag_claim, flag_nurse_contact, flag_nurse_resolve
from tests.factories import PlanFactory, PlanItemFactory, entry, in_app_reminder, record_checkin
from tracker.models import CheckIn, Flag, Plan, PlanItem, SymptomEntry, User
from tracker.services.checkins import weight_record
from tracker.services.corrections import entry_mark_in_error

from .checks import BASE, SNOMED, codings, roundtrip


def test_it_builds_the_patient_with_her_mrn_language_and_clinic(her, clinic):
    data = roundtrip(fhir.patient(her))

    assert data["id"] == str(her.pk)
    assert data["birthDate"] == "1960-05-17"
    assert data["name"][0]["text"] == "Sara Survivor"
    assert data["active"] is True
    mrn, ours = data["identifier"]
    assert (mrn["system"], mrn["value"], mrn["type"]["coding"][0]["code"]) == (clinic.mrn_system, "MRN-00417", "MR")
    assert (ours["system"], ours["value"]) == (f"{BASE}/CodeSystem/survivor", str(her.pk))
    assert data["managingOrganization"] == {"reference": f"Organization/{clinic.pk}"}
    assert data["communication"][0]["language"]["coding"][0] == {
        "system": "urn:ietf:bcp:47",
        "code": "es",
        "display": "Spanish",
    }


def test_it_leaves_the_mrn_out_until_her_clinic_names_its_system(survivor):
    survivor.mrn = "MRN-1"
    data = roundtrip(fhir.patient(survivor))

    assert [i["system"] for i in data["identifier"]] == [f"{BASE}/CodeSystem/survivor"]


def test_it_builds_the_nurse_and_the_clinic(nurse, clinic):
    practitioner = roundtrip(fhir.practitioner(nurse))
    organization = roundtrip(fhir.organization(clinic))

    assert (practitioner["id"], practitioner["name"][0]["text"]) == (str(nurse.pk), "Nina Nurse")
    assert "telecom" not in practitioner
    assert organization["name"] == "Riverside"
    assert organization["telecom"] == [{"system": "phone", "value": "555-0100", "use": "work"}]


def test_a_person_without_a_name_has_none_rather_than_her_email(survivor):
    survivor.full_name = ""

    data = roundtrip(fhir.patient(survivor))

    assert "name" not in data
    assert survivor.email not in json.dumps(data)


def test_the_questionnaire_is_the_sdc_check_in_form():
    data = roundtrip(fhir.questionnaire())

    assert data["id"] == "checkin"
    assert data["meta"]["profile"] == ["http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire"]
    assert data["url"] == f"{BASE}/Questionnaire/checkin"
    assert data["status"] == "active"
    group = {item["linkId"]: item for item in data["item"]}
    assert group["entry"]["repeats"] is True
    asked = {item["linkId"]: item for item in group["entry"]["item"]}
    assert [asked[k]["type"] for k in ("symptom", "body-site", "severity", "new", "worse", "started", "note")] == [
        "choice",
        "choice",
        "integer",
        "boolean",
        "boolean",
        "date",
        "text",
    ]
    symptoms = [o["valueCoding"]["code"] for o in asked["symptom"]["answerOption"]]
    assert "headache" in symptoms and "other" in symptoms and len(symptoms) == 19
    assert {o["valueCoding"]["system"] for o in asked["symptom"]["answerOption"]} == {f"{BASE}/CodeSystem/symptom"}
    assert asked["severity"]["extension"] == [
        {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": 0},
        {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": 10},
    ]
    assert asked["note"]["maxLength"] == 2000
    # Where is it? asked only for symptoms that have a place.
    assert {w["answerCoding"]["code"] for w in asked["body-site"]["enableWhen"]} == {
        "pain",
        "fracture",
        "weakness",
        "numbness",
        "other",
    }
    assert (group["callback"]["type"], group["weight"]["type"]) == ("boolean", "decimal")
    assert [o["valueCoding"]["code"] for o in group["hormone-therapy"]["answerOption"]] == [
        "taken",
        "missed_some",
        "stopped",
    ]


def test_the_canonical_base_comes_from_the_setting():
    with override_settings(FHIR_CANONICAL_BASE="https://other.example/fhir/"):
        assert fhir.questionnaire()["url"] == "https://other.example/fhir/Questionnaire/checkin"


@pytest.fixture
def checkin(survivor, default_rules) -> CheckIn:
    return record_checkin(
        survivor,
        entry("headache", None, 7, True, True, note="Worse in the mornings"),
        entry("pain", "knee", 4, False, False),
        callback=True,
    )


def entries_of(checkin) -> list[SymptomEntry]:
    return list(SymptomEntry.objects.filter(checkin=checkin).select_related(*fhir.SYMPTOM_ENTRY_SELECT).order_by("pk"))


def test_it_builds_a_check_in_as_her_questionnaire_response(checkin, survivor):
    data = roundtrip(fhir.questionnaire_response(checkin))

    assert data["id"] == str(checkin.pk)
    assert data["status"] == "completed"
    assert data["questionnaire"] == f"{BASE}/Questionnaire/checkin|1"
    assert data["subject"] == {"reference": f"Patient/{survivor.pk}"}
    headache, pain, callback = data["item"]
    answers = {i["linkId"]: i["answer"][0] for i in headache["item"]}
    assert answers["symptom"]["valueCoding"]["code"] == "headache"
    assert (answers["severity"], answers["new"], answers["worse"]) == (
        {"valueInteger": 7},
        {"valueBoolean": True},
        {"valueBoolean": True},
    )
    assert answers["note"] == {"valueString": "Worse in the mornings"}
    assert "body-site" not in answers
    assert {i["linkId"]: i["answer"][0] for i in pain["item"]}["body-site"]["valueCoding"]["code"] == "knee"
    assert callback == {"linkId": "callback", "answer": [{"valueBoolean": True}]}


def test_an_entry_in_error_leaves_the_response_amended_and_its_observation_in_error(checkin, survivor):
    headache, pain = entries_of(checkin)
    entry_mark_in_error(survivor=survivor, entry=pain)
    pain.refresh_from_db()

    response = roundtrip(fhir.questionnaire_response(CheckIn.objects.get(pk=checkin.pk)))
    observation = roundtrip(fhir.observation_symptom(pain))

    assert response["status"] == "amended"
    assert [i["item"][0]["answer"][0]["valueCoding"]["code"] for i in response["item"][:-1]] == ["headache"]
    assert observation["status"] == "entered-in-error"
    assert observation["meta"]["lastUpdated"].startswith(pain.entered_in_error_at.astimezone(dt.UTC).isoformat()[:19])


def test_it_builds_a_symptom_entry_as_an_observation_with_snomed_where_sure(checkin, survivor):
    headache, pain = entries_of(checkin)

    first = roundtrip(fhir.observation_symptom(headache))
    second = roundtrip(fhir.observation_symptom(pain))

    assert first["id"] == f"s{headache.pk}"
    assert first["status"] == "final"
    assert first["category"][0]["coding"][0]["code"] == "survey"
    assert codings(first["code"], f"{BASE}/CodeSystem/symptom") == ["headache"]
    assert codings(first["code"], SNOMED) == ["25064002"]
    components = {c["code"]["coding"][0]["code"]: c for c in first["component"]}
    assert components["severity"]["valueInteger"] == 7
    assert (components["new"]["valueBoolean"], components["worse"]["valueBoolean"]) == (True, True)
    assert components["started"]["valueDateTime"] == headache.started_on.isoformat()
    assert first["note"][0]["text"] == "Worse in the mornings"
    assert first["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{checkin.pk}"}]
    assert "bodySite" not in first
    assert codings(second["bodySite"], f"{BASE}/CodeSystem/body-site") == ["knee"]
    assert codings(second["bodySite"], SNOMED) == ["72696002"]
    assert "note" not in second


def test_a_symptom_without_a_sure_snomed_concept_goes_out_with_our_code_alone(survivor, default_rules):
    checkin = record_checkin(survivor, entry("numbness", "hand", 3, False, False))
    (row,) = entries_of(checkin)

    data = roundtrip(fhir.observation_symptom(row))

    assert codings(data["code"], SNOMED) == []
    assert codings(data["code"], f"{BASE}/CodeSystem/symptom") == ["numbness"]
    assert codings(data["bodySite"], SNOMED) == ["85562004"]


def test_every_snomed_mapping_names_a_catalog_code():
    from tracker import catalog

    assert set(codes.SYMPTOM_SNOMED) <= {code for code, *_ in catalog.SYMPTOMS}
    assert set(codes.BODY_SITE_SNOMED) <= {code for code, _ in catalog.BODY_SITES}
    assert codes.SYMPTOM_SNOMED["shortness_of_breath"][0] == "267036007"


@pytest.fixture
def weight_flag(survivor, default_rules):
    """Her weight down from 70 to 65 kg in a month: the routine weight-loss rule."""
    with time_machine.travel(timezone.now() - dt.timedelta(days=30), tick=False):
        weight_record(survivor=survivor, value=Decimal("70"), unit="kg", submission_token=uuid.uuid4())
    weight, _ = weight_record(survivor=survivor, value=Decimal("143.3"), unit="lb", submission_token=uuid.uuid4())
    return weight, Flag.objects.get(survivor=survivor, rule__slug="unexplained-weight-loss")


def test_it_builds_a_weight_as_a_body_weight_in_kg(weight_flag, survivor):
    weight, _ = weight_flag

    data = roundtrip(fhir.observation_weight(weight))

    assert data["id"] == f"w{weight.pk}"
    assert data["category"][0]["coding"][0]["code"] == "vital-signs"
    assert data["code"]["coding"] == [{"system": "http://loinc.org", "code": "29463-7", "display": "Body weight"}]
    assert data["valueQuantity"] == {"value": 65.0, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}
    assert data["subject"] == {"reference": f"Patient/{survivor.pk}"}
    weight.entered_in_error_at = timezone.now()
    assert roundtrip(fhir.observation_weight(weight))["status"] == "entered-in-error"


def load_flag(pk) -> Flag:
    return (
        Flag.objects.select_related(*fhir.FLAG_SELECT, *fhir.TASK_SELECT)
        .prefetch_related(*fhir.FLAG_PREFETCH)
        .get(pk=pk)
    )


def test_each_tier_gives_its_severity_and_the_evidence_names_what_it_fired_on(report, survivor, weight_flag):
    urgent = report(survivor, "pain", "hip", 6, True, True)["bone-pain-new-or-worse"]
    emergency = report(survivor, "seizure", None, 8, True, False)["seizure"]
    weight, routine = weight_flag

    issues = {
        tier: roundtrip(fhir.detected_issue(load_flag(f.pk)))
        for tier, f in [("urgent", urgent), ("emergency", emergency), ("routine", routine)]
    }

    assert {tier: issue["severity"] for tier, issue in issues.items()} == {
        "urgent": "moderate",
        "emergency": "high",
        "routine": "low",
    }
    link = urgent.attachments.get()
    assert issues["urgent"]["evidence"] == [
        {
            "detail": [
                {"reference": f"Observation/s{link.entry_id}"},
                {"reference": f"QuestionnaireResponse/{link.entry.checkin_id}"},
            ]
        }
    ]
    assert issues["routine"]["evidence"] == [{"detail": [{"reference": f"Observation/w{weight.pk}"}]}]
    assert issues["urgent"]["detail"] == "New, different or worsening bone pain (version 1); tier: Urgent"
    assert codings(issues["emergency"]["code"], f"{BASE}/CodeSystem/rule") == ["seizure"]
    assert issues["urgent"]["status"] == "final"
    assert issues["urgent"]["patient"] == {"reference": f"Patient/{survivor.pk}"}


def test_a_flag_is_active_while_open_and_its_task_follows_the_nurse(report, survivor, nurse):
    row = report(survivor, "seizure", None, 8, True, False)["seizure"]
    FlagFollowup.objects.get_or_create(flag=row)

    assert roundtrip(fhir.flag(load_flag(row.pk)))["status"] == "active"
    requested = roundtrip(fhir.task(load_flag(row.pk)))
    assert (requested["status"], requested["priority"], requested["intent"]) == ("requested", "stat", "order")
    assert requested["focus"] == {"reference": f"Flag/{row.pk}"}
    assert requested["for"] == {"reference": f"Patient/{survivor.pk}"}
    assert "owner" not in requested

    flag_claim(flag=row, nurse=nurse)
    accepted = roundtrip(fhir.task(load_flag(row.pk)))
    assert (accepted["status"], accepted["owner"]) == ("accepted", {"reference": f"Practitioner/{nurse.pk}"})

    flag_nurse_contact(flag=row, nurse=nurse)
    assert roundtrip(fhir.task(load_flag(row.pk)))["status"] == "in-progress"

    flag_nurse_resolve(flag=row, nurse=nurse, outcome=Flag.Outcome.EMERGENCY_CARE)
    done = load_flag(row.pk)
    task = roundtrip(fhir.task(done))
    closed = roundtrip(fhir.flag(done))
    assert task["status"] == "completed"
    (output,) = task["output"]
    assert output["valueCodeableConcept"]["coding"] == [
        {"system": f"{BASE}/CodeSystem/flag-outcome", "code": "emergency_care", "display": "Sent to emergency care"}
    ]
    assert closed["status"] == "inactive"
    assert closed["period"]["end"] == done.closed_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    assert codings(closed["code"], f"{BASE}/CodeSystem/rule") == ["seizure"]


def test_a_flag_withdrawn_by_her_correction_is_entered_in_error(report, survivor):
    row = report(survivor, "pain", "hip", 6, True, True)["bone-pain-new-or-worse"]
    entry_mark_in_error(survivor=survivor, entry=row.attachments.get().entry)

    withdrawn = load_flag(row.pk)
    assert (withdrawn.status, withdrawn.outcome) == ("closed", "entered_in_error")
    assert roundtrip(fhir.flag(withdrawn))["status"] == "entered-in-error"
    assert roundtrip(fhir.detected_issue(withdrawn))["status"] == "entered-in-error"
    assert roundtrip(fhir.task(withdrawn))["status"] == "cancelled"


def test_reminders_and_calls_are_communications_without_her_nurses_notes(report, survivor, nurse):
    row = report(survivor, "seizure", None, 8, True, False)["seizure"]
    Message.objects.filter(flag=row).delete()  # those the real schedule made: ours below
    sent = in_app_reminder(survivor, row)
    waiting = Message.objects.create(
        kind="reminder", channel="sms", recipient=survivor, survivor=survivor, clinic=survivor.clinic,
        flag=row, dedupe_key=f"test:{row.pk}:sms", due_at=timezone.now(),
    )  # fmt: skip
    call = call_log(survivor=survivor, nurse=nurse, result=FlagEvent.Result.NO_ANSWER, note="Her sister said X")
    FlagFollowup.objects.get_or_create(flag=row)
    flag_nurse_contact(flag=row, nurse=nurse, note="Talked about the scan")
    contact = FlagEvent.objects.select_related(*fhir.CONTACT_SELECT).get(flag=row, kind="contact")

    reminder = roundtrip(fhir.communication_reminder(sent))
    pending = roundtrip(fhir.communication_reminder(waiting))
    called = roundtrip(fhir.communication_call(call))
    contacted = roundtrip(fhir.communication_contact(contact))

    assert (reminder["id"], reminder["status"], reminder["priority"]) == (f"m{sent.pk}", "completed", "urgent")
    assert codings(reminder["medium"][0], "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode") == [
        "ONLINEWRIT"
    ]
    assert reminder["about"] == [{"reference": f"Flag/{row.pk}"}]
    assert reminder["recipient"] == [{"reference": f"Patient/{survivor.pk}"}]
    assert "sent" in reminder
    assert (pending["status"], pending["medium"][0]["coding"][0]["code"]) == ("preparation", "SMSWRIT")
    assert (called["id"], called["status"]) == (f"c{call.pk}", "not-done")
    assert called["sender"] == {"reference": f"Practitioner/{nurse.pk}"}
    assert called["statusReason"]["coding"][0]["code"] == "no_answer"
    assert (contacted["id"], contacted["status"]) == (f"e{contact.pk}", "completed")
    assert contacted["about"] == [{"reference": f"Flag/{row.pk}"}]
    assert contacted["payload"] == [{"contentString": "Reached her"}]
    assert "sister" not in json.dumps(called) and "scan" not in json.dumps(contacted)
    with pytest.raises(ValueError, match="contact"):
        fhir.communication_contact(FlagEvent(flag=row, kind="note", author=nurse, text="a note"))


def test_her_plan_is_a_care_plan_of_service_requests_in_their_states(survivor):
    plan = PlanFactory(survivor=survivor)
    today = timezone.localdate()
    visit = PlanItemFactory(plan=plan)
    mammogram = PlanItemFactory(
        plan=plan, key="mammogram", kind="mammogram", state="booked",
        booked_at=timezone.now() + dt.timedelta(days=40), booked_place="Imaging, level 2",
    )  # fmt: skip
    blood = PlanItemFactory(plan=plan, key="", kind="blood_test", label="Tumour markers", state="done", done_on=today)
    dropped = PlanItemFactory(plan=plan, key="", kind="imaging", state="not_needed")

    care_plan = roundtrip(
        fhir.care_plan(
            Plan.objects.select_related(*fhir.PLAN_SELECT).prefetch_related(*fhir.PLAN_PREFETCH).get(pk=plan.pk)
        )
    )
    items = {
        item.pk: roundtrip(fhir.service_request(item))
        for item in PlanItem.objects.select_related(*fhir.SERVICE_REQUEST_SELECT).filter(plan=plan)
    }

    assert (care_plan["status"], care_plan["intent"]) == ("active", "plan")
    assert care_plan["subject"] == {"reference": f"Patient/{survivor.pk}"}
    assert [a["reference"]["reference"] for a in care_plan["activity"]] == [
        f"ServiceRequest/{i.pk}" for i in (visit, mammogram, blood, dropped)
    ]
    assert [items[i.pk]["status"] for i in (visit, mammogram, blood, dropped)] == [
        "active",
        "active",
        "completed",
        "revoked",
    ]
    assert codings(items[visit.pk]["code"], SNOMED) == ["185389009"]
    assert codings(items[mammogram.pk]["code"], SNOMED) == ["71651007"]
    assert codings(items[blood.pk]["code"], SNOMED) == []
    assert items[blood.pk]["code"]["text"] == "Tumour markers"
    assert items[dropped.pk]["code"]["text"] == "Other imaging"
    assert items[visit.pk]["occurrencePeriod"] == {"start": visit.opens_on.isoformat(), "end": visit.due_by.isoformat()}
    assert "occurrenceDateTime" in items[mammogram.pk]
    assert items[mammogram.pk]["locationCode"] == [{"text": "Imaging, level 2"}]
    assert items[visit.pk]["basedOn"] == [{"reference": f"CarePlan/{plan.pk}"}]
    assert items[visit.pk]["extension"][0]["valueCoding"]["code"] == "due"


def test_the_builders_run_no_query_on_rows_loaded_with_their_constants(
    report, survivor, nurse, django_assert_num_queries
):
    row = report(survivor, "pain", "hip", 6, True, True)["bone-pain-new-or-worse"]
    FlagFollowup.objects.get_or_create(flag=row, defaults={"claimed_by": nurse, "claimed_at": timezone.now()})
    her = User.objects.select_related(*fhir.PATIENT_SELECT).get(pk=survivor.pk)
    checkin = CheckIn.objects.prefetch_related(*fhir.CHECKIN_PREFETCH).get(flag_links__isnull=True, survivor=survivor)
    flag = load_flag(row.pk)
    (symptom_entry,) = entries_of(checkin)
    with django_assert_num_queries(0):
        for resource in (
            fhir.patient(her),
            fhir.questionnaire_response(checkin),
            fhir.observation_symptom(symptom_entry),
            fhir.flag(flag),
            fhir.detected_issue(flag),
            fhir.task(flag),
        ):
            roundtrip(resource)


def test_the_flag_written_as_json_is_what_resource_would_make_of_it(report, survivor, nurse):
    """flag() skips resource() for speed: its JSON must be clean already
    (instants as strings, no empty element), open, closed and withdrawn."""
    from fhirapi.resources.common import resource

    open_flag = report(survivor, "seizure", None, 8, True, False)["seizure"]
    withdrawn = report(survivor, "pain", "hip", 6, True, True)["bone-pain-new-or-worse"]
    entry_mark_in_error(survivor=survivor, entry=withdrawn.attachments.get().entry)
    closed = report(survivor, "jaundice", None, 5, True, False)["jaundice"]
    FlagFollowup.objects.get_or_create(flag=closed)
    flag_nurse_resolve(flag=closed, nurse=nurse, outcome=Flag.Outcome.SELF_CARE)
    for pk in (open_flag.pk, withdrawn.pk, closed.pk):
        built = fhir.flag(load_flag(pk))
        assert resource(built) == built
        roundtrip(built)
