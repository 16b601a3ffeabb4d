"""Her plan keeps two years ahead as time passes (tracker/services/plan_horizon.py):
the sweep gives a plan short of its horizon its next windows, once, after the
last one of each key, never over an item kept on her plan, and followup
writes their reminders; the query reads only the plans short of their horizon."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from followup.models import Message
from followup.reminders.sweep import sweep
from tests.factories import PlanFactory, SurvivorFactory
from tracker.models import Plan, PlanChange, PlanItem
from tracker.plans import calendar
from tracker.services import plan_items, plans
from tracker.services.plan_horizon import MARGIN, plans_extend
from tracker.services.plan_templates import plan_template_default, plan_template_save

# 11:00 in New York (the factories' survivors' zone): her date is UTC's.
START_AT = dt.datetime(2024, 3, 10, 15, 0, tzinfo=dt.UTC)
START = dt.date(2024, 3, 10)
LATER_AT = dt.datetime(2026, 2, 10, 15, 0, tzinfo=dt.UTC)  # 23 months on
LATER = dt.date(2026, 2, 10)
NEW_YORK = ZoneInfo("America/New_York")
DATES = {"diagnosis_on": dt.date(2023, 1, 15), "surgery_on": dt.date(2023, 2, 20)}


def start(nurse, survivor, template=None, at=START_AT):
    with time_machine.travel(at, tick=False):
        return plans.plan_start(
            by=nurse, survivor=survivor, template=template or plan_template_default(clinic=survivor.clinic), **DATES
        )


@pytest.fixture
def plan(nurse, survivor):
    return start(nurse, survivor)


def windows(plan, key=None):
    items = plan.items.exclude(key="") if key is None else plan.items.filter(key=key)
    return [(row.opens_on, row.due_by) for row in items.order_by("opens_on", "id")]


def extend(at=LATER_AT, batch=100):
    with time_machine.travel(at, tick=False):
        return plans_extend(now=at, batch=batch)


def overlap(a, b):
    return a[0] <= b[1] and b[0] <= a[1]


def test_a_plan_started_23_months_ago_gets_its_next_windows_and_their_reminders_from_the_sweep(plan):
    assert plan.planned_until == calendar.horizon(START)
    before = {key: windows(plan, key) for key in ("visit", "mammogram")}
    old = set(plan.items.values_list("pk", flat=True))
    with time_machine.travel(LATER_AT, tick=False):
        sweep(now=LATER_AT)
    plan.refresh_from_db()
    horizon = calendar.horizon(LATER)
    assert plan.planned_until == horizon
    new = list(plan.items.exclude(pk__in=old).order_by("opens_on"))
    assert {row.key for row in new} == {"visit", "mammogram"}
    for row in new:
        # After the last window of its key planned before, up to her new horizon, due.
        assert row.opens_on > before[row.key][-1][1] and row.opens_on <= horizon
        assert (row.state, row.label) == ("due", "")
    # Year 4 after surgery (Feb 2026): visits every 6 to 12 months, mammograms yearly.
    assert calendar.add_months(LATER, 21) <= max(row.opens_on for row in new)
    change = PlanChange.objects.get(plan=plan, action="rolled")
    assert change.by is None
    assert change.before == {"planned_until": str(calendar.horizon(START))}
    assert change.after["planned_until"] == str(horizon)
    assert change.after["windows"] == [f"{row.opens_on}..{row.due_by}" for row in sorted(new, key=lambda r: r.pk)]
    # followup's receiver: "time to book" on her two default channels, each new item.
    for row in new:
        reminders = Message.objects.filter(plan_item=row, kind="plan_open", state="pending")
        assert sorted(reminders.values_list("channel", flat=True)) == ["email", "in_app"]
        assert {m.due_at for m in reminders} == {calendar.window_reminder_at(row.opens_on, NEW_YORK)}


def test_nothing_is_generated_twice(plan):
    assert extend() == 1
    after_once = windows(plan)
    changes = PlanChange.objects.count()
    assert extend() == 0  # no longer short: not even read
    # Even asked again (planned_until put back), it adds nothing after the windows it made.
    Plan.objects.filter(pk=plan.pk).update(planned_until=calendar.horizon(START))
    assert extend() == 1
    assert windows(plan) == after_once
    assert PlanChange.objects.count() == changes  # nothing made, nothing in her history
    assert len(after_once) == len(set(after_once))


def test_items_kept_on_her_plan_are_not_overlapped_and_stay_as_they_were(nurse, survivor, same_clinic_survivor):
    # Her twin (same dates, same day) shows where the new windows fall.
    twin = start(nurse, same_clinic_survivor)
    twin_old = windows(twin)
    extend()
    coming = [w for w in windows(twin, "visit") if w not in twin_old]
    assert len(coming) == 2  # year 4 after surgery: every 6 to 12 months
    plan = start(nurse, survivor)
    last_visit = plan.items.filter(key="visit").order_by("opens_on").last()
    PlanItem.objects.filter(pk=last_visit.pk).update(state="not_needed")
    plan.items.filter(due_by__lt=LATER).update(state="missed", missed_at=LATER_AT)
    kept = [
        # Booked in the first window to come: the next is counted from its day.
        PlanItem.objects.create(
            plan=plan,
            key="visit",
            kind="visit",
            opens_on=coming[0][0],
            due_by=coming[0][1],
            state="booked",
            booked_at=dt.datetime.combine(coming[0][0], dt.time(14), tzinfo=dt.UTC),
        ),
        # A mammogram done today, early.
        PlanItem.objects.create(
            plan=plan,
            key="mammogram",
            kind="mammogram",
            opens_on=LATER,
            due_by=LATER + dt.timedelta(days=20),
            state="done",
            done_on=LATER,
        ),
        PlanItem.objects.get(pk=last_visit.pk),
        *plan.items.filter(state="missed"),
    ]
    was = {row.pk: (row.state, row.opens_on, row.due_by) for row in plan.items.all()}
    assert extend() == 1  # her twin is extended already
    now = {row.pk: (row.state, row.opens_on, row.due_by) for row in plan.items.all()}
    assert {pk: now[pk] for pk in was} == was  # nothing kept was changed
    new = [row for row in plan.items.all() if row.pk not in was]
    assert {row.key for row in new} == {"visit", "mammogram"}
    for row in new:
        assert row.state == "due"
        for other in kept:
            assert not (row.key == other.key and overlap((row.opens_on, row.due_by), (other.opens_on, other.due_by)))
    # Counted from the kept ones: the visit 9 months (the middle of 6-12)
    # plus 6 after the booked day, the mammogram 11 months after today's.
    assert [row.opens_on for row in new if row.key == "visit"] == [calendar.add_months(coming[0][0], 15)]
    assert min(row.opens_on for row in new if row.key == "mammogram") == calendar.add_months(LATER, 11)


def test_a_survivor_whose_items_were_all_missed_still_gets_future_windows(plan):
    late_at = dt.datetime(2026, 10, 10, 15, 0, tzinfo=dt.UTC)  # 31 months on: every window closed
    late = dt.date(2026, 10, 10)
    with time_machine.travel(late_at, tick=False):
        plans.plan_items_mark_missed(now=late_at, batch=1000)
    assert set(plan.items.values_list("state", flat=True)) == {"missed"}
    assert extend(at=late_at) == 1
    due = list(plan.items.filter(state="due").order_by("opens_on"))
    assert {row.key for row in due} == {"visit", "mammogram"}
    assert all(row.due_by >= late and row.opens_on >= late for row in due)
    assert due[0].opens_on < calendar.add_months(late, 13)  # soon, not years on
    assert max(row.opens_on for row in due) <= calendar.horizon(late)


def test_a_long_past_visit_then_missed_ones_keeps_the_rhythm(nurse, plan):
    """Counted from the last visit done (as roll forward did), not restarted
    from today against the last window planned."""
    first = plan.items.filter(key="mammogram").order_by("opens_on").first()
    done_on = first.opens_on
    plan_items.plan_item_done(by=nurse, item=first, done_on=done_on, today=done_on)
    late_at = dt.datetime(2026, 10, 10, 15, 0, tzinfo=dt.UTC)
    with time_machine.travel(late_at, tick=False):
        plans.plan_items_mark_missed(now=late_at, batch=1000)
    extend(at=late_at)
    opens = [opens for opens, _ in windows(plan, "mammogram")]
    assert len(opens) >= 4
    # Yearly: each window opens 11 months or more after the one before.
    for earlier, later in zip(opens, opens[1:], strict=False):
        assert later >= calendar.add_months(earlier, 11), (earlier, later)


def test_a_key_dropped_from_the_template_is_left_alone(nurse, survivor, clinic_admin):
    phase = {"from_year": 1, "to_year": None, "every_min_months": 6, "every_max_months": 12}
    item = {"kind": "visit", "label": "Check-up", "counts_from": ["diagnosis"], "phases": [phase]}
    items = [{**item, "key": "visit"}, {**item, "key": "bloods", "kind": "blood_test", "label": "Bloods"}]
    template = plan_template_save(
        by=clinic_admin, clinic=survivor.clinic, name="Ours", source="", source_note="", items_json=json.dumps(items)
    )
    plan = start(nurse, survivor, template)
    assert windows(plan, "bloods")
    template.items = [row for row in template.items if row["key"] != "bloods"]
    template.save()
    bloods = windows(plan, "bloods")
    visits = windows(plan, "visit")
    assert extend() == 1
    assert windows(plan, "bloods") == bloods
    assert len(windows(plan, "visit")) > len(visits)


def test_only_plans_short_of_their_horizon_are_read_and_extended(nurse, survivor, clinic, django_assert_num_queries):
    short = start(nurse, survivor)
    month_ago = start(nurse, SurvivorFactory(clinic=clinic), at=LATER_AT - MARGIN - dt.timedelta(days=2))
    fresh = start(nurse, SurvivorFactory(clinic=clinic), at=LATER_AT - dt.timedelta(days=10))
    # Made without the services: no planned_until, left alone.
    bare = PlanFactory(survivor=SurvivorFactory(clinic=clinic), template=short.template)
    untouched = (fresh.planned_until, windows(fresh))
    # One at a time (batch), the furthest behind first.
    assert extend(batch=1) == 1
    assert Plan.objects.get(pk=short.pk).planned_until == calendar.horizon(LATER)
    assert Plan.objects.get(pk=month_ago.pk).planned_until == calendar.horizon(LATER - MARGIN - dt.timedelta(days=2))
    assert extend() == 1
    assert Plan.objects.get(pk=month_ago.pk).planned_until == calendar.horizon(LATER)
    fresh.refresh_from_db()
    assert (fresh.planned_until, windows(fresh)) == untouched
    assert Plan.objects.get(pk=bare.pk).planned_until is None
    assert not PlanChange.objects.filter(plan__in=[fresh, bare]).exclude(action="started").exists()
    # Nothing short: one indexed question, no plan read.
    with django_assert_num_queries(1), time_machine.travel(LATER_AT, tick=False):
        assert plans_extend(now=LATER_AT, batch=100) == 0


@pytest.mark.postgresql
def test_the_question_uses_the_planned_until_index(db):
    cutoff = calendar.horizon(LATER) - MARGIN
    query = Plan.objects.filter(planned_until__lt=cutoff).order_by("planned_until", "id").values("id")[:100]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
    assert "plan_planned_until" in plan


TRACKER_BEFORE = ("tracker", "0019_flag_on_checkin_answer")
TRACKER_AFTER = ("tracker", "0020_plan_planned_until")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_fills_planned_until_from_her_items(survivor, same_clinic_survivor, nurse):
    """Back before 0020: a plan with items of two keys and one of her
    nurse's own, and a plan with none. Forward: the earliest of its keys'
    last windows, or its start."""
    executor = MigrationExecutor(connection)
    executor.migrate([TRACKER_BEFORE])
    try:
        old = MigrationExecutor(connection).loader.project_state([TRACKER_BEFORE]).apps
        template = old.get_model("tracker", "PlanTemplate").objects.create(clinic_id=survivor.clinic_id, name="T")
        OldPlan, OldItem = old.get_model("tracker", "Plan"), old.get_model("tracker", "PlanItem")
        common = {"template": template, "diagnosis_on": START, "started_by_id": nurse.pk}
        with_items = OldPlan.objects.create(survivor_id=survivor.pk, started_on=START, **common)
        empty = OldPlan.objects.create(survivor_id=same_clinic_survivor.pk, started_on=LATER, **common)
        for key, opens in [
            ("visit", dt.date(2025, 1, 1)),
            ("visit", dt.date(2026, 3, 1)),
            ("mammogram", dt.date(2025, 3, 1)),
            ("mammogram", dt.date(2026, 1, 5)),
            ("", dt.date(2027, 1, 1)),
        ]:
            OldItem.objects.create(plan=with_items, key=key, kind="visit", opens_on=opens, due_by=opens)
        MigrationExecutor(connection).migrate([TRACKER_AFTER])
        assert Plan.objects.get(pk=with_items.pk).planned_until == dt.date(2026, 1, 5)
        assert Plan.objects.get(pk=empty.pk).planned_until == LATER
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_sweeps_plan_steps_fail_apart(plan, monkeypatch):
    """A broken missed-items step still lets plans extend; a broken
    extension still lets the sweep finish (its heartbeat written)."""
    from followup.models import Heartbeat
    from followup.reminders import sweep as sweep_module

    def broken(**kwargs):
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(sweep_module, "plan_items_mark_missed", broken)
    with time_machine.travel(LATER_AT, tick=False):
        sweep(now=LATER_AT)
    assert Plan.objects.get(pk=plan.pk).planned_until == calendar.horizon(LATER)
    monkeypatch.setattr(sweep_module, "plans_extend", broken)
    later = LATER_AT + dt.timedelta(days=40)
    with time_machine.travel(later, tick=False):
        sweep(now=later)
    assert Heartbeat.objects.get(name="sweep").at == later
