"""Sessions (issue 13, section 2): ended for good (tracker/sessions.py: a new
session stamp is part of every session's auth hash, so an ended session
never comes back; the session rows we know of go too), her list of sessions
and "sign out everywhere else", the idle timeout and the absolute lifetime
(tracker/session_policy.py), and the password change."""

import datetime as dt
import os
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils.crypto import salted_hmac

from tests.factories import PASSWORD
from tracker import sessions
from tracker.models import User, UserSession
from tracker.user_agents import device_label

PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
DESKTOP_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def signed_in(user, *, agent: str = DESKTOP_UA, address: str = "203.0.113.77") -> Client:
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    client.force_login(user)
    return client


def key_of(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def is_in(client, path: str = "/") -> bool:
    """Her page, not the login page."""
    response = client.get(path)
    return not (response.status_code == 302 and response["Location"].startswith(reverse("login")))


def home_of(user) -> str:
    return reverse("home") if user.is_survivor else reverse("session_list")


# ---------------------------------------------------------------- ended for good


def test_it_ends_every_session_of_hers_and_no_one_elses(survivor, same_clinic_survivor):
    phone, laptop, other = signed_in(survivor), signed_in(survivor), signed_in(same_clinic_survivor)
    assert phone.get(reverse("home")).status_code == 200  # tracked from her first request
    assert UserSession.objects.filter(user=survivor).count() == 1

    assert sessions.sessions_end(user=survivor) == 1

    assert not is_in(phone) and not is_in(laptop)  # laptop was never tracked: the stamp ends it
    assert is_in(other)
    assert not UserSession.objects.filter(user=survivor).exists()
    assert not Session.objects.filter(session_key=key_of(phone)).exists()


def test_the_kept_session_carries_on(survivor):
    phone, laptop = signed_in(survivor), signed_in(survivor)
    for client in (phone, laptop):
        client.get(reverse("home"))

    assert sessions.sessions_end(user=survivor, keep_session_key=key_of(laptop)) == 1

    assert is_in(laptop) and not is_in(phone)
    assert list(UserSession.objects.filter(user=survivor).values_list("session_key", flat=True)) == [key_of(laptop)]


def test_an_ended_session_stays_dead_even_with_its_old_data_put_back(survivor):
    # The stamp, not only the deleted row: a copy of the session's data (a
    # backup, another store) is refused too.
    client = signed_in(survivor)
    key = key_of(client)
    saved = Session.objects.get(session_key=key)
    sessions.sessions_end(user=survivor)
    Session.objects.update_or_create(
        session_key=key, defaults={"session_data": saved.session_data, "expire_date": saved.expire_date}
    )
    assert not is_in(client)
    survivor.refresh_from_db()
    assert survivor.session_stamp


def test_a_session_from_before_the_stamp_existed_stays_valid(survivor):
    # Deploying this does not sign everyone out: an empty stamp hashes as Django did.
    assert survivor.session_stamp == ""
    django_hash = salted_hmac(
        "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash", survivor.password, algorithm="sha256"
    ).hexdigest()
    assert survivor.get_session_auth_hash() == django_hash
    assert User(password=survivor.password, session_stamp="x").get_session_auth_hash() != django_hash


# ---------------------------------------------------------------- her list of sessions


def test_her_sessions_are_listed_with_device_and_network_only(survivor):
    phone = signed_in(survivor, agent=PHONE_UA, address="198.51.100.23")
    laptop = signed_in(survivor)
    phone.get(reverse("home"))
    html = laptop.get(reverse("session_list")).content.decode()
    assert "Safari · iPhone" in html and "198.51.100.x" in html
    assert "Firefox · Windows" in html and "203.0.113.x" in html
    assert "198.51.100.23" not in html and "203.0.113.77" not in html  # never the address
    assert html.count("This device") == 1
    assert key_of(phone) not in html and key_of(laptop) not in html  # never the key


def test_sign_out_everywhere_else_ends_the_others_for_good_and_keeps_this_one(survivor):
    phone, laptop = signed_in(survivor, agent=PHONE_UA), signed_in(survivor)
    phone.get(reverse("home"))
    response = laptop.post(reverse("sessions_end_others"))
    assert response.status_code == 302
    assert is_in(laptop) and not is_in(phone)
    assert list(UserSession.objects.filter(user=survivor).values_list("session_key", flat=True)) == [key_of(laptop)]
    assert "Safari" not in laptop.get(reverse("session_list")).content.decode()


def test_she_can_sign_out_one_other_session(survivor):
    phone, tablet, laptop = (signed_in(survivor, agent=PHONE_UA), signed_in(survivor), signed_in(survivor))
    phone.get(reverse("home"))
    tablet.get(reverse("home"))
    row = UserSession.objects.get(session_key=key_of(phone))
    assert laptop.post(reverse("session_end", args=[row.pk])).status_code == 302
    assert not is_in(phone)
    assert is_in(tablet) and is_in(laptop)


def test_nobody_ends_anothers_session(survivor, same_clinic_survivor, nurse):
    hers = signed_in(survivor)
    hers.get(reverse("home"))
    row = UserSession.objects.get(user=survivor)
    for outsider in (same_clinic_survivor, nurse):
        assert signed_in(outsider).post(reverse("session_end", args=[row.pk])).status_code == 404
    assert is_in(hers)


def test_her_list_drops_sessions_that_died_another_way(survivor):
    # A password set outside our views (manage.py changepassword): Django's
    # own hash ends the sessions; her list must not show them as signed in.
    phone = signed_in(survivor, agent=PHONE_UA)
    phone.get(reverse("home"))
    survivor.set_password("another-long-password-9")
    survivor.save()
    laptop = signed_in(survivor)
    assert "Safari" not in laptop.get(reverse("session_list")).content.decode()
    assert list(UserSession.objects.filter(user=survivor).values_list("session_key", flat=True)) == [key_of(laptop)]


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (PHONE_UA, "Safari · iPhone"),
        (DESKTOP_UA, "Firefox · Windows"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
            "Edge · Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/124.0.0.0 Mobile Safari/537.36",
            "Chrome · Android",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.4 Safari/605.1.15",
            "Safari · Mac",
        ),
        ("curl/8.5.0", ""),
        ("", ""),
    ],
)
def test_a_device_is_named_coarsely(agent, label):
    assert device_label(agent) == label


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


