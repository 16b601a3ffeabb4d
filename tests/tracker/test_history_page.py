"""Her history page (her home page; her page as a nurse opens it): one
statement on PostgreSQL that returns what the ORM definition returns, a
constant number of statements whatever her history, and markup written in
Python that escapes what she typed (tracker/history_page.py,
tracker/templatetags/checkin_cards.py)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from followup.reminders.loop import loop_close
from tests.factories import SurvivorFactory, WeightEntryFactory, entry, record_checkin
from tracker import history_page
from tracker.models import AuditEvent, Flag, Rule, User
from tracker.services.corrections import entry_mark_in_error, weight_mark_in_error


def _rich_history(survivor, report):
    """Everything the page can show: more check-ins than it lists, sites and
    none, notes with markup, an entry and a weight marked entered in error,
    a flag she said she acted on, one she withdrew, one only a failed rule
    opened, a closed one, weights in and out of the chart's 90 days."""
    for _week in range(12):
        record_checkin(survivor, entry("fatigue", None, severity=3, new=False, worse=False))
    jaundice = report(survivor, code="jaundice", site=None, note='<b>yellow</b> & itchy "eyes"', callback=True)
    report(survivor, code="seizure", site=None)
    pain = record_checkin(survivor, entry("pain", "hip", severity=7), entry("headache", None, severity=2))
    loop_close(flag=jaundice["jaundice"], by_survivor=True)
    mistaken = pain.entries.order_by("id").last()
    entry_mark_in_error(survivor=survivor, entry=mistaken)
    taken = Flag.objects.filter(survivor=survivor, status=Flag.Status.OPEN).values("rule")
    failed = Rule.objects.exclude(pk__in=taken).select_related("current").first()
    Flag.objects.create(
        survivor=survivor,
        rule=failed,
        rule_version=failed.current,
        tier="urgent",
        tier_rank=1,
        review_by=timezone.now(),
        status=Flag.Status.OPEN,
        rule_failed=True,
    )
    closed = report(survivor, code="pain", site="lower_back")
    Flag.objects.filter(pk__in=[f.pk for f in closed.values()]).update(status=Flag.Status.CLOSED)
    assert report(survivor, code="pain", site="lower_back", severity=8)  # open again
    for days_ago, kg in ((200, "71.3"), (60, "70.6"), (30, "70.1"), (2, "69.85")):
        WeightEntryFactory(survivor=survivor, kg=Decimal(kg), recorded_at=timezone.now() - dt.timedelta(days=days_ago))
    typo = WeightEntryFactory(survivor=survivor, kg=Decimal("40"), recorded_at=timezone.now() - dt.timedelta(days=1))
    weight_mark_in_error(survivor=survivor, weight=typo)


def _flags(flags):
    return [
        (f.pk, f.tier, f.tier_rank, f.created_at, f.entered_in_error_at, f.rule_version_id, f.rule_version.advice,
         f.rule_version.advice_es, f.contacted_at, f.withdrawn)
        for f in flags
    ]  # fmt: skip


