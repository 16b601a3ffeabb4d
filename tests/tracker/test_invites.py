import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth.hashers import identify_hasher
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.factories import InvitationFactory, SurvivorFactory
from tracker import tasks
from tracker.models import Invitation, User
from tracker.services.accounts import invitation_send_email
from tracker.tokens import invite_token_make, invite_token_read

STAFF_URL = reverse("staff_home")


def invite_url(invitation) -> str:
    return reverse("invite_accept", args=[invite_token_make(nonce=str(invitation.nonce))])


INVITE_PAGE = reverse("invite_page")


def open_link(client, invitation) -> str:
    """Her first visit: the link's token goes into her session and she is
    sent on to the page without it, which she then answers."""
    response = client.get(invite_url(invitation))
    assert response.status_code == 302 and response["Location"] == INVITE_PAGE
    return INVITE_PAGE


def accept_data(**over):
    data = {
        "date_of_birth": "1962-07-14",
        "time_zone": "Europe/London",
        "weight_unit": "lb",
        "password1": "a long and quiet river",
        "password2": "a long and quiet river",
    }
    data.update(over)
    return data


@pytest.mark.parametrize("persona", ["nurse", "clinic_admin"])
def test_staff_invite_a_survivor_and_the_email_is_sent_after_commit(
    request, client, clinic, persona, enqueued, django_capture_on_commit_callbacks
):
    client.force_login(request.getfixturevalue(persona))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(STAFF_URL, {"full_name": "Rita Reyes", "email": "Rita@Example.org", "clinic": clinic.pk})
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.clinic) == ("rita@example.org", clinic)
    assert len(callbacks) == 1
    assert enqueued == [("tracker.tasks.send_invite_email", (invitation.pk,), {})]


def test_the_invite_email_links_to_the_app_and_says_nothing_about_health(clinic):
    invitation = InvitationFactory(clinic=clinic, email="rita@example.org")
    assert invitation_send_email(invitation_id=invitation.pk) is True
    [message] = mail.outbox
    assert message.to == ["rita@example.org"]
    assert clinic.name in message.subject
    assert clinic.care_team_phone in message.body
    link = re.search(r"http://testserver(/invite/(\S+)/)", message.body)
    # The signature carries the second it was made, so compare what it opens.
    assert link.group(1) == reverse("invite_accept", args=[link.group(2)])
    assert invite_token_read(link.group(2)) == str(invitation.nonce)
    link = link.group(1)
    html = message.alternatives[0][0]
    assert link in html
    for word in ("symptom:", "pain", "severity", "headache"):
        assert word not in message.body.lower()


def test_an_accepted_invitation_is_not_emailed_again(clinic):
    invitation = InvitationFactory(clinic=clinic, accepted_at=timezone.now())
    assert invitation_send_email(invitation_id=invitation.pk) is False
    assert mail.outbox == []


def test_staff_cannot_invite_into_a_clinic_they_do_not_work_for(client, nurse, other_clinic):
    client.force_login(nurse)
    response = client.post(STAFF_URL, {"full_name": "X", "email": "x@example.org", "clinic": other_clinic.pk})
    assert response.status_code == 200
    assert not Invitation.objects.exists()


def test_inviting_an_existing_account_gets_a_message_by_the_email_field(client, nurse, survivor, clinic):
    client.force_login(nurse)
    response = client.post(STAFF_URL, {"full_name": "Sara", "email": survivor.email.upper(), "clinic": clinic.pk})
    assert response.status_code == 200
    assert "already has an account" in response.context["form"].errors["email"][0]


def test_a_survivor_cannot_invite(client, survivor, clinic):
    client.force_login(survivor)
    assert client.post(STAFF_URL, {"full_name": "X", "email": "x@example.org", "clinic": clinic.pk}).status_code == 404


def test_the_invite_page_shows_the_care_team_phone_and_creates_the_account(client, clinic):
    invitation = InvitationFactory(clinic=clinic, email="rita@example.org", full_name="Rita Reyes")
    page = client.get(open_link(client, invitation))
    assert page.status_code == 200
    assert clinic.care_team_phone in page.content.decode()
    response = client.post(INVITE_PAGE, accept_data())
    assert response.status_code == 302
    user = User.objects.get(email="rita@example.org")
    assert (user.role, user.clinic, user.time_zone, user.weight_unit) == ("survivor", clinic, "Europe/London", "lb")
    assert user.date_of_birth == dt.date(1962, 7, 14)
    assert identify_hasher(user.password).algorithm == "argon2"
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None and invitation.survivor == user
    # She is logged in and sees her care team's number on her home page.
    home = client.get(reverse("home"))
    assert home.status_code == 200 and clinic.care_team_phone in home.content.decode()


def test_a_used_invite_works_only_once(client, clinic):
    invitation = InvitationFactory(clinic=clinic)
    client.post(open_link(client, invitation), accept_data())
    client.logout()
    again = client.get(open_link(client, invitation))
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    repost = client.post(open_link(client, invitation), accept_data())
    assert repost.status_code == 410
    assert User.objects.filter(role="survivor").count() == 1


def test_an_invite_expires_after_seven_days(client, clinic):
    with time_machine.travel(dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC), tick=False):
        invitation = InvitationFactory(clinic=clinic)
        url = invite_url(invitation)
    with time_machine.travel(dt.datetime(2026, 5, 8, 11, tzinfo=dt.UTC), tick=False):
        assert client.get(url, follow=True).status_code == 200
    with time_machine.travel(dt.datetime(2026, 5, 8, 13, tzinfo=dt.UTC), tick=False):
        response = client.get(url)
        assert response.status_code == 410
        assert "expired" in response.content.decode()
        assert client.post(url, accept_data()).status_code == 410
    assert not User.objects.filter(role="survivor").exists()


def test_a_forged_invite_token_is_refused(client, clinic):
    invitation = InvitationFactory(clinic=clinic)
    token = invite_token_make(nonce=str(invitation.nonce))
    response = client.get(reverse("invite_accept", args=[token[:-2] + "xx"]))
    assert response.status_code == 400
    assert "This invitation link isn" in response.content.decode()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"password2": "something else entirely"}, "password2", "don't match"),
        ({"password1": "short", "password2": "short"}, "password1", "too short"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "in the past"),
        ({"date_of_birth": "not a date"}, "date_of_birth", "real date"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "choose your time zone from the list"),
    ],
)
def test_bad_answers_on_the_invite_form_are_explained(client, clinic, change, field, message):
    invitation = InvitationFactory(clinic=clinic)
    response = client.post(open_link(client, invitation), accept_data(**change))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not User.objects.filter(role="survivor").exists()


def test_password_reset_sends_a_link_that_sets_a_new_password(
    client, survivor, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": survivor.email})
    assert response.status_code == 302
    # The worker sends it (tests/tracker/test_password_reset.py).
    [(_, args, _)] = enqueued
    tasks.send_password_reset(*args)
    [message] = mail.outbox
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a brand new sunrise", "new_password2": "a brand new sunrise"},
    )
    assert response.status_code == 302
    survivor.refresh_from_db()
    assert survivor.check_password("a brand new sunrise")


def test_login_and_logout(client, survivor):
    from tests.factories import PASSWORD

    response = client.post(reverse("login"), {"username": survivor.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_a_wrong_password_is_explained_on_the_login_page(client, survivor):
    response = client.post(reverse("login"), {"username": survivor.email, "password": "nope"})
    assert response.status_code == 200
    assert "correct email" in response.content.decode()


def test_argon2_is_the_first_password_hasher(db, settings):
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    user = SurvivorFactory()
    assert user.password.startswith("argon2")
