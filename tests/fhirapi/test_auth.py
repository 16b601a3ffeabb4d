"""SMART Backend Services' token endpoint (fhirapi/views.py, assertions.py,
services.token_issue) and the bearer tokens it hands out (fhirapi/auth.py),
with real RSA-2048 and EC P-384 keys and assertions signed by PyJWT."""

import datetime as dt
import hashlib
import logging
import time

import jwt
import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from fhirapi.auth import SmartBearer, client_for_token, scope_allows
from fhirapi.models import AccessToken, AssertionSeen
from fhirapi.services import api_client_deactivate
from tests.fhirapi.keys import TOKEN_URL, assertion, ec_key, rsa_key, token_request

URL = "/fhir/R4/auth/token"


def ask(client, data):
    return client.post(URL, data)


def refused(response, status, error):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"] == error, body
    assert body["error_description"]
    assert "no-store" in response["Cache-Control"]
    return body


def test_the_url_is_where_the_brief_puts_it():
    assert reverse("fhir_token") == URL


@pytest.mark.parametrize(("key", "kid"), [(rsa_key, "rsa-1"), (ec_key, "ec-1")], ids=["RS384", "ES384"])
def test_it_issues_a_token_for_a_good_assertion(client, api_client, key, kid):
    response = ask(client, token_request(assertion(api_client.client_id, key(), kid=kid), "system/Flag.read"))
    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 300
    assert body["scope"] == "system/Flag.read"
    # Only its hash is stored.
    row = AccessToken.objects.get()
    assert row.token_hash == hashlib.sha256(body["access_token"].encode()).hexdigest()
    assert body["access_token"] not in str(list(AccessToken.objects.values()))
    found = client_for_token(body["access_token"])
    assert found == api_client
    assert found.granted_scopes == ["system/Flag.read"]


def test_it_grants_several_scopes_in_the_order_asked_once_each(client, api_client):
    data = token_request(
        assertion(api_client.client_id, rsa_key(), kid="rsa-1"),
        "system/Patient.read system/Flag.rs system/Patient.read",
    )
    assert ask(client, data).json()["scope"] == "system/Patient.read system/Flag.rs"


def test_a_client_allowed_every_type_may_ask_for_one(client, warehouse):
    data = token_request(assertion(warehouse.client_id, rsa_key("warehouse"), kid="w-1"), "system/Observation.read")
    assert ask(client, data).json()["scope"] == "system/Observation.read"


def test_it_refuses_an_assertion_for_another_audience(client, api_client):
    bad = assertion(api_client.client_id, rsa_key(), kid="rsa-1", aud="https://elsewhere.example/token")
    refused(ask(client, token_request(bad)), 401, "invalid_client")


def test_it_refuses_an_expired_assertion(client, api_client):
    bad = assertion(api_client.client_id, rsa_key(), kid="rsa-1", exp=int(time.time()) - 120)
    refused(ask(client, token_request(bad)), 401, "invalid_client")


def test_it_refuses_an_assertion_that_lasts_too_long(client, api_client):
    bad = assertion(api_client.client_id, rsa_key(), kid="rsa-1", lifetime=600)
    refused(ask(client, token_request(bad)), 401, "invalid_client")
    huge = assertion(api_client.client_id, rsa_key(), kid="rsa-1", exp=10**30)
    refused(ask(client, token_request(huge)), 401, "invalid_client")


@pytest.mark.parametrize("claim", ["exp", "jti", "sub", "aud"])
def test_it_refuses_an_assertion_without_a_required_claim(client, api_client, claim):
    bad = assertion(api_client.client_id, rsa_key(), kid="rsa-1", **{claim: None})
    refused(ask(client, token_request(bad)), 401, "invalid_client")


def test_it_refuses_a_sub_other_than_the_client(client, api_client, warehouse):
    bad = assertion(api_client.client_id, rsa_key(), kid="rsa-1", sub=warehouse.client_id)
    refused(ask(client, token_request(bad)), 401, "invalid_client")


def test_it_refuses_an_assertion_sent_twice(client, api_client):
    once = assertion(api_client.client_id, rsa_key(), kid="rsa-1")
    assert ask(client, token_request(once)).status_code == 200
    body = refused(ask(client, token_request(once)), 401, "invalid_client")
    assert "used already" in body["error_description"]
    assert AccessToken.objects.count() == 1


def test_the_same_jti_from_two_clients_is_two_assertions(client, api_client, warehouse):
    mine = assertion(api_client.client_id, rsa_key(), kid="rsa-1", jti="shared")
    theirs = assertion(warehouse.client_id, rsa_key("warehouse"), kid="w-1", jti="shared")
    assert ask(client, token_request(mine)).status_code == 200
    assert ask(client, token_request(theirs, "system/Task.read")).status_code == 200


