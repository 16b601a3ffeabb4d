"""Failed logins, lockouts and refused pages are security events: the
`security` log (no password, no health data, an unknown account's email
masked), an AuditEvent row when they are about an account, and the clinic
admin's page /admin-pages/security/ for her own clinics' accounts only."""

import datetime as dt
import logging

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.factories import ClinicAdminFactory, NurseFactory, SurvivorFactory
from tracker.models import AuditEvent
from tracker.security import events

PAGE = reverse("security_events")
pytestmark = pytest.mark.django_db


def log_in(client, email, password="not the password", address="127.0.0.1"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address)


def security_rows():
    return list(
        AuditEvent.objects.filter(action__startswith="security.")
        .order_by("id")
        .values_list("actor", "action", "object_type", "object_id")
    )


def test_a_failed_login_to_an_account_is_logged_and_kept(client, survivor, caplog):
    caplog.set_level(logging.INFO, logger="security")
    log_in(client, survivor.email, password="my secret guess")
    assert security_rows() == [(survivor.pk, events.LOGIN_FAILED, "login", "127.0.0.1")]
    text = caplog.text
    assert f"event=login_failed account={survivor.pk} address=127.0.0.1 where=login" in text
    assert survivor.email not in text and "my secret guess" not in text


def test_a_failed_login_to_no_account_is_logged_masked_and_not_kept(client, caplog):
    caplog.set_level(logging.INFO, logger="security")
    log_in(client, "Stranger.Danger@example.org")
    assert security_rows() == []
    assert "account=unknown email=s***@example.org#" in caplog.text
    assert "stranger" not in caplog.text.lower()


def test_a_lockout_is_one_row_not_one_per_refused_try(client, survivor):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for _ in range(5):
            log_in(client, survivor.email)
            clock.shift(dt.timedelta(seconds=31))
        for _ in range(3):
            assert log_in(client, survivor.email).status_code == 429
    actions = sorted(action for _, action, _, _ in security_rows())
    assert actions == sorted([events.LOGIN_FAILED] * 5 + [events.LOCKOUT])


def test_a_page_refused_to_her_role_is_kept_once_a_minute_and_logged_each_time(client, survivor, caplog):
    caplog.set_level(logging.INFO, logger="security")
    client.force_login(survivor)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        assert client.get(reverse("flag_queue")).status_code == 404
        assert client.get(reverse("flag_queue")).status_code == 404
        assert security_rows() == [(survivor.pk, events.ACCESS_DENIED, "flag_queue", "127.0.0.1")]
        clock.shift(dt.timedelta(seconds=61))
        client.get(reverse("flag_queue"))
    assert len(security_rows()) == 2
    assert caplog.text.count("event=access_denied") == 3
    assert "reason=role" in caplog.text


def test_a_403_is_a_security_event(survivor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(survivor)
    response = client.post(reverse("preferences"), {})
    assert response.status_code == 403
    assert security_rows() == [(survivor.pk, events.ACCESS_DENIED, "preferences", "127.0.0.1")]


def test_an_anonymous_403_is_logged_only(caplog):
    caplog.set_level(logging.INFO, logger="security")
    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "a@b.c", "password": "x"})
    assert response.status_code == 403
    assert security_rows() == []
    assert "event=access_denied account=unknown" in caplog.text


@pytest.fixture
def recorded(client, clinic, other_clinic, survivor, nurse, other_nurse):
    """A failed login for her, her nurse and the other clinic's nurse,
    a minute apart, and a refusal for her."""
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for person in (survivor, nurse, other_nurse):
            log_in(client, person.email)
            clock.shift(dt.timedelta(minutes=1))
        client.force_login(survivor)
        client.get(reverse("flag_queue"))
        client.logout()


def page_rows(client, **params):
    response = client.get(PAGE, params)
    assert response.status_code == 200
    return response, [(row.actor_id, row.action) for row in response.context["page"]]


def test_the_admin_sees_her_clinics_accounts_events_newest_first(client, recorded, clinic_admin, survivor, nurse):
    client.force_login(clinic_admin)
    response, rows = page_rows(client)
    assert rows == [
        (survivor.pk, events.ACCESS_DENIED),
        (nurse.pk, events.LOGIN_FAILED),
        (survivor.pk, events.LOGIN_FAILED),
    ]
    html = response.content.decode()
    assert "Failed sign-in" in html and "Page refused" in html and "127.0.0.1" in html
    assert survivor.full_name in html and nurse.full_name in html


