"""Flags become contact-your-provider reminders; closing the loop stops them."""

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from followup.admin_actions import cadence_save
from followup.models import Cadence, Message
from followup.reminders.loop import flag_survivor_confirm_contact
from followup.reminders.schedule import cadence_plan
from followup.triage.actions import flag_nurse_contact, flag_nurse_resolve
from tracker.models import Flag


def reminders(flag, state=None):
    rows = Message.objects.filter(flag=flag, kind="reminder")
    return rows.filter(state=state) if state else rows


@pytest.mark.parametrize(
    ("code", "site", "slug", "count", "first", "every"),
    [
        ("seizure", None, "seizure", 6, dt.timedelta(0), dt.timedelta(hours=2)),
        ("jaundice", None, "jaundice", 5, dt.timedelta(0), dt.timedelta(hours=24)),
        ("dizziness", None, "dizziness-new", 3, dt.timedelta(days=1), dt.timedelta(days=7)),
    ],
)
def test_a_flag_writes_its_reminders_at_the_tiers_cadence(survivor, report, code, site, slug, count, first, every):
    with time_machine.travel(dt.datetime(2026, 3, 3, 15, tzinfo=dt.UTC), tick=False):
        flag = report(survivor, code=code, site=site)[slug]
        rows = reminders(flag).order_by("sequence", "channel")
        assert rows.count() == count * 3  # email, SMS and in-app
        email = [m for m in rows if m.channel == "email"]
        assert [m.sequence for m in email] == list(range(1, count + 1))
        now = timezone.now()
        assert [m.due_at - now for m in email] == [first + n * every for n in range(count)]
        assert all(m.urgent == (flag.tier == "emergency") for m in rows)


def test_reminder_rows_roll_back_with_the_flag(survivor, report):
    with pytest.raises(RuntimeError), transaction.atomic():
        report(survivor, code="seizure", site=None)
        assert Message.objects.exists()  # written in the same transaction...
        raise RuntimeError("the check-in fails after the flag")
    assert not Message.objects.exists()  # ...so they vanish with it
    assert not Flag.objects.exists()


def test_a_clinic_can_set_its_own_cadence(survivor, report, clinic):
    Cadence.objects.create(clinic=clinic, tier="urgent", first_after_minutes=30, every_minutes=60, max_count=2)
    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    email = list(reminders(flag).filter(channel="email").order_by("sequence"))
    assert len(email) == 2
    assert email[1].due_at - email[0].due_at == dt.timedelta(hours=1)
    assert email[0].due_at - flag.created_at >= dt.timedelta(minutes=29)


def test_a_raised_tier_replaces_pending_reminders_with_the_faster_cadence(survivor, report, clinic_admin):
    from tracker.models import Rule
    from tracker.services.rules import RULE_FIELDS, rule_save

    flag = report(survivor, code="headache", site=None, severity=8)["headache"]
    assert reminders(flag, "pending").count() == 15
    rule = Rule.objects.get(slug="headache")
    data = {n: getattr(rule.current, n) for n in RULE_FIELDS}
    rule_save(by=clinic_admin, slug="headache", rule=rule, data={**data, "tier": "emergency"})
    report(survivor, code="headache", site=None, severity=8)
    assert reminders(flag, "cancelled").count() == 15
    fresh = reminders(flag, "pending").filter(channel="email").order_by("sequence")
    assert [m.sequence for m in fresh] == [6, 7, 8, 9, 10, 11]
    assert all(m.urgent for m in fresh)


def test_a_later_match_on_an_open_flag_adds_no_reminders(survivor, report):
    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    report(survivor, code="jaundice", site=None)
    assert reminders(flag).count() == 15


def test_her_confirmation_stops_the_reminders(survivor, report):
    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    cancelled = flag_survivor_confirm_contact(flag=flag, survivor=survivor)
    assert cancelled == 15
    assert not reminders(flag).exclude(state="cancelled").exists()
    assert flag.followup.survivor_contacted_at is not None


def test_a_nurse_contact_stops_the_reminders_and_is_audited(survivor, nurse, report):
    from tracker.models import AuditEvent

    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    flag_nurse_contact(flag=flag, nurse=nurse)
    assert not reminders(flag, "pending").exists()
    assert AuditEvent.objects.filter(actor=nurse, action="flag.contact").exists()


def test_resolving_closes_the_flag_with_its_outcome_and_stops_reminders(survivor, nurse, report, clinic_admin, client):
    from django.urls import reverse

    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    flag_nurse_resolve(flag=flag, nurse=nurse, outcome="appointment")
    flag.refresh_from_db()
    assert (flag.status, flag.outcome) == ("closed", "appointment")
    assert not reminders(flag, "pending").exists()
    client.force_login(clinic_admin)
    rules = {r.slug: r for r in client.get(reverse("rule_list")).context["rules"]}
    assert rules["jaundice"].confirmed == 1


