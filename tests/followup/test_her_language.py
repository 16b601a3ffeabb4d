"""Her reminders come in her language (User.language), whatever the language
of the worker that sends them; her Settings page changes that language."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from followup.models import Message, Preferences
from followup.reminders.channels import EmailChannel, Envelope, SmsChannel
from followup.reminders.delivery import deliver
from followup.reminders.sweep import sweep
from tests.factories import SurvivorFactory
from tracker.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _spanish_catalog_is_compiled():
    with translation.override("es"):
        if translation.gettext("Settings") != "Configuración":
            pytest.skip("locale/es is not compiled (make install / compilemessages)")


def sweep_and_deliver():
    return {pk: deliver(message_id=pk) for pk in sweep()}


def texts_on(survivor, settings, tmp_path):
    settings.SMS_BACKEND = f"file://{tmp_path / 'sms.txt'}"
    Preferences.objects.create(survivor=survivor, sms_on=True, phone="+1 555 0100 200")
    return tmp_path / "sms.txt"


def test_a_spanish_survivor_gets_her_reminder_email_and_text_in_spanish(survivor, report, settings, tmp_path, clinic):
    survivor.language = "es"
    survivor.save(update_fields=["language"])
    sms_file = texts_on(survivor, settings, tmp_path)
    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    sweep_and_deliver()

    [email] = [m for m in mail.outbox if m.to == [survivor.email]]
    html = email.alternatives[0][0]
    assert email.subject == f"Un recordatorio de {clinic.name}: por favor, comuníquese con su equipo de atención"
    assert email.body.startswith(f"Hola, {survivor.full_name.split()[0]}:")
    assert f"comuníquese con su equipo de atención de {clinic.name} al {clinic.care_team_phone}" in email.body
    assert "avísenos" in email.body and "avísenos" in html
    assert f"/flags/{flag.pk}/contacted/" in email.body
    for english in ("Hello", "reminder", "care team", "let us know"):
        assert english not in email.subject + email.body + html

    line = sms_file.read_text()
    assert f"llame a su equipo de atención al {clinic.care_team_phone}. Después avísenos:" in line
    assert "please" not in line and "care team" not in line


def test_an_emergency_reminder_in_spanish_says_call_now_in_spanish(survivor, report, settings, tmp_path, clinic):
    survivor.language = "es"
    survivor.save(update_fields=["language"])
    sms_file = texts_on(survivor, settings, tmp_path)
    report(survivor, code="seizure", site=None)
    sweep_and_deliver()
    [email] = [m for m in mail.outbox if m.to == [survivor.email]]
    assert email.subject == f"Llame al {clinic.emergency_number} ahora"
    assert "sala de emergencias" in email.body
    assert f"llame al {clinic.emergency_number} ahora" in sms_file.read_text()


def test_an_english_survivor_stays_english_even_if_the_worker_runs_in_spanish(
    survivor, report, settings, tmp_path, clinic
):
    assert survivor.language == "en"
    sms_file = texts_on(survivor, settings, tmp_path)
    report(survivor, code="jaundice", site=None)
    with translation.override("es"):  # the worker's own language must not leak in
        sweep_and_deliver()
    [email] = [m for m in mail.outbox if m.to == [survivor.email]]
    assert email.subject == f"A reminder from {clinic.name}: please contact your care team"
    assert email.body.startswith("Hello ") and "Hola" not in email.body + email.alternatives[0][0]
    line = sms_file.read_text()
    assert "please call your care team" in line and "llame" not in line


def envelope(kind: str, *, language: str, role: str = "survivor", urgent: bool = False) -> Envelope:
    return Envelope(
        id=1,
        kind=kind,
        channel="email",
        urgent=urgent,
        due_at=timezone.now(),
        tries=1,
        recipient_id=1,
        survivor_id=1,
        to_email="ana@example.org",
        to_name="Ana López",
        to_phone="+1 555 0100 200",
        clinic_name="Clínica Norte",
        care_team_phone="555-0142",
        emergency_number="911",
        flag_id=7 if kind in ("reminder", "escalation") else None,
        flag_status="open",
        loop_closed_at=None,
        first_opened_at=None,
        channel_on=True,
        role=role,
        language=language,
    )


SURVIVOR_KINDS = [k for k in Message.Kind.values if k != Message.Kind.ESCALATION]


@pytest.mark.parametrize("kind", SURVIVOR_KINDS)
def test_every_message_she_can_get_has_a_spanish_subject_body_and_text(kind, settings, tmp_path):
    EmailChannel().send(envelope(kind, language="es"))
    [email] = mail.outbox
    assert email.body.startswith("Hola, Ana:")
    assert "Hello" not in email.body + email.alternatives[0][0]
    assert email.subject and not {"your", "reminder", "check-in", "follow-up"} & set(email.subject.lower().split())

    settings.SMS_BACKEND = f"file://{tmp_path / 'sms.txt'}"
    SmsChannel().send(envelope(kind, language="es"))
    text = (tmp_path / "sms.txt").read_text()
    assert "Clínica Norte:" in text and not {"your", "please", "you"} & set(text.lower().split())


def test_the_nurses_escalation_stays_english():
    EmailChannel().send(envelope("escalation", language="es", role="nurse"))
    [email] = mail.outbox
    assert email.subject == "Clínica Norte: a flag is waiting for review"


def test_dates_in_her_settings_follow_her_language(client, survivor):
    Preferences.objects.create(survivor=survivor, email_failed_at=dt.datetime(2026, 3, 4, 15, tzinfo=dt.UTC))
    survivor.language = "es"
    survivor.save(update_fields=["language"])
    client.force_login(survivor)
    html = client.get(reverse("preferences")).content.decode()
    assert "Nuestros correos dejaron de llegarle el 4 mar 2026" in html


# ------------------------------------------------------------------ her language in Settings


def settings_data(survivor, **over):
    data = {
        "language": survivor.language,
        "email_on": "on",
        "in_app_on": "on",
        "phone": "",
        "checkin_weekday": 0,
        "checkin_hour": 10,
        "time_zone": survivor.time_zone,
        "weight_unit": survivor.weight_unit,
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def test_settings_offer_her_language_with_each_named_in_itself(client, survivor):
    client.force_login(survivor)
    html = client.get(reverse("preferences")).content.decode()
    assert "Language" in html and "English" in html and "Español" in html
    assert 'name="language" value="en"' in html


def test_choosing_spanish_switches_her_pages_at_once_and_says_so_in_spanish(client, survivor):
    client.force_login(survivor)
    response = client.post(reverse("preferences"), settings_data(survivor, language="es"), follow=True)
    survivor.refresh_from_db()
    assert survivor.language == "es"
    html = response.content.decode()
    assert "Guardamos su configuración." in html and "Your settings are saved." not in html
    assert response.headers["Content-Language"] == "es"  # the page after the redirect
    page = client.get(reverse("preferences")).content.decode()
    assert "Configuración" in page and "Idioma" in page and "How should we reach you?" not in page


def test_choosing_english_again_switches_back(client, survivor):
    survivor.language = "es"
    survivor.save(update_fields=["language"])
    client.force_login(survivor)
    response = client.post(reverse("preferences"), settings_data(survivor, language="en"), follow=True)
    survivor.refresh_from_db()
    assert survivor.language == "en"
    assert "Your settings are saved." in response.content.decode()


def test_a_post_without_a_language_keeps_hers(client, survivor):
    survivor.language = "es"
    survivor.save(update_fields=["language"])
    client.force_login(survivor)
    response = client.post(reverse("preferences"), settings_data(survivor, language=None))
    assert response.status_code == 302
    survivor.refresh_from_db()
    assert survivor.language == "es"


@pytest.mark.parametrize("bad", ["fr", "es-MX", "x" * 300, "<script>"])
def test_a_language_we_do_not_speak_is_a_field_error_not_a_500(client, survivor, bad):
    client.force_login(survivor)
    response = client.post(reverse("preferences"), settings_data(survivor, language=bad))
    assert response.status_code == 200
    assert response.context["form"].errors["language"] == ["Please choose English or Spanish."]
    survivor.refresh_from_db()
    assert survivor.language == "en"


def test_a_nurse_cannot_change_a_survivors_language_through_settings(client, nurse, survivor):
    client.force_login(nurse)
    response = client.post(reverse("preferences"), settings_data(survivor, language="es"))
    assert response.status_code == 404
    survivor.refresh_from_db()
    nurse.refresh_from_db()
    assert survivor.language == "en" and nurse.language == "en"


def test_her_choice_is_hers_alone(client, survivor, same_clinic_survivor):
    client.force_login(survivor)
    client.post(reverse("preferences"), settings_data(survivor, language="es"))
    assert User.objects.get(pk=survivor.pk).language == "es"
    assert User.objects.get(pk=same_clinic_survivor.pk).language == "en"


def test_the_next_reminder_goes_in_the_language_she_just_chose(client, report, settings, tmp_path, clinic):
    survivor = SurvivorFactory(clinic=clinic)
    client.force_login(survivor)
    client.post(reverse("preferences"), settings_data(survivor, language="es"))
    report(survivor, code="jaundice", site=None)
    sweep_and_deliver()
    [email] = [m for m in mail.outbox if m.to == [survivor.email]]
    assert email.subject.startswith("Un recordatorio de")


def test_her_in_app_notice_is_written_when_shown_so_it_follows_her_language(client, survivor, report, clinic):
    report(survivor, code="jaundice", site=None)
    sweep_and_deliver()
    assert Message.objects.filter(recipient=survivor, channel="in_app", state="sent").exists()
    client.force_login(survivor)
    spanish = f"Por favor, comuníquese con su equipo de atención al {clinic.care_team_phone}."
    english = f"Please contact your care team on {clinic.care_team_phone}."
    page = client.get(reverse("home")).content.decode()
    assert english in page and spanish not in page
    survivor.language = "es"
    survivor.save(update_fields=["language"])
    page = client.get(reverse("home")).content.decode()
    assert spanish in page and english not in page and "Ya lo hice" in page


def test_did_you_contact_your_care_team_names_her_advice_in_her_language(client, survivor, report):
    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    survivor.language = "es"
    survivor.save(update_fields=["language"])
    client.force_login(survivor)
    page = client.get(reverse("flag_contacted", args=[flag.pk])).content.decode()
    assert flag.rule_version.advice_es and flag.rule_version.advice_es in page
    assert flag.rule_version.name not in page and flag.rule_version.advice not in page
    assert "Sobre lo que nos contó el" in page