def test_the_admin_of_another_clinic_sees_none_of_them(client, recorded, other_clinic, other_nurse):
    other_admin = ClinicAdminFactory(clinics=[other_clinic])
    client.force_login(other_admin)
    _, rows = page_rows(client)
    assert rows == [(other_nurse.pk, events.LOGIN_FAILED)]


def test_a_nurse_who_works_for_both_clinics_is_seen_by_both_admins(client, clinic, other_clinic, clinic_admin):
    both = NurseFactory(clinics=[clinic, other_clinic])
    log_in(client, both.email)
    for admin in (clinic_admin, ClinicAdminFactory(clinics=[other_clinic])):
        client.force_login(admin)
        assert page_rows(client)[1] == [(both.pk, events.LOGIN_FAILED)]


@pytest.mark.parametrize("persona", ["nurse", "survivor", "other_nurse"])
def test_no_one_but_a_clinic_admin_opens_the_page(client, recorded, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(PAGE).status_code == 404


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_filters_pick_a_kind_and_days(client, recorded, clinic_admin, survivor, nurse):
    client.force_login(clinic_admin)
    assert page_rows(client, action=events.ACCESS_DENIED)[1] == [(survivor.pk, events.ACCESS_DENIED)]
    assert len(page_rows(client, day_from="2026-03-02", day_to="2026-03-02")[1]) == 3
    assert page_rows(client, day_from="2026-03-03")[1] == []


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"action": "flag.view"}, "action", "Select a valid choice"),
        ({"day_from": "1900-01-01"}, "day_from", "Choose a day between"),
        ({"day_to": "9999-12-31"}, "day_to", "Choose a day between"),
        ({"day_from": "not a day"}, "day_from", "Enter a valid date"),
        ({"day_from": "2026-03-05", "day_to": "2026-03-01"}, "day_to", "before the start date"),
        ({"page": "99999"}, None, None),
        ({"page": "x" * 5000}, None, None),
    ],
)
def test_bad_filters_are_explained_by_the_field_never_a_500(client, recorded, clinic_admin, params, field, message):
    client.force_login(clinic_admin)
    response = client.get(PAGE, params)
    assert response.status_code == 200
    if field:
        assert message in " ".join(response.context["form"].errors[field])


def test_the_page_is_paginated(client, clinic, clinic_admin):
    survivor = SurvivorFactory(clinic=clinic)
    for _ in range(55):
        AuditEvent.objects.create(actor=survivor, action=events.LOGIN_FAILED, object_type="login", object_id="")
    client.force_login(clinic_admin)
    first = client.get(PAGE)
    assert len(first.context["page"]) == 50 and first.context["page"].has_next()
    assert len(client.get(PAGE, {"page": 2}).context["page"]) == 5


def test_other_audit_rows_are_not_security_events(client, clinic_admin, nurse, survivor):
    AuditEvent.objects.create(actor=nurse, action="survivor.history.view", survivor=survivor)
    client.force_login(clinic_admin)
    assert page_rows(client)[1] == []


@pytest.mark.parametrize("typed", ["nul\x00@example.org", "x" * 300 + "@example.org", "", None])
def test_what_someone_typed_never_breaks_the_account_lookup(typed):
    # The login form refuses these before any password is checked; other
    # callers of authenticate() (the Django admin, single sign-on) may not.
    assert events.account_for_email(typed) is None


def test_security_events_stay_off_the_audit_trail(client, recorded, clinic_admin, nurse):
    """The audit trail lists what staff did with survivor data; a nurse's
    failed sign-in is not something she did, and has its own page."""
    assert AuditEvent.objects.filter(actor=nurse, action=events.LOGIN_FAILED).exists()
    client.force_login(clinic_admin)
    response = client.get(reverse("audit_trail"))
    assert response.status_code == 200
    assert not [row for row in response.context["page"] if row.action.startswith("security.")]
    assert "Failed sign-in" not in response.content.decode()
