"""The nurses' "follow-up overdue" call list (items missed by more than 30
days on her calendar, her clinics only, calls logged as on the other call
lists) and the dashboard's plan figures on a small known world (issue 15)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from followup.models import CallLog
from followup.triage.plan_reads import call_list_plan_overdue, plan_figures
from followup.triage.reads import dashboard
from tests.factories import SurvivorFactory
from tests.followup.plan_world import item_for, plan_for
from tracker.models import AuditEvent

# 11:00 on 2 June 2026 in New York (tests/followup/conftest.py).
NOW = dt.datetime(2026, 6, 2, 15, 0, tzinfo=dt.UTC)


def missed(plan, due_by, **fields):
    return item_for(
        plan,
        opens_on=due_by - dt.timedelta(days=60),
        due_by=due_by,
        state="missed",
        missed_at=NOW,
        **fields,
    )


def listed(nurse, now=NOW):
    return [row.survivor for row in call_list_plan_overdue(user=nurse, now=now)]


def test_missed_by_more_than_30_days_her_date_is_the_edge(survivor, nurse):
    plan = plan_for(survivor, nurse)
    missed(plan, dt.date(2026, 5, 3))  # 30 days before 2 June: not yet
    assert listed(nurse) == []
    # 02:00 UTC on 3 June is still 2 June in New York: still 30 days.
    assert listed(nurse, now=dt.datetime(2026, 6, 3, 2, 0, tzinfo=dt.UTC)) == []
    # 05:00 UTC on 3 June is 3 June in New York: 31 days.
    assert listed(nurse, now=dt.datetime(2026, 6, 3, 5, 0, tzinfo=dt.UTC)) == [survivor]


def test_a_survivor_in_tokyo_reaches_31_days_before_new_york(clinic, nurse):
    tokyo = SurvivorFactory(clinic=clinic, time_zone="Asia/Tokyo", full_name="Tomoko Tokyo")
    missed(plan_for(tokyo, nurse), dt.date(2026, 5, 3))
    # 16:00 UTC on 2 June is 01:00 on 3 June in Tokyo.
    assert listed(nurse, now=dt.datetime(2026, 6, 2, 16, 0, tzinfo=dt.UTC)) == [tokyo]
    assert listed(nurse, now=dt.datetime(2026, 6, 2, 14, 0, tzinfo=dt.UTC)) == []


def test_only_missed_items_count_longest_overdue_first_one_row_each(clinic, survivor, same_clinic_survivor, nurse):
    plan = plan_for(survivor, nurse)
    missed(plan, dt.date(2026, 4, 1))
    missed(plan, dt.date(2026, 3, 1))
    item_for(plan, opens_on=dt.date(2026, 1, 1), due_by=dt.date(2026, 2, 1), state="done", done_on=dt.date(2026, 3, 1))
    other = plan_for(same_clinic_survivor, nurse)
    missed(other, dt.date(2026, 2, 1))
    item_for(other, opens_on=dt.date(2026, 1, 1), due_by=dt.date(2026, 2, 1))  # not yet marked: not listed
    rows = call_list_plan_overdue(user=nurse, now=NOW)
    assert [(row.survivor, row.item.due_by, row.days) for row in rows] == [
        (same_clinic_survivor, dt.date(2026, 2, 1), 121),
        (survivor, dt.date(2026, 3, 1), 93),
    ]


def test_another_clinics_nurse_and_a_clinic_admin_do_not_see_her(survivor, nurse, other_nurse, clinic_admin):
    missed(plan_for(survivor, nurse), dt.date(2026, 3, 1))
    assert listed(nurse) == [survivor]
    assert listed(other_nurse) == []
    assert listed(clinic_admin) == []


def test_the_page_lists_her_logs_a_call_and_audits_who_it_showed(client, survivor, nurse):
    missed(plan_for(survivor, nurse), dt.date(2026, 3, 1), kind="mammogram")
    client.force_login(nurse)
    page = client.get(reverse("plan_overdue"))
    assert page.status_code == 200
    text = page.content.decode()
    assert survivor.full_name in text and "Mammogram" in text
    assert AuditEvent.objects.filter(actor=nurse, action="call_list.view", survivors=[survivor.pk]).exists()
    answer = client.post(reverse("plan_overdue"), {"survivor": survivor.pk, "result": "reached", "note": "Booking it"})
    assert answer.status_code == 302
    call = CallLog.objects.get(survivor=survivor)
    assert (call.nurse, call.result, call.note) == (nurse, "reached", "Booking it")


def test_a_call_without_a_result_comes_back_with_the_message_and_her_note(client, survivor, nurse):
    missed(plan_for(survivor, nurse), dt.date(2026, 3, 1))
    client.force_login(nurse)
    page = client.post(reverse("plan_overdue"), {"survivor": survivor.pk, "result": "", "note": "Left a message"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Choose what happened when you called." in text and "Left a message" in text
    assert not CallLog.objects.exists()


def test_another_clinics_nurse_cannot_log_a_call_to_her(client, survivor, nurse, other_nurse):
    missed(plan_for(survivor, nurse), dt.date(2026, 3, 1))
    client.force_login(other_nurse)
    assert survivor.full_name not in client.get(reverse("plan_overdue")).content.decode()
    assert client.post(reverse("plan_overdue"), {"survivor": survivor.pk, "result": "reached"}).status_code == 404
    assert not CallLog.objects.exists()


# ------------------------------------------------------------------ dashboard


@pytest.fixture
def world(clinic, other_clinic, survivor, same_clinic_survivor, nurse):
    """Four plans in our clinic (one behind), one elsewhere (behind); five
    mammograms, three of which count."""
    third = SurvivorFactory(clinic=clinic, full_name="Tess Third")
    SurvivorFactory(clinic=clinic, full_name="No Plan")  # no plan: not counted
    fourth = SurvivorFactory(clinic=clinic, full_name="Fay Fourth")
    elsewhere = SurvivorFactory(clinic=other_clinic, full_name="Elsewhere")
    sara, olga, tess, fay = (plan_for(s, nurse) for s in (survivor, same_clinic_survivor, third, fourth))
    missed(olga, dt.date(2026, 5, 20))  # behind
    missed(plan_for(elsewhere, nurse), dt.date(2026, 5, 20))  # another clinic's
    mammogram = {"kind": "mammogram"}
    # Closed 10 days ago, done within: in both periods.
    item_for(
        sara,
        opens_on=dt.date(2026, 4, 1),
        due_by=dt.date(2026, 5, 23),
        state="done",
        done_on=dt.date(2026, 5, 1),
        **mammogram,
    )
    # Closed 10 days ago, done late: in both, not within.
    item_for(
        tess,
        opens_on=dt.date(2026, 4, 1),
        due_by=dt.date(2026, 5, 23),
        state="done",
        done_on=dt.date(2026, 5, 28),
        **mammogram,
    )
    # Closed 60 days ago, done within: the 90-day period only.
    item_for(
        fay,
        opens_on=dt.date(2026, 2, 1),
        due_by=dt.date(2026, 4, 3),
        state="done",
        done_on=dt.date(2026, 3, 1),
        **mammogram,
    )
    # Not needed: left out. Window still open: left out. A visit: left out.
    item_for(fay, opens_on=dt.date(2026, 4, 1), due_by=dt.date(2026, 5, 23), state="not_needed", **mammogram)
    item_for(fay, opens_on=dt.date(2026, 5, 1), due_by=dt.date(2026, 7, 1), **mammogram)
    item_for(sara, opens_on=dt.date(2026, 4, 1), due_by=dt.date(2026, 5, 23), state="done", done_on=dt.date(2026, 5, 1))


def test_the_dashboard_counts_plans_up_to_date_and_mammograms_in_their_window(world, nurse):
    figures = dashboard(user=nurse, now=NOW)
    assert figures[30]["plans"] == 4
    assert figures[30]["plans_up_to_date"] == 75  # Olga has a missed item open
    assert figures[90]["plans_up_to_date"] == 75
    assert (figures[30]["mammograms_closed"], figures[30]["mammograms_in_window"]) == (2, 50)
    assert (figures[90]["mammograms_closed"], figures[90]["mammograms_in_window"]) == (3, 67)


def test_another_clinics_nurse_sees_only_her_clinics_figures(world, other_nurse):
    figures = plan_figures(user=other_nurse, since={30: NOW - dt.timedelta(days=30)}, now=NOW)
    assert figures[30] == {"plans": 1, "plans_up_to_date": 0, "mammograms_closed": 0, "mammograms_in_window": None}


def test_the_dashboard_page_shows_the_plan_figures_and_says_what_they_mean(world, client, clinic_admin):
    client.force_login(clinic_admin)
    text = client.get(reverse("dashboard")).content.decode()
    assert "Up to date with their plan" in text and "75% of 4" in text
    assert "Mammograms done within their window" in text and "67% of 3" in text
    assert "no missed item left open" in text


def test_her_row_shows_the_latest_call_since_the_item_was_missed_and_links_to_her_plan(client, survivor, nurse):
    missed(plan_for(survivor, nurse), dt.date(2026, 3, 1))
    CallLog.objects.create(survivor=survivor, nurse=nurse, result="reached", at=NOW - dt.timedelta(days=3))  # before
    CallLog.objects.create(survivor=survivor, nurse=nurse, result="left_message", at=NOW + dt.timedelta(hours=1))
    CallLog.objects.create(survivor=survivor, nurse=nurse, result="no_answer", at=NOW + dt.timedelta(days=1))
    [row] = call_list_plan_overdue(user=nurse, now=NOW + dt.timedelta(days=2))
    assert row.last_call is not None and row.last_call.result == "no_answer"
    client.force_login(nurse)
    text = client.get(reverse("plan_overdue")).content.decode()
    assert f"Called {NOW + dt.timedelta(days=1):%-d %b}: no answer" in text
    assert f'href="{reverse("survivor_plan", args=[survivor.pk])}">{survivor.full_name}</a>' in text
    assert 'tabindex="0" role="region" aria-label=' in text  # its sideways scroll is reachable by keyboard


def test_a_call_before_the_item_was_missed_is_not_shown(survivor, nurse):
    missed(plan_for(survivor, nurse), dt.date(2026, 3, 1))
    CallLog.objects.create(survivor=survivor, nurse=nurse, result="reached", at=NOW - dt.timedelta(days=3))
    [row] = call_list_plan_overdue(user=nurse, now=NOW + dt.timedelta(days=2))
    assert row.last_call is None


def test_the_list_costs_the_same_queries_for_one_row_or_many(clinic, survivor, nurse):
    """Her latest call comes with every row from one query, not one a row."""

    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            assert call_list_plan_overdue(user=nurse, now=NOW + dt.timedelta(days=2))
        return len(seen)

    missed(plan_for(survivor, nurse), dt.date(2026, 3, 1))
    CallLog.objects.create(survivor=survivor, nurse=nurse, result="no_answer", at=NOW + dt.timedelta(days=1))
    one = queries()
    for name in ("Ana Second", "Bea Third", "Cy Fourth"):
        other = SurvivorFactory(clinic=clinic, full_name=name)
        missed(plan_for(other, nurse), dt.date(2026, 3, 1))
        CallLog.objects.create(survivor=other, nurse=nurse, result="no_answer", at=NOW + dt.timedelta(days=1))
    assert len(call_list_plan_overdue(user=nurse, now=NOW + dt.timedelta(days=2))) == 4
    assert queries() == one