# ---------------------------------------------------------------- password change


def test_changing_her_password_ends_her_other_sessions_and_keeps_this_one(survivor):
    phone, laptop = signed_in(survivor, agent=PHONE_UA), signed_in(survivor)
    phone.get(reverse("home"))
    laptop.get(reverse("home"))
    new = "a-brand-new-password-42"
    response = laptop.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert is_in(laptop) and not is_in(phone)
    assert list(UserSession.objects.filter(user=survivor).values_list("session_key", flat=True)) == [key_of(laptop)]
    survivor.refresh_from_db()
    assert survivor.session_stamp  # for good: not only Django's password hash
    # Her list keeps working on the new key, and she is still "this device".
    assert "This device" in laptop.get(reverse("session_list")).content.decode()


def test_a_password_reset_by_the_emailed_link_ends_her_sessions_for_good(survivor):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    phone = signed_in(survivor, agent=PHONE_UA)
    phone.get(reverse("home"))
    link = reverse(
        "password_reset_confirm",
        args=[urlsafe_base64_encode(force_bytes(survivor.pk)), default_token_generator.make_token(survivor)],
    )
    stranger = Client()
    form_page = stranger.get(link, follow=True)
    new = "a brand new sunrise"
    response = stranger.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert not is_in(phone)
    survivor.refresh_from_db()
    assert survivor.session_stamp  # ended by us too, not only by Django's password hash
    assert not UserSession.objects.filter(session_key=key_of(phone)).exists()
    laptop = signed_in(survivor)
    assert "Safari" not in laptop.get(reverse("session_list")).content.decode()


# ---------------------------------------------------------------- cookie, idle, absolute


def test_a_staff_session_cookie_ends_with_the_browser_and_a_survivors_does_not(nurse, survivor):
    for person, browser_only in ((nurse, True), (survivor, False)):
        client = Client()
        response = client.post(reverse("login"), {"username": person.email, "password": PASSWORD})
        assert response.status_code == 302, person
        cookie = response.cookies[settings.SESSION_COOKIE_NAME]
        assert (cookie["max-age"] == "" and cookie["expires"] == "") is browser_only, (person, cookie.output())


@pytest.mark.parametrize(("persona", "idle_minutes"), [("survivor", 30), ("nurse", 15), ("clinic_admin", 15)])
def test_she_is_signed_out_after_her_idle_time_and_told_why(request, persona, idle_minutes):
    person = request.getfixturevalue(persona)
    page = home_of(person)
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in(person)
        assert is_in(client, page)
        for _ in range(3):  # active every few minutes less than the limit: stays signed in
            clock.shift(dt.timedelta(minutes=idle_minutes - 2))
            assert is_in(client, page)
        clock.shift(dt.timedelta(minutes=idle_minutes, seconds=1))
        response = client.get(page, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "signed out because there was no activity for a while" in response.content.decode()
    assert not UserSession.objects.filter(user=person).exists()


def test_the_idle_limits_come_from_the_environment():
    code = "from django.conf import settings as s; print(s.SESSION_IDLE_SECONDS_STAFF, s.SESSION_IDLE_SECONDS_SURVIVOR, s.SESSION_ABSOLUTE_SECONDS)"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "SESSION_IDLE_MINUTES_STAFF": "5",
        "SESSION_IDLE_MINUTES_SURVIVOR": "20",
        "SESSION_MAX_HOURS": "8",
    }
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"], env=env, capture_output=True, text=True
    )
    assert out.stdout.split() == ["300", "1200", "28800"], out.stderr
    assert (settings.SESSION_IDLE_SECONDS_STAFF, settings.SESSION_IDLE_SECONDS_SURVIVOR) == (900, 1800)
    assert settings.SESSION_ABSOLUTE_SECONDS == 12 * 3600


