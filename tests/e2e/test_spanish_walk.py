"""A survivor who reads Spanish, in a real browser: she accepts her
invitation, checks in, meets the emergency advice, records her weight with a
decimal comma, reads her history and her settings. Every page is axe-core
clean and holds no English a survivor reads.

The words the test looks for come from the Spanish catalog itself
(gettext), so it follows the translations; each is checked to differ from
the English, so a missing translation fails here too."""

import re
from decimal import Decimal
from pathlib import Path

import polib
import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from tests.e2e.axe import assert_no_axe_violations
from tests.factories import ClinicFactory, NurseFactory
from tracker.models import User, WeightEntry
from tracker.services.accounts import invitation_create
from tracker.services.rules import rules_load_defaults
from tracker.tokens import invite_token_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PO = Path(__file__).resolve().parents[2] / "locale" / "es" / "LC_MESSAGES" / "django.po"
PASSWORD = "una-clave-larga-2026"
# English words that a Spanish page has no reason to hold, whole words only.
ENGLISH = re.compile(
    r"\b(the|your|you|and|with|please|what|when|this|have|check-in|save|weight|history|settings|sign|log)\b",
    re.IGNORECASE,
)


def es(english: str) -> str:
    with translation.override("es"):
        spanish = gettext(english)
    assert spanish != english, f"no Spanish for {english!r}"
    return spanish


def _english_sentences() -> list[str]:
    """The catalog's English sentences (three words or more) whose Spanish
    differs: none of them may show on her Spanish pages."""
    return [
        e.msgid
        for e in polib.pofile(str(PO))
        if e.msgstr and e.msgstr != e.msgid and len(e.msgid.split()) >= 3 and "%" not in e.msgid and "{" not in e.msgid
    ]


def assert_all_spanish(page, where: str) -> None:
    assert page.evaluate("document.documentElement.lang") == "es", where
    assert_no_axe_violations(page, where)
    read = page.evaluate(
        """() => {
            const attrs = [...document.querySelectorAll('[aria-label],[title],[placeholder],[alt]')]
                .flatMap(el => ['aria-label', 'title', 'placeholder', 'alt'].map(a => el.getAttribute(a) || ''));
            return document.body.innerText + '\\n' + attrs.join('\\n') + '\\n' + document.title;
        }"""
    )
    left = sorted({m.group(0) for m in ENGLISH.finditer(read)})
    sentences = [s for s in _english_sentences() if s in read]
    assert not left and not sentences, f"English on {where}: words {left}, sentences {sentences[:5]}"


def test_a_spanish_reader_goes_from_invitation_to_settings_in_spanish(live_server, browser, tmp_path):
    rules_load_defaults()
    clinic = ClinicFactory(name="Clínica del Valle", care_team_phone="555-0199")
    nurse = NurseFactory()
    nurse.staff_clinics.add(clinic)
    invitation = invitation_create(
        invited_by=nurse, clinic=clinic, email="rosa@example.org", full_name="Rosa Martínez", language="es"
    )
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")  # her browser is English
    page = context.new_page()
    page.set_default_timeout(15_000)

    # Invitation: in the language the nurse chose, whatever her browser says.
    page.goto(live_server.url + f"/invite/{invite_token_make(nonce=str(invitation.nonce))}/")
    assert_all_spanish(page, "the welcome page")
    page.get_by_label(es("Your date of birth")).fill("1958-06-21")
    page.get_by_label(es("Kilograms (kg)")).check()
    page.get_by_label(es("Choose a password")).fill(PASSWORD)
    page.get_by_label(es("Type the password again")).fill(PASSWORD)
    page.get_by_role("button", name=es("Create my account")).click()
    page.wait_for_url(live_server.url + "/")
    assert User.objects.get(email="rosa@example.org").language == "es"
    assert_all_spanish(page, "her home page")

    # Check-in: weak legs in her own words, in Spanish: the emergency advice.
    page.get_by_role("link", name=es("Check in")).first.click()
    assert_all_spanish(page, "the check-in form")
    card = page.locator("fieldset.card").nth(0)
    card.get_by_label(es("What did you notice?")).select_option("other")
    card.get_by_text("6", exact=True).click()
    card.get_by_role("group", name=es("Is it new, or different from your usual?")).get_by_label(es("Yes")).check()
    card.get_by_role("group", name=es("Is it getting worse?")).get_by_label(es("Yes")).check()
    card.get_by_label(es("Anything else you want to tell us? (optional)")).fill(
        "Tengo las piernas débiles y pesadas desde esta mañana"
    )
    page.get_by_role("button", name=es("Save check-in")).click()
    alert = page.get_by_role("alert")
    alert.get_by_role("heading", name="Llame al 911 ahora").wait_for()
    assert_all_spanish(page, "the emergency advice")
    page.screenshot(path=str(tmp_path / "emergency-es.png"), full_page=True)

    # Weight, with a decimal comma; her history writes it back the same way.
    page.goto(live_server.url + reverse("weight_create"))
    assert_all_spanish(page, "the weight form")
    page.get_by_label(es("Your weight")).fill("68,5")
    page.get_by_role("button", name=es("Save weight")).click()
    page.wait_for_load_state()
    assert WeightEntry.objects.get().kg == Decimal("68.5")
    page.goto(live_server.url + reverse("home"))
    assert_all_spanish(page, "her history")
    assert "68,5" in page.locator("main").text_content()  # the table beside the weight chart

    # Settings: her language is there, and saying English switches her pages.
    page.goto(live_server.url + reverse("preferences"))
    assert_all_spanish(page, "her settings")
    assert page.get_by_label("Español").is_checked()

    # The check above can fail: English put on a Spanish page is found.
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<p>Save your weight</p>')")
    with pytest.raises(AssertionError, match="English on"):
        assert_all_spanish(page, "a page with English on it")

    page.reload()
    page.get_by_label("English").check()
    page.get_by_role("button", name=es("Save")).click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "en"
    assert User.objects.get(email="rosa@example.org").language == "en"
    context.close()
