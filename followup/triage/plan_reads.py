"""The nurse's reads of her clinics' follow-up plans (issue 15): the
"follow-up overdue" call list (survivors with an item missed by more than
30 days, counted in her own time zone) and the dashboard's two plan figures.
Who sees whom is tracker/scope.py's, through reads.clinic_survivors; a
missed item is one the sweep marked (tracker/services/plans.py: plan_items_mark_missed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from followup.models import CallLog
from tracker import scope
from tracker.models import Plan, PlanItem, User
from tracker.plans.calendar import local_date, overdue_days
from tracker.plans.spec import Kind, Window

from .reads import clinic_survivors

# "Items missed by more than 30 days" (issue 15): 31 days past due_by.
PLAN_OVERDUE_DAYS = 30


@dataclass(frozen=True)
class OverdueRow:
    """One survivor on the list, with her longest-overdue item and the
    latest call logged to her since it was missed (so a second nurse does
    not ring her again the same afternoon)."""

    survivor: User
    item: PlanItem
    days: int
    last_call: CallLog | None = None

    @property
    def pk(self) -> int:
        return self.survivor.pk


def call_list_plan_overdue(*, user: User, now: dt.datetime | None = None) -> list[OverdueRow]:
    """Survivors of her clinics with a missed item whose last day was more
    than PLAN_OVERDUE_DAYS days ago on HER calendar, longest overdue first.
    The query bounds by the latest date anyone can have (UTC's tomorrow);
    her own date decides the edge (a survivor in Hawaii is a day behind
    Tokyo). None for anyone but a nurse (clinic_survivors)."""
    now = now or timezone.now()
    latest_today = now.astimezone(dt.UTC).date() + dt.timedelta(days=1)
    items = (
        PlanItem.objects.filter(
            state=PlanItem.State.MISSED,
            due_by__lt=latest_today - dt.timedelta(days=PLAN_OVERDUE_DAYS),
            plan__survivor__in=clinic_survivors(user),
        )
        .select_related("plan__survivor")
        .order_by("due_by", "id")
    )
    rows: dict[int, OverdueRow] = {}
    for item in items:
        survivor = item.plan.survivor
        if survivor.pk in rows:
            continue  # her oldest item is the one shown
        days = overdue_days(Window(item.opens_on, item.due_by), local_date(now, ZoneInfo(survivor.time_zone)))
        if days > PLAN_OVERDUE_DAYS:
            rows[survivor.pk] = OverdueRow(survivor=survivor, item=item, days=days)
    rows = _with_last_calls(rows)
    return sorted(rows.values(), key=lambda row: (-row.days, row.survivor.full_name, row.pk))


def _with_last_calls(rows: dict[int, OverdueRow]) -> dict[int, OverdueRow]:
    """Each row with her latest CallLog since her item was marked missed
    (any call: from this list or the others, she was rung all the same).
    One query for the list, bounded by the earliest of the items' missed_at."""
    since = [row.item.missed_at for row in rows.values() if row.item.missed_at is not None]
    if not rows:
        return rows
    calls = CallLog.objects.filter(survivor_id__in=list(rows)).select_related("nurse").order_by("survivor_id", "-at")
    if since and len(since) == len(rows):
        calls = calls.filter(at__gte=min(since))
    latest: dict[int, CallLog] = {}
    for call in calls:
        missed_at = rows[call.survivor_id].item.missed_at
        if call.survivor_id not in latest and (missed_at is None or call.at >= missed_at):
            latest[call.survivor_id] = call
    return {pk: replace(row, last_call=latest.get(pk)) for pk, row in rows.items()}


def plan_figures(*, user: User, since: dict[int, dt.datetime], now: dt.datetime) -> dict[int, dict]:
    """The dashboard's plan figures, per period (days -> its start):

    - up_to_date: of her clinics' active survivors who have a plan, the
      share with no missed item still open (state "missed": not since done,
      rebooked or marked not needed). A figure of now, the same in every
      period.
    - mammograms_in_window: of the mammogram items whose window closed in
      the period (due_by from the period's first day to yesterday, UTC
      dates) and were not marked not needed, the share done within their
      window (done_on from opens_on to due_by).
    Two queries for all periods."""
    # Counts by clinic, as the dashboard's flag figures are (its clinic
    # admin sees figures, never a survivor); active accounts only.
    survivors = User.objects.filter(scope.survivors_in(scope.clinics_of(user)), is_active=True)
    missed = PlanItem.objects.filter(plan=OuterRef("pk"), state=PlanItem.State.MISSED)
    plans = Plan.objects.filter(survivor__in=survivors).aggregate(
        planned=Count("id"), behind=Count("id", filter=Q(Exists(missed)))
    )
    today = now.astimezone(dt.UTC).date()
    first = {days: start.astimezone(dt.UTC).date() for days, start in since.items()}
    in_window = Q(state=PlanItem.State.DONE, done_on__gte=F("opens_on"), done_on__lte=F("due_by"))
    mammograms = (
        PlanItem.objects.filter(plan__survivor__in=survivors, kind=Kind.MAMMOGRAM.value, due_by__lt=today)
        .exclude(state=PlanItem.State.NOT_NEEDED)
        .aggregate(
            **{f"closed_{d}": Count("id", filter=Q(due_by__gte=day)) for d, day in first.items()},
            **{f"in_window_{d}": Count("id", filter=Q(due_by__gte=day) & in_window) for d, day in first.items()},
        )
    )
    planned, behind = plans["planned"], plans["behind"]
    figures = {}
    for days in since:
        closed, done = mammograms[f"closed_{days}"], mammograms[f"in_window_{days}"]
        figures[days] = {
            "plans": planned,
            "plans_up_to_date": round(100 * (planned - behind) / planned) if planned else None,
            "mammograms_closed": closed,
            "mammograms_in_window": round(100 * done / closed) if closed else None,
        }
    return figures
