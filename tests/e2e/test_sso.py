"""Single sign-on for staff in a real browser (issue 13, section 1): the login
page's "Sign in with Example Hospital", the hospital's provider (a real
OpenID provider, oidc-provider from npm, tests/oidc/provider.mjs, on
loopback), and back. The nurse lands on her queue without a second factor
here (the provider's counts), and logging out offers to end the provider's
session too; a survivor, a deactivated nurse, a nurse whose
address the provider has not verified and a stranger are told why not, and
nobody is created. The app runs on localhost and the provider on 127.0.0.1:
two sites, as in real life, so no cookie is shared."""

import pytest
from django.contrib.sessions.backends.db import SessionStore

from tests.e2e.axe import assert_no_axe_violations
from tests.oidc.provider import (
    BUTTON_LABEL,
    NURSE_EMAIL,
    oidc_provider,
    provider_people,
    sso_on,
)
from tracker.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

REFUSED = "Single sign-on did not sign you in. It is only for staff whose hospital account has a verified email"


@pytest.fixture(scope="module")
def issuer(live_server):
    with oidc_provider(site=live_server.url) as url:
        yield url


@pytest.fixture
def sso(issuer):
    with sso_on(issuer):
        yield


@pytest.fixture
def staff(clinic):
    provider_people(clinic)
    return clinic


def sign_in_with_the_hospital(page, base, login):
    page.goto(base + "/accounts/login/")
    page.get_by_role("link", name=BUTTON_LABEL).click()
    # The provider's own login page (its development pages: any password).
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("her hospital password")
    page.get_by_role("button", name="Sign-in").click()


def both_widths_pass_axe(page, where):
    for width, height in [(1280, 900), (390, 844)]:  # desktop, then back to the phone
        page.set_viewport_size({"width": width, "height": height})
        assert_no_axe_violations(page, f"{where} at {width} px")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll


def session_of(page):
    cookie = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    return SessionStore(session_key=cookie["value"]).load()


def test_a_nurse_signs_in_with_her_hospital_account_and_lands_on_her_queue(live_server, page, sso, staff):
    users = User.objects.count()
    page.goto(live_server.url + "/accounts/login/")
    both_widths_pass_axe(page, "the login page with single sign-on")

    sign_in_with_the_hospital(page, live_server.url, "nina")
    page.wait_for_url(live_server.url + "/staff/queue/")
    assert page.get_by_role("heading", name="Triage queue").is_visible()
    session = session_of(page)
    assert session["_auth_user_id"] == str(User.objects.get(email=NURSE_EMAIL).pk)
    assert session["auth_sso"] is True  # what lets the second-factor gate count the provider's
    assert User.objects.count() == users

    page.get_by_role("button", name="Show menu").click()  # a phone-width screen
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(live_server.url + "/accounts/sso/signed-out/")
    both_widths_pass_axe(page, "signed out after single sign-on")
    page.goto(live_server.url + "/staff/queue/")
    assert page.url.startswith(live_server.url + "/accounts/login/")  # the local session is over


def test_she_can_sign_out_of_the_provider_too(live_server, page, sso, staff, issuer):
    sign_in_with_the_hospital(page, live_server.url, "nina")
    page.wait_for_url(live_server.url + "/staff/queue/")
    page.get_by_role("button", name="Show menu").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(live_server.url + "/accounts/sso/signed-out/")

    # Signed out here only, the provider still knows her: one click signs her back in.
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_role("link", name=BUTTON_LABEL).click()
    page.wait_for_url(live_server.url + "/staff/queue/")
    page.get_by_role("button", name="Show menu").click()
    page.get_by_role("button", name="Log out").click()

    page.get_by_role("link", name="Sign out of my hospital account").click()
    page.get_by_role("button", name="Yes, sign me out").click()  # the provider's own question
    page.wait_for_url(live_server.url + "/accounts/login/")
    page.get_by_role("link", name=BUTTON_LABEL).click()
    page.locator("input[name=login]").wait_for()  # the provider asks her to sign in again
    assert page.url.startswith(issuer)


@pytest.mark.parametrize("login", ["sara", "stranger", "una", "ida"])
def test_survivors_strangers_unverified_and_deactivated_are_refused_with_a_message(
    live_server, page, sso, staff, login
):
    users = User.objects.count()
    sign_in_with_the_hospital(page, live_server.url, login)
    page.wait_for_url(live_server.url + "/accounts/login/")
    assert page.get_by_role("status").filter(has_text=REFUSED).is_visible()
    assert_no_axe_violations(page, f"the login page refusing {login}")
    page.goto(live_server.url + "/")
    assert page.url.startswith(live_server.url + "/accounts/login/")  # not signed in
    assert User.objects.count() == users  # nobody created
