"""Her pages in her language (issue 16): the frame (base.html), her tracker
pages and their dates in Spanish for a survivor who reads Spanish, English
for everyone else; and the language switcher for people not signed in."""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from tests.factories import PlanFactory, PlanItemFactory, WeightEntryFactory
from tracker.models import RuleVersion

NOW = dt.datetime(2027, 3, 10, 17, 0, tzinfo=dt.UTC)
LOGIN = reverse("login")
SET_LANGUAGE = reverse("set_language")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def spanish(survivor):
    survivor.language = "es"
    survivor.save(update_fields=["language"])
    return survivor


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def get(client_for, who, url, **headers) -> str:
    response = client_for(who).get(url, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


# ---------------------------------------------------------------- the frame


def test_her_pages_say_their_language_and_speak_it(client_for, spanish):
    html = get(client_for, spanish, reverse("my_followup"), **{"accept-language": "en"})
    assert '<html lang="es">' in html
    assert "Ir al contenido principal" in html and "Skip to main content" not in html
    assert "Mi historial" in html and "Cerrar sesión" in html and "Log out" not in html
    assert "Su equipo de atención de" in html  # the care-team bar
    assert "<title>Mi seguimiento · Follow-up</title>" in html


def test_an_english_reader_gets_english_whatever_her_browser_says(client_for, survivor):
    html = get(client_for, survivor, reverse("my_followup"), **{"accept-language": "es"})
    assert '<html lang="en">' in html and "Skip to main content" in html and "Mi historial" not in html


def test_staff_pages_stay_english(client_for, nurse):
    html = get(client_for, nurse, reverse("staff_home"), **{"accept-language": "es"})
    assert '<html lang="en">' in html and ">Survivors</a>" in html and ">Log out</button>" in html


def test_the_page_not_found_is_in_the_browsers_language_before_she_signs_in(client):
    response = client.get("/no-such-page/", headers={"accept-language": "es-MX"})
    assert response.status_code == 404
    html = response.content.decode()
    assert '<html lang="es">' in html and "No encontramos esta página" in html


# ---------------------------------------------------------------- her pages and dates


def _plan_with_a_booking(survivor):
    """An item coming up, and one booked at 18:30 her time (New York, EDT)."""
    plan = PlanFactory(survivor=survivor)
    PlanItemFactory(plan=plan, opens_on=dt.date(2027, 4, 1), due_by=dt.date(2027, 7, 1))
    PlanItemFactory(
        plan=plan,
        opens_on=dt.date(2027, 3, 1),
        due_by=dt.date(2027, 5, 1),
        state="booked",
        booked_at=dt.datetime(2027, 3, 22, 22, 30, tzinfo=dt.UTC),
    )


def test_her_plan_in_spanish_with_spanish_dates_and_24_hour_times(client_for, spanish):
    _plan_with_a_booking(spanish)
    page = text(get(client_for, spanish, reverse("my_followup")))
    assert "Lo que viene" in page and "Coming up" not in page
    assert "Le toca entre el 1 de abril y el 1 de julio de 2027" in page
    assert "lunes 22 de marzo de 2027 a las 18:30" in page
    assert "p.m." not in page and "March" not in page


def test_her_plan_in_english_keeps_english_dates_and_12_hour_times(client_for, survivor):
    _plan_with_a_booking(survivor)
    page = text(get(client_for, survivor, reverse("my_followup")))
    assert "Due between 1 April and 1 July 2027" in page
    assert "Monday 22 March 2027 at 6:30 p.m." in page


def test_her_weights_in_spanish_with_the_decimal_comma(client_for, spanish):
    WeightEntryFactory(survivor=spanish, kg="68.5", recorded_at=dt.datetime(2027, 3, 2, 15, tzinfo=dt.UTC))
    page = text(get(client_for, spanish, reverse("weight_create")))
    assert "Anote su peso" in page and "Guardar el peso" in page and "Log your weight" not in page
    assert "2 mar 2027: 68,5 kg" in page


def test_her_visit_summary_gives_the_advice_in_spanish_when_it_is_written(client_for, spanish, her_record):
    RuleVersion.objects.filter(pk=her_record.flag.rule_version_id).update(advice_es="Llame a su equipo de atención.")
    plan = PlanFactory(survivor=spanish)
    coming = PlanItemFactory(plan=plan, opens_on=dt.date(2027, 3, 1), due_by=dt.date(2027, 6, 1))
    page = text(get(client_for, spanish, reverse("plan_item_visit", args=[coming.pk])))
    assert "Para llevar a su consulta" in page and "Consejos que recibió" in page
    assert "Llame a su equipo de atención." in page
    assert " ".join(her_record.flag.rule_version.advice.split()) not in page


def test_her_visit_summary_gives_the_spanish_advice_and_falls_back_to_the_english(client_for, spanish, her_record):
    plan = PlanFactory(survivor=spanish)
    coming = PlanItemFactory(plan=plan, opens_on=dt.date(2027, 3, 1), due_by=dt.date(2027, 6, 1))
    version = her_record.flag.rule_version
    RuleVersion.objects.filter(pk=version.pk).update(advice_es="Consulte pronto por este dolor de cabeza.")
    page = text(get(client_for, spanish, reverse("plan_item_visit", args=[coming.pk])))
    assert "Consulte pronto por este dolor de cabeza." in page
    assert " ".join(version.advice.split()) not in page
    RuleVersion.objects.filter(pk=version.pk).update(advice_es="")
    page = text(get(client_for, spanish, reverse("plan_item_visit", args=[coming.pk])))
    assert " ".join(version.advice.split()) in page


def test_her_history_in_spanish(client_for, spanish):
    page = text(get(client_for, spanish, reverse("home")))
    assert "Hola," in page and "Registros recientes" in page and "Recent check-ins" not in page
    assert "Descargar todo mi expediente (CSV)" in page


# ---------------------------------------------------------------- the language switcher


def switcher(html: str) -> str:
    match = re.search(r"<form[^>]*data-language-switch.*?</form>", html, re.S)
    return match.group(0) if match else ""


def test_the_login_page_offers_each_language_in_its_own_name(client):
    html = client.get(LOGIN, headers={"accept-language": "en"}).content.decode()
    form = switcher(html)
    assert f'action="{SET_LANGUAGE}"' in form and 'aria-label="Language"' in form
    assert re.search(r'value="en" lang="en"[^>]*aria-pressed="true">English</button>', form)
    assert re.search(r'value="es" lang="es"[^>]*aria-pressed="false">Español</button>', form)
    assert f'name="next" value="{LOGIN}"' in form


def test_signed_in_there_is_no_switcher(client_for, survivor):
    assert switcher(get(client_for, survivor, reverse("my_followup"))) == ""


def test_picking_a_language_before_signing_in_keeps_it(client):
    response = client.post(SET_LANGUAGE, {"language": "es", "next": LOGIN}, headers={"accept-language": "en"})
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    html = client.get(LOGIN, headers={"accept-language": "en"}).content.decode()
    assert '<html lang="es">' in html and "Ir al contenido principal" in html
    assert re.search(r'value="es" lang="es"[^>]*aria-pressed="true">Español</button>', switcher(html))
    # And back.
    client.post(SET_LANGUAGE, {"language": "en", "next": LOGIN})
    assert '<html lang="en">' in client.get(LOGIN).content.decode()


def test_the_switcher_goes_back_only_to_our_own_pages(client):
    response = client.post(SET_LANGUAGE, {"language": "es", "next": "https://evil.example/"})
    assert response.status_code == 302 and "evil.example" not in response["Location"]


def test_her_own_language_wins_over_what_the_switcher_kept(client_for, survivor):
    client = client_for(survivor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    assert '<html lang="en">' in client.get(reverse("my_followup")).content.decode()
