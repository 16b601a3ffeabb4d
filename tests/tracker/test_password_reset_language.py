"""The password-reset email goes in the account's language, not the
worker's (tracker/security/password_reset.py)."""

import pytest
from django.core import mail
from django.utils import translation

from tests.factories import NurseFactory
from tracker.security.password_reset import password_reset_send

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _spanish_catalog_is_compiled():
    with translation.override("es"):
        if translation.gettext("Settings") != "Configuración":
            pytest.skip("locale/es is not compiled (make install / compilemessages)")


def test_a_spanish_survivor_gets_the_reset_email_in_spanish(survivor):
    survivor.language = "es"
    survivor.save(update_fields=["language"])
    assert password_reset_send(email=survivor.email) == 1
    [message] = mail.outbox
    html = message.alternatives[0][0]
    assert message.subject == "Cambie su contraseña de Follow-up"
    assert message.body.startswith("Hola:")
    assert "Elija una contraseña nueva aquí" in message.body and "Elija una contraseña nueva</a>" in html
    assert "/accounts/reset/" in message.body and "/accounts/reset/" in html
    for english in ("Hello", "password", "ignore"):
        assert english not in message.subject + message.body + html


def test_an_english_survivor_gets_it_in_english_even_from_a_spanish_worker(survivor):
    with translation.override("es"):
        password_reset_send(email=survivor.email)
    [message] = mail.outbox
    assert message.subject == "Reset your Follow-up password"
    assert message.body.startswith("Hello,") and "Hola" not in message.body


def test_staff_get_it_in_english(clinic):
    nurse = NurseFactory(clinics=[clinic], language="es")  # staff read English whatever the column says
    password_reset_send(email=nurse.email)
    [message] = mail.outbox
    assert message.subject == "Reset your Follow-up password"
