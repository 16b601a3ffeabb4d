"""Failed logins: a short wait after a few, then a lockout, per email and
per address, with the login page saying what happened (django-axes,
tracker/security/lockout.py)."""

import datetime as dt
import os
import subprocess
import sys

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from tests.factories import PASSWORD, SurvivorFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def log_in(client, email, password, address="127.0.0.1", **extra):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=address, **extra)


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def fail(client, clock, email, times, address="127.0.0.1"):
    """`times` wrong passwords, each after the short wait."""
    for _ in range(times):
        response = log_in(client, email, "not her password", address)
        clock.shift(dt.timedelta(seconds=31))
    return response


def test_client_login_still_works_with_axes_first(client, survivor):
    assert client.login(email=survivor.email, password="wrong") is False
    assert client.login(email=survivor.email, password=PASSWORD) is True


def test_after_three_failures_the_next_try_waits_30_seconds(client, survivor, clock):
    for _ in range(2):
        response = log_in(client, survivor.email, "wrong")
        assert response.status_code == 200 and b"login-pause" not in response.content
    third = log_in(client, survivor.email, "wrong")
    assert third.status_code == 200
    assert "Please wait 30 seconds before you try again" in third.content.decode()
    # Even the right password is not checked while she waits.
    clock.shift(dt.timedelta(seconds=10))
    early = log_in(client, survivor.email, PASSWORD)
    assert early.status_code == 429 and early["Retry-After"] == "20"
    assert "Please wait 20 seconds" in early.content.decode()
    assert not signed_in(client)
    clock.shift(dt.timedelta(seconds=21))
    assert log_in(client, survivor.email, PASSWORD).status_code == 302
    assert signed_in(client)


def test_five_failures_lock_her_email_out_with_a_calm_message(client, survivor, clock):
    fifth = fail(client, clock, survivor.email, 5)
    assert fifth.status_code == 429
    html = fifth.content.decode()
    assert "Signing in is paused for now" in html
    assert "with this email address" in html
    assert "You can try again in 15 minutes" in html
    assert reverse("password_reset") in html and "Call your care team" in html
    assert 'name="username"' in html  # the login form is still there, with what she typed
    # The right password is refused for the cool-off, and each refusal says so.
    clock.shift(dt.timedelta(minutes=5))
    refused = log_in(client, survivor.email, PASSWORD)
    assert refused.status_code == 429 and not signed_in(client)
    assert "You can try again in 10 minutes" in refused.content.decode()
    assert int(refused["Retry-After"]) == 10 * 60 - 31


