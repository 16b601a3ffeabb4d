"""Which language a page is in: hers once she is signed in (whatever her
browser says), English for staff, the browser's before signing in; and
clinical text in her language with English as the fallback."""

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tracker.i18n import in_language_of, language_of, language_supported, localized


@pytest.mark.parametrize(
    ("code", "expected"),
    [("es", "es"), ("es-MX", "es"), ("ES-us", "es"), ("en-GB", "en"), ("fr", "en"), ("", "en"), (None, "en")],
)
def test_it_reads_a_language_we_speak_from_any_code(code, expected):
    assert language_supported(code) == expected


def test_her_language_is_her_setting_and_staff_read_english():
    assert language_of(SimpleNamespace(role="survivor", language="es")) == "es"
    assert language_of(SimpleNamespace(role="survivor", language="xx")) == "en"
    assert language_of(SimpleNamespace(role="nurse", language="es")) == "en"
    with translation.override("en"), in_language_of(SimpleNamespace(role="survivor", language="es")) as language:
        assert language == "es" and translation.get_language() == "es"


def test_clinical_text_is_in_her_language_and_falls_back_to_english():
    advice = SimpleNamespace(advice="Call 911 now.", advice_es="Llame al 911 ahora.")
    unwritten = SimpleNamespace(advice="Call 911 now.", advice_es="")
    with translation.override("es"):
        assert localized(advice, "advice") == "Llame al 911 ahora."
        assert localized(unwritten, "advice") == "Call 911 now."
    with translation.override("en"):
        assert localized(advice, "advice") == "Call 911 now."
    assert localized(advice, "advice", "es") == "Llame al 911 ahora."


def _lang(response) -> str:
    head = response.content.decode()[:300]
    return head.split('<html lang="', 1)[1].split('"', 1)[0]


def test_a_signed_in_survivor_reads_her_language_whatever_her_browser_says(client, survivor):
    survivor.language = "es"
    survivor.save(update_fields=["language"])
    client.force_login(survivor)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert _lang(response) == "es" and response["Content-Language"] == "es"
    survivor.language = "en"
    survivor.save(update_fields=["language"])
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9")
    assert _lang(response) == "en" and response["Content-Language"] == "en"


def test_staff_read_english_and_strangers_their_browsers_language(client, nurse):
    login = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9")
    assert _lang(login) == "es" and login["Content-Language"] == "es"
    assert _lang(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de-DE")) == "en"
    client.force_login(nurse)
    response = client.get(reverse("flag_queue"), HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9")
    assert _lang(response) == "en" and response["Content-Language"] == "en"


def test_after_she_signs_out_the_login_page_still_speaks_her_language(client, survivor):
    survivor.language = "es"
    survivor.save(update_fields=["language"])
    client.force_login(survivor)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US")
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "es" and cookie["httponly"] and cookie["samesite"] == "Lax"
    client.post(reverse("logout"))
    login = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US")
    assert _lang(login) == "es"
    # Once set, it is not set again on every page.
    client.force_login(survivor)
    assert settings.LANGUAGE_COOKIE_NAME not in client.get(reverse("home")).cookies


def test_staff_leave_the_language_cookie_alone(client, nurse):
    client.force_login(nurse)
    assert settings.LANGUAGE_COOKIE_NAME not in client.get(reverse("flag_queue")).cookies


def test_a_refused_form_is_our_page_in_her_language_with_a_way_back(survivor):
    from django.test import Client

    survivor.language = "es"
    survivor.save(update_fields=["language"])
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(survivor)
    response = strict.post(reverse("weight_create"), {"value": "68,5"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "Este formulario ya no es válido" in html and "Forbidden" not in html and '<html lang="es"' in html


def test_a_password_like_her_email_is_refused_in_her_words(survivor):
    from django.contrib.auth import password_validation
    from django.core.exceptions import ValidationError

    survivor.email = "rosamartinez@example.org"
    with translation.override("es"), pytest.raises(ValidationError) as refused:
        password_validation.validate_password("rosamartinez2026", survivor)
    assert "correo electrónico" in " ".join(refused.value.messages)
    assert "email" not in " ".join(refused.value.messages)
