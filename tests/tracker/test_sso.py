"""Single sign-on for staff (issue 13, section 1): the backend's mapping of a
provider's user to an existing, active staff account by verified email, and
the whole flow with Django's test client against a real OpenID provider
(oidc-provider from npm, tests/oidc/provider.mjs) on loopback."""

import re
import socket
from html import unescape
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from django.contrib.auth import SESSION_KEY, authenticate
from django.core.exceptions import SuspiciousOperation
from django.test import Client
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from tests.factories import PASSWORD
from tests.oidc.provider import (
    ADMIN_EMAIL,
    BUTTON_LABEL,
    CLIENT_ID,
    NURSE_EMAIL,
    oidc_provider,
    provider_people,
    sign_in_at_provider,
    sso_on,
)
from tracker.models import User
from tracker.sso import StaffOIDCBackend, sso_forget

REDIRECT_URI = "http://testserver/accounts/sso/callback/"
REFUSED = "Single sign-on did not sign you in. It is only for staff whose hospital account has a verified email"
FAILED = "Single sign-on did not finish. Please try again, or log in with your password."


@pytest.fixture
def people(clinic):
    return provider_people(clinic)


# --- The mapping, without a provider -----------------------------------------


def claims(email, verified=True):
    return {"sub": "someone", "email": email, "email_verified": verified}


@pytest.mark.django_db
class TestMapping:
    def test_it_finds_active_staff_by_verified_email_in_any_case(self, people):
        backend = StaffOIDCBackend()
        assert list(backend.filter_users_by_claims(claims("NINA.nurse@riverside.EXAMPLE"))) == [people["nina"]]
        assert list(backend.filter_users_by_claims(claims(ADMIN_EMAIL))) == [people["ada"]]

    def test_it_finds_a_superuser(self, db):
        root = User.objects.create_superuser("root@hospital.example", "x" * 12)
        assert list(StaffOIDCBackend().filter_users_by_claims(claims("root@hospital.example"))) == [root]

    @pytest.mark.parametrize("who", ["sara", "ida"])
    def test_it_never_finds_a_survivor_or_a_deactivated_account(self, people, who):
        assert not StaffOIDCBackend().filter_users_by_claims(claims(people[who].email)).exists()

    def test_it_finds_nobody_for_an_unknown_or_missing_email(self, people):
        backend = StaffOIDCBackend()
        assert not backend.filter_users_by_claims(claims("stranger@elsewhere.example")).exists()
        assert not backend.filter_users_by_claims({"sub": "x"}).exists()
        assert not backend.filter_users_by_claims(claims(["nina.nurse@riverside.example"])).exists()

    @pytest.mark.parametrize(
        ("verified", "accepted"), [(True, True), ("true", True), (False, False), ("false", False), (None, False)]
    )
    def test_it_accepts_only_an_email_the_provider_verified(self, verified, accepted):
        assert StaffOIDCBackend().verify_claims(claims(NURSE_EMAIL, verified)) is accepted

    def test_it_refuses_claims_without_an_email(self):
        assert StaffOIDCBackend().verify_claims({"sub": "x", "email_verified": True}) is False

    def test_it_never_creates_a_user(self, db, settings):
        settings.OIDC_CREATE_USER = True  # even if someone switched it on
        backend = StaffOIDCBackend()
        with pytest.raises(SuspiciousOperation):
            backend.create_user(claims("stranger@elsewhere.example"))
        assert not User.objects.filter(email="stranger@elsewhere.example").exists()

    def test_a_session_it_signed_in_ends_when_she_is_deactivated_or_not_staff(self, people):
        backend = StaffOIDCBackend()
        nina = people["nina"]
        assert backend.get_user(nina.pk) == nina
        User.objects.filter(pk=nina.pk).update(is_active=False)
        assert backend.get_user(nina.pk) is None
        assert backend.get_user(people["sara"].pk) is None

    def test_it_takes_no_part_in_password_logins(self, people, rf, settings):
        settings.OIDC_OP_ISSUER = "http://127.0.0.1:9/"  # nothing listens: a network call would fail
        settings.OIDC_RP_CLIENT_ID = CLIENT_ID
        request = rf.get("/accounts/login/?code=stolen&state=x")
        assert StaffOIDCBackend().authenticate(request, username=NURSE_EMAIL, password="wrong") is None
        assert authenticate(rf.post("/"), username=NURSE_EMAIL, password=PASSWORD) == people["nina"]


