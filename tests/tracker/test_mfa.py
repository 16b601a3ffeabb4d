"""The second factor (issue 13, section 1; tracker/mfa/): staff pass it before
any page with survivor data or rules, setting it up at their first sign-in;
a code is checked with bounds, throttling and once-only recovery codes; a
single sign-on counts; survivors may turn it on and are then asked for it.

`client.force_login_password_only(user)` is a session after the password
step only (tests/conftest.py); `client.force_login(user)` a full sign-in."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD
from tests.mfa_helpers import totp_code, totp_device_for

SET_UP = reverse("mfa_setup")
VERIFY = reverse("mfa_verify")


def signed_in_with_password(client, user):
    client.force_login_password_only(user)
    return client


@pytest.fixture
def flag(survivor, report):
    return report(survivor, code="jaundice", site=None)["jaundice"]


# Pages with survivor data or rules, and who would see each.
GATED = {
    "queue": ("nurse", lambda d: reverse("flag_queue")),
    "flag page": ("nurse", lambda d: reverse("nurse_flag", args=[d["flag"].pk])),
    "survivor page": ("nurse", lambda d: reverse("survivor_history", args=[d["survivor"].pk])),
    "her record as CSV": ("nurse", lambda d: reverse("survivor_export", args=[d["survivor"].pk])),
    "survivors": ("nurse", lambda d: reverse("survivor_list")),
    "staff home": ("clinic_admin", lambda d: reverse("staff_home")),
    "rules": ("clinic_admin", lambda d: reverse("rule_list")),
    "rule": ("clinic_admin", lambda d: reverse("rule_detail", args=[d["flag"].rule.slug])),
    "audit": ("clinic_admin", lambda d: reverse("audit_trail")),
    "Django admin": ("superuser", lambda d: reverse("admin:index")),
    "Django admin, a survivor": ("superuser", lambda d: reverse("admin:tracker_user_change", args=[d["survivor"].pk])),
}


@pytest.fixture
def world(nurse, clinic_admin, superuser, survivor, flag):
    return {"nurse": nurse, "clinic_admin": clinic_admin, "superuser": superuser, "survivor": survivor, "flag": flag}


@pytest.mark.parametrize("page", sorted(GATED))
def test_staff_without_a_second_factor_are_sent_to_set_one_up(client, world, page):
    persona, build = GATED[page]
    url = build(world)
    response = signed_in_with_password(client, world[persona]).get(url)
    assert response.status_code == 302
    assert response["Location"] == SET_UP + "?next=" + url.replace("/", "%2F")
    assert b"Sara" not in response.content


@pytest.mark.parametrize("page", sorted(GATED))
def test_staff_with_a_second_factor_are_asked_for_it(client, world, page):
    persona, build = GATED[page]
    totp_device_for(world[persona])
    url = build(world)
    response = signed_in_with_password(client, world[persona]).get(url)
    assert response.status_code == 302
    assert response["Location"] == VERIFY + "?next=" + url.replace("/", "%2F")


@pytest.mark.parametrize("page", sorted(GATED))
def test_staff_who_passed_it_see_the_page(client, world, page):
    persona, build = GATED[page]
    client.force_login(world[persona])
    assert client.get(build(world)).status_code == 200


def test_a_write_before_the_second_step_is_refused_and_changes_nothing(client, nurse, flag):
    from followup.models import FlagEvent

    signed_in_with_password(client, nurse)
    response = client.post(reverse("nurse_flag", args=[flag.pk]), {"note": "1", "text": "called her"})
    assert response.status_code == 302 and response["Location"] == SET_UP  # no next for a POST
    assert not FlagEvent.objects.filter(flag=flag).exists()


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/accounts/second-factor/set-up/", 200),
        ("/accounts/second-factor/passkeys/jsi18n/", 200),  # the passkey button's words
        ("/accounts/password-reset/", 200),
        ("/invite/not-a-token/", 400),  # its own answer to a broken link, not the gate's redirect
    ],
)
def test_the_sign_in_pages_stay_open_before_the_second_step(client, nurse, url, status):
    assert signed_in_with_password(client, nurse).get(url).status_code == status


def test_metrics_and_health_answer_as_before(client, nurse):
    signed_in_with_password(client, nurse)
    assert client.get("/healthz").status_code in (200, 503)  # its own answer, not the gate's redirect
    assert client.get("/metrics").status_code == 404  # no METRICS_TOKEN here


def test_she_can_log_out_before_the_second_step(client, nurse):
    signed_in_with_password(client, nurse)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_a_single_sign_on_session_passes_the_gate(client, nurse, world):
    signed_in_with_password(client, nurse)
    session = client.session
    session["auth_sso"] = True  # what tracker/sso.py sets after the provider's sign-in
    session.save()
    assert client.get(reverse("flag_queue")).status_code == 200
    assert client.get(reverse("nurse_flag", args=[world["flag"].pk])).status_code == 200


@pytest.mark.parametrize("value", ["true", 1, "yes"])
def test_only_a_true_sso_mark_counts(client, nurse, value):
    signed_in_with_password(client, nurse)
    session = client.session
    session["auth_sso"] = value
    session.save()
    assert client.get(reverse("flag_queue")).status_code == 302


# ------------------------------------------------------------------ set up


def test_first_sign_in_sets_up_an_app_shows_recovery_codes_once_and_goes_on(client, nurse):
    response = client.post(reverse("login"), {"username": nurse.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == SET_UP + "?next=%2F"
    html = response.content.decode()
    assert '<svg role="img" aria-label="QR code to scan with your authenticator app"' in html
    device = TOTPDevice.objects.get(user=nurse, confirmed=False)
    assert "".join(response.context["secret_groups"]) in html.replace(" ", "").replace("\n", "")
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html

    response = client.post(SET_UP, {"code": totp_code(device), "next": "/"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("mfa_recovery_codes")
    codes = [code.replace(" ", "") for code in response.context["codes"]]
    assert len(codes) == 10 == len(set(codes))
    assert sorted(codes) == sorted(StaticToken.objects.filter(device__user=nurse).values_list("token", flat=True))
    assert client.get(reverse("mfa_recovery_codes"))["Location"] == reverse("mfa_factors")  # shown once
    device.refresh_from_db()
    assert device.confirmed
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("flag_queue")


def test_set_up_refuses_a_wrong_code_with_a_message_by_the_field(client, nurse):
    signed_in_with_password(client, nurse)
    client.get(SET_UP)
    device = TOTPDevice.objects.get(user=nurse, confirmed=False)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(SET_UP, {"code": wrong})
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["That code did not work. Type the newest code your app shows."]
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(reverse("flag_queue")).status_code == 302


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the 6-digit code from your authenticator app."),
        ("12345", "The code is 6 digits, like 123456."),
        ("1234567", "The code is 6 digits, like 123456."),
        ("12a456", "The code is 6 digits, like 123456."),
        ("١٢٣٤٥٦", "The code is 6 digits, like 123456."),  # Arabic-Indic digits: isdigit(), not ours
        ("12\x003456", "Null characters are not allowed."),
        ("1" * 5000, "The code is 6 digits."),
    ],
)
def test_a_code_of_the_wrong_shape_gets_a_message_and_is_not_counted_as_a_guess(client, nurse, typed, message):
    device = totp_device_for(nurse)
    signed_in_with_password(client, nurse)
    response = client.post(VERIFY, {"code": typed})
    assert response.status_code == 200
    assert response.context["totp_form"].errors["code"] == [message]
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_code_with_a_space_in_the_middle_is_accepted(client, nurse):
    device = totp_device_for(nurse)
    signed_in_with_password(client, nurse)
    code = totp_code(device)
    response = client.post(VERIFY, {"code": f"{code[:3]} {code[3:]}", "next": "/staff/queue/"})
    assert response.status_code == 302 and response["Location"] == "/staff/queue/"


# ------------------------------------------------------------------ verify


def test_the_right_code_passes_and_goes_where_she_was_going(client, nurse, flag):
    device = totp_device_for(nurse)
    signed_in_with_password(client, nurse)
    url = reverse("nurse_flag", args=[flag.pk])
    response = client.get(url, follow=True)
    assert response.redirect_chain[-1][0] == VERIFY + "?next=" + url.replace("/", "%2F")
    response = client.post(VERIFY, {"code": totp_code(device), "next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_next_never_leaves_the_site(client, nurse, next_url):
    device = totp_device_for(nurse)
    signed_in_with_password(client, nurse)
    response = client.post(VERIFY, {"code": totp_code(device), "next": next_url})
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_wrong_code_is_refused_and_the_next_try_must_wait(client, nurse):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, 10, tzinfo=dt.UTC), tick=False) as clock:
        device = totp_device_for(nurse)
        signed_in_with_password(client, nurse)
        right = f"{totp(device.bin_key):06d}"
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        response = client.post(VERIFY, {"code": wrong})
        assert response.status_code == 200
        assert response.context["totp_form"].errors["code"] == [
            "That code did not work. Type the newest code your app shows."
        ]
        response = client.post(VERIFY, {"code": right})  # at once: not even tried
        assert response.context["totp_form"].errors["code"] == ["Too many wrong codes. Wait 1 second, then try again."]
        assert client.get(reverse("flag_queue")).status_code == 302
        for _ in range(3):
            clock.shift(dt.timedelta(seconds=600))
            client.post(VERIFY, {"code": wrong})
        response = client.post(VERIFY, {"code": right})
        assert response.context["totp_form"].errors["code"] == ["Too many wrong codes. Wait 8 seconds, then try again."]
        clock.shift(dt.timedelta(seconds=8))
        response = client.post(VERIFY, {"code": f"{totp(device.bin_key):06d}"})
        assert response.status_code == 302
        assert client.get(reverse("flag_queue")).status_code == 200


def test_a_code_works_once(client, nurse):
    device = totp_device_for(nurse)
    signed_in_with_password(client, nurse)
    code = totp_code(device)
    assert client.post(VERIFY, {"code": code}).status_code == 302
    client.logout()
    signed_in_with_password(client, nurse)
    response = client.post(VERIFY, {"code": code})  # seen over her shoulder, typed again at once
    assert response.status_code == 200 and response.context["totp_form"].errors["code"]


def test_a_recovery_code_works_once(client, nurse):
    from tracker.mfa.services import recovery_codes_make

    totp_device_for(nurse)
    codes = recovery_codes_make(user=nurse)
    signed_in_with_password(client, nurse)
    response = client.post(VERIFY, {"recovery_code": f" {codes[0][:4]}-{codes[0][4:].upper()} ", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get(reverse("flag_queue")).status_code == 200
    assert StaticToken.objects.filter(device__user=nurse).count() == 9
    client.logout()
    signed_in_with_password(client, nurse)
    with time_machine.travel(dt.timedelta(seconds=5)):
        response = client.post(VERIFY, {"recovery_code": codes[0]})
    assert response.status_code == 200
    assert response.context["recovery_form"].errors["recovery_code"] == [
        "That recovery code did not work. Each code works only once."
    ]
    assert client.get(reverse("flag_queue")).status_code == 302


@pytest.mark.parametrize("typed", ["abc", "abcdefgh1", "abcd018!", "x" * 400])
def test_a_recovery_code_of_the_wrong_shape_gets_a_message(client, nurse, typed):
    from tracker.mfa.services import recovery_codes_make

    totp_device_for(nurse)
    recovery_codes_make(user=nurse)
    signed_in_with_password(client, nurse)
    response = client.post(VERIFY, {"recovery_code": typed})
    assert response.status_code == 200 and response.context["using_recovery"]
    assert response.context["recovery_form"].errors["recovery_code"]


def test_a_reset_device_no_longer_verifies_a_session(client, nurse):
    device = totp_device_for(nurse)
    client.force_login(nurse)
    assert client.get(reverse("flag_queue")).status_code == 200
    device.delete()  # e.g. a superuser removed it in the Django admin
    response = client.get(reverse("flag_queue"))
    assert response.status_code == 302 and response["Location"].startswith(SET_UP)


# ------------------------------------------------------------------ survivors


def test_a_survivor_is_not_asked_for_a_second_factor_unless_she_turned_it_on(client, survivor):
    response = client.post(reverse("login"), {"username": survivor.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert response.status_code == 200 and response.templates[0].name == "tracker/history.html"


def test_a_survivor_turns_it_on_is_asked_at_sign_in_and_can_turn_it_off(client, survivor):
    from django.test import Client

    elsewhere = Client()
    elsewhere.post(reverse("login"), {"username": survivor.email, "password": PASSWORD})
    assert elsewhere.get("/").status_code == 200  # her phone, signed in before

    client.post(reverse("login"), {"username": survivor.email, "password": PASSWORD})
    html = client.get(reverse("mfa_factors")).content.decode()
    assert "Two-step sign-in is off" in html and SET_UP in html
    client.get(SET_UP)
    device = TOTPDevice.objects.get(user=survivor, confirmed=False)
    response = client.post(SET_UP, {"code": totp_code(device), "next": reverse("preferences")}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("mfa_recovery_codes")
    assert response.context["next"] == reverse("preferences")
    assert client.get("/").status_code == 200  # this session passed it while setting it up
    assert elsewhere.get("/")["Location"].startswith(reverse("login"))  # the other one ended

    client.logout()
    response = client.post(reverse("login"), {"username": survivor.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == VERIFY + "?next=%2F"
    assert client.get(reverse("checkin_create")).status_code == 302
    response = client.post(VERIFY, {"code": totp_code(device), "next": "/"})
    assert response["Location"] == "/" and client.get("/").status_code == 200

    response = client.post(reverse("mfa_turn_off"), follow=True)
    assert "Two-step sign-in is off" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=survivor).exists()
    assert not StaticToken.objects.filter(device__user=survivor).exists()
    client.logout()
    response = client.post(reverse("login"), {"username": survivor.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/"


def test_staff_cannot_turn_it_off(client, nurse):
    client.force_login(nurse)
    response = client.post(reverse("mfa_turn_off"), follow=True)
    assert "Staff cannot turn two-step sign-in off." in response.content.decode()
    assert TOTPDevice.objects.filter(user=nurse, confirmed=True).exists()


def test_her_settings_page_links_to_two_step_sign_in(client, survivor):
    client.force_login(survivor)
    assert reverse("mfa_factors") in client.get(reverse("preferences")).content.decode()


def test_new_recovery_codes_replace_the_old_ones(client, nurse):
    from tracker.mfa.services import recovery_codes_make

    old = recovery_codes_make(user=nurse)
    client.force_login(nurse)
    response = client.post(reverse("mfa_recovery_codes_new"), follow=True)
    new = [code.replace(" ", "") for code in response.context["codes"]]
    assert set(new) == set(StaticToken.objects.filter(device__user=nurse).values_list("token", flat=True))
    assert not set(old) & set(new)


def test_new_recovery_codes_keep_a_session_verified_by_an_old_one(client, nurse):
    from tracker.mfa.services import recovery_codes_make

    totp_device_for(nurse)
    codes = recovery_codes_make(user=nurse)
    signed_in_with_password(client, nurse)
    client.post(VERIFY, {"recovery_code": codes[0]})
    response = client.post(reverse("mfa_recovery_codes_new"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("mfa_recovery_codes")
    assert len(response.context["codes"]) == 10
    assert client.get(reverse("flag_queue")).status_code == 200


def a_passkey(user, n=1):
    from django_otp_webauthn.models import WebAuthnCredential

    return WebAuthnCredential.objects.create(
        user=user, name="", confirmed=True, credential_id=bytes([n]) * 16, public_key=b"k", aaguid="0" * 36
    )


def test_staff_keep_at_least_one_factor_when_removing_a_passkey(client, nurse):
    passkey = a_passkey(nurse)
    client.force_login(nurse)  # verified by a new authenticator app (tests/conftest.py)
    other = a_passkey(nurse, 2)
    client.post(reverse("mfa_passkey_remove", args=[other.pk]))
    assert not type(passkey).objects.filter(pk=other.pk).exists()
    TOTPDevice.objects.filter(user=nurse).delete()
    client.force_login(nurse)  # now verified by her passkey, her only factor
    response = client.post(reverse("mfa_passkey_remove", args=[passkey.pk]), follow=True)
    assert "This is your only second factor: add another before you remove it." in response.content.decode()
    assert type(passkey).objects.filter(pk=passkey.pk).exists()


def test_nobody_removes_another_persons_passkey(client, nurse, other_nurse):
    passkey = a_passkey(other_nurse)
    client.force_login(nurse)
    response = client.post(reverse("mfa_passkey_remove", args=[passkey.pk]), follow=True)
    assert "That passkey is not there any more." in response.content.decode()
    assert type(passkey).objects.filter(pk=passkey.pk).exists()


def test_a_survivors_last_passkey_removed_turns_it_off(client, survivor):
    from tracker.mfa.services import recovery_codes_make

    passkey = a_passkey(survivor)
    recovery_codes_make(user=survivor)
    client.force_login(survivor)  # verified by her passkey
    assert client.get("/").status_code == 200
    client.post(reverse("mfa_passkey_remove", args=[passkey.pk]))
    assert not StaticToken.objects.filter(device__user=survivor).exists()
    assert client.get("/").status_code == 200  # not asked for a factor she no longer has
    client.logout()
    response = client.post(reverse("login"), {"username": survivor.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/"


def test_the_page_after_a_first_passkey_gives_recovery_codes_once(client, survivor):
    from django_otp import DEVICE_ID_SESSION_KEY

    client.force_login(survivor)
    passkey = a_passkey(survivor)  # what the library's registration made, verifying this session
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = passkey.persistent_id
    session.save()
    response = client.get(reverse("mfa_passkey_added"), {"next": "/preferences/"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("mfa_recovery_codes")
    assert len(response.context["codes"]) == 10 and response.context["next"] == "/preferences/"
    response = client.get(reverse("mfa_passkey_added"), follow=True)  # a second passkey: no new codes
    assert response.redirect_chain[-1][0] == "/" and "Your passkey is added." in response.content.decode()


@pytest.mark.parametrize("persona", ["nurse", "clinic_admin"])
def test_staff_find_their_two_step_page_in_the_menu(client, world, persona):
    client.force_login(world[persona])
    html = client.get(reverse("dashboard")).content.decode()
    assert f'<a class="nav-link" href="{reverse("mfa_factors")}">Two-step sign-in</a>' in html


def test_a_single_sign_on_nurse_without_a_factor_is_not_told_it_is_off(client, nurse):
    signed_in_with_password(client, nurse)
    session = client.session
    session["auth_sso"] = True
    session.save()
    html = client.get(reverse("mfa_factors")).content.decode()
    assert "single sign-on" in html and "Two-step sign-in is off" not in html
    assert "When you sign in with your password, you set one up first." in html


def test_the_django_admin_can_remove_devices_but_shows_no_key_or_code(client, superuser, nurse):
    from django_otp.plugins.otp_static.models import StaticDevice

    from tracker.mfa.services import recovery_codes_make

    device = totp_device_for(nurse)
    codes = recovery_codes_make(user=nurse)
    client.force_login(superuser)
    assert client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk])).status_code == 403
    assert client.get(reverse("admin:otp_totp_totpdevice_config", args=[10**9])).status_code == 403  # not a 500
    html = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])).content.decode()
    assert device.key not in html
    static = StaticDevice.objects.get(user=nurse)
    html = client.get(reverse("admin:otp_static_staticdevice_change", args=[static.pk])).content.decode()
    assert not any(code in html for code in codes)
    response = client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert response.status_code == 302 and not TOTPDevice.objects.filter(pk=device.pk).exists()


def test_a_fragment_before_the_second_step_sends_the_whole_page_there(client, nurse):
    totp_device_for(nurse)
    signed_in_with_password(client, nurse)
    response = client.get(
        reverse("flag_queue"),
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/staff/queue/?tier=urgent"},
    )
    assert response.status_code == 200 and response.content == b""
    assert response["HX-Redirect"] == VERIFY + "?next=%2Fstaff%2Fqueue%2F%3Ftier%3Durgent"
