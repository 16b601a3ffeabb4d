"""The FHIR endpoints, end to end: a registered warehouse gets a token from
the real token endpoint with a signed assertion, then reads a survivor's
year of check-ins, weights, flags, the nurses' work, reminders and her plan
back, page by page, and every resource and Bundle validates with
fhir.resources (R4B). Outsiders: another clinic's survivor, a client with
narrower scopes, no token."""

import datetime as dt
import uuid
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import time_machine
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome

from followup.models import FlagEvent, Message
from followup.triage.actions import call_log, flag_claim, flag_nurse_contact, flag_nurse_resolve
from tests.factories import PlanFactory, PlanItemFactory, SurvivorFactory, entry, record_checkin
from tracker.models import AuditEvent, CheckIn, Flag, SymptomEntry, WeightEntry
from tracker.services.checkins import weight_record

from .keys import assertion, rsa_key, token_request

FHIR = "application/fhir+json"


def token_for(http, api_client, key=None, kid="w-1", scope="system/*.read") -> str:
    key = key or rsa_key("warehouse")
    response = http.post(
        "/fhir/R4/auth/token", token_request(assertion(api_client.client_id, key, kid=kid), scope=scope)
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def get(http, path: str, token: str | None, **params):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = http.get(path, params, HTTP_ACCEPT=FHIR, **headers)
    assert response["Content-Type"].startswith(FHIR), response["Content-Type"]
    return response


def read_all(http, token: str, resource_type: str, **params) -> list[dict]:
    """Every resource of a search, following Bundle.link next; each page and
    each resource validated with fhir.resources."""
    resources: list[dict] = []
    page = get(http, f"/fhir/R4/{resource_type}", token, **params)
    for _ in range(200):
        assert page.status_code == 200, page.content
        data = page.json()
        Bundle.model_validate(data)
        for item in data.get("entry", []):
            resource = item["resource"]
            assert resource["resourceType"] == resource_type
            get_fhir_model_class(resource_type).model_validate(resource)
            assert item["fullUrl"].endswith(f"/{resource_type}/{resource['id']}")
            resources.append(resource)
        following = [link["url"] for link in data["link"] if link["relation"] == "next"]
        if not following:
            return resources
        url = urlsplit(following[0])
        page = http.get(f"{url.path}?{url.query}", HTTP_AUTHORIZATION=f"Bearer {token}")
    raise AssertionError("paging did not end")


@pytest.fixture
def her_year(survivor, nurse, default_rules):
    """A year of weekly check-ins and weights, some raising flags that a
    nurse claims, calls about and closes; reminders; her plan."""
    start = timezone.now() - dt.timedelta(days=364)
    for week in range(52):
        with time_machine.travel(start + dt.timedelta(weeks=week), tick=False):
            if week % 13 == 5:
                record_checkin(survivor, entry("jaundice", None, 5))
            elif week % 17 == 3:
                record_checkin(survivor, entry("pain", "hip", 6, True, True), entry("fatigue", None, 3, False, False))
            else:
                record_checkin(survivor, entry("fatigue", None, 2, False, False))
            weight_record(
                survivor=survivor, value=Decimal("68.0") - Decimal(week) / 20, unit="kg", submission_token=uuid.uuid4()
            )
    flags = list(Flag.objects.filter(survivor=survivor).order_by("pk"))
    assert len(flags) >= 3
    for row in flags[:-1]:
        flag_claim(flag=row, nurse=nurse)
        flag_nurse_contact(flag=row, nurse=nurse)
        flag_nurse_resolve(flag=row, nurse=nurse, outcome=Flag.Outcome.SELF_CARE)
    call_log(survivor=survivor, nurse=nurse, result=FlagEvent.Result.NO_ANSWER, note="left a message")
    plan = PlanFactory(survivor=survivor)
    PlanItemFactory(plan=plan)
    return flags


@pytest.fixture
def outsider(other_clinic, default_rules):
    """Another clinic's survivor with a flag of her own."""
    her = SurvivorFactory(clinic=other_clinic)
    record_checkin(her, entry("jaundice", None, 5))
    return her


def test_a_warehouse_reads_her_year_back_and_every_resource_validates(client, warehouse, survivor, her_year, outsider):
    token = token_for(client, warehouse)
    expected = {
        "Patient": 1,
        "QuestionnaireResponse": CheckIn.objects.filter(survivor=survivor).count(),
        "Observation": SymptomEntry.objects.filter(survivor=survivor).count()
        + WeightEntry.objects.filter(survivor=survivor).count(),
        "Flag": len(her_year),
        "DetectedIssue": len(her_year),
        "Task": len(her_year),
        "Communication": Message.objects.filter(survivor=survivor, recipient=survivor).count()
        + FlagEvent.objects.filter(flag__survivor=survivor, kind="contact").count()
        + 1,
        "CarePlan": 1,
        "ServiceRequest": 1,
    }
    assert expected["Observation"] > 100
    for resource_type, count in expected.items():
        found = read_all(client, token, resource_type, patient=f"Patient/{survivor.pk}", _count="40")
        assert len(found) == count, resource_type
        assert len({r["id"] for r in found}) == count, f"{resource_type}: a row twice across pages"
        stamps = [r["meta"]["lastUpdated"] for r in found]
        assert stamps == sorted(stamps), f"{resource_type}: not in _lastUpdated order"
        # A read of one gives the same resource.
        one = get(client, f"/fhir/R4/{resource_type}/{found[-1]['id']}", token)
        assert one.status_code == 200 and one.json() == found[-1]
    # Unfiltered, the clinic's own rows only: the other clinic's survivor never shows.
    patients = read_all(client, token, "Patient")
    assert [p["id"] for p in patients] == [str(survivor.pk)]
    flags = read_all(client, token, "Flag")
    assert all(f["subject"]["reference"] == f"Patient/{survivor.pk}" for f in flags)
    for kind in ("Questionnaire", "Organization", "Practitioner"):
        assert read_all(client, token, kind)


def test_last_updated_bounds_pick_the_time_window(client, warehouse, survivor, her_year):
    token = token_for(client, warehouse)
    since = (timezone.now() - dt.timedelta(days=30)).date().isoformat()
    recent = read_all(client, token, "Observation", patient=str(survivor.pk), _lastUpdated=f"ge{since}")
    everything = read_all(client, token, "Observation", patient=str(survivor.pk))
    assert 0 < len(recent) < len(everything)
    assert all(r["meta"]["lastUpdated"][:10] >= since for r in recent)
    window = read_all(client, token, "Observation", patient=str(survivor.pk), _lastUpdated=[f"ge{since}", f"le{since}"])
    assert all(r["meta"]["lastUpdated"][:10] == since for r in window)


def test_every_read_is_audited_as_the_client(client, warehouse, survivor, her_year):
    token = token_for(client, warehouse)
    flag = her_year[0]
    get(client, f"/fhir/R4/Flag/{flag.pk}", token)
    get(client, "/fhir/R4/Observation", token, patient=str(survivor.pk), _count="5")
    read, listed = AuditEvent.objects.filter(via=f"fhir:{warehouse.client_id}").order_by("pk")
    assert (read.action, read.object_type, read.object_id, read.survivor_id, read.actor_id) == (
        "fhir.read", "Flag", str(flag.pk), survivor.pk, None,
    )  # fmt: skip
    assert (listed.action, listed.object_type, listed.survivors) == ("fhir.search", "Observation", [survivor.pk])


def test_outsiders_and_bad_requests_get_an_operation_outcome(
    client, api_client, warehouse, survivor, her_year, outsider
):
    token = token_for(client, warehouse)
    theirs = Flag.objects.get(survivor=outsider)
    cases = [
        (get(client, "/fhir/R4/Flag", None), 401),
        (get(client, "/fhir/R4/Flag", "not-a-token"), 401),
        (get(client, f"/fhir/R4/Flag/{theirs.pk}", token), 404),  # another clinic's: as if missing
        (get(client, "/fhir/R4/Flag/0123", token), 404),
        (get(client, "/fhir/R4/Basic", token), 404),
        (get(client, "/fhir/R4/Flag", token, _count="100000"), 400),
        (get(client, "/fhir/R4/Flag", token, _lastUpdated="yesterday"), 400),
        (get(client, "/fhir/R4/Flag", token, _cursor="garbage!"), 400),
        (get(client, "/fhir/R4/Flag", token, name="x"), 400),
        (get(client, "/fhir/R4/Organization", token, patient="1"), 400),
        (get(client, "/fhir/R4/Flag", token, _format="xml"), 406),
    ]
    flags_only = token_for(client, api_client, key=rsa_key(), kid="rsa-1", scope="system/Flag.read")
    cases.append((get(client, "/fhir/R4/Observation", flags_only), 403))
    for response, status in cases:
        assert response.status_code == status, (status, response.content)
        OperationOutcome.model_validate(response.json())
    assert cases[0][0]["WWW-Authenticate"].startswith("Bearer")
    # Their patient search finds nothing of ours, and ours nothing of theirs.
    assert read_all(client, token, "Flag", patient=str(outsider.pk)) == []


def test_metadata_is_public_and_lists_what_is_supported(client):
    response = get(client, "/fhir/R4/metadata", None)
    assert response.status_code == 200
    statement = CapabilityStatement.model_validate(response.json())
    resources = {r.type: r for r in statement.rest[0].resource}
    assert set(resources) >= {"Patient", "Observation", "Flag", "DetectedIssue", "Task", "CarePlan", "ServiceRequest"}
    assert {p.name for p in resources["Flag"].searchParam} == {"patient", "_lastUpdated", "_count"}


def test_whatever_else_is_asked_is_answered_as_fhir_answers(client, warehouse):
    token = token_for(client, warehouse)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    for response, status in [
        (client.post("/fhir/R4/Flag", {}, **auth), 405),
        (client.delete("/fhir/R4/Flag/1", **auth), 405),
        (client.get("/fhir/R4/Flag/1/history", **auth), 404),
        (client.get("/fhir/R4/", **auth), 404),
    ]:
        assert response.status_code == status
        assert response["Content-Type"].startswith(FHIR)
        OperationOutcome.model_validate(response.json())


def test_digits_that_are_not_ascii_are_a_400_not_a_500(client, warehouse):
    token = token_for(client, warehouse)
    for params in ({"_count": "²"}, {"patient": "²"}, {"patient": "Patient/¹"}):
        response = get(client, "/fhir/R4/Flag", token, **params)
        assert response.status_code == 400, params
        OperationOutcome.model_validate(response.json())


def test_the_clinic_admins_audit_page_shows_the_systems_reads(
    client, client_for, clinic_admin, warehouse, survivor, her_year
):
    from django.urls import reverse

    token = token_for(client, warehouse)
    get(client, f"/fhir/R4/Flag/{her_year[0].pk}", token)
    get(client, "/fhir/R4/Observation", token, patient=str(survivor.pk), _count="5")
    page = client_for(clinic_admin).get(reverse("audit_trail"))
    rows = [e for e in page.context["page"] if e.via == f"fhir:{warehouse.client_id}"]
    assert sorted(e.action for e in rows) == ["fhir.read", "fhir.search"]
    assert f"fhir:{warehouse.client_id}" in page.content.decode()


def test_a_refused_read_is_a_security_event_naming_the_client_not_the_data(client, warehouse, outsider, caplog):
    import logging

    token = token_for(client, warehouse)
    theirs = Flag.objects.get(survivor=outsider)
    caplog.set_level(logging.WARNING)
    assert get(client, f"/fhir/R4/Flag/{theirs.pk}", token).status_code == 404
    line = next(r.getMessage() for r in caplog.records if "fhir_refused" in r.getMessage())
    assert f"client={warehouse.client_id}" in line and "status=404" in line
    assert token not in caplog.text and outsider.full_name not in caplog.text
