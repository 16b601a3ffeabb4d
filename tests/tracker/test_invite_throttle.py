"""Invitation acceptance is throttled per address (every request) and per
invitation link (every answer), in Django's cache
(tracker/security/throttle.py)."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from tests.factories import InvitationFactory
from tracker.models import User
from tracker.tokens import invite_token_make

pytestmark = pytest.mark.django_db


def invite_url(invitation) -> str:
    return reverse("invite_accept", args=[invite_token_make(nonce=str(invitation.nonce))])


def open_link(client, invitation, address="127.0.0.1") -> str:
    """Open the emailed link as her browser does; the form's address."""
    response = client.get(invite_url(invitation), REMOTE_ADDR=address, follow=True)
    assert response.status_code == 200
    return response.request["PATH_INFO"]


def bad_answer(client, url, address="127.0.0.1"):
    # Passwords that differ: refused by the field, the invitation stays unused.
    data = {"date_of_birth": "1962-07-14", "time_zone": "Europe/London", "weight_unit": "lb"}
    data |= {"password1": "a long and quiet river", "password2": "another river"}
    return client.post(url, data, REMOTE_ADDR=address)


def test_an_invitation_link_takes_ten_answers_in_15_minutes(client, clinic):
    invitation = InvitationFactory(clinic=clinic)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        url = open_link(client, invitation)
        for n in range(10):
            assert bad_answer(client, url, address=f"198.51.100.{n}").status_code == 200
        throttled = bad_answer(client, url, address="198.51.100.99")
        assert throttled.status_code == 429 and throttled["Retry-After"] == "900"
        html = throttled.content.decode()
        assert "too many tries to set up an account" in html and "in 15 minutes" in html
        assert "call your care team" in html
        # Opening the link is not an answer: it still opens.
        assert open_link(client, invitation, address="198.51.100.98") == url
        clock.shift(dt.timedelta(minutes=15))
        assert bad_answer(client, url, address="198.51.100.99").status_code == 200
    assert not User.objects.filter(role="survivor").exists()


def test_an_address_takes_30_requests_in_15_minutes_whatever_the_link(client, clinic):
    for n in range(30):
        assert client.get(reverse("invite_accept", args=[f"forged-{n}"])).status_code == 400
    invitation = InvitationFactory(clinic=clinic)
    assert client.get(invite_url(invitation)).status_code == 429
    open_link(client, invitation, address="198.51.100.2")
