"""A clinic admin resets a nurse's second factor (issue 13, section 1): her
own clinics' nurses only, audited, the nurse signed out everywhere and set
up again at her next sign-in. Every persona tries."""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD, ClinicAdminFactory, NurseFactory
from tests.mfa_helpers import totp_device_for
from tracker.mfa.services import recovery_codes_make
from tracker.models import AuditEvent


@pytest.fixture
def nurse_phone(nurse):
    """The nurse, signed in and verified on her own phone."""
    totp_device_for(nurse)
    recovery_codes_make(user=nurse)
    phone = Client()
    phone.force_login(nurse)
    assert phone.get(reverse("flag_queue")).status_code == 200
    return phone


def reset(client, nurse):
    return client.post(reverse("mfa_reset", args=[nurse.pk]))


def test_her_clinic_admin_resets_it_the_nurse_is_signed_out_and_sets_it_up_again(
    client, clinic_admin, nurse, nurse_phone
):
    client.force_login(clinic_admin)
    response = reset(client, nurse)
    assert response.status_code == 302 and response["Location"] == reverse("account_list")
    assert not TOTPDevice.objects.filter(user=nurse).exists()
    assert not StaticDevice.objects.filter(user=nurse).exists()
    event = AuditEvent.objects.get(action="mfa.reset")
    assert (event.actor, event.object_type, event.object_id) == (clinic_admin, "user", str(nurse.pk))
    assert event.action_label == "Reset a nurse's second factor"
    assert nurse_phone.get(reverse("flag_queue"))["Location"].startswith(reverse("login"))  # her session ended
    assert client.get(reverse("flag_queue")).status_code == 404  # the admin's own session goes on (not a nurse)
    assert client.get(reverse("account_list")).status_code == 200

    response = nurse_phone.post(reverse("login"), {"username": nurse.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("mfa_setup"))


def test_the_reset_shows_on_the_audit_page(client, clinic_admin, nurse, nurse_phone):
    client.force_login(clinic_admin)
    reset(client, nurse)
    assert "Reset a nurse&#x27;s second factor" in client.get(reverse("audit_trail")).content.decode()


@pytest.mark.parametrize("persona", ["other_clinic_admin", "nurse_colleague", "the_nurse", "survivor"])
def test_nobody_else_can_reset_it(client, nurse, nurse_phone, other_clinic, clinic, survivor, persona):
    people = {
        "other_clinic_admin": lambda: ClinicAdminFactory(clinics=[other_clinic]),
        "nurse_colleague": lambda: NurseFactory(clinics=[clinic]),
        "the_nurse": lambda: nurse,
        "survivor": lambda: survivor,
    }
    client.force_login(people[persona]())
    assert reset(client, nurse).status_code == 404
    assert TOTPDevice.objects.filter(user=nurse, confirmed=True).exists()
    assert not AuditEvent.objects.filter(action="mfa.reset").exists()
    assert nurse_phone.get(reverse("flag_queue")).status_code == 200


def test_anonymous_is_sent_to_log_in(client, nurse):
    totp_device_for(nurse)
    response = reset(client, nurse)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert TOTPDevice.objects.filter(user=nurse).exists()


def test_a_clinic_admin_cannot_reset_another_clinic_admin(client, clinic_admin, clinic):
    colleague = ClinicAdminFactory(clinics=[clinic])
    totp_device_for(colleague)
    client.force_login(clinic_admin)
    assert reset(client, colleague).status_code == 404
    assert TOTPDevice.objects.filter(user=colleague).exists()


def test_a_clinic_admin_cannot_reset_before_her_own_second_step(client, clinic_admin, nurse):
    totp_device_for(clinic_admin)
    totp_device_for(nurse)
    client.force_login_password_only(clinic_admin)
    response = reset(client, nurse)
    assert response.status_code == 302 and response["Location"] == reverse("mfa_verify")
    assert TOTPDevice.objects.filter(user=nurse).exists()


def test_a_reset_is_a_post(client, clinic_admin, nurse):
    totp_device_for(nurse)
    client.force_login(clinic_admin)
    assert client.get(reverse("mfa_reset", args=[nurse.pk])).status_code == 405
    assert TOTPDevice.objects.filter(user=nurse).exists()


def test_the_accounts_page_offers_it_for_her_nurses_only(client, clinic_admin, nurse, survivor, clinic):
    colleague = ClinicAdminFactory(clinics=[clinic], full_name="Cora Colleague")
    client.force_login(clinic_admin)
    html = client.get(reverse("account_list")).content.decode()
    assert reverse("mfa_reset", args=[nurse.pk]) in html
    assert 'aria-label="Reset second factor of Nina Nurse"' in html
    for other in (colleague, survivor, clinic_admin):
        assert reverse("mfa_reset", args=[other.pk]) not in html


def test_it_comes_back_to_the_accounts_page_as_she_left_it(client, clinic_admin, nurse):
    totp_device_for(nurse)
    client.force_login(clinic_admin)
    response = client.post(reverse("mfa_reset", args=[nurse.pk]), {"q": "Nina", "page": "1"})
    assert response["Location"] == reverse("account_list") + "?q=Nina&page=1"


def test_a_nurse_who_also_works_for_another_clinic_is_reset_by_a_site_administrator(
    client, nurse, clinic, other_clinic, clinic_admin
):
    """The accounts page's rule: her account is not one clinic admin's alone."""
    nurse.staff_clinics.add(other_clinic)
    totp_device_for(nurse)
    for admin in (clinic_admin, ClinicAdminFactory(clinics=[other_clinic])):
        client.force_login(admin)
        assert reset(client, nurse).status_code == 404
    assert TOTPDevice.objects.filter(user=nurse).exists()


def test_the_service_refuses_an_admin_of_another_clinic(clinic_admin, other_nurse):
    from tracker.mfa.services import FactorError, factors_reset

    totp_device_for(other_nurse)
    with pytest.raises(FactorError):
        factors_reset(by=clinic_admin, nurse=other_nurse)
    assert TOTPDevice.objects.filter(user=other_nurse).exists()
