"""The sweep with and without her follow-up plans (issue 15): the same
sweep (followup/reminders/sweep.py), in-process, over the same survivors,
first with no plan items, then with a plan of eight items each (two years:
visits every three months and yearly mammograms, as the default template
has), in plain SQL like the other fills of bench/run.py.

Three figures, each the median of several sweeps:
- no plan items (the baseline of the same run);
- steady state with every plan: nothing missed since the last sweep, which
  is the sweep's usual minute (a few items close a minute over 200,000
  survivors);
- a day's items closing at once (every item whose window closed yesterday,
  1/365 of a year's items, marked missed and reminded in one sweep: what
  the first sweep after midnight, or after an outage, meets).
Each survivor already has her weekly check-in reminder written, so
checkins_schedule does what it does in steady running (finds no one), not
the first week's fill. The missed reminders' tasks go to the bench's own
queue (bench/run.py)."""

from __future__ import annotations

import statistics
import time

# Eight items a survivor: visits every 90 days, a mammogram every fourth.
ITEMS_EACH = 8


def fill_plan_survivors(survivors: int, clinic_id: int) -> None:
    """`survivors` active survivors ('bench-plan-' emails) of the bench
    clinic, in a zone where it is midday now (quiet hours would hold their
    reminders back), each with her next weekly check-in reminder pending."""
    from django.db import connection
    from django.utils import timezone

    from tests.faults import midday_zone

    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM tracker_user WHERE email LIKE 'bench-plan-%%'")
        have = c.fetchone()[0]
        if have != survivors:
            c.execute(
                "DELETE FROM followup_message WHERE survivor_id IN "
                "(SELECT id FROM tracker_user WHERE email LIKE 'bench-plan-%%')"
            )
            c.execute("DELETE FROM tracker_user WHERE email LIKE 'bench-plan-%%'")
            c.execute(
                """
                INSERT INTO tracker_user (password, last_login, is_superuser, email, full_name, role, clinic_id,
                    time_zone, weight_unit, date_of_birth, enrolled_on, is_active, is_staff, date_joined,
                    session_stamp)
                SELECT '!', NULL, false, 'bench-plan-' || g || '@example.org', 'Plan ' || g, 'survivor', %s, 'UTC',
                       'kg', DATE '1960-01-01', CURRENT_DATE - 400, true, false, now(), ''
                FROM generate_series(1, %s) g
                """,
                [clinic_id, survivors],
            )
        c.execute("UPDATE tracker_user SET time_zone = %s WHERE email LIKE 'bench-plan-%%'", [midday_zone()])
        # Her next check-in reminder, a few days ahead: the sweep's first step
        # finds no one to write for, as in steady running.
        c.execute(
            """
            INSERT INTO followup_message (kind, channel, recipient_id, survivor_id, clinic_id, sequence, iso_week,
                dedupe_key, urgent, due_at, state, state_changed_at, tries, last_error, created_at)
            SELECT 'checkin', 'email', u.id, u.id, u.clinic_id, 0, 'B', 'bench-plan-checkin:' || u.id, false,
                   %(now)s + interval '3 days', 'pending', %(now)s, 0, '', %(now)s
            FROM tracker_user u WHERE u.email LIKE 'bench-plan-%%'
            ON CONFLICT (dedupe_key) DO UPDATE SET due_at = EXCLUDED.due_at, state = 'pending'
            """,
            {"now": timezone.now()},
        )
        c.execute("ANALYZE")


def drop_plans() -> None:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("DELETE FROM followup_message WHERE plan_item_id IS NOT NULL")
        c.execute("DELETE FROM tracker_planchange WHERE plan_id IN (SELECT id FROM tracker_plan)")
        c.execute("DELETE FROM tracker_planitem")
        c.execute("DELETE FROM tracker_plan")
        c.execute("ANALYZE tracker_planitem")


def fill_plans(closing_yesterday: int, clinic) -> int:
    """A plan for every bench-plan survivor and ITEMS_EACH items each, in
    plain SQL: windows of 60 days, spread over the next two years by the
    survivor's id; `closing_yesterday` of the first items instead closed
    two days ago (the day's items the sweep finds missed). Returns the
    number of items."""
    from django.db import connection
    from django.utils import timezone

    from tracker.models import User
    from tracker.services.plan_templates import plan_template_default

    nurse, _ = User.objects.get_or_create(
        email="bench-nurse-plans@example.org",
        defaults={"full_name": "Plan nurse", "role": User.Role.NURSE, "time_zone": "UTC"},
    )
    # The shipped template: the extension (plans_extend) plans its items.
    template = plan_template_default(clinic=clinic)
    now = timezone.now()
    with connection.cursor() as c:
        c.execute(
            """
            INSERT INTO tracker_plan (survivor_id, template_id, diagnosis_on, started_on, started_by_id, created_at,
                                      updated_at, planned_until)
            SELECT u.id, %(template)s, CURRENT_DATE - 400, CURRENT_DATE - 30, %(nurse)s, %(now)s, %(now)s,
                   CURRENT_DATE + (705 + u.id %% 25)::int
            FROM tracker_user u WHERE u.email LIKE 'bench-plan-%%'
            """,
            {"template": template.pk, "nurse": nurse.pk, "now": now},
        )
        c.execute(
            """
            INSERT INTO tracker_planitem (plan_id, key, kind, label, opens_on, due_by, state, booked_place, note,
                                          her_questions, created_at, updated_at)
            SELECT p.id, CASE WHEN g %% 4 = 3 THEN 'mammogram' ELSE 'visit' END,
                   CASE WHEN g %% 4 = 3 THEN 'mammogram' ELSE 'visit' END, '',
                   w.opens, w.opens + 60, 'due', '', '', '', %(now)s, %(now)s
            FROM tracker_plan p
            CROSS JOIN generate_series(0, %(each)s - 1) g
            CROSS JOIN LATERAL (
                SELECT CASE WHEN g = 0 AND p.id %% (SELECT count(*) FROM tracker_plan) < %(closing)s
                            THEN CURRENT_DATE - 62
                            ELSE CURRENT_DATE + (g * 90 + (p.id %% 90))::int - 30 END AS opens
            ) w
            """,
            {"each": ITEMS_EACH, "closing": closing_yesterday, "now": now},
        )
        c.execute("SELECT count(*) FROM tracker_planitem")
        items = c.fetchone()[0]
        c.execute("ANALYZE")
    return items