def test_assertions_past_use_are_forgotten(client, api_client):
    ask(client, token_request(assertion(api_client.client_id, rsa_key(), kid="rsa-1")))
    assert AssertionSeen.objects.count() == 1
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(minutes=10), tick=False):
        later = assertion(api_client.client_id, rsa_key(), kid="rsa-1")
        assert ask(client, token_request(later)).status_code == 200
    assert AssertionSeen.objects.count() == 1  # the first one's row is gone
    assert AccessToken.objects.count() == 1  # and so is its expired token


def test_it_refuses_an_unknown_kid(client, api_client):
    bad = assertion(api_client.client_id, rsa_key(), kid="rsa-2")
    refused(ask(client, token_request(bad)), 401, "invalid_client")


def test_it_refuses_an_assertion_signed_with_another_key(client, api_client):
    bad = assertion(api_client.client_id, rsa_key("stranger"), kid="rsa-1")
    body = refused(ask(client, token_request(bad)), 401, "invalid_client")
    assert "signature" in body["error_description"]
    ec_bad = assertion(api_client.client_id, ec_key("stranger"), kid="ec-1")
    refused(ask(client, token_request(ec_bad)), 401, "invalid_client")


def test_it_refuses_an_algorithm_the_key_is_not_for(client, api_client):
    # The RSA key's kid on an ES384 assertion, and the reverse.
    refused(ask(client, token_request(assertion(api_client.client_id, ec_key(), kid="rsa-1"))), 401, "invalid_client")
    refused(ask(client, token_request(assertion(api_client.client_id, rsa_key(), kid="ec-1"))), 401, "invalid_client")


@pytest.mark.parametrize("algorithm", ["RS256", "HS256", "none"])
def test_it_refuses_other_algorithms(client, api_client, algorithm):
    now = int(time.time())
    claims = {"iss": api_client.client_id, "sub": api_client.client_id, "aud": TOKEN_URL, "exp": now + 60, "jti": "x"}
    key = {"RS256": rsa_key(), "HS256": "a shared secret of enough length for hs256", "none": None}[algorithm]
    bad = jwt.encode(claims, key, algorithm=algorithm, headers={"kid": "rsa-1"})
    refused(ask(client, token_request(bad)), 401, "invalid_client")


def test_it_refuses_an_inactive_client_and_its_tokens_stop(client, api_client, clinic_admin):
    body = ask(client, token_request(assertion(api_client.client_id, rsa_key(), kid="rsa-1"))).json()
    assert client_for_token(body["access_token"]) is not None
    api_client_deactivate(by=clinic_admin, client=api_client)
    assert client_for_token(body["access_token"]) is None
    refused(ask(client, token_request(assertion(api_client.client_id, rsa_key(), kid="rsa-1"))), 401, "invalid_client")


def test_it_refuses_an_unknown_client(client, api_client):
    refused(ask(client, token_request(assertion("nobody", rsa_key(), kid="rsa-1"))), 401, "invalid_client")


@pytest.mark.parametrize(
    "scope",
    ["system/Observation.read", "system/*.read", "system/Flag.write", "user/Flag.read", "patient/*.read", "openid"],
)
def test_it_refuses_a_scope_the_client_may_not_have(client, api_client, scope):
    data = token_request(assertion(api_client.client_id, rsa_key(), kid="rsa-1"), f"system/Flag.read {scope}")
    refused(ask(client, data), 400, "invalid_scope")
    assert not AccessToken.objects.exists()


def test_it_refuses_another_grant_type(client, api_client):
    data = token_request(assertion(api_client.client_id, rsa_key(), kid="rsa-1"), grant_type="password")
    refused(ask(client, data), 400, "unsupported_grant_type")


