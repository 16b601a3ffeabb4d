"""What a nurse's follow-up changes on a flag (tracker/services/flag_states.py):
closed with her outcome, her call back answered, a batch locked. Each
touches the survivor it is given and nobody else."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tracker.models import AuditEvent, Flag, Rule
from tracker.services.flag_states import flag_close, flags_callback_clear, flags_lock_for_update


def raised(survivor, slug, *, tier="urgent", callback=False, status="open", hours_left=24):
    rule = Rule.objects.get(slug=slug)
    flag = Flag(survivor=survivor, rule=rule, rule_version=rule.current, evidence="x", callback_wanted=callback)
    flag.set_tier(tier)
    flag.status = status
    flag.review_by = timezone.now() + dt.timedelta(hours=hours_left)
    flag.save()
    return flag


def callback_wanted(*flags):
    return [Flag.objects.get(pk=flag.pk).callback_wanted for flag in flags]


def test_it_clears_her_call_back_on_every_open_flag_of_hers(default_rules, survivor):
    first = raised(survivor, "jaundice", callback=True)
    second = raised(survivor, "seizure", tier="emergency", callback=True)
    without = raised(survivor, "headache")
    assert flags_callback_clear(survivor_id=survivor.pk) == 2
    assert callback_wanted(first, second, without) == [False, False, False]
    assert flags_callback_clear(survivor_id=survivor.pk) == 0  # answered once


def test_it_clears_no_other_survivors_call_back_nor_a_closed_flags(default_rules, survivor, same_clinic_survivor):
    """The survivor given is the only one touched: a colleague's patient in
    the same clinic still waits for her call."""
    hers = raised(survivor, "jaundice", callback=True)
    closed = raised(survivor, "seizure", callback=True, status="closed")
    theirs = raised(same_clinic_survivor, "jaundice", callback=True)
    assert flags_callback_clear(survivor_id=survivor.pk) == 1
    assert callback_wanted(hers, closed, theirs) == [False, True, True]


def test_the_lock_returns_her_flags_in_queue_order_with_her_row(default_rules, survivor, django_assert_num_queries):
    later = raised(survivor, "jaundice", hours_left=20)
    sooner = raised(survivor, "headache", hours_left=2)
    emergency = raised(survivor, "seizure", tier="emergency", hours_left=30)
    closed = raised(survivor, "dizziness-new", status="closed")
    with django_assert_num_queries(1):
        locked = flags_lock_for_update(survivor=survivor, flag_ids={later.pk, sooner.pk, emergency.pk, closed.pk})
        assert [flag.survivor.full_name for flag in locked] == [survivor.full_name] * 4
    # tier first (emergency), then the nearest review deadline; a closed one
    # is returned for the caller to refuse
    assert [flag.pk for flag in locked[:3]] == [emergency.pk, sooner.pk, later.pk]
    assert locked[3].pk == closed.pk and locked[3].status == "closed"


def test_the_lock_leaves_out_a_flag_that_is_not_hers(default_rules, survivor, same_clinic_survivor):
    hers = raised(survivor, "jaundice")
    theirs = raised(same_clinic_survivor, "jaundice")
    locked = flags_lock_for_update(survivor=survivor, flag_ids=[hers.pk, theirs.pk])
    assert [flag.pk for flag in locked] == [hers.pk]
    assert flags_lock_for_update(survivor=same_clinic_survivor, flag_ids=[hers.pk]) == []


@pytest.mark.postgresql
def test_the_lock_is_a_row_lock(default_rules, survivor):
    flag = raised(survivor, "jaundice")
    with CaptureQueriesContext(connection) as queries:
        flags_lock_for_update(survivor=survivor, flag_ids=[flag.pk])
    [query] = queries.captured_queries
    assert query["sql"].rstrip().endswith("FOR UPDATE")


def test_close_records_the_outcome_and_who_closed_it(default_rules, survivor, nurse):
    flag = raised(survivor, "jaundice")
    flag_close(flag=flag, by=nurse, outcome="appointment")
    flag.refresh_from_db()
    assert (flag.status, flag.outcome) == ("closed", "appointment") and flag.closed_at is not None
    audit = AuditEvent.objects.get(action="flag.close")
    assert (audit.actor, audit.survivor, audit.object_id) == (nurse, survivor, str(flag.pk))


def test_close_refuses_an_outcome_not_on_the_list(default_rules, survivor, nurse):
    flag = raised(survivor, "jaundice")
    with pytest.raises(ValidationError):
        flag_close(flag=flag, by=nurse, outcome="whatever")
    flag.refresh_from_db()
    assert flag.status == "open" and not AuditEvent.objects.filter(action="flag.close").exists()