@pytest.mark.postgresql
@pytest.mark.parametrize("unit", ["kg", "lb"])
def test_the_statement_returns_what_the_orm_definition_returns(survivor, report, unit):
    assert connection.vendor == "postgresql"
    User.objects.filter(pk=survivor.pk).update(weight_unit=unit)
    survivor.refresh_from_db()
    _rich_history(survivor, report)
    # One withdrawn flag (all that raised it entered in error), listed apart.
    seizure = survivor.symptom_entries.get(symptom__code="seizure")
    entry_mark_in_error(survivor=survivor, entry=seizure)

    orm = history_page.history_page_orm(survivor=survivor, days=90)
    sql = history_page.history_page_sql(survivor=User.objects.get(pk=survivor.pk), days=90, reader=survivor)

    clinic = [orm.clinic.pk, orm.clinic.name, orm.clinic.care_team_phone, orm.clinic.emergency_number]
    assert [sql.clinic.pk, sql.clinic.name, sql.clinic.care_team_phone, sql.clinic.emergency_number] == clinic
    assert _flags(sql.open_flags) == _flags(orm.open_flags)
    assert _flags(sql.withdrawn_flags) == _flags(orm.withdrawn_flags)
    assert sql.recent_checkins == orm.recent_checkins
    assert sql.symptoms == orm.symptoms
    assert sql.weights == orm.weights
    # And the data is what it should be, not two equal mistakes.
    assert len(orm.recent_checkins) == history_page.RECENT_CHECKINS
    ranks = [f.tier_rank for f in orm.open_flags]
    assert len(ranks) >= 2 and ranks == sorted(ranks)  # highest tier first
    assert any(f.contacted_at for f in orm.open_flags)
    assert not any(f.rule_failed for f in Flag.objects.filter(pk__in=[f.pk for f in orm.open_flags]))
    assert [f.tier for f in orm.withdrawn_flags] == ["emergency"]
    assert [w["y"] for w in orm.weights] == (
        [70.6, 70.1, 69.8] if unit == "kg" else [155.6, 154.5, 154.0]
    )  # in her unit, her typo left out, the 200-day-old weight too
    assert any(e.entered_in_error_at for c in orm.recent_checkins for e in c.entries)


@pytest.mark.postgresql
def test_her_home_page_costs_the_same_statements_whatever_her_history(client, survivor, report):
    def cost():
        client.force_login(survivor)
        client.get("/")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        return len(queries)

    newcomer = SurvivorFactory(clinic=survivor.clinic)
    record_checkin(newcomer, entry("fatigue", None, severity=3))
    short = None
    client.force_login(newcomer)
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    short = len(queries)
    _rich_history(survivor, report)
    # session, user, the page in one statement, her notices
    assert cost() == short == 4


def test_what_she_typed_is_escaped_and_her_own_entries_offer_a_correction(client, survivor, same_clinic_survivor):
    record_checkin(survivor, entry("headache", None, note='<script>alert("x")</script> & <b>bold</b>'))
    client.force_login(survivor)
    page = client.get("/").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    mine = survivor.symptom_entries.get()
    assert reverse("entry_entered_in_error", args=[mine.pk]) in page
    assert reverse("checkin_detail", args=[mine.checkin_id]) in page


@pytest.mark.postgresql
def test_a_nurse_sees_the_same_cards_without_the_correction_link(client, nurse, survivor):
    record_checkin(survivor, entry("headache", None, note="since Monday"))
    client.force_login(nurse)
    client.get(reverse("staff_home"))  # a session's first request also records the session
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("survivor_history", args=[survivor.pk])).content.decode()
    # session, user, her second factor's device (django-otp), her (the
    # permission check), the page and its audit row in one statement
    assert len(queries) == 5
    mine = survivor.symptom_entries.get()
    assert "since Monday" in page and "Headache" in page
    assert reverse("entry_entered_in_error", args=[mine.pk]) not in page
    assert survivor.full_name not in page.split("<title>")[1].split("</title>")[0]
    read = AuditEvent.objects.get(action="survivor.history.view")
    assert (read.actor, read.survivor, read.object_type, read.object_id) == (nurse, survivor, "user", str(survivor.pk))


def test_her_own_reads_write_no_audit_row_on_either_path(client, survivor):
    record_checkin(survivor, entry("headache", None))
    client.force_login(survivor)
    assert client.get("/").status_code == 200
    history_page.history_page_orm(survivor=survivor, days=90)
    assert not AuditEvent.objects.exists()


def test_the_orm_path_audits_a_nurses_read_as_the_statement_does(nurse, survivor, monkeypatch):
    monkeypatch.setattr(history_page.connection, "vendor", "sqlite")  # the path `make run` takes
    record_checkin(survivor, entry("headache", None))
    page = history_page.history_page(survivor=survivor, days=90, reader=nurse)
    assert [c.entries[0].symptom for c in page.recent_checkins] == ["Headache"]
    read = AuditEvent.objects.get(action="survivor.history.view")
    assert (read.actor, read.survivor, read.object_type, read.object_id) == (nurse, survivor, "user", str(survivor.pk))