@pytest.mark.django_db
class TestTokenChecks:
    """The library checks signature, expiry and nonce; these are ours."""

    @pytest.fixture
    def decoded(self, monkeypatch, settings):
        settings.OIDC_OP_ISSUER = "https://idp.hospital.example"
        settings.OIDC_RP_CLIENT_ID = CLIENT_ID
        payload = {"iss": "https://idp.hospital.example", "aud": CLIENT_ID, "sub": "nina", "nonce": "n"}
        monkeypatch.setattr(OIDCAuthenticationBackend, "verify_token", lambda self, token, **kw: payload)
        return payload

    def test_it_accepts_a_token_for_us_from_our_issuer(self, decoded):
        assert StaffOIDCBackend().verify_token("t", nonce="n") is decoded
        decoded.update(aud=["other", CLIENT_ID], azp=CLIENT_ID)
        assert StaffOIDCBackend().verify_token("t", nonce="n") is decoded

    @pytest.mark.parametrize(
        "change",
        [
            {"iss": "https://evil.example"},
            {"aud": "another-app"},
            {"aud": ["another-app"]},
            {"aud": None},
            {"aud": ["another-app", CLIENT_ID], "azp": "another-app"},
        ],
    )
    def test_it_refuses_a_token_from_another_issuer_or_for_another_client(self, decoded, change):
        decoded.update(change)
        with pytest.raises(SuspiciousOperation):
            StaffOIDCBackend().verify_token("t", nonce="n")

    def test_it_refuses_userinfo_about_another_subject(self, monkeypatch):
        monkeypatch.setattr(OIDCAuthenticationBackend, "get_userinfo", lambda *a: claims(NURSE_EMAIL) | {"sub": "b"})
        with pytest.raises(SuspiciousOperation):
            StaffOIDCBackend().get_userinfo("access", "id", {"sub": "a"})


# --- Off unless configured ----------------------------------------------------


@pytest.mark.django_db
def test_without_configuration_there_is_no_button_and_no_sso_pages(client):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b"/accounts/sso/" not in page.content
    assert client.get("/accounts/sso/start/").status_code == 404
    assert client.get("/accounts/sso/callback/?code=x&state=y").status_code == 404


@pytest.mark.django_db
def test_an_unreachable_provider_is_a_message_not_a_500(client, settings):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.OIDC_OP_ISSUER = f"http://127.0.0.1:{port}"
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    sso_forget()
    page = client.get("/accounts/sso/start/", follow=True)
    assert page.redirect_chain[-1][0] == "/accounts/login/"
    assert FAILED in page.content.decode()


# --- The flow against the real provider ---------------------------------------


@pytest.fixture(scope="module")
def issuer():
    with oidc_provider(site="http://testserver") as url:
        yield url


@pytest.fixture
def sso(issuer):
    with sso_on(issuer):
        yield


def start(client, next_url=""):
    response = client.get("/accounts/sso/start/" + (f"?{urlencode({'next': next_url})}" if next_url else ""))
    assert response.status_code == 302
    return response["Location"]


def sign_in(client, login, next_url=""):
    """Start at the app, sign in at the provider, come back: the callback's answer."""
    callback = sign_in_at_provider(start(client, next_url), login=login, redirect_uri=REDIRECT_URI)
    return client.get(callback.removeprefix("http://testserver"))


def signed_in_as(client):
    return client.session.get(SESSION_KEY)


def test_the_login_page_shows_the_button_with_its_label(client, sso, db):
    page = client.get("/accounts/login/?next=/staff/queue/").content.decode()
    assert BUTTON_LABEL in page
    assert 'href="/accounts/sso/start/?next=%2Fstaff%2Fqueue%2F"' in page


