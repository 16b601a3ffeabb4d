"""Sessions ended for good (tracker/sessions.py): a new session stamp is part
of every session's auth hash, so an ended session never comes back; the
session rows we know of go too."""

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tracker import sessions
from tracker.models import User, UserSession


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_ends_every_session_of_hers_and_no_one_elses(survivor, same_clinic_survivor):
    phone, laptop, other = signed_in(survivor), signed_in(survivor), signed_in(same_clinic_survivor)
    assert phone.get(reverse("home")).status_code == 200  # tracked from her first request
    assert UserSession.objects.filter(user=survivor).count() == 1

    assert sessions.sessions_end(user=survivor) == 1

    for client in (phone, laptop):
        response = client.get(reverse("home"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert other.get(reverse("home")).status_code == 200
    assert not UserSession.objects.filter(user=survivor).exists()
    assert not Session.objects.filter(session_key=phone.cookies[settings.SESSION_COOKIE_NAME].value).exists()


def test_the_kept_session_carries_on(survivor):
    phone, laptop = signed_in(survivor), signed_in(survivor)
    for client in (phone, laptop):
        client.get(reverse("home"))
    kept = laptop.cookies[settings.SESSION_COOKIE_NAME].value

    assert sessions.sessions_end(user=survivor, keep_session_key=kept) == 1

    assert laptop.get(reverse("home")).status_code == 200
    assert phone.get(reverse("home")).status_code == 302
    assert list(UserSession.objects.filter(user=survivor).values_list("session_key", flat=True)) == [kept]


def test_an_ended_session_stays_dead_even_with_its_old_data_put_back(survivor):
    # The stamp, not only the deleted row: a copy of the session's data (a
    # backup, another store) is refused too.
    client = signed_in(survivor)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    saved = Session.objects.get(session_key=key)
    sessions.sessions_end(user=survivor)
    Session.objects.update_or_create(
        session_key=key, defaults={"session_data": saved.session_data, "expire_date": saved.expire_date}
    )
    assert client.get(reverse("home")).status_code == 302
    survivor.refresh_from_db()
    assert survivor.session_stamp


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.77", "203.0.113.x"),
        ("2001:db8:1234:5678::1", "2001:db8:1234::/48"),
        ("::ffff:10.1.2.3", "10.1.2.x"),
        ("not an address", ""),
        (None, ""),
    ],
)
def test_an_address_is_kept_only_to_its_network(address, network):
    assert sessions.network_of(address) == network


def test_a_session_from_before_the_stamp_existed_stays_valid(survivor):
    # Deploying this does not sign everyone out: an empty stamp hashes as Django did.
    assert survivor.session_stamp == ""
    from django.utils.crypto import salted_hmac

    django_hash = salted_hmac(
        "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash", survivor.password, algorithm="sha256"
    ).hexdigest()
    assert survivor.get_session_auth_hash() == django_hash
    assert User(password=survivor.password, session_stamp="x").get_session_auth_hash() != django_hash