def bench_sweep(out: list[str], survivors: int, clinic, repeat: int = 5) -> None:
    from django.db import connection
    from django.utils import timezone

    from followup.models import Message
    from followup.reminders import sweep as sweep_module
    from tracker.models import PlanItem

    def timed_sweeps(n: int) -> list[float]:
        times = []
        for _ in range(n):
            start = time.perf_counter()
            sweep_module.sweep(now=timezone.now())
            times.append(time.perf_counter() - start)
        return times

    def steps() -> dict[str, float]:
        # The plan step alone, and its two parts, timed inside the same kind of sweep.
        times = {}
        for name, step in [
            ("plans_check", lambda now: sweep_module.plans_check(now=now, batch=500, until=time.monotonic() + 10)),
            ("missed", lambda now: sweep_module.plan_items_mark_missed(now=now, batch=500)),
            ("extend", lambda now: sweep_module.plans_extend(now=now, batch=100)),
        ]:
            start = time.perf_counter()
            step(timezone.now())
            times[name] = time.perf_counter() - start
        return times

    with connection.cursor() as c:
        # Other bench survivors out of the way (their check-in rows would be
        # written by this sweep): inactive for the bench, back after.
        c.execute(
            "UPDATE tracker_user SET is_active = false WHERE role = 'survivor' AND is_active "
            "AND email NOT LIKE 'bench-plan-%%' RETURNING id"
        )
        parked = [pk for (pk,) in c.fetchall()]
    try:
        drop_plans()
        fill_plan_survivors(survivors, clinic.pk)
        timed_sweeps(2)  # warm: caches, and anything due from an earlier run
        without = timed_sweeps(repeat)
        closing = survivors * ITEMS_EACH // 2 // 365  # a day's share of a year's items
        start = time.perf_counter()
        items = fill_plans(closing, clinic)
        fill_s = time.perf_counter() - start
        start = time.perf_counter()
        sweep_module.sweep(now=timezone.now())
        burst = time.perf_counter() - start
        missed = PlanItem.objects.filter(state="missed").count()
        reminders = Message.objects.filter(kind="plan_missed").count()
        timed_sweeps(1)
        with_plans = timed_sweeps(repeat)
        timings = [steps() for _ in range(repeat)]
        step, step_missed, step_extend = (min(t[name] for t in timings) for name in ("plans_check", "missed", "extend"))
        # A day's share of plans short of their horizon (each is extended
        # about once a month): one plan step, within its time budget.
        with connection.cursor() as c:
            c.execute("UPDATE tracker_plan SET planned_until = CURRENT_DATE + 600 WHERE id % 30 = 0")
            short = c.rowcount
            c.execute("ANALYZE tracker_plan")
        items_before = PlanItem.objects.count()
        opens_before = Message.objects.filter(kind="plan_open").count()
        start = time.perf_counter()
        sweep_module.plans_check(now=timezone.now(), batch=500, until=time.monotonic() + 10)
        extend_s = time.perf_counter() - start
        with connection.cursor() as c:
            c.execute("SELECT count(*) FROM tracker_plan WHERE id % 30 = 0 AND planned_until > CURRENT_DATE + 600")
            extended = c.fetchone()[0]
        made = PlanItem.objects.count() - items_before
        opens = Message.objects.filter(kind="plan_open").count() - opens_before
    finally:
        drop_plans()
        with connection.cursor() as c:
            c.execute("UPDATE tracker_user SET is_active = true WHERE id = ANY(%s)", [parked])

    def med(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:,.0f} ms"

    out += [
        f"| sweep, {survivors:,} survivors | median of {repeat} sweeps | worst |",
        "| --- | --- | --- |",
        f"| no plan items (baseline, same run) | {med(without)} | {max(without) * 1000:,.0f} ms |",
        f"| {items:,} plan items, nothing newly missed (steady state) | {med(with_plans)} | "
        f"{max(with_plans) * 1000:,.0f} ms |",
        f"| the same, a day's items closing at once: {missed:,} marked missed, {reminders:,} reminders written "
        f"and claimed | {burst * 1000:,.0f} ms (one sweep) | — |",
        f"| its plan step alone (plans_check), steady state: missed items {step_missed * 1000:,.1f} ms, plans to "
        f"extend {step_extend * 1000:,.1f} ms | {step * 1000:,.1f} ms | — |",
        f"| its plan step with a day's plans short of their horizon ({short:,}): {extended:,} extended, {made:,} "
        f"items and {opens:,} reminders written | {extend_s * 1000:,.0f} ms (one step, budget 10 s) | — |",
        "",
        f"Filling {items:,} items took {fill_s:.0f} s (plain SQL).",
        "",
    ]