def test_the_survivor_confirms_from_the_link_after_login(client, survivor, report):
    from django.urls import reverse

    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    url = reverse("flag_contacted", args=[flag.pk])
    assert client.get(url).status_code == 302  # login first
    client.force_login(survivor)
    assert "Did you contact your care team?" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert not reminders(flag, "pending").exists()


def test_the_home_page_offers_i_contacted_my_care_team(client, survivor, report):
    from django.urls import reverse

    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    client.force_login(survivor)
    page = client.get(reverse("home")).content.decode()
    assert reverse("flag_contacted", args=[flag.pk]) in page
    assert "I contacted my care team" in page


# ------------------------------------------------------------ the cadence's clinical range (issue 11, section 5)


@pytest.mark.parametrize(
    ("field", "value", "unit", "message"),
    [
        ("first_after", 7 * 24 * 60 + 1, "minutes", "At most 7 days (10,080 minutes)."),
        ("first_after", 8, "days", "At most 7 days (10,080 minutes)."),
        ("every", 30 * 24 * 60 + 1, "minutes", "At most 30 days (43,200 minutes)."),
        ("every", 2**31 - 1, "minutes", "At most 30 days (43,200 minutes)."),
        ("every", 10**30, "days", "At most 30 days (43,200 minutes)."),
        ("every", 29, "minutes", "At least 30 minutes."),
        ("max_count", 21, None, "At most 20 reminders."),
        ("max_count", 0, None, "At least 1 reminder."),
    ],
)
def test_the_cadence_page_keeps_each_value_in_its_clinical_range(
    client, clinic_admin, clinic, field, value, unit, message
):
    from django.urls import reverse

    client.force_login(clinic_admin)
    data = {}
    for tier in ("emergency", "urgent", "routine"):
        data |= {f"{tier}-first_after": 0, f"{tier}-first_after_unit": "hours", f"{tier}-every": 1}
        data |= {f"{tier}-every_unit": "hours", f"{tier}-max_count": 3}
    data[f"urgent-{field}"] = value
    if unit:
        data[f"urgent-{field}_unit"] = unit
    response = client.post(reverse("cadence_edit"), data)
    assert response.status_code == 200
    assert response.context["forms"]["urgent"].errors[field] == [message]
    assert response.context["forms"]["urgent"][field].value() == str(value)  # kept as typed
    assert not Cadence.objects.exists()


def test_cadence_save_checks_the_range_before_it_writes(clinic, clinic_admin):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        cadence_save(
            clinic=clinic, tier="urgent", first_after_minutes=0, every_minutes=10**9, max_count=3, by=clinic_admin
        )
    assert "every_minutes" in error.value.message_dict
    assert not Cadence.objects.exists()
    saved = cadence_save(
        clinic=clinic, tier="urgent", first_after_minutes=0, every_minutes=43_200, max_count=20, by=clinic_admin
    )
    assert cadence_plan(clinic_id=clinic.pk, tier="urgent").every == dt.timedelta(days=30)
    again = cadence_save(
        clinic=clinic, tier="urgent", first_after_minutes=5, every_minutes=60, max_count=2, by=clinic_admin
    )
    assert again.pk == saved.pk and Cadence.objects.count() == 1


def test_the_database_holds_the_range_for_the_scheduler_that_reads_it_in_sql(clinic):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        Cadence.objects.create(clinic=clinic, tier="urgent", first_after_minutes=0, every_minutes=10**9, max_count=3)


def out_of_range_row(clinic) -> Cadence:
    """A row as saved before the bounds: the checks dropped for this test only
    (PostgreSQL's DDL rolls back with the test's transaction)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for name in ("cadence_first_in_range", "cadence_every_in_range", "cadence_count_in_range"):
            cursor.execute(f"ALTER TABLE followup_cadence DROP CONSTRAINT {name}")  # noqa: S608
    return Cadence.objects.create(
        clinic=clinic, tier="urgent", first_after_minutes=2**31 - 1, every_minutes=2**31 - 1, max_count=500
    )


@pytest.mark.postgresql
def test_the_scheduler_clamps_a_row_saved_before_the_bounds(clinic, caplog):
    out_of_range_row(clinic)
    plan = cadence_plan(clinic_id=clinic.pk, tier="urgent")
    assert (plan.first_after, plan.every, plan.max_count) == (dt.timedelta(days=7), dt.timedelta(days=30), 20)
    assert any("out of range; clamped" in r.getMessage() for r in caplog.records)
    timezone.now() + plan.first_after + (plan.max_count - 1) * plan.every  # no overflow


@pytest.mark.postgresql
def test_the_migration_clamps_rows_saved_before_the_bounds(clinic):
    import importlib

    from django.apps import apps

    row = out_of_range_row(clinic)
    importlib.import_module("followup.migrations.0003_cadence_bounds").clamp_out_of_range(apps, None)
    row.refresh_from_db()
    assert (row.first_after_minutes, row.every_minutes, row.max_count) == (10_080, 43_200, 20)
