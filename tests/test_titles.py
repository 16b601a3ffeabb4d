"""Page titles name no survivor (issue 13, section 3): a tab, the browser's
history, a bookmark and a screen shared in a meeting all show the title."""

import re

import pytest
from django.urls import reverse

from tests.factories import CheckInFactory, SurvivorFactory, SymptomEntryFactory
from tests.test_headers import sign_in
from tracker.models import AuditEvent, Flag, Rule
from tracker.services.audit import audit_record
from tracker.services.rules import rules_load_defaults

NAME, EMAIL = "Zelda Quintero", "zelda.quintero@example.org"


def title(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)


@pytest.fixture
def zelda(clinic, nurse, clinic_admin):
    rules_load_defaults()
    zelda = SurvivorFactory(clinic=clinic, full_name=NAME, email=EMAIL)
    checkin = CheckInFactory(survivor=zelda, callback_requested=True)
    SymptomEntryFactory(checkin=checkin)
    rule = Rule.objects.get(slug="headache")
    flag = Flag.objects.create(survivor=zelda, rule=rule, rule_version=rule.current, tier="urgent", evidence="x")
    audit_record(actor=nurse, action="survivor.history.view", survivor=zelda)
    return {"survivor": zelda, "checkin": checkin, "flag": flag}


def assert_unnamed(text: str):
    for part in (NAME, *NAME.split(), EMAIL, EMAIL.split("@")[0]):
        assert part.lower() not in text.lower(), f"{part!r} in the title {text!r}"


def test_a_nurses_pages_about_a_named_survivor_do_not_name_her_in_the_title(client, zelda, nurse):
    sign_in(client, nurse)
    pages = [
        reverse("survivor_history", args=[zelda["survivor"].pk]),
        reverse("checkin_detail", args=[zelda["checkin"].pk]),
        reverse("nurse_flag", args=[zelda["flag"].pk]),
        reverse("flag_queue"),
        reverse("survivor_list"),
        reverse("call_lists"),
        reverse("staff_home"),
    ]
    for url in pages:
        response = client.get(url)
        assert NAME in response.content.decode(), url  # the page itself is about her
        assert_unnamed(title(response))


def test_a_clinic_admins_pages_do_not_name_a_survivor_in_the_title(client, zelda, clinic_admin):
    sign_in(client, clinic_admin)
    for url in [reverse("staff_home"), reverse("audit_trail")]:
        response = client.get(url)
        assert NAME in response.content.decode(), url
        assert_unnamed(title(response))


def test_the_django_admins_pages_about_her_do_not_name_her_in_the_title(client, zelda, clinic, superuser):
    sign_in(client, superuser)
    pk = zelda["survivor"].pk
    for name in ("change", "history", "delete"):
        assert_unnamed(title(client.get(reverse(f"admin:tracker_user_{name}", args=[pk]))))
    assert_unnamed(title(client.get(reverse("admin:auth_user_password_change", args=[pk]))))
    # The list of people is not about one person: its title stays as Django has it.
    assert title(client.get(reverse("admin:tracker_user_changelist"))).startswith("Select user to change")
    assert AuditEvent.objects.exists()