def test_a_refused_try_does_not_extend_the_lockout(client, survivor, clock):
    fail(client, clock, survivor.email, 5)
    for _ in range(5):  # a stranger keeps typing her email
        clock.shift(dt.timedelta(minutes=2))
        assert log_in(client, survivor.email, "guess").status_code == 429
    # The fifth failure was 10 min 31 s ago: its 15 minutes end in 4 min 29 s.
    clock.shift(dt.timedelta(minutes=4, seconds=30))
    response = log_in(client, survivor.email, PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_the_lockout_is_per_email_whatever_its_case_or_spaces(client, survivor, clock):
    fail(client, clock, survivor.email.upper(), 3)
    fail(client, clock, f"  {survivor.email} ", 2)
    assert log_in(client, survivor.email, PASSWORD).status_code == 429


def test_another_email_from_the_same_address_is_not_locked_by_hers(client, survivor, clock):
    fail(client, clock, "someone.else@example.org", 5)
    assert log_in(client, survivor.email, PASSWORD).status_code == 302


def test_an_address_with_many_failures_waits_then_is_locked_out(client, survivor, clock):
    for n in range(10):  # ten emails, one failure each: no email waits
        assert log_in(client, f"guess{n}@example.org", "x", address="203.0.113.7").status_code == 200
    # Ten failures from one address: its next try waits, whichever email.
    assert log_in(client, survivor.email, PASSWORD, address="203.0.113.7").status_code == 429
    clock.shift(dt.timedelta(seconds=31))
    for n in range(10, 30):
        fail(client, clock, f"guess{n}@example.org", 1, address="203.0.113.7")
    locked = log_in(client, survivor.email, PASSWORD, address="203.0.113.7")
    assert locked.status_code == 429
    assert "from this connection" in locked.content.decode()
    # Her own address is not locked.
    assert log_in(client, survivor.email, PASSWORD, address="198.51.100.2").status_code == 302


def test_a_good_login_forgets_her_failures(client, survivor, clock):
    fail(client, clock, survivor.email, 4)
    assert log_in(client, survivor.email, PASSWORD).status_code == 302
    client.logout()
    fail(client, clock, survivor.email, 4)  # four more: not five in all
    assert log_in(client, survivor.email, PASSWORD).status_code == 302


def test_the_email_is_counted_as_a_keyed_hash_never_in_clear(client, clock):
    fail(client, clock, "Nobody.Here@example.org", 2)
    attempt = AccessAttempt.objects.get()
    assert attempt.failures_since_start == 2
    assert "nobody" not in attempt.username.lower() and len(attempt.username) == 64
    assert "nobody" not in attempt.post_data.lower()
    assert "not her password" not in attempt.post_data


def test_the_django_admin_login_counts_the_same_failures(client, clock):
    admin = SurvivorFactory(is_staff=True, is_superuser=True)
    fail(client, clock, admin.email, 4)
    response = client.post(
        reverse("admin:login"),
        {"username": admin.email, "password": "wrong", "next": "/admin/"},
        REMOTE_ADDR="127.0.0.1",
    )
    assert response.status_code == 429
    assert log_in(client, admin.email, PASSWORD).status_code == 429


@pytest.mark.parametrize(
    "data",
    [
        {"username": "x" * 5000, "password": "y"},
        {"username": "a@b.c", "password": "p" * 100_000},
        {"username": "", "password": ""},
        {"username": "nul\x00@example.org", "password": "p"},
        {},
    ],
    ids=["long email", "long password", "empty", "nul byte", "nothing"],
)
def test_odd_logins_are_answered_calmly_never_a_500(client, data, clock):
    for _ in range(7):
        response = client.post(LOGIN, data, REMOTE_ADDR="127.0.0.1")
        assert response.status_code in (200, 429)


@pytest.mark.parametrize(
    ("hops", "forwarded", "seen"),
    [
        (0, "198.51.100.9", "127.0.0.1"),  # no proxy trusted: the header is never read
        (1, "198.51.100.9", "198.51.100.9"),
        (1, "10.9.9.9, 198.51.100.9", "198.51.100.9"),  # what the client wrote itself is further left
        (2, "10.9.9.9, 198.51.100.9, 172.16.0.2", "198.51.100.9"),
        (2, "198.51.100.9", "127.0.0.1"),  # fewer entries than proxies: the connection's
        (1, "not-an-address", "127.0.0.1"),
    ],
)
def test_the_client_address_comes_from_the_header_only_as_the_deployment_says(settings, rf, hops, forwarded, seen):
    from tracker.security.identity import client_address

    settings.TRUSTED_PROXY_COUNT = hops
    request = rf.post(LOGIN, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == seen


def test_behind_the_proxy_each_client_has_her_own_count(client, settings, survivor, clock):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"
    for n in range(30):
        # One client, trying to look like many by writing the header herself.
        client.post(
            LOGIN,
            {"username": f"guess{n}@example.org", "password": "x"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.7",
        )
        clock.shift(dt.timedelta(seconds=31))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    others = client.post(
        LOGIN,
        {"username": survivor.email, "password": PASSWORD},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="198.51.100.2",
    )
    assert others.status_code == 302


def test_production_needs_to_be_told_how_many_proxies_it_trusts_and_shares_its_cache():
    from tests.test_project import PRODUCTION_ENV, ROOT, manage

    unset = {k: v for k, v in PRODUCTION_ENV.items() if k != "TRUSTED_PROXY_COUNT"}
    result = manage("check", env=unset)
    assert result.returncode != 0 and "TRUSTED_PROXY_COUNT" in result.stderr
    code = "import django; django.setup(); from django.conf import settings as s; print(s.CACHES['default']['BACKEND'])"
    env = {**os.environ, **PRODUCTION_ENV}
    env.pop("CACHE_URL", None)
    shown = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert shown.stdout.strip() == "django.core.cache.backends.db.DatabaseCache", shown.stderr