@pytest.mark.parametrize(
    "change",
    [
        {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"},
        {"scope": ""},
        {"client_assertion": ""},
        {"grant_type": ""},
    ],
)
def test_it_refuses_a_request_missing_a_part(client, api_client, change):
    data = token_request(assertion(api_client.client_id, rsa_key(), kid="rsa-1")) | change
    refused(ask(client, data), 400, "invalid_request")


def test_it_refuses_an_oversize_assertion_unread(client, api_client):
    padded = assertion(api_client.client_id, rsa_key(), kid="rsa-1", padding="x" * 9000)
    refused(ask(client, token_request(padded)), 400, "invalid_request")
    refused(ask(client, token_request("x" * 20_000)), 400, "invalid_request")
    refused(
        ask(client, token_request(assertion(api_client.client_id, rsa_key(), kid="rsa-1"), "a" * 1025)),
        400,
        "invalid_request",
    )


@pytest.mark.parametrize("junk", ["not a jwt", "a.b.c", "eyJhbGciOiJSUzM4NCJ9.e30.", "\x00" * 10])
def test_it_refuses_junk_without_an_error(client, api_client, junk):
    refused(ask(client, token_request(junk)), 401, "invalid_client")


def test_a_client_id_field_must_name_the_same_client(client, api_client, warehouse):
    data = token_request(assertion(api_client.client_id, rsa_key(), kid="rsa-1"), client_id=warehouse.client_id)
    refused(ask(client, data), 401, "invalid_client")


def test_it_answers_get_with_405(client):
    assert client.get(URL).status_code == 405


@override_settings(SECURITY_THROTTLES={"fhir_token.address": (100, 60), "fhir_token.client": (3, 60)})
def test_it_throttles_a_client(client, api_client, warehouse):
    for _ in range(3):
        assert ask(client, token_request(assertion(api_client.client_id, rsa_key(), kid="rsa-1"))).status_code == 200
    response = ask(client, token_request(assertion(api_client.client_id, rsa_key(), kid="rsa-1")))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    # Another client from the same address goes on.
    other = token_request(assertion(warehouse.client_id, rsa_key("warehouse"), kid="w-1"), "system/Task.read")
    assert ask(client, other).status_code == 200


@override_settings(SECURITY_THROTTLES={"fhir_token.address": (100, 60), "fhir_token.client": (3, 60)})
def test_junk_assertions_naming_a_client_do_not_lock_it_out(client, api_client):
    """Only an assertion whose signature holds counts against its client:
    someone who knows a client_id cannot keep its system from its tokens."""
    forged = rsa_key("someone else")
    for _ in range(5):
        assert ask(client, token_request(assertion(api_client.client_id, forged, kid="rsa-1"))).status_code == 401
    assert ask(client, token_request(assertion(api_client.client_id, rsa_key(), kid="rsa-1"))).status_code == 200


@override_settings(SECURITY_THROTTLES={"fhir_token.address": (2, 60), "fhir_token.client": (100, 60)})
def test_it_throttles_an_address(client, api_client):
    for _ in range(2):
        ask(client, token_request("junk"))
    assert ask(client, token_request(assertion(api_client.client_id, rsa_key(), kid="rsa-1"))).status_code == 429


def test_it_never_logs_the_assertion_or_the_token(client, api_client, caplog):
    caplog.set_level(logging.DEBUG)
    good = assertion(api_client.client_id, rsa_key(), kid="rsa-1")
    token = ask(client, token_request(good)).json()["access_token"]
    ask(client, token_request(good))  # refused: used already
    text = caplog.text
    assert "fhir_token_refused" in text  # the refusal is logged...
    assert good not in text and good.split(".")[2] not in text  # ...without the assertion
    assert token not in text


def test_client_for_token_stops_when_the_token_expires(client, api_client):
    token = ask(client, token_request(assertion(api_client.client_id, rsa_key(), kid="rsa-1"))).json()["access_token"]
    now = dt.datetime.now(tz=dt.UTC)
    with time_machine.travel(now + dt.timedelta(seconds=290), tick=False):
        assert client_for_token(token) == api_client
    with time_machine.travel(now + dt.timedelta(seconds=301), tick=False):
        assert client_for_token(token) is None


@pytest.mark.parametrize("raw", ["", "nope", "x" * 10_000])
def test_client_for_token_refuses_other_tokens(db, raw):
    assert client_for_token(raw) is None


def test_client_for_token_is_one_query(client, api_client, django_assert_num_queries):
    token = ask(client, token_request(assertion(api_client.client_id, rsa_key(), kid="rsa-1"))).json()["access_token"]
    with django_assert_num_queries(1):
        found = client_for_token(token)
        assert found.clinic.name == "Riverside"


def test_smart_bearer_returns_the_client(client, api_client, rf):
    token = ask(client, token_request(assertion(api_client.client_id, rsa_key(), kid="rsa-1"))).json()["access_token"]
    request = rf.get("/fhir/R4/Flag", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert SmartBearer()(request) == api_client
    assert SmartBearer()(rf.get("/fhir/R4/Flag", HTTP_AUTHORIZATION="Bearer nope")) is None


@pytest.mark.parametrize(
    ("scopes", "kind", "allowed"),
    [
        (["system/Flag.read"], "Flag", True),
        (["system/Flag.rs"], "Flag", True),
        (["system/*.read"], "Observation", True),
        (["system/*.rs"], "CarePlan", True),
        (["system/Flag.read"], "Patient", False),
        (["system/Flag.write"], "Flag", False),
        (["system/Flag.cruds"], "Flag", False),
        (["patient/Flag.read"], "Flag", False),
        (["user/*.read"], "Flag", False),
        (["system/*.read"], "Binary", False),
        ([], "Flag", False),
        (["system/Patient.read", "system/Task.read"], "Task", True),
    ],
)
def test_scope_allows(scopes, kind, allowed):
    assert scope_allows(scopes, kind) is allowed


def test_the_discovery_document(client, db):
    response = client.get("/fhir/R4/.well-known/smart-configuration")
    assert response.status_code == 200
    body = response.json()
    assert body["token_endpoint"] == TOKEN_URL
    assert body["grant_types_supported"] == ["client_credentials"]
    assert body["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert body["token_endpoint_auth_signing_alg_values_supported"] == ["RS384", "ES384"]
    assert "system/Flag.read" in body["scopes_supported"] and "system/*.read" in body["scopes_supported"]
    assert body["capabilities"] == ["client-confidential-asymmetric"]
