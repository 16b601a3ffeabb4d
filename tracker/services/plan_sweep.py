"""The sweep's one write on her plan: open items whose window has closed
(and whose booked day, if any, has passed) become missed, once, with a
PlanChange by the app, and plan_items_changed tells followup so that it
writes the one "missed" reminder in the same transaction.

# TODO(issue 15 merge): pstaff's tracker/services/plans.py owns the plan
# writes; this minimal version is here so that followup's sweep step
# (followup/reminders/sweep.py, plans_check) can run now. The lead keeps one
# of the two (or moves this function there) when merging.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import DateField, DateTimeField, F, Func, Q, Value
from django.db.models.functions import Cast

from ..models import Plan, PlanChange, PlanItem
from ..plans.calendar import is_missed, local_date
from ..plans.spec import Window
from ..signals import plan_items_changed

log = logging.getLogger(__name__)


def _her_date(instant) -> Cast:
    # PostgreSQL's timezone(zone, timestamptz): the wall time where she lives,
    # so "her today" is asked per row, in the statement.
    return Cast(
        Func(F("plan__survivor__time_zone"), instant, function="timezone", output_field=DateTimeField()),
        output_field=DateField(),
    )


def plan_items_mark_missed(*, now: dt.datetime, batch: int = 500) -> int:
    """Mark missed up to `batch` open items that her calendar says are missed
    (tracker/plans/calendar.py is_missed, in her time zone), oldest first.
    Returns how many were marked; the sweep calls again while a full batch
    comes back.

    1. Candidates, locked with skip_locked (a second sweep takes others):
       open, due_by before her today and, if booked, booked before now. On
       PostgreSQL her today is computed in the statement, so an item not yet
       missed where she lives (a window closing today in New York while it
       is tomorrow in UTC) is not fetched at all and cannot fill the batch
       every minute; elsewhere the UTC day bounds it and step 2 decides.
    2. Each one checked with is_missed in her zone (the one definition).
    3. State, missed_at and a PlanChange by the app (by=None); then
       plan_items_changed once per plan, inside the transaction."""
    utc_today = now.astimezone(dt.UTC).date()
    open_items = PlanItem.objects.filter(state__in=PlanItem.OPEN_STATES, due_by__lte=utc_today).filter(
        Q(booked_at__isnull=True) | Q(booked_at__lt=now)
    )
    if connection.vendor == "postgresql":
        open_items = open_items.alias(her_today=_her_date(Value(now, output_field=DateTimeField()))).filter(
            her_today__gt=F("due_by")
        )
    with transaction.atomic():
        rows = list(
            open_items.select_for_update(skip_locked=True, of=("self",))
            .select_related("plan__survivor")
            .order_by("due_by", "id")[:batch]
        )
        marked: dict[int, list[PlanItem]] = defaultdict(list)
        plans: dict[int, Plan] = {}
        changes = []
        for item in rows:
            tz = ZoneInfo(item.plan.survivor.time_zone)
            window = Window(item.opens_on, item.due_by)
            if not is_missed(window, booked_at=item.booked_at, today=local_date(now, tz), tz=tz):
                continue
            before = {"state": item.state}
            item.state = PlanItem.State.MISSED
            item.missed_at = now
            item.updated_at = now
            marked[item.plan_id].append(item)
            plans[item.plan_id] = item.plan
            changes.append(
                PlanChange(
                    plan_id=item.plan_id,
                    item=item,
                    by=None,
                    at=now,
                    action=PlanChange.Action.MISSED,
                    before=before,
                    after={"state": PlanItem.State.MISSED},
                )
            )
        done = [item for items in marked.values() for item in items]
        if not done:
            return 0
        PlanItem.objects.bulk_update(done, ["state", "missed_at", "updated_at"])
        PlanChange.objects.bulk_create(changes)
        for plan_id, items in marked.items():
            plan_items_changed.send(sender=PlanItem, plan=plans[plan_id], items=items)
    log.info("%d plan item(s) marked missed", len(done))
    return len(done)
