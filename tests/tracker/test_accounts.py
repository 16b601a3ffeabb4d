"""The clinic admin's accounts page (/admin-pages/accounts/) and every other
place an account is deactivated, re-activated or given a new password (the
Django admin): each ends the person's sessions for good, so re-activating
her never revives an old cookie."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import ClinicAdminFactory, NurseFactory, SurvivorFactory
from tracker.models import AuditEvent, User, UserSession


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def is_in(client, user) -> bool:
    response = client.get(reverse("home") if user.is_survivor else reverse("session_list"))
    return not (response.status_code == 302 and response["Location"].startswith(reverse("login")))


@pytest.fixture
def other_admin(other_clinic):
    return ClinicAdminFactory(clinics=[other_clinic], full_name="Oona Otheradmin")


def test_it_lists_her_clinics_people_with_role_state_and_last_sign_in(
    client_for, clinic_admin, survivor, nurse, other_nurse, other_clinic
):
    SurvivorFactory(clinic=other_clinic, full_name="Hanna Hillside")
    nurse.is_active = False
    nurse.save(update_fields=["is_active"])
    html = client_for(clinic_admin).get(reverse("account_list")).content.decode()
    assert "Sara Survivor" in html and "Nina Nurse" in html and "Ada Admin" in html
    assert "Otto Outsider" not in html and "Hanna Hillside" not in html
    assert "Survivor" in html and "Nurse" in html and "Clinic admin" in html
    assert "Deactivated" in html and f'action="{reverse("account_reactivate", args=[nurse.pk])}"' in html
    assert f'action="{reverse("account_deactivate", args=[survivor.pk])}"' in html
    assert "Never" in html  # last sign-in


def test_it_shows_no_health_data(client_for, clinic_admin, survivor, report):
    report(survivor, "pain", note="private words about my hip")
    html = client_for(clinic_admin).get(reverse("account_list")).content.decode()
    assert "private words" not in html and "Hip" not in html and "Pain" not in html


def test_search_by_name_and_pages_of_fifty(client_for, clinic_admin, clinic):
    for n in range(55):
        SurvivorFactory(clinic=clinic, full_name=f"Person {n:02d}")
    admin = client_for(clinic_admin)
    first = admin.get(reverse("account_list")).content.decode()
    assert "Page 1 of 2" in first
    second = admin.get(reverse("account_list"), {"page": 2}).content.decode()
    assert "Person 54" in second and "Person 00" not in second
    found = admin.get(reverse("account_list"), {"q": "son 07"}).content.decode()
    assert "Person 07" in found and "Person 08" not in found
    assert "Nobody of your clinics" in admin.get(reverse("account_list"), {"q": "x" * 500}).content.decode()


def test_deactivating_ends_her_sessions_for_good_and_is_audited(client_for, clinic_admin, nurse):
    hers = signed_in(nurse)
    assert is_in(hers, nurse)
    response = client_for(clinic_admin).post(reverse("account_deactivate", args=[nurse.pk]), {"q": "Nina"})
    assert response.status_code == 302 and response["Location"] == reverse("account_list") + "?q=Nina"
    nurse.refresh_from_db()
    assert not nurse.is_active
    assert not is_in(hers, nurse)
    assert not UserSession.objects.filter(user=nurse).exists()
    event = AuditEvent.objects.get(action="account.deactivate")
    assert (event.actor, event.survivor, event.object_type, event.object_id) == (
        clinic_admin,
        None,
        "user",
        str(nurse.pk),
    )
    assert event.action_label == "Deactivated an account"


@pytest.mark.parametrize("looked_while_deactivated", [False, True])
def test_a_reactivated_persons_old_cookie_stays_dead(client_for, clinic_admin, survivor, looked_while_deactivated):
    old = signed_in(survivor)
    assert is_in(old, survivor)
    admin = client_for(clinic_admin)
    admin.post(reverse("account_deactivate", args=[survivor.pk]))
    if looked_while_deactivated:
        assert not is_in(old, survivor)
    admin.post(reverse("account_reactivate", args=[survivor.pk]))
    survivor.refresh_from_db()
    assert survivor.is_active
    assert not is_in(old, survivor)  # today's bug: the old cookie came back
    assert is_in(signed_in(survivor), survivor)  # a new sign-in works
    event = AuditEvent.objects.get(action="account.reactivate")
    assert (event.actor, event.survivor) == (clinic_admin, survivor)
    assert event.action_label == "Re-activated an account"


def test_a_second_click_changes_nothing(client_for, clinic_admin, survivor):
    admin = client_for(clinic_admin)
    admin.post(reverse("account_deactivate", args=[survivor.pk]))
    stamp = User.objects.get(pk=survivor.pk).session_stamp
    admin.post(reverse("account_deactivate", args=[survivor.pk]))
    assert User.objects.get(pk=survivor.pk).session_stamp == stamp
    assert AuditEvent.objects.filter(action="account.deactivate").count() == 1


@pytest.mark.parametrize("action", ["account_deactivate", "account_reactivate"])
@pytest.mark.parametrize("outsider", ["nurse", "survivor", "other_admin", "same_clinic_survivor", "anonymous"])
def test_outsiders_can_not_change_an_account(request, client_for, survivor, action, outsider):
    target = request.getfixturevalue("nurse") if outsider == "survivor" else survivor
    target.is_active = action == "account_deactivate"
    target.save(update_fields=["is_active"])
    person = None if outsider == "anonymous" else request.getfixturevalue(outsider)
    response = client_for(person).post(reverse(action, args=[target.pk]))
    if person is None:
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == 404
    assert User.objects.get(pk=target.pk).is_active is (action == "account_deactivate")
    assert not AuditEvent.objects.filter(action__startswith="account.").exists()


@pytest.mark.parametrize("outsider", ["nurse", "survivor", "other_nurse"])
def test_only_clinic_admins_see_the_page(client_for, request, outsider):
    assert client_for(request.getfixturevalue(outsider)).get(reverse("account_list")).status_code == 404


def test_another_clinics_admin_sees_only_her_own_people(client_for, other_admin, survivor, nurse):
    html = client_for(other_admin).get(reverse("account_list")).content.decode()
    assert "Sara Survivor" not in html and "Nina Nurse" not in html and "Oona Otheradmin" in html


def test_not_herself_a_superuser_or_someone_who_also_works_elsewhere(client_for, clinic_admin, clinic, other_clinic):
    shared = NurseFactory(clinics=[clinic, other_clinic], full_name="Sam Shared")
    boss = User.objects.create_superuser("boss@example.org", "a-long-superuser-password-7", full_name="Boss")
    boss.staff_clinics.add(clinic)
    admin = client_for(clinic_admin)
    html = admin.get(reverse("account_list")).content.decode()
    assert "Also works for another clinic" in html and "Site administrator" in html and ">You<" in html
    for account in (clinic_admin, shared, boss):
        assert admin.post(reverse("account_deactivate", args=[account.pk])).status_code == 404
        assert User.objects.get(pk=account.pk).is_active


# ---------------------------------------------------------------- the Django admin


def test_deactivating_in_the_django_admin_ends_her_sessions_and_is_audited(superuser, nurse):
    hers = signed_in(nurse)
    assert is_in(hers, nurse)
    admin = signed_in(superuser)
    url = reverse("admin:tracker_user_change", args=[nurse.pk])
    form = {
        "email": nurse.email,
        "full_name": nurse.full_name,
        "role": nurse.role,
        "staff_clinics": [c.pk for c in nurse.staff_clinics.all()],
        "time_zone": nurse.time_zone,
        "weight_unit": nurse.weight_unit,
        # is_active left out: unticked
    }
    response = admin.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not User.objects.get(pk=nurse.pk).is_active
    assert not is_in(hers, nurse)
    assert AuditEvent.objects.filter(action="account.deactivate", actor=superuser).exists()
    admin.post(url, {**form, "is_active": "on"})
    assert User.objects.get(pk=nurse.pk).is_active
    assert not is_in(hers, nurse)
    assert AuditEvent.objects.filter(action="account.reactivate", actor=superuser).exists()


def test_a_password_set_in_the_django_admin_ends_her_sessions_for_good(superuser, survivor):
    hers = signed_in(survivor)
    assert is_in(hers, survivor)
    admin = signed_in(superuser)
    new = "set-by-the-admin-77"
    response = admin.post(
        reverse("admin:auth_user_password_change", args=[survivor.pk]),
        {"password1": new, "password2": new, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not is_in(hers, survivor)
    assert User.objects.get(pk=survivor.pk).session_stamp


def test_an_admin_who_sets_her_own_password_in_the_django_admin_stays_signed_in(superuser):
    laptop, phone = signed_in(superuser), signed_in(superuser)
    phone.get(reverse("admin:index"))
    new = "my-own-new-password-88"
    response = laptop.post(
        reverse("admin:auth_user_password_change", args=[superuser.pk]),
        {"password1": new, "password2": new, "usable_password": "true"},
    )
    assert response.status_code == 302
    assert laptop.get(reverse("admin:index")).status_code == 200
    assert phone.get(reverse("admin:index")).status_code == 302
    assert list(UserSession.objects.filter(user=superuser).values_list("session_key", flat=True)) == [
        laptop.cookies[settings.SESSION_COOKIE_NAME].value
    ]
