"""Her language from the invitation on (issue 16): her care team may choose
it when they invite her; the invitation email is written in it; her welcome
page is in it (or in her browser's when they left it to her), offers it
first, and what she picks becomes her account's language."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.template import loader
from django.urls import reverse
from django.utils import translation

from tests.factories import InvitationFactory, SurvivorFactory
from tracker.models import Invitation, User
from tracker.services.accounts import invitation_send_email
from tracker.tokens import invite_token_make

STAFF_URL = reverse("staff_home")
INVITE_PAGE = reverse("invite_page")


def open_page(client, invitation, **headers):
    client.get(reverse("invite_accept", args=[invite_token_make(nonce=str(invitation.nonce))]))
    response = client.get(INVITE_PAGE, headers=headers)
    assert response.status_code == 200
    return response


def checked_language(html: str) -> str:
    [value] = re.findall(r'<input type="radio" name="language" value="(\w+)"[^>]*\bchecked\b', html)
    return value


ACCEPT = {
    "date_of_birth": "1962-07-14",
    "time_zone": "America/Mexico_City",
    "weight_unit": "kg",
    "password1": "a long and quiet river",
    "password2": "a long and quiet river",
}


# ---------------------------------------------------------------- staff side


@pytest.mark.parametrize("chosen", ["es", "en", ""])
def test_staff_choose_her_language_when_they_invite_her(client, nurse, clinic, chosen):
    client.force_login(nurse)
    response = client.post(
        STAFF_URL, {"full_name": "Rita Reyes", "email": "rita@example.org", "clinic": clinic.pk, "language": chosen}
    )
    assert response.status_code == 302
    assert Invitation.objects.get().language == chosen


def test_the_staff_form_leaves_it_to_her_browser_by_default_and_stays_english(client, nurse):
    client.force_login(nurse)
    html = client.get(STAFF_URL, headers={"accept-language": "es"}).content.decode()
    assert "Her browser&#x27;s language" in html or "Her browser's language" in html
    assert re.search(r'<option value=""[^>]*selected', html)
    assert ">Español</option>" in html and ">English</option>" in html


# ---------------------------------------------------------------- the email


@pytest.fixture
def rendered_in(monkeypatch):
    """The language each email template was rendered in."""
    seen: dict[str, str] = {}
    real = loader.render_to_string

    def spy(name, *args, **kwargs):
        seen[name] = translation.get_language()
        return real(name, *args, **kwargs)

    monkeypatch.setattr("tracker.services.accounts.render_to_string", spy)
    return seen


@pytest.mark.parametrize("existing", [False, True], ids=["invite", "invite-existing"])
def test_the_invitation_email_is_written_in_the_invitations_language(clinic, rendered_in, existing):
    invitation = InvitationFactory(clinic=clinic, email="rita@example.org", language="es")
    if existing:
        SurvivorFactory(email="rita@example.org")  # an account in another clinic: told to log in
    assert invitation_send_email(invitation_id=invitation.pk) is True
    template = "invite-existing" if existing else "invite"
    assert rendered_in == {f"emails/{template}-{part}": "es" for part in ("subject.txt", "body.txt", "body.html")}
    [message] = mail.outbox
    with translation.override("es"):
        context = {
            "invitation": invitation,
            "clinic": clinic,
            "link": re.search(r"http://testserver\S+", message.body).group(0),
            "valid_days": settings.INVITE_MAX_AGE // 86400,
        }
        assert message.subject == loader.render_to_string(f"emails/{template}-subject.txt", context).strip()
        assert message.body == loader.render_to_string(f"emails/{template}-body.txt", context)
    with translation.override("en"):  # and Spanish is not the English: the templates are translated
        assert message.subject != loader.render_to_string(f"emails/{template}-subject.txt", context).strip()
        assert message.body != loader.render_to_string(f"emails/{template}-body.txt", context)


def test_an_invitation_left_to_her_browser_is_emailed_in_english_whatever_the_sender_reads(clinic, rendered_in):
    invitation = InvitationFactory(clinic=clinic, language="")
    with translation.override("es"):  # a worker or request that happens to be in Spanish
        assert invitation_send_email(invitation_id=invitation.pk) is True
    assert set(rendered_in.values()) == {"en"}


# ---------------------------------------------------------------- her welcome page


def test_the_welcome_page_is_in_the_invitations_language_and_offers_it(client, clinic):
    invitation = InvitationFactory(clinic=clinic, language="es", full_name="Rita Reyes")
    html = open_page(client, invitation, **{"accept-language": "en-US"}).content.decode()
    assert '<html lang="es">' in html
    assert "Le damos la bienvenida, Rita Reyes" in html and "Crear mi cuenta" in html
    assert "Create my account" not in html
    assert checked_language(html) == "es"


def test_with_no_language_chosen_the_welcome_page_follows_her_browser(client, clinic):
    invitation = InvitationFactory(clinic=clinic, language="")
    html = open_page(client, invitation, **{"accept-language": "es-MX,es;q=0.9,en;q=0.5"}).content.decode()
    assert '<html lang="es">' in html and "Crear mi cuenta" in html
    assert checked_language(html) == "es"


def test_with_no_language_chosen_and_a_browser_in_another_language_it_is_english(client, clinic):
    invitation = InvitationFactory(clinic=clinic, language="")
    html = open_page(client, invitation, **{"accept-language": "fr-FR"}).content.decode()
    assert '<html lang="en">' in html and "Create my account" in html
    assert checked_language(html) == "en"


def test_what_she_picks_on_the_switcher_wins_over_the_invitations_language(client, clinic):
    invitation = InvitationFactory(clinic=clinic, language="es")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = open_page(client, invitation).content.decode()
    assert '<html lang="en">' in html and "Create my account" in html
    assert checked_language(html) == "en"


def test_each_language_is_named_in_itself_for_screen_readers(client, clinic):
    html = open_page(client, InvitationFactory(clinic=clinic, language="es")).content.decode()
    assert re.search(r'<label[^>]*lang="es"[^>]*>\s*Español\s*</label>', html)
    assert re.search(r'<label[^>]*lang="en"[^>]*>\s*English\s*</label>', html)


@pytest.mark.parametrize("picked", ["es", "en"])
def test_what_she_picks_becomes_her_accounts_language(client, clinic, picked):
    invitation = InvitationFactory(clinic=clinic, email="rita@example.org", language="es")
    open_page(client, invitation)
    response = client.post(INVITE_PAGE, ACCEPT | {"language": picked})
    assert response.status_code == 302
    user = User.objects.get(email="rita@example.org")
    assert user.language == picked
    # Her first page after it is in her language.
    home = client.get(reverse("home")).content.decode()
    assert f'<html lang="{picked}">' in home


def test_a_language_we_do_not_speak_is_refused_and_the_page_keeps_hers(client, clinic):
    invitation = InvitationFactory(clinic=clinic, email="rita@example.org", language="es")
    open_page(client, invitation)
    response = client.post(INVITE_PAGE, ACCEPT | {"language": "fr"})
    assert response.status_code == 200
    assert "language" in response.context["form"].errors
    assert not User.objects.filter(email="rita@example.org").exists()


def test_left_out_her_language_is_the_pages(client, clinic):
    invitation = InvitationFactory(clinic=clinic, email="rita@example.org", language="")
    open_page(client, invitation, **{"accept-language": "es-MX"})
    response = client.post(INVITE_PAGE, ACCEPT, headers={"accept-language": "es-MX"})
    assert response.status_code == 302
    assert User.objects.get(email="rita@example.org").language == "es"


def test_an_invitation_problem_is_told_in_her_browsers_language(client):
    response = client.get(INVITE_PAGE, headers={"accept-language": "es"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "No pudimos abrir esta invitación" in html
    assert "Por favor, abra otra vez el enlace de invitación" in html
