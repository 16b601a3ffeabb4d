"""Pages around the app (issue 12, section 3): a superuser from
`createsuperuser` (also with --noinput and nothing but the two environment
variables) lands somewhere useful; our own 404 and 500 pages, calm and with
the care team's number when it is known; a favicon and /favicon.ico.

DEBUG is False here (config/settings/test.py), as in production."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.template.loader import render_to_string
from django.test import Client
from django.urls import path

from config import urls as site_urls
from tests.factories import ClinicFactory
from tests.mfa_helpers import client_pass_second_step, totp_device_for
from tracker.models import User

PASSWORD = "a-long-superuser-password-7"


def boom(request):
    raise RuntimeError("something broke on our side")


# This module is also the URLconf of the 500 tests: the site's own patterns
# and error handlers, plus a page that fails.
urlpatterns = [path("__boom__/", boom), *site_urls.urlpatterns]
handler500 = site_urls.handler500


@pytest.fixture
def superuser(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Root@Example.org")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", interactive=False, stdout=StringIO(), stderr=StringIO())
    return User.objects.get(email="root@example.org")


def test_createsuperuser_noinput_needs_only_the_email_and_password_variables(superuser):
    assert superuser.is_superuser and superuser.is_staff and superuser.is_active
    assert superuser.check_password(PASSWORD)


def test_a_new_superuser_logging_in_to_the_app_lands_in_the_django_admin(superuser):
    client = Client()
    response = client.post("/accounts/login/", {"username": "root@example.org", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/second-factor/set-up/")  # her first sign-in
    response = client_pass_second_step(client, superuser, response)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/admin/"
    assert b"Site administration" in response.content


def test_a_superuser_logging_in_to_the_django_admin_sees_it_and_can_visit_the_site(superuser):
    client = Client()
    totp_device_for(superuser)
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "root@example.org", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/accounts/second-factor/verify/?next=%2Fadmin%2F"
    response = client_pass_second_step(client, superuser, response)
    assert response.status_code == 200 and b"Site administration" in response.content
    # "View site" goes to the home page: back to the admin, not a 404 or a loop.
    response = client.get("/", follow=True)
    assert response.status_code == 200 and response.redirect_chain[-1][0] == "/admin/"


def test_a_superuser_who_works_for_a_clinic_lands_on_its_staff_page(superuser):
    superuser.staff_clinics.add(ClinicFactory(name="Lakeside"))
    totp_device_for(superuser)
    client = Client()
    response = client.post("/accounts/login/", {"username": "root@example.org", "password": PASSWORD}, follow=True)
    response = client_pass_second_step(client, superuser, response)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/staff/"
    assert b"Lakeside" in response.content


def test_our_404_page_gives_a_survivor_her_care_team_number(client_for, survivor):
    response = client_for(survivor).get("/no-such-page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "We can't find this page" in text
    assert 'href="tel:555-0100"' in text and "Go to my home page" in text


def test_our_404_page_is_calm_for_someone_not_logged_in(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "We can't find this page" in text
    assert "call your care team. In an emergency call 911." in text
    assert "Go to the login page" in text


def test_the_500_page_renders_with_no_request_and_no_context():
    html = render_to_string("500.html")
    assert "Sorry, something went wrong on our side" in html
    assert "call your care team. In an emergency call 911." in html
    assert '<html lang="en">' in html


@pytest.mark.urls(__name__)
def test_a_failing_page_shows_our_500_page_with_her_care_team_number(survivor):
    client = Client(raise_request_exception=False)
    client.force_login(survivor)
    response = client.get("/__boom__/")
    assert response.status_code == 500
    text = response.content.decode()
    assert "Sorry, something went wrong on our side" in text
    assert 'href="tel:555-0100"' in text and 'href="tel:911"' in text


@pytest.mark.urls(__name__)
def test_the_500_page_still_comes_up_when_the_database_is_down(survivor, monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(survivor)

    def database_down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("django.db.models.query.QuerySet.first", database_down)
    response = client.get("/__boom__/")
    assert response.status_code == 500
    text = response.content.decode()
    assert "Sorry, something went wrong on our side" in text
    assert "call your care team. In an emergency call 911." in text


@pytest.mark.urls(__name__)
def test_the_500_page_for_staff_gives_no_survivor_number(nurse):
    client = Client(raise_request_exception=False)
    client.force_login(nurse)
    response = client.get("/__boom__/")
    assert response.status_code == 500
    assert "call your care team. In an emergency call 911." in response.content.decode()


def test_favicon_ico_answers_anyone_with_our_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.ico"
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an .ico file


def test_every_page_links_its_icons(client_for, survivor):
    html = client_for(None).get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/favicon.ico" sizes="32x32">' in html
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    for icon in ("/static/favicon.svg", "/static/apple-touch-icon.png"):
        assert client_for(None).get(icon).status_code == 200