def test_it_asks_for_the_code_flow_with_pkce_state_and_nonce(client, sso, db):
    query = parse_qs(urlparse(start(client)).query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [REDIRECT_URI]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["scope"] == ["openid email"]


@pytest.mark.parametrize(("login", "lands_on"), [("nina", "/"), ("ada", "/")])
def test_staff_sign_in_and_the_session_says_so(client, sso, people, login, lands_on):
    response = sign_in(client, login)
    assert response.status_code == 302
    assert response["Location"] == lands_on
    assert signed_in_as(client) == str(people[login].pk)
    assert client.session["auth_sso"] is True  # the second-factor gate counts the provider's


def test_she_goes_back_to_the_page_she_asked_for(client, sso, people):
    response = sign_in(client, "nina", next_url="/staff/queue/")
    assert response["Location"] == "/staff/queue/"
    assert client.get("/staff/queue/").status_code == 200


def test_a_next_page_on_another_site_is_ignored(client, sso, people):
    assert sign_in(client, "nina", next_url="https://evil.example/")["Location"] == "/"


@pytest.mark.parametrize("login", ["sara", "ida", "una", "stranger"])
def test_survivors_deactivated_unverified_and_unknown_people_are_refused_alike(client, sso, people, login):
    users = User.objects.count()
    response = sign_in(client, login)
    assert response["Location"] == "/accounts/login/"
    assert signed_in_as(client) is None
    assert "auth_sso" not in client.session
    page = client.get("/accounts/login/").content.decode()
    assert REFUSED in page
    assert User.objects.count() == users  # nobody created


def test_a_replayed_callback_signs_nobody_in(client, sso, people):
    callback = sign_in_at_provider(start(client), login="nina", redirect_uri=REDIRECT_URI)
    path = callback.removeprefix("http://testserver")
    assert client.get(path)["Location"] == "/"
    client.post("/accounts/logout/")
    response = client.get(path)  # the state was used up (and so was the code)
    assert response.status_code == 302
    assert signed_in_as(client) is None
    assert FAILED in client.get("/accounts/login/").content.decode()


def test_a_callback_with_a_state_this_session_never_made_is_refused(client, sso, people):
    start(client)  # her session holds a state, not the one in this link
    someone_else = Client()
    callback = sign_in_at_provider(start(someone_else), login="nina", redirect_uri=REDIRECT_URI)
    response = client.get(callback.removeprefix("http://testserver"))
    assert response.status_code == 302  # not the library's 400
    assert signed_in_as(client) is None
    assert FAILED in client.get("/accounts/login/").content.decode()


def test_an_answer_that_names_another_issuer_is_refused(client, sso, people):
    # RFC 9207 (a mix-up attack): everything right but the provider it claims to come from.
    callback = sign_in_at_provider(start(client), login="nina", redirect_uri=REDIRECT_URI)
    assert "iss=" in callback
    forged = callback.replace("iss=", "iss=https%3A%2F%2Fevil.example&was=")
    response = client.get(forged.removeprefix("http://testserver"))
    assert response["Location"] == "/accounts/login/"
    assert signed_in_as(client) is None
    assert FAILED in client.get("/accounts/login/").content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "error=access_denied&state=x",
        "code=x",
        "code=x&state=y&iss=https%3A%2F%2Fevil.example",
    ],
)
def test_errors_and_broken_callbacks_end_on_the_login_page(client, sso, people, query):
    start(client)
    response = client.get(f"/accounts/sso/callback/?{query}")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert signed_in_as(client) is None
    assert FAILED in client.get("/accounts/login/").content.decode()


def test_password_logins_still_work_when_sso_is_on(client, sso, people):
    response = client.post("/accounts/login/", {"username": NURSE_EMAIL, "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_as(client) == str(people["nina"].pk)
    assert "auth_sso" not in client.session


def test_logging_out_ends_the_local_session_and_offers_the_providers_logout(client, sso, people, issuer):
    sign_in(client, "nina")
    response = client.post("/accounts/logout/")
    assert signed_in_as(client) is None
    assert client.get("/staff/queue/").status_code == 302
    assert response["Location"] == "/accounts/sso/signed-out/"
    page = client.get("/accounts/sso/signed-out/")
    link = re.search(r'href="([^"]+)"[^>]*>Sign out of my hospital account', page.content.decode()).group(1)
    url = urlparse(unescape(link))
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{issuer}/session/end"  # from discovery
    assert parse_qs(url.query) == {
        "client_id": [CLIENT_ID],
        "post_logout_redirect_uri": ["http://testserver/accounts/login/"],
    }


def test_a_password_session_logs_out_to_the_login_page_as_before(client, sso, people):
    client.post("/accounts/login/", {"username": NURSE_EMAIL, "password": PASSWORD})
    assert client.post("/accounts/logout/")["Location"] == "/accounts/login/"


def test_the_signed_out_page_leads_to_the_login_page_when_sso_is_off(client, db):
    assert client.get("/accounts/sso/signed-out/")["Location"] == "/accounts/login/"
