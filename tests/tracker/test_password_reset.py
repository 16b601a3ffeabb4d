"""Password reset: the request queues the email and answers the same,
with the same work, whether or not an account uses the address; the worker
sends the link (tracker/security/password_reset.py). Throttled per address
and per email."""

import datetime as dt
import re

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import PASSWORD, SurvivorFactory
from tests.integration_helpers import celery_worker, wait_for
from tracker import tasks
from tracker.security.identity import email_key

RESET = reverse("password_reset")
pytestmark = pytest.mark.django_db


@pytest.fixture
def ask(client, django_capture_on_commit_callbacks):
    """Ask for a reset as the page does; what it queues after commit is
    queued (recorded by the `enqueued` fixture)."""

    def do(email, address="127.0.0.1"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(RESET, {"email": email}, REMOTE_ADDR=address)

    return do


def run_enqueued(enqueued):
    """What the worker would do with the tasks the requests queued."""
    for name, args, kwargs in enqueued:
        assert name == "tracker.tasks.send_password_reset"
        tasks.send_password_reset(*args, **kwargs)


def test_the_request_sends_no_mail_and_queues_one_task(client, survivor, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(RESET, {"email": survivor.email})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []  # nothing sent inside the request
    assert len(callbacks) == 1  # queued once the transaction commits
    assert enqueued == [("tracker.tasks.send_password_reset", (survivor.email,), {})]
    run_enqueued(enqueued)
    [message] = mail.outbox
    assert message.to == [survivor.email]
    assert re.search(r"http://testserver/accounts/reset/\S+/\S+/", message.body)


def test_the_answer_is_the_same_whether_or_not_the_account_exists(
    client, survivor, enqueued, django_capture_on_commit_callbacks
):
    answers, work = [], []
    for email in (survivor.email, "nobody-here@example.org"):
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            response = client.post(RESET, {"email": email})
        answers.append((response.status_code, sorted(response.headers.items()), response.content, response.cookies))
        work.append([q["sql"] for q in queries.captured_queries])
    assert answers[0] == answers[1]
    # The same statements (none reads the users table) and one task each:
    # nothing in the request depends on whether the account exists.
    assert work[0] == work[1]
    assert not any("tracker_user" in sql for sql in work[0])
    assert [name for name, _, _ in enqueued] == ["tracker.tasks.send_password_reset"] * 2
    assert mail.outbox == []
    run_enqueued(enqueued)
    assert [m.to for m in mail.outbox] == [[survivor.email]]


def test_the_worker_sends_nothing_to_an_unknown_or_inactive_account(survivor):
    inactive = SurvivorFactory(clinic=survivor.clinic, is_active=False)
    assert tasks.send_password_reset("nobody-here@example.org") == 0
    assert tasks.send_password_reset(inactive.email) == 0
    assert mail.outbox == []


def test_the_emailed_link_sets_a_new_password_and_lifts_her_lockout(ask, client, survivor, enqueued):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for _ in range(5):
            client.post(reverse("login"), {"username": survivor.email, "password": "wrong"}, REMOTE_ADDR="127.0.0.1")
            clock.shift(dt.timedelta(seconds=31))
        assert client.post(reverse("login"), {"username": survivor.email, "password": PASSWORD}).status_code == 429
        ask(survivor.email)
        run_enqueued(enqueued)
        link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
        form_page = client.get(link, follow=True)
        response = client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": "a brand new sunrise", "new_password2": "a brand new sunrise"},
        )
        assert response.status_code == 302
        survivor.refresh_from_db()
        assert survivor.check_password("a brand new sunrise")
        assert not AccessAttempt.objects.filter(username=email_key(survivor.email)).exists()
        login = client.post(reverse("login"), {"username": survivor.email, "password": "a brand new sunrise"})
        assert login.status_code == 302


def test_a_fourth_request_for_one_email_within_the_hour_is_throttled(ask, client, survivor, enqueued):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for address in ("127.0.0.1", "198.51.100.2", "203.0.113.7"):
            assert ask(survivor.email.upper(), address).status_code == 302
        throttled = ask(survivor.email, "192.0.2.44")
        assert throttled.status_code == 429 and throttled["Retry-After"] == "3600"
        assert "too many requests to reset a password" in throttled.content.decode()
        assert "in 60 minutes" in throttled.content.decode()
        assert len(enqueued) == 3
        # An unknown email is throttled the same way: nothing told apart.
        for _ in range(3):
            ask("nobody-here@example.org", "198.51.100.9")
        assert ask("nobody-here@example.org", "192.0.2.45").status_code == 429
        clock.shift(dt.timedelta(hours=1))
        assert ask(survivor.email, "192.0.2.44").status_code == 302


def test_an_eleventh_request_from_one_address_within_the_hour_is_throttled(ask, client, enqueued):
    for n in range(10):
        assert ask(f"person{n}@example.org").status_code == 302
    throttled = ask("person10@example.org")
    assert throttled.status_code == 429
    assert len(enqueued) == 10
    # A bad email from there is told both problems, never a 500.
    bad = ask("not an email")
    assert bad.status_code == 429 and "Enter a valid email address" in bad.content.decode()


@pytest.mark.parametrize("email", ["x" * 300 + "@example.org", "nul\x00@example.org", ""])
def test_odd_emails_are_answered_by_the_field(ask, client, email, enqueued):
    response = ask(email)
    assert response.status_code == 200
    assert enqueued == []


def test_a_broken_cache_lets_the_request_through(ask, client, survivor, enqueued, monkeypatch, caplog):
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "add", broken)
    assert ask(survivor.email).status_code == 302
    assert "cache unavailable" in caplog.text


@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_sends_the_reset_email_after_commit(ask, client, tmp_path, survivor):
    outbox = tmp_path / "mail"
    outbox.mkdir()
    env = {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(outbox)}
    with celery_worker(extra_env=env):
        assert ask("nobody-here@example.org").status_code == 302
        assert ask(survivor.email).status_code == 302
        files = wait_for(lambda: list(outbox.iterdir()), timeout=60)
    [text] = [f.read_text() for f in files]
    assert f"To: {survivor.email}" in text
    assert "/accounts/reset/" in text
