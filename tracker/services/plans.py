"""Her follow-up plan's writes as a whole: starting it from a template with
her key dates (plan_start), changing those dates (plan_dates_update), the
end of her hormone therapy (plan_endocrine_end), and the sweep's step that
finds items missed (plan_items_mark_missed). One item's writes (add, move,
book, done, drop...) are in plan_items.py; what both share is in plan_common.py.

Every write here:
- is a nurse's of one of her clinics (tracker/scope.py), or the sweep's;
- keeps a PlanChange with who, when and the changed fields before/after,
  and an audit row for a person's write;
- sends tracker.signals.plan_items_changed inside its transaction, so
  followup writes or cancels the items' reminders in the same commit.

Her plan's dates are calendar dates in her time zone: "today" is hers
(calendar.local_date), not the server's. Items are generated for two years
ahead (calendar.horizon), roll forward as they are done, and are extended
as time passes by the sweep (plan_horizon.py, on Plan.planned_until, which
plan_start and plan_dates_update set).
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from ..models import TIME_ZONE_CHOICES, Plan, PlanChange, PlanItem, PlanTemplate, User
from ..plans import calendar
from .plan_common import (
    change_record,
    date_problem,
    her_today,
    her_zone,
    items_announce,
    items_generate,
    plan_lock,
    planned_until_set,
    require_nurse_of,
    template_items,
)

# Her key dates, by the form's field names, with the words for each.
KEY_DATES = {
    "diagnosis_on": "diagnosis",
    "surgery_on": "surgery",
    "radiation_end_on": "end of radiation",
    "first_mammogram_on": "mammogram that found the cancer",
    "endocrine_start_on": "start of hormone therapy",
}
# Dates that come after the diagnosis (the first mammogram may come before it).
AFTER_DIAGNOSIS = ("surgery_on", "radiation_end_on", "endocrine_start_on")

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- plan


def plan_start(
    *,
    by: User,
    survivor: User,
    template: PlanTemplate,
    diagnosis_on: dt.date,
    surgery_on: dt.date | None = None,
    radiation_end_on: dt.date | None = None,
    first_mammogram_on: dt.date | None = None,
    endocrine_start_on: dt.date | None = None,
    today: dt.date | None = None,
) -> Plan:
    """Start her plan from a template with her key dates.

    1. A nurse of her clinic; a template of her clinic still offered.
    2. Her dates: none in the future (her today), none before 1900; surgery,
       the end of radiation and hormone therapy not before the diagnosis.
       A message by each field.
    3. One plan per survivor: a second start is refused with a message
       (and the database's one-to-one settles two at once).
    4. The plan, its items for two years, a PlanChange; the signal."""
    require_nurse_of(by, survivor)
    today = today or her_today(survivor)
    dates = {
        "diagnosis_on": diagnosis_on,
        "surgery_on": surgery_on,
        "radiation_end_on": radiation_end_on,
        "first_mammogram_on": first_mammogram_on,
        "endocrine_start_on": endocrine_start_on,
    }
    errors = _dates_problems(dates, today=today)
    if template.clinic_id != survivor.clinic_id or not template.is_active:
        errors["template"] = ["Choose one of her clinic's templates."]
    if Plan.objects.filter(survivor=survivor).exists():
        errors["__all__"] = ["She already has a plan: change its dates or items instead."]
    if errors:
        raise ValidationError(errors)
    specs = template_items(template)
    try:
        with transaction.atomic():
            plan = Plan.objects.create(
                survivor=survivor,
                template=template,
                started_on=today,
                started_by=by,
                planned_until=calendar.horizon(today),
                **dates,
            )
            items = items_generate(plan=plan, specs=specs, today=today, tz=her_zone(survivor))
            change_record(
                plan=plan,
                by=by,
                action=PlanChange.Action.STARTED,
                after={"template": template.name, **{name: day for name, day in dates.items() if day}},
            )
            items_announce(plan=plan, items=items)
    except IntegrityError:
        raise ValidationError({"__all__": ["She already has a plan: change its dates or items instead."]}) from None
    return plan


def _dates_problems(dates: dict[str, dt.date | None], *, today: dt.date) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if dates.get("diagnosis_on") is None:
        errors["diagnosis_on"] = ["Enter the date of her diagnosis."]
    for name, what in KEY_DATES.items():
        problem = date_problem(dates.get(name), today=today, what=f"date of {what}")
        if problem:
            errors[name] = [problem]
    diagnosis = dates.get("diagnosis_on")
    if diagnosis is not None and "diagnosis_on" not in errors:
        for name in AFTER_DIAGNOSIS:
            day = dates.get(name)
            if day is not None and name not in errors and day < diagnosis:
                errors[name] = [f"The {KEY_DATES[name]} can't be before the diagnosis ({diagnosis:%-d %b %Y})."]
    return errors


def plan_dates_update(
    *,
    by: User,
    plan: Plan,
    diagnosis_on: dt.date,
    surgery_on: dt.date | None = None,
    radiation_end_on: dt.date | None = None,
    first_mammogram_on: dt.date | None = None,
    endocrine_start_on: dt.date | None = None,
    today: dt.date | None = None,
) -> Plan:
    """Correct her key dates. The template items still only due and not yet
    closed (projections from the old dates) are made again from the new
    ones; booked, done, missed and dropped items, and a nurse's own, stay."""
    survivor = plan.survivor
    require_nurse_of(by, survivor)
    today = today or her_today(survivor)
    dates = {
        "diagnosis_on": diagnosis_on,
        "surgery_on": surgery_on,
        "radiation_end_on": radiation_end_on,
        "first_mammogram_on": first_mammogram_on,
        "endocrine_start_on": endocrine_start_on,
    }
    errors = _dates_problems(dates, today=today)
    if endocrine_start_on is None and plan.endocrine_end_on is not None:
        errors["endocrine_start_on"] = ["Her hormone therapy has an end date, so it needs its start."]
    elif endocrine_start_on and plan.endocrine_end_on and endocrine_start_on > plan.endocrine_end_on:
        errors["endocrine_start_on"] = ["The start of hormone therapy can't be after its end."]
    if errors:
        raise ValidationError(errors)
    changed = {name: day for name, day in dates.items() if getattr(plan, name) != day}
    if not changed:
        return plan
    specs = template_items(plan.template)
    with transaction.atomic():
        plan_lock(plan)
        before = {name: getattr(plan, name) for name in changed}
        for name, day in changed.items():
            setattr(plan, name, day)
        plan.updated_at = timezone.now()
        plan.full_clean()
        plan.save(update_fields=[*changed, "updated_at"])
        change_record(plan=plan, by=by, action=PlanChange.Action.DATES, before=before, after=changed)
        stale = plan.items.filter(state=PlanItem.State.DUE, due_by__gte=today).exclude(key="")
        replaced = [(row.opens_on, row.due_by) for row in stale]
        stale.delete()
        items = items_generate(plan=plan, specs=specs, today=today, tz=her_zone(survivor))
        planned_until_set(plan=plan, until=calendar.horizon(today))
        if replaced or items:
            change_record(
                plan=plan,
                by=by,
                action=PlanChange.Action.ROLLED,
                before={"windows": [f"{a}..{b}" for a, b in replaced]},
                after={"windows": [f"{row.opens_on}..{row.due_by}" for row in items]},
            )
        items_announce(plan=plan, items=items)
    return plan


def plan_endocrine_end(*, by: User, plan: Plan, end_on: dt.date, today: dt.date | None = None) -> Plan:
    """She stopped, or finished, her hormone therapy: her weekly check-in
    stops asking about it (Plan.takes_endocrine)."""
    require_nurse_of(by, plan.survivor)
    today = today or her_today(plan.survivor)
    problem = date_problem(end_on, today=today, what="end of hormone therapy")
    if plan.endocrine_start_on is None:
        problem = "Her plan has no start of hormone therapy: add it to her key dates first."
    elif problem is None and end_on < plan.endocrine_start_on:
        problem = f"The end can't be before the start ({plan.endocrine_start_on:%-d %b %Y})."
    if problem:
        raise ValidationError({"end_on": [problem]})
    if plan.endocrine_end_on == end_on:
        return plan
    with transaction.atomic():
        before = {"endocrine_end_on": plan.endocrine_end_on}
        plan.endocrine_end_on = end_on
        plan.updated_at = timezone.now()
        plan.save(update_fields=["endocrine_end_on", "updated_at"])
        change_record(
            plan=plan, by=by, action=PlanChange.Action.DATES, before=before, after={"endocrine_end_on": end_on}
        )
        items_announce(plan=plan, items=[])
    return plan


# ---------------------------------------------------------------- sweep


def plan_items_mark_missed(*, now: dt.datetime, batch: int) -> int:
    """The sweep's step: open items whose window closed (and whose booked
    day, if any, has passed) in HER time zone become missed, at most
    `batch` of them per call; returns how many. Idempotent: a missed item
    is no longer open. Two sweeps at once claim different rows
    (skip_locked on PostgreSQL).

    Which day it is depends on where she lives, so the query asks, for each
    group of zones sharing a local date now (at most three), for items due
    before that date: the index on open items' due_by does the work and no
    row that is not missed yet is read again and again. calendar.is_missed
    has the last word on each row."""
    by_day: dict[dt.date, list[str]] = defaultdict(list)
    for name, _label in TIME_ZONE_CHOICES:
        by_day[calendar.local_date(now, zoneinfo.ZoneInfo(name))].append(name)
    # A zone outside the model's choices (a hand-edited row) still gets
    # its items found, on the earliest date it can be anywhere.
    in_zone = ~Q(plan__survivor__time_zone__in=[name for zones in by_day.values() for name in zones]) & Q(
        due_by__lt=min(by_day)
    )
    for day, zones in by_day.items():
        in_zone |= Q(plan__survivor__time_zone__in=zones, due_by__lt=day)
    candidates = (
        PlanItem.objects.filter(in_zone, state__in=PlanItem.OPEN_STATES, due_by__lt=max(by_day))
        .exclude(state=PlanItem.State.BOOKED, booked_at__gte=now)
        .select_related("plan__survivor")
        .order_by("due_by", "id")
    )
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True, of=("self",))
        missed: list[PlanItem] = []
        for item in candidates[:batch]:
            tz = her_zone(item.plan.survivor)
            window = calendar.Window(item.opens_on, item.due_by)
            if calendar.is_missed(window, booked_at=item.booked_at, today=calendar.local_date(now, tz), tz=tz):
                missed.append(item)
        by_plan: dict[int, list[PlanItem]] = defaultdict(list)
        for item in missed:
            by_plan[item.plan_id].append(item)
        marked = 0
        for items in by_plan.values():
            # One plan at a time, in a savepoint: a plan whose writes or
            # reminders fail is left open for the next sweep, and the other
            # plans of the batch are marked (a batch rolled back as a whole
            # would meet the same first rows again at every sweep).
            try:
                with transaction.atomic():
                    _mark_missed(items, now=now)
                marked += len(items)
            except Exception:  # isolation: logged with ids only, the rest go on
                log.exception(
                    "plan %s: %s items not marked missed; left for the next sweep", items[0].plan_id, len(items)
                )
    return marked


def _mark_missed(items: list[PlanItem], *, now: dt.datetime) -> None:
    """One plan's items found missed: their state, a PlanChange each (by no
    one: the app found it), and the signal for her reminders."""
    changes = [
        PlanChange(
            plan=item.plan,
            item=item,
            by=None,
            at=now,
            action=PlanChange.Action.MISSED,
            before={"state": item.state},
            after={"state": PlanItem.State.MISSED.value},
        )
        for item in items
    ]
    for item in items:
        item.state, item.missed_at, item.updated_at = PlanItem.State.MISSED, now, now
    PlanItem.objects.bulk_update(items, ["state", "missed_at", "updated_at"])
    PlanChange.objects.bulk_create(changes)
    items_announce(plan=items[0].plan, items=items)
