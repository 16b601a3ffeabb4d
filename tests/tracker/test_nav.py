"""The navigation's links are reversed once per process
(tracker.context_processors.nav); a link the templates use but the list
lacks would print an empty href without any error."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import ClinicAdminFactory, NurseFactory, SurvivorFactory
from tracker import context_processors


def test_every_nav_link_in_the_templates_is_reversed():
    used = set()
    for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        used |= set(re.findall(r"\{\{\s*nav\.(\w+)\s*\}\}", template.read_text()))
    assert used, "the templates print no nav links: the scan is wrong"
    assert used <= set(context_processors._NAV)


@pytest.mark.parametrize(
    ("persona", "names"),
    [
        (SurvivorFactory, ["home", "checkin_create", "weight_create", "preferences", "logout"]),
        (NurseFactory, ["flag_queue", "survivor_list", "dashboard", "logout"]),
        (ClinicAdminFactory, ["staff_home", "dashboard", "rule_list", "message_list", "audit_trail", "logout"]),
    ],
)
def test_each_role_sees_its_links(client, db, persona, names):
    client.force_login(persona())
    page = client.get(reverse("home"), follow=True).content.decode()
    for name in names:
        assert f'href="{reverse(name)}"' in page or f'action="{reverse(name)}"' in page, name
