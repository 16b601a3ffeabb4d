"""Starts the real OpenID Connect provider (tests/oidc/provider.mjs, the npm
package oidc-provider) on a free loopback port, and signs a person in at it
the way a browser would (its own login form), for the tests that drive the
app with Django's test client. The browser tests click through it instead."""

import json
import os
import re
import secrets
import select
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from django.test import override_settings

from tests.factories import ClinicAdminFactory, NurseFactory, SurvivorFactory
from tracker.models import Clinic, User
from tracker.sso import sso_forget

SCRIPT = Path(__file__).with_name("provider.mjs")
CLIENT_ID = "followup"
CLIENT_SECRET = secrets.token_urlsafe(32)
BUTTON_LABEL = "Sign in with Example Hospital"

# The provider's people (its login -> claims). The tests make the app's side:
# a nurse, a clinic admin, a survivor, a deactivated nurse and a nurse whose
# address the provider has not verified; "stranger" has no account here.
NURSE_EMAIL = "nina.nurse@riverside.example"
ADMIN_EMAIL = "ada.admin@riverside.example"
SURVIVOR_EMAIL = "sara@example.org"
INACTIVE_EMAIL = "ida.gone@riverside.example"
UNVERIFIED_EMAIL = "una.nurse@riverside.example"
ACCOUNTS = {
    # As some providers do, in another case than the app holds it.
    "nina": {"email": "Nina.Nurse@Riverside.example", "email_verified": True},
    "ada": {"email": ADMIN_EMAIL, "email_verified": True},
    "sara": {"email": SURVIVOR_EMAIL, "email_verified": True},
    "ida": {"email": INACTIVE_EMAIL, "email_verified": True},
    "una": {"email": UNVERIFIED_EMAIL, "email_verified": False},
    "stranger": {"email": "stranger@elsewhere.example", "email_verified": True},
}


@contextmanager
def oidc_provider(*, site: str) -> Iterator[str]:
    """Runs the provider, its client being the app at `site` (its callback and
    login page registered), until the block ends; yields its issuer URL."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: install Debian's nodejs and npm (make test does).")
    env = os.environ | {
        "OIDC_TEST_CLIENT_ID": CLIENT_ID,
        "OIDC_TEST_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_TEST_REDIRECT_URI": f"{site}/accounts/sso/callback/",
        "OIDC_TEST_POST_LOGOUT_REDIRECT_URI": f"{site}/accounts/login/",
        "OIDC_TEST_ACCOUNTS": json.dumps(ACCOUNTS),
    }
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(
            [node, str(SCRIPT)], cwd=SCRIPT.parent, env=env, stdout=subprocess.PIPE, stderr=errors, text=True
        )
        try:
            ready, _, _ = select.select([process.stdout], [], [], 30)
            line = process.stdout.readline() if ready else ""
            if not line:
                errors.seek(0)
                pytest.fail(f"the OpenID provider did not start: {errors.read()[-2000:]}")
            yield json.loads(line)["issuer"]
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def sso_on(issuer: str) -> Iterator[None]:
    """The app configured for the provider at `issuer` until the block ends.
    override_settings, not pytest-django's `settings`: a live server's
    threads read the same settings object either way."""
    with override_settings(
        OIDC_OP_ISSUER=issuer,
        OIDC_RP_CLIENT_ID=CLIENT_ID,
        OIDC_RP_CLIENT_SECRET=CLIENT_SECRET,
        SSO_BUTTON_LABEL=BUTTON_LABEL,
    ):
        sso_forget()
        yield
    sso_forget()


def provider_people(clinic: Clinic) -> dict[str, User]:
    """The app's side of ACCOUNTS, in `clinic`, by the provider's login."""
    return {
        "nina": NurseFactory(clinics=[clinic], email=NURSE_EMAIL, full_name="Nina Nurse"),
        "ada": ClinicAdminFactory(clinics=[clinic], email=ADMIN_EMAIL),
        "sara": SurvivorFactory(clinic=clinic, email=SURVIVOR_EMAIL),
        "ida": NurseFactory(clinics=[clinic], email=INACTIVE_EMAIL, is_active=False),
        "una": NurseFactory(clinics=[clinic], email=UNVERIFIED_EMAIL),
    }


def sign_in_at_provider(authorization_url: str, *, login: str, redirect_uri: str) -> str:
    """What a person does at the provider's login page: returns the URL the
    provider sends the browser back to (the app's callback with a code)."""
    provider = requests.Session()
    url = authorization_url
    for _ in range(10):
        response = provider.get(url, allow_redirects=False, timeout=10)
        if response.status_code == 200:  # the provider's login form
            action = unescape(re.search(r'<form[^>]*action="([^"]+)"', response.text).group(1))
            response = provider.post(
                urljoin(url, action),
                data={"prompt": "login", "login": login, "password": "the provider checks this, not the app"},
                allow_redirects=False,
                timeout=10,
            )
        assert response.status_code in (302, 303), response.text[:500]
        url = urljoin(url, response.headers["Location"])
        if url.startswith(redirect_uri):
            return url
    raise AssertionError("the provider never sent the browser back")
