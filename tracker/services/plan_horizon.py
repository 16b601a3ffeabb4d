"""Her plan keeps two years ahead as time passes (issue 15: "items are
generated for the next two years and roll forward as they are done").

plan_start plans every template item up to her horizon (her today + 24
months, calendar.horizon), roll forward re-plans a key when an item is done
and new key dates re-plan them all; but a survivor whose items are missed,
or never marked done, would run out of planned items two years after her
start. The sweep's step plans_extend adds the later windows.

Which plans: Plan.planned_until (every template item planned up to that
day, kept by plan_start, plan_dates_update and this step) short of the
horizon by more than MARGIN, found on its index: a plan is extended about
once a month, never every minute, and the sweep reads none of the others.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import Plan, PlanChange, PlanTemplate
from ..plans import calendar
from ..plans.spec import ItemSpec
from .plan_common import (
    change_record,
    her_today,
    her_zone,
    items_announce,
    items_generate,
    planned_until_set,
    plans_locked,
    template_items,
)

log = logging.getLogger(__name__)

# A plan is extended once it is planned less than this far ahead of her
# horizon: a month's windows at a time (a visit every 3 months gets one
# about every third time), about once a month per plan. Wider than the
# day by which her date and UTC's differ, so the selection can use UTC's.
MARGIN = dt.timedelta(days=30)


def plans_extend(*, now: dt.datetime, batch: int) -> int:
    """The sweep's step: up to `batch` plans planned less far than her
    horizon minus MARGIN get their later windows. Returns how many plans
    it extended (moved their planned_until).

    1. The plans, the furthest behind first, on the planned_until index.
    2. Each in its own transaction, locked (skip_locked: another sweep, or a
       nurse's write re-planning her items, has it; the next sweep gets it)
       and checked again under the lock (idempotent: once extended it is no
       longer short).
    3. Per template item, the windows after the last one of its key up to
       her horizon (items_generate, beyond_planned), none overlapping an
       item kept on her plan; a key no longer in the template gets none,
       its items stay as they are.
    4. One PlanChange (rolled, by the app) and the signal, when it made
       items: followup writes their reminders in the same commit. A plan
       that gained nothing this month has nothing in its history.
    5. A template that no longer reads, or dates the calendar refuses: the
       plan is logged (its id) and planned_until moved on all the same, so
       one broken plan does not come first in every sweep."""
    cutoff = calendar.horizon(calendar.local_date(now, zoneinfo.ZoneInfo("UTC"))) - MARGIN
    ids = list(
        Plan.objects.filter(planned_until__lt=cutoff)
        .order_by("planned_until", "id")
        .values_list("id", flat=True)[:batch]
    )
    specs: dict[int, tuple[ItemSpec, ...] | None] = {}  # a template read once per call
    extended = 0
    for pk in ids:
        with transaction.atomic():
            rows = Plan.objects.select_related("survivor", "template").filter(pk=pk, planned_until__lt=cutoff)
            plan = plans_locked(rows, skip_locked=True).first()
            if plan is None:
                continue  # extended meanwhile, or being changed: the next sweep
            _extend(plan, now=now, specs=_specs(plan.template, specs))
            extended += 1
    return extended


def _specs(template: PlanTemplate, cache: dict[int, tuple[ItemSpec, ...] | None]) -> tuple[ItemSpec, ...] | None:
    if template.pk not in cache:
        try:
            cache[template.pk] = template_items(template)
        except ValidationError:
            cache[template.pk] = None
    return cache[template.pk]


def _extend(plan: Plan, *, now: dt.datetime, specs: tuple[ItemSpec, ...] | None) -> None:
    today = her_today(plan.survivor, now)
    until = calendar.horizon(today)
    before = plan.planned_until
    if specs is None:
        log.error("plan %s: its template no longer reads; not extended", plan.pk)
        planned_until_set(plan=plan, until=until)
        return
    try:
        with transaction.atomic():
            made = items_generate(plan=plan, specs=specs, today=today, tz=her_zone(plan.survivor), beyond_planned=True)
    except (ValidationError, ValueError):
        log.exception("plan %s: its next windows could not be planned", plan.pk)
        made = []
    planned_until_set(plan=plan, until=until)
    if made:
        change_record(
            plan=plan,
            by=None,
            action=PlanChange.Action.ROLLED,
            before={"planned_until": before},
            after={"planned_until": until, "windows": [f"{row.opens_on}..{row.due_by}" for row in made]},
        )
        items_announce(plan=plan, items=made)
