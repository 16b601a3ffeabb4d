"""The nurses' pages (English) show the language each survivor reads next
to her name, so a nurse knows which words her advice came in and which
language to call her in."""

import pytest
from django.urls import reverse

from tests.factories import SurvivorFactory

BADGE = '<span class="visually-hidden">reads </span>{}</span>'


@pytest.fixture
def spanish(clinic):
    return SurvivorFactory(clinic=clinic, full_name="Rosa Jiménez", language="es")


def test_the_queue_names_her_language_beside_her_name(client, nurse, survivor, spanish, report):
    report(spanish, code="jaundice", site=None)
    report(survivor, code="jaundice", site=None)
    client.force_login(nurse)
    html = client.get(reverse("flag_queue")).content.decode()
    rosa = html.index("Rosa Jiménez")
    assert html.index(BADGE.format("Spanish"), rosa) < html.index("</td>", rosa)
    assert BADGE.format("English") in html  # the English-reading survivor's row
    assert html.count(BADGE.format("Spanish")) == 1


def test_the_survivor_list_and_her_flag_page_name_her_language(client, nurse, spanish, report):
    flag = report(spanish, code="jaundice", site=None)["jaundice"]
    client.force_login(nurse)
    listed = client.get(reverse("survivor_list")).content.decode()
    assert BADGE.format("Spanish") in listed
    page = client.get(reverse("nurse_flag", args=[flag.pk])).content.decode()
    assert BADGE.format("Spanish") in page


def test_staff_pages_stay_english_whatever_the_browser_asks(client, nurse, spanish, report):
    report(spanish, code="jaundice", site=None)
    client.force_login(nurse)
    html = client.get(reverse("flag_queue"), HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9").content.decode()
    assert '<html lang="en"' in html[:200]
    assert "Survivors with open flags" in html


def test_her_record_page_names_her_language_for_the_nurse_only(client, nurse, spanish):
    client.force_login(nurse)
    assert BADGE.format("Spanish") in client.get(reverse("survivor_history", args=[spanish.pk])).content.decode()
    client.force_login(spanish)
    assert "survivor-language" not in client.get(reverse("home")).content.decode()
