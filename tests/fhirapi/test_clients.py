"""The clinic admin's FHIR clients page: her clinics' clients, registering
one (every bad key set a field error, never a 500), deactivating one, her
clinics' MRN system and a survivor's MRN (her nurses too), each audited;
every outsider gets 404 or the login page."""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1
from django.urls import reverse

from fhirapi.models import ApiClient
from fhirapi.services import api_client_register
from tests.factories import ClinicAdminFactory, SurvivorFactory
from tests.fhirapi.keys import ec_key, private_jwk, public_jwk, rsa_key
from tracker.models import AuditEvent
from tracker.models.people import Clinic

LIST = reverse("fhir_client_list")
NEW = reverse("fhir_client_register")
MRN = reverse("survivor_mrn")
SYSTEM = reverse("fhir_mrn_system")


@pytest.fixture
def other_admin(other_clinic):
    return ClinicAdminFactory(clinics=[other_clinic], full_name="Olive Otheradmin")


@pytest.fixture
def their_client(other_clinic, other_admin):
    return api_client_register(
        by=other_admin,
        clinic=other_clinic,
        name="Hillside EHR",
        jwks={"keys": [public_jwk(rsa_key(), "k")]},
        scopes=["system/*.read"],
    )


def register(client, jwks, **fields):
    # The clinic field is hidden for an admin of one clinic; the page sends
    # her clinic's id (Riverside, the personas' clinic, unless told).
    data = {
        "clinic": Clinic.objects.get(name="Riverside").pk,
        "name": "Riverside EHR",
        "scopes": ["system/Flag.read", "system/Patient.read"],
        "jwks": jwks if isinstance(jwks, str) else json.dumps(jwks),
    } | fields
    return client.post(NEW, data)


def jwks_errors(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return response.context["form"].errors.get("jwks", [])


def test_she_registers_a_client(client_for, clinic_admin, clinic):
    keys = {"keys": [public_jwk(rsa_key(), "rsa-1") | {"x5c": ["junk"]}, public_jwk(ec_key(), "ec-1")]}
    response = register(client_for(clinic_admin), keys)
    assert response.status_code == 302
    api_client = ApiClient.objects.get()
    assert api_client.clinic == clinic and api_client.created_by == clinic_admin and api_client.is_active
    assert api_client.scopes == ["system/Patient.read", "system/Flag.read"]
    assert len(api_client.client_id) >= 30
    # Its public members only: what else a tool wrote is not kept.
    assert [set(k) for k in api_client.jwks["keys"]] == [{"kty", "kid", "n", "e"}, {"kty", "kid", "crv", "x", "y"}]
    event = AuditEvent.objects.get(action="fhir_client.register")
    assert (event.actor, event.object_id) == (clinic_admin, str(api_client.pk))
    assert event.action_label == "Registered a FHIR client"
    page = client_for(clinic_admin).get(LIST).content.decode()
    assert api_client.client_id in page and "system/Flag.read" in page


@pytest.mark.parametrize(
    ("jwks", "words"),
    [
        ({"keys": [private_jwk(rsa_key(), "rsa-1")]}, "private key"),
        ({"keys": [private_jwk(ec_key(), "ec-1")]}, "private key"),
        ({"keys": [{"kty": "oct", "kid": "s", "k": "c2VjcmV0"}]}, "private key"),
        ({"keys": [public_jwk(rsa_key("short", 1024), "r")]}, "2048"),
        (
            {
                "keys": [
                    public_jwk(
                        ec_key("p256", SECP256R1),
                        "e",
                    )
                ]
            },
            "P-384",
        ),
        ({"keys": [public_jwk(rsa_key(), f"k{i}") for i in range(6)]}, "At most 5"),
        ({"keys": [public_jwk(rsa_key(), "same"), public_jwk(ec_key(), "same")]}, "its own"),
        ({"keys": [{k: v for k, v in public_jwk(rsa_key(), "x").items() if k != "kid"}]}, "kid"),
        ({"keys": [public_jwk(rsa_key(), "x") | {"alg": "RS256"}]}, "RS384"),
        ({"keys": [public_jwk(rsa_key(), "x") | {"use": "enc"}]}, "sig"),
        ({"keys": [public_jwk(rsa_key(), "x") | {"n": "not-a-modulus"}]}, "not a valid public key"),
        (
            {"keys": [public_jwk(ec_key(), "x") | {"y": public_jwk(ec_key("other"), "y")["y"]}]},
            "not a valid public key",
        ),
        ({"keys": [{"kty": "OKP", "kid": "x", "crv": "Ed25519", "x": "abc"}]}, "kty"),
        ({"keys": ["a string"]}, "not a JSON object"),
        ({"keys": []}, "no keys"),
        ([public_jwk(rsa_key(), "x")], '"keys"'),
        (public_jwk(rsa_key(), "x"), '"keys"'),
        ("{not json", "not valid JSON"),
        ("[" * 6000 + "]" * 6000, "too long"),
        ("[" * 5000 + "]" * 5000, "not valid JSON"),  # too deep for the parser
        ("[" * 2000 + "]" * 2000, '"keys"'),
        ({"keys": [public_jwk(rsa_key(), "x") | {"pad": "x" * 11000}]}, "too long"),
    ],
)
def test_a_bad_key_set_is_a_field_error(client_for, clinic_admin, jwks, words):
    errors = jwks_errors(register(client_for(clinic_admin), jwks))
    assert errors and words in " ".join(errors), errors
    assert not ApiClient.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"name": ""}, "name"), ({"scopes": []}, "scopes"), ({"scopes": ["system/Flag.write"]}, "scopes")],
)
def test_other_bad_fields_are_field_errors(client_for, clinic_admin, fields, field):
    response = register(client_for(clinic_admin), {"keys": [public_jwk(rsa_key(), "k")]}, **fields)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not ApiClient.objects.exists()


