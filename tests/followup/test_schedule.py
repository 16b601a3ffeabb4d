"""Weekly check-ins, nudges, the no-check-in call list, escalation, /healthz,
preferences and the admin pages."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from followup.models import FlagFollowup, Heartbeat, Message, Preferences
from followup.reminders.delivery import deliver
from followup.reminders.schedule import cadence_plan
from followup.reminders.sweep import sweep
from followup.triage.reads import call_list_no_recent_checkin
from tests.factories import CheckInFactory, NurseFactory, SurvivorFactory


def test_the_weekly_checkin_is_due_on_her_day_and_hour_in_her_zone(survivor):
    Preferences.objects.create(survivor=survivor, checkin_weekday=3, checkin_hour=9)  # Thursday 09:00 New York
    sweep()  # Tuesday 2 June 2026, 11:00 in New York
    reminder = Message.objects.get(recipient=survivor, kind="checkin", channel="email")
    assert reminder.due_at == dt.datetime(2026, 6, 4, 13, 0, tzinfo=dt.UTC)
    assert reminder.iso_week == "2026-W23"
    nudge = Message.objects.get(recipient=survivor, kind="nudge", channel="email")
    assert nudge.due_at - reminder.due_at == dt.timedelta(days=2)
    sweep()
    assert Message.objects.filter(recipient=survivor, kind="checkin").count() == 3  # one per channel, once


def test_a_day_already_past_this_week_means_next_week(survivor):
    Preferences.objects.create(survivor=survivor, checkin_weekday=0, checkin_hour=10)  # Monday
    sweep()
    reminder = Message.objects.get(recipient=survivor, kind="checkin", channel="email")
    assert reminder.iso_week == "2026-W24"


def test_the_checkin_reminder_is_sent_and_the_nudge_skipped_if_she_checked_in(survivor):
    Preferences.objects.create(survivor=survivor, checkin_weekday=3, checkin_hour=9)
    sweep()
    with time_machine.travel(dt.datetime(2026, 6, 4, 13, 0, 30, tzinfo=dt.UTC), tick=False):
        for pk in sweep():
            deliver(message_id=pk)
    assert [m.subject for m in mail.outbox] == ["Time for your weekly check-in"]
    with time_machine.travel(dt.datetime(2026, 6, 5, 14, tzinfo=dt.UTC), tick=False):
        CheckInFactory(survivor=survivor)
    with time_machine.travel(dt.datetime(2026, 6, 6, 13, 0, 30, tzinfo=dt.UTC), tick=False):
        results = [deliver(message_id=pk) for pk in sweep()]
    nudges = Message.objects.filter(recipient=survivor, kind="nudge", iso_week="2026-W23")
    assert set(nudges.values_list("state", flat=True)) == {"cancelled"}
    assert "sent" not in results or len(mail.outbox) == 1


def test_a_missed_checkin_gets_one_nudge(survivor):
    Preferences.objects.create(survivor=survivor, checkin_weekday=3, checkin_hour=9)
    sweep()
    with time_machine.travel(dt.datetime(2026, 6, 6, 13, 0, 30, tzinfo=dt.UTC), tick=False):
        for pk in sweep():
            deliver(message_id=pk)
    subjects = [m.subject for m in mail.outbox]
    assert subjects.count("A gentle reminder: your weekly check-in") == 1


def test_five_days_without_a_checkin_puts_her_on_the_call_list(survivor, nurse, other_nurse):
    CheckInFactory(survivor=survivor, created_at=timezone.now() - dt.timedelta(days=4))
    quiet = SurvivorFactory(clinic=survivor.clinic)
    CheckInFactory(survivor=quiet, created_at=timezone.now() - dt.timedelta(days=6))
    never = SurvivorFactory(clinic=survivor.clinic)
    listed = list(call_list_no_recent_checkin(user=nurse))
    assert quiet in listed and never in listed and survivor not in listed
    assert list(call_list_no_recent_checkin(user=other_nurse)) == []


def test_an_unopened_emergency_flag_escalates_once_to_its_clinics_nurses(survivor, nurse, other_nurse, report):
    second_nurse = NurseFactory(clinics=[survivor.clinic])
    flag = report(survivor, code="seizure", site=None)["seizure"]
    sweep()
    assert not Message.objects.filter(kind="escalation").exists()
    later = timezone.now() + dt.timedelta(hours=1, minutes=1)
    sweep(now=later)
    sweep(now=later + dt.timedelta(minutes=5))
    escalations = Message.objects.filter(kind="escalation", flag=flag)
    assert set(escalations.values_list("recipient", flat=True)) == {nurse.pk, second_nurse.pk}
    assert FlagFollowup.objects.get(flag=flag).overdue_at is not None


def test_an_opened_flag_does_not_escalate(client, survivor, nurse, report):
    flag = report(survivor, code="seizure", site=None)["seizure"]
    client.force_login(nurse)
    assert client.get(reverse("nurse_flag", args=[flag.pk])).status_code == 200
    sweep(now=timezone.now() + dt.timedelta(hours=2))
    assert not Message.objects.filter(kind="escalation").exists()


def test_the_escalation_email_says_please_log_in_and_nothing_clinical(survivor, nurse, report):
    flag = report(survivor, code="seizure", site=None)["seizure"]
    later = timezone.now() + dt.timedelta(hours=1, minutes=1)
    with time_machine.travel(later, tick=False):
        for pk in sweep():
            deliver(message_id=pk)
    [email] = [m for m in mail.outbox if m.to == [nurse.email]]
    assert "log in" in email.body and f"/staff/flags/{flag.pk}/" in email.body
    assert "seizure" not in email.body.lower() and survivor.full_name not in email.body


def test_healthz_is_ok_with_a_recent_sweep_and_503_when_stale(db, client):
    Heartbeat.objects.create(name="sweep", at=timezone.now() - dt.timedelta(seconds=30))
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["database"] == "ok" and response.json()["broker"] == "ok"
    Heartbeat.objects.filter(name="sweep").update(at=timezone.now() - dt.timedelta(minutes=4))
    response = client.get(reverse("healthz"))
    assert response.status_code == 503 and response.json()["status"] == "unhealthy"


def test_healthz_is_503_when_the_sweep_never_ran_or_the_broker_is_down(db, client, settings):
    assert client.get(reverse("healthz")).status_code == 503
    Heartbeat.objects.create(name="sweep", at=timezone.now())
    from config.celery import app

    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        response = client.get(reverse("healthz"))
    finally:
        app.conf.broker_url = old
    assert response.status_code == 503 and response.json()["broker"].startswith("error")


def post_prefs(client, **over):
    data = {
        "time_zone": "Europe/London",
        "weight_unit": "kg",
        "email_on": "on",
        "in_app_on": "on",
        "phone": "",
        "checkin_weekday": "4",
        "checkin_hour": "18",
    }
    data.update(over)
    return client.post(reverse("preferences"), {k: v for k, v in data.items() if v is not None})


def test_preferences_save_channels_day_hour_and_zone(client, survivor):
    client.force_login(survivor)
    response = post_prefs(client, sms_on="on", phone="+44 20 7946 0000")
    assert response.status_code == 302
    prefs = Preferences.objects.get(survivor=survivor)
    survivor.refresh_from_db()
    assert (prefs.sms_on, prefs.phone, prefs.checkin_weekday, prefs.checkin_hour) == (True, "+44 20 7946 0000", 4, 18)
    assert survivor.time_zone == "Europe/London"


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"sms_on": "on", "phone": ""}, "phone", "Add your mobile number"),
        ({"phone": "call me maybe"}, "phone", "digits only"),
        ({"email_on": None, "in_app_on": None}, "in_app_on", "at least one way"),
        ({"checkin_hour": "23"}, "checkin_hour", "between 8:00 AM and 8:00 PM."),
    ],
)
def test_bad_preferences_are_explained_beside_the_field(client, survivor, over, field, message):
    client.force_login(survivor)
    response = post_prefs(client, **over)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])


def test_the_admin_sees_failed_messages_of_her_clinic_and_can_retry(client, clinic_admin, survivor, report):
    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    failed = Message.objects.filter(flag=flag, channel="email", sequence=1).get()
    Message.objects.filter(pk=failed.pk).update(state="failed", last_error="mail server: timeout")
    other = SurvivorFactory()
    Message.objects.create(
        kind="checkin",
        channel="email",
        recipient=other,
        survivor=other,
        clinic=other.clinic,
        dedupe_key="x",
        due_at=timezone.now(),
        state="failed",
    )
    client.force_login(clinic_admin)
    page = client.get(reverse("message_list") + "?state=failed")
    assert [m.pk for m in page.context["page"]] == [failed.pk]
    assert client.post(reverse("message_retry", args=[failed.pk])).status_code == 302
    failed.refresh_from_db()
    assert (failed.state, failed.tries) == ("pending", 0)


def test_the_admin_sets_her_clinics_cadence(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    page = client.get(reverse("cadence_edit"))
    emergency = page.context["forms"]["emergency"]
    assert (emergency.initial["every"], emergency.initial["every_unit"]) == (2, "hours")
    data = {}
    for tier, (first, every, count) in {
        "emergency": ((0, "hours"), (60, "minutes"), 8),
        "urgent": ((0, "hours"), (12, "hours"), 4),
        "routine": ((1, "hours"), (1, "days"), 2),
    }.items():
        data |= {f"{tier}-first_after": first[0], f"{tier}-first_after_unit": first[1]}
        data |= {f"{tier}-every": every[0], f"{tier}-every_unit": every[1], f"{tier}-max_count": count}
    assert client.post(reverse("cadence_edit"), data).status_code == 302
    assert cadence_plan(clinic_id=clinic.pk, tier="urgent").every == dt.timedelta(hours=12)
    assert cadence_plan(clinic_id=clinic.pk, tier="routine").first_after == dt.timedelta(hours=1)
    data["urgent-every"] = -5
    response = client.post(reverse("cadence_edit"), data)
    assert response.status_code == 200 and response.context["forms"]["urgent"].errors
