"""Every flag has exactly one follow-up row from the moment it is raised:
written with her reminders in the check-in's transaction
(followup/reminders/schedule.py), a failed rule's flag and a flag whose
reminders failed included, and for flags older than that by migration 0005.
Claims, contacts, "first opened" and escalation read it, never create it."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from followup import cadence
from followup.models import FlagFollowup, Message
from followup.reminders.sweep import sweep
from followup.triage.actions import flag_claim
from tests.factories import entry, record_checkin
from tracker.models import Flag, Rule
from tracker.rules import engine


@pytest.fixture
def breaks(monkeypatch):
    """Make the named rule raise whenever it runs (a bug in one rule)."""
    real = engine._evaluate_one

    def make(slug: str) -> Rule:
        def broken(rule, *args, **kwargs):
            if rule.slug == slug:
                raise KeyError("broken on purpose")
            return real(rule, *args, **kwargs)

        monkeypatch.setattr(engine, "_evaluate_one", broken)
        return Rule.objects.get(slug=slug)

    return make


def followups_by_flag(survivor) -> dict[str, int]:
    """Each of her flags (tier, or "review" for a failed rule's) -> how many follow-up rows it has."""
    return {
        f"{flag.rule.slug} {'review' if flag.rule_failed else flag.tier}": FlagFollowup.objects.filter(
            flag=flag
        ).count()
        for flag in Flag.objects.filter(survivor=survivor).select_related("rule")
    }


def test_every_flag_a_checkin_raises_has_one_followup_row(default_rules, survivor, breaks):
    breaks("bone-pain-new-or-worse")
    record_checkin(
        survivor,
        entry("seizure", None),  # emergency
        entry("jaundice", None),  # urgent
        entry("dizziness", None, severity=3),  # routine
        entry("pain", "hip"),  # the broken rule: a review flag, no reminders
    )
    rows = followups_by_flag(survivor)
    assert {"seizure emergency", "jaundice urgent", "dizziness-new routine", "bone-pain-new-or-worse review"} <= set(
        rows
    )
    assert set(rows.values()) == {1}
    review = Flag.objects.get(survivor=survivor, rule__slug="bone-pain-new-or-worse")
    assert not Message.objects.filter(flag=review).exists()  # still no reminders for it

    record_checkin(survivor, entry("seizure", None), entry("pain", "hip"))  # attaches to the open flags
    assert set(followups_by_flag(survivor).values()) == {1}


def test_a_checkin_whose_only_flag_is_a_failed_rules_writes_its_followup_row(default_rules, survivor, breaks):
    """Nothing to remind her of, so nothing asked for reminders: the row is
    written all the same (a nurse claims it; it escalates if nobody opens it)."""
    breaks("bone-pain-new-or-worse")
    record_checkin(survivor, entry("pain", "hip"))
    flag = Flag.objects.get(survivor=survivor)
    assert flag.rule_failed and followups_by_flag(survivor) == {"bone-pain-new-or-worse review": 1}


def test_her_flags_keep_their_followup_rows_when_her_reminders_fail(
    default_rules, survivor, nurse, monkeypatch, caplog
):
    """A cadence that overflows the date fails her reminders (in SQL on
    PostgreSQL, in Python elsewhere): the check-in and flags are kept, and so
    is each flag's follow-up row, so that a nurse can claim it and it
    escalates if nobody opens it."""
    forever = cadence.Plan(dt.timedelta(days=999_999_999), dt.timedelta(days=1), 1)
    for tier in list(cadence.DEFAULT_CADENCE):
        monkeypatch.setitem(cadence.DEFAULT_CADENCE, tier, forever)
    record_checkin(survivor, entry("seizure", None), entry("jaundice", None))
    assert any("not scheduled" in r.getMessage() for r in caplog.records)
    assert not Message.objects.filter(survivor=survivor).exists()
    assert followups_by_flag(survivor) == {"seizure emergency": 1, "jaundice urgent": 1}

    seizure = Flag.objects.get(survivor=survivor, rule__slug="seizure")
    flag_claim(flag=seizure, nurse=nurse)
    sweep(now=timezone.now() + dt.timedelta(hours=2))
    assert Message.objects.filter(kind="escalation", flag=seizure, recipient=nurse).exists()


# ------------------------------------------------------------ flags older than this


BEFORE = ("followup", "0004_health_index")
BACKFILL = ("followup", "0005_flagfollowup_for_every_flag")


def migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_writes_the_missing_followup_rows_of_older_flags(default_rules, survivor, nurse):
    """Back before migration 0005, flags as the code before it left them: a
    failed rule's flag and one no nurse touched have no follow-up row, one a
    nurse opened has its row. Forward: one row each, the opened one's kept."""
    now = timezone.now()
    migrate(BEFORE)
    try:
        flags = []
        for slug in ("seizure", "jaundice", "headache"):
            rule = Rule.objects.get(slug=slug)
            flags.append(
                Flag.objects.create(
                    survivor=survivor, rule=rule, rule_version=rule.current, tier="urgent", evidence="x"
                )
            )
        FlagFollowup.objects.create(flag=flags[2], first_opened_at=now, first_opened_by=nurse)
        assert FlagFollowup.objects.count() == 1
        migrate(BACKFILL)
        assert [FlagFollowup.objects.filter(flag=flag).count() for flag in flags] == [1, 1, 1]
        opened = FlagFollowup.objects.get(flag=flags[2])
        assert (opened.first_opened_at, opened.first_opened_by) == (now, nurse)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