def test_she_picks_among_her_clinics_and_no_other(client_for, clinic, other_clinic, clinic_admin):
    clinic_b = Clinic.objects.create(name="Brookside", care_team_phone="555-0199")
    clinic_admin.staff_clinics.add(clinic_b)
    jwks = {"keys": [public_jwk(rsa_key(), "k")]}
    assert register(client_for(clinic_admin), jwks, clinic=clinic_b.pk).status_code == 302
    assert ApiClient.objects.get().clinic == clinic_b
    response = register(client_for(clinic_admin), jwks, clinic=other_clinic.pk)
    assert response.status_code == 200 and response.context["form"].errors["clinic"]
    assert ApiClient.objects.count() == 1


def test_she_sees_her_clinics_clients_only(client_for, clinic_admin, their_client, api_client):
    page = client_for(clinic_admin).get(LIST).content.decode()
    assert api_client.client_id in page
    assert their_client.client_id not in page and "Hillside EHR" not in page


def test_she_deactivates_a_client_after_confirming(client_for, clinic_admin, api_client):
    url = reverse("fhir_client_deactivate", args=[api_client.pk])
    admin = client_for(clinic_admin)
    assert admin.get(url).status_code == 200
    api_client.refresh_from_db()
    assert api_client.is_active  # asking is not doing
    assert admin.post(url).status_code == 302
    api_client.refresh_from_db()
    assert not api_client.is_active and api_client.deactivated_at is not None
    assert admin.post(url).status_code == 302  # a second click: nothing more
    assert AuditEvent.objects.filter(action="fhir_client.deactivate").count() == 1


@pytest.mark.parametrize("persona", ["nurse", "other_admin", "survivor", "other_nurse"])
def test_outsiders_get_404(client_for, request, persona, api_client):
    user = request.getfixturevalue(persona)
    outsider = client_for(user)
    deactivate = reverse("fhir_client_deactivate", args=[api_client.pk])
    # Another clinic's admin has her own page and form, without ours.
    pages = (deactivate,) if persona == "other_admin" else (LIST, NEW, deactivate)
    for url in pages:
        response = outsider.get(url)
        assert response.status_code == 404, (persona, url)
        assert api_client.client_id.encode() not in response.content
    assert outsider.post(deactivate).status_code == 404
    attempt = register(outsider, {"keys": [public_jwk(rsa_key(), "k")]})  # for our clinic
    if persona == "other_admin":
        assert attempt.status_code == 200 and attempt.context["form"].errors["clinic"]
        assert api_client.client_id not in outsider.get(LIST).content.decode()
    else:
        assert attempt.status_code == 404
    api_client.refresh_from_db()
    assert api_client.is_active
    assert ApiClient.objects.count() == 1


def test_anonymous_goes_to_the_login_page(client, api_client):
    for url in (LIST, NEW, reverse("fhir_client_deactivate", args=[api_client.pk]), MRN):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_another_clinics_admin_cannot_deactivate_ours_nor_we_theirs(client_for, clinic_admin, their_client):
    response = client_for(clinic_admin).post(reverse("fhir_client_deactivate", args=[their_client.pk]))
    assert response.status_code == 404
    their_client.refresh_from_db()
    assert their_client.is_active