def test_twelve_hours_after_signing_in_she_is_signed_out_however_active(survivor):
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in(survivor)
        for _ in range(35):  # every 20 minutes for 11 h 40 min
            assert is_in(client)
            clock.shift(dt.timedelta(minutes=20))
        clock.shift(dt.timedelta(minutes=20))
        response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "signed in for 12 hours" in response.content.decode()


def test_the_queues_background_refresh_is_not_activity(nurse):
    queue = reverse("flag_queue")
    background = {"HTTP_HX_REQUEST": "true", "HTTP_X_BACKGROUND": "1"}
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in(nurse)
        html = client.get(queue).content.decode()
        # The page's own refresh says it is a background request.
        assert 'hx-headers=\'{"X-Background": "1"}\'' in html and 'hx-trigger="every 30s"' in html
        for _ in range(28):  # 14 minutes of refreshes every 30 s
            clock.shift(dt.timedelta(seconds=30))
            assert client.get(queue, **background).status_code == 200
        clock.shift(dt.timedelta(seconds=61))
        response = client.get(queue, **background)
        # Signed out: htmx is told to load the login page in place of the whole page.
        assert response.status_code == 200 and response["HX-Redirect"].startswith(reverse("login") + "?next=")
        assert not is_in(client, queue)


def test_a_request_she_makes_herself_is_activity(nurse):
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in(nurse)
        assert is_in(client, reverse("flag_queue"))
        clock.shift(dt.timedelta(minutes=14))
        assert client.get(reverse("flag_queue"), HTTP_HX_REQUEST="true").status_code == 200  # a click (htmx)
        clock.shift(dt.timedelta(minutes=14))
        assert is_in(client, reverse("flag_queue"))


def test_activity_is_written_at_most_once_a_minute(survivor, django_assert_num_queries):
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in(survivor)
        client.get(reverse("session_list"))
        clock.shift(dt.timedelta(seconds=20))
        row = UserSession.objects.get(user=survivor)
        client.get(reverse("session_list"))
        assert UserSession.objects.get(pk=row.pk).last_seen_at == row.last_seen_at
        clock.shift(dt.timedelta(seconds=41))
        client.get(reverse("session_list"))
        assert UserSession.objects.get(pk=row.pk).last_seen_at == START + dt.timedelta(seconds=61)


# ---------------------------------------------------------------- the warning's endpoint


def test_the_status_check_is_not_activity_and_stay_signed_in_is(survivor):
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in(survivor)
        client.get(reverse("home"))
        clock.shift(dt.timedelta(minutes=28))
        status = client.get(reverse("session_status"), HTTP_X_BACKGROUND="1").json()
        assert status == {"signed_in": True, "idle_left": 120, "absolute_left": 12 * 3600 - 28 * 60}
        clock.shift(dt.timedelta(seconds=30))
        assert client.get(reverse("session_status"), HTTP_X_BACKGROUND="1").json()["idle_left"] == 90
        stayed = client.post(reverse("session_status"), HTTP_ACCEPT="application/json").json()
        assert stayed["idle_left"] == 30 * 60
        clock.shift(dt.timedelta(minutes=29))
        assert is_in(client)
        # Written at once, even within the minute after the last write.
        clock.shift(dt.timedelta(seconds=30))
        stayed = client.post(reverse("session_status"), HTTP_ACCEPT="application/json").json()
        assert stayed["idle_left"] == 30 * 60


def test_the_status_check_says_signed_out_once_over(survivor, client):
    assert client.get(reverse("session_status")).json() == {"signed_in": False}
    with time_machine.travel(START, tick=False) as clock:
        mine = signed_in(survivor)
        mine.get(reverse("home"))
        clock.shift(dt.timedelta(minutes=31))
        assert mine.get(reverse("session_status"), HTTP_X_BACKGROUND="1").json() == {"signed_in": False}


def test_every_page_of_hers_carries_the_warning_and_an_anonymous_page_none(survivor, nurse, client):
    for person in (survivor, nurse):
        html = signed_in(person).get(home_of(person)).content.decode()
        assert 'id="session-warning"' in html and "js/session-timeout.js" in html
        assert f'data-warn="{settings.SESSION_WARNING_SECONDS}"' in html
    assert 'id="session-warning"' not in client.get(reverse("login")).content.decode()
