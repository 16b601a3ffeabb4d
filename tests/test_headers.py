"""Pages with health data are not kept (issue 13, section 3): every response
the app builds says no-store, static files stay cacheable, and every
response carries Permissions-Policy and Cross-Origin-Resource-Policy.

The URLs come from the resolver, not from a list: a page added later is
checked without anyone adding it here."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import SurvivorFactory
from tracker.models import Flag

# "auth_sso" is the sso -> mfa contract: a session that passed single
# sign-on counts as having passed the second factor (tracker/mfa/gate.py).
SSO_SESSION_KEY = "auth_sso"


def sign_in(client, user):
    client.logout()
    client.force_login(user)
    if not user.is_survivor:
        session = client.session
        session[SSO_SESSION_KEY] = True
        session.save()
    return client


def url_patterns(resolver=None, prefix=""):
    """(pattern, URL path template, view) for every pattern, admin included."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry, prefix + str(entry.pattern), entry.callback


def concrete(template: str, values: dict) -> str:
    """A URL path from a route ("rules/<slug:slug>/") or a regex
    ("^(?P<app_label>auth|tracker)/$"), with a value for each part."""
    # A part with no value here (a route added later) gets 1: the header is
    # asked of every answer, a 404 included.
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values.get(m.group(1), 1)), template)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m.group(1), 1)), path)
    path = path.replace("^", "").replace("$", "")
    assert not re.search(r"[()\[\]*+?\\|]", path), f"could not build a URL from {template!r}"
    return "/" + path


@pytest.fixture
def world(survivor, nurse, clinic_admin, superuser, her_record):
    superuser.staff_clinics.add(survivor.clinic)
    values = {
        "survivor_id": survivor.pk,
        "checkin_id": her_record.checkin.pk,
        "entry_id": her_record.entry.pk,
        "weight_id": her_record.weight.pk,
        "flag_id": her_record.flag.pk,
        "message_id": her_record.message.pk,
        "job_id": her_record.job.pk,
        "slug": her_record.rule.slug,
        "user_id": nurse.pk,
        "passkey_id": 1,
        "pk": 1,
        "id": survivor.pk,
        "object_id": survivor.pk,
        "content_type_id": 1,
        "app_label": "tracker",
        "url": "no-such-page/",
        "token": "not-a-token",
        "uidb64": "MQ",
    }
    return {"values": values, "personas": [survivor, nurse, clinic_admin, superuser]}


def test_every_page_that_needs_a_login_says_no_store(client, world):
    urls = sorted(
        {
            concrete(template, world["values"])
            for _, template, view in url_patterns()
            if getattr(view, "login_required", True)  # login_not_required marks the public ones
        }
    )
    assert len(urls) > 40
    missing = []
    for person in world["personas"]:
        sign_in(client, person)
        for url in urls:
            response = client.get(url)
            cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
            if not {"no-store", "no-cache", "private"} <= cache_control or response.get("Pragma") != "no-cache":
                missing.append((person.role, url, response.status_code, response.get("Cache-Control")))
    assert not missing


def test_public_pages_and_errors_say_no_store_too(client, survivor):
    for url in ["/accounts/login/", "/invite/not-a-token/", "/no-such-page/", "/healthz"]:
        assert "no-store" in client.get(url)["Cache-Control"], url
    # A page that showed her data answers "no-store" after she signed out:
    # the login redirect itself is not kept.
    response = client.get("/staff/queue/")
    assert response.status_code == 302 and "no-store" in response["Cache-Control"]


def test_a_flag_page_and_its_htmx_fragment_are_not_kept(client, world, survivor, nurse):
    flag = Flag.objects.get(survivor=survivor)
    sign_in(client, nurse)
    page = client.get(f"/staff/flags/{flag.pk}/")
    fragment = client.get(f"/staff/flags/{flag.pk}/history/", HTTP_HX_REQUEST="true")
    assert page.status_code == fragment.status_code == 200
    for response in (page, fragment):
        assert "no-store" in response["Cache-Control"]
        assert response["Expires"]


def test_static_files_stay_cacheable_and_carry_the_security_headers(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert response.get("Pragma") is None
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.parametrize("url", ["/accounts/login/", "/no-such-page/", "/static/css/app.css"])
def test_every_response_has_permissions_policy_and_resource_policy(client, url):
    response = client.get(url)
    policy = dict(part.strip().split("=", 1) for part in response["Permissions-Policy"].split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "serial", "hid"):
        assert policy[feature] == "()", feature
    # Passkeys are coming: this site may ask for them, no embedded frame may.
    assert policy["publickey-credentials-get"] == policy["publickey-credentials-create"] == "(self)"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_a_survivors_pages_are_not_kept_for_her_either(client, survivor):
    other = SurvivorFactory(clinic=survivor.clinic)
    sign_in(client, other)
    assert "no-store" in client.get("/")["Cache-Control"]


def test_the_django_admin_never_shows_a_second_factors_secret(client, nurse, superuser):
    """django-otp's admin pages for an authenticator app's key and QR code
    would let a superuser copy a nurse's factor; they answer 403, for a
    device that exists and for one that does not (no 500)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=nurse, name="Her app", confirmed=True)
    client.force_login(superuser)
    for pk in (device.pk, device.pk + 1000):
        for page in ("config", "qrcode"):
            response = client.get(f"/admin/otp_totp/totpdevice/{pk}/{page}/")
            assert response.status_code == 403, (pk, page, response.status_code)
            assert device.key not in response.content.decode()