def test_the_accounts_page_links_to_the_clients_for_clinic_admins_only(client_for, clinic_admin, nurse):
    assert f'href="{LIST}"' in client_for(clinic_admin).get(reverse("account_list")).content.decode()
    assert f'href="{LIST}"' not in client_for(nurse).get(reverse("flag_queue")).content.decode()


# A survivor's MRN and the clinic's MRN system.


@pytest.mark.parametrize("persona", ["clinic_admin", "nurse"])
def test_her_care_team_fills_her_mrn(client_for, request, persona, survivor):
    staff = request.getfixturevalue(persona)
    response = client_for(staff).post(MRN, {"email": "SARA@example.org", "mrn": "  MRN-0042 "})
    assert response.status_code == 302
    survivor.refresh_from_db()
    assert survivor.mrn == "MRN-0042"
    event = AuditEvent.objects.get(action="survivor.mrn")
    assert (event.actor, event.survivor) == (staff, survivor)
    assert client_for(staff).post(MRN, {"email": survivor.email, "mrn": ""}).status_code == 302
    survivor.refresh_from_db()
    assert survivor.mrn == ""


def test_the_mrn_form_is_on_the_nurse_page_and_the_admin_page(client_for, nurse, clinic_admin):
    assert client_for(nurse).get(MRN).status_code == 200
    assert f'action="{MRN}"' in client_for(clinic_admin).get(LIST).content.decode()


@pytest.mark.parametrize("persona", ["other_nurse", "other_admin"])
def test_another_clinics_staff_cannot_fill_it(client_for, request, persona, survivor):
    response = client_for(request.getfixturevalue(persona)).post(MRN, {"email": survivor.email, "mrn": "X1"})
    assert response.status_code == 400
    assert response.context["form"].errors["email"] == ["No survivor of your clinics has this email."]
    survivor.refresh_from_db()
    assert survivor.mrn == ""


def test_a_survivor_cannot_fill_one(client_for, survivor, same_clinic_survivor):
    assert client_for(same_clinic_survivor).post(MRN, {"email": survivor.email, "mrn": "X"}).status_code == 404
    assert client_for(same_clinic_survivor).get(MRN).status_code == 404


@pytest.mark.parametrize(
    ("mrn", "words"),
    [("x" * 65, "at most 64"), ("A\x01B", "printable"), ("TAKEN-1", "Another survivor")],
)
def test_a_bad_mrn_is_a_field_error(client_for, nurse, clinic, survivor, mrn, words):
    SurvivorFactory(clinic=clinic, mrn="TAKEN-1")
    response = client_for(nurse).post(MRN, {"email": survivor.email, "mrn": mrn})
    assert response.status_code == 400
    assert words in " ".join(response.context["form"].errors["mrn"])
    survivor.refresh_from_db()
    assert survivor.mrn == ""


def test_the_same_mrn_in_another_clinic_is_fine(client_for, nurse, survivor, other_clinic):
    SurvivorFactory(clinic=other_clinic, mrn="M-1")
    assert client_for(nurse).post(MRN, {"email": survivor.email, "mrn": "M-1"}).status_code == 302


@pytest.mark.parametrize("system", ["urn:oid:2.16.840.1.113883.19.5", "https://hospital.example/mrn", ""])
def test_she_sets_her_clinics_mrn_system(client_for, clinic_admin, clinic, system):
    clinic.mrn_system = "urn:oid:1.2.3"
    clinic.save()
    response = client_for(clinic_admin).post(SYSTEM, {"clinic": clinic.pk, "mrn_system": system})
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.mrn_system == system
    assert AuditEvent.objects.filter(action="clinic.mrn_system", actor=clinic_admin).count() == 1


@pytest.mark.parametrize("system", ["hospital", "urn:oid:1.2.x", "javascript:alert(1)", "https://" + "a" * 200])
def test_a_bad_mrn_system_is_a_field_error(client_for, clinic_admin, clinic, system):
    response = client_for(clinic_admin).post(SYSTEM, {"clinic": clinic.pk, "mrn_system": system})
    assert response.status_code == 400
    assert response.context["system_form"].errors["mrn_system"]
    clinic.refresh_from_db()
    assert clinic.mrn_system == ""


def test_only_her_clinics_mrn_system(client_for, clinic_admin, nurse, other_admin, clinic):
    response = client_for(other_admin).post(SYSTEM, {"clinic": clinic.pk, "mrn_system": "urn:oid:1.2.3"})
    assert response.status_code == 400 and response.context["system_form"].errors["clinic"]
    assert client_for(nurse).post(SYSTEM, {"clinic": clinic.pk, "mrn_system": "urn:oid:1.2.3"}).status_code == 404
    clinic.refresh_from_db()
    assert clinic.mrn_system == ""
