"""Her follow-up plan's writes as a whole: starting it from a template with
her key dates (plan_start), changing those dates (plan_dates_update), the
end of her hormone therapy (plan_endocrine_end), and the sweep's step that
finds items missed (plan_items_mark_missed). One item's writes (add, move,
book, done, drop...) are in plan_items.py, which shares the helpers below.

Every write here:
- is a nurse's of one of her clinics (tracker/scope.py), or the sweep's;
- keeps a PlanChange with who, when and the changed fields before/after,
  and an audit row for a person's write;
- sends tracker.signals.plan_items_changed inside its transaction, so
  followup writes or cancels the items' reminders in the same commit.

Her plan's dates are calendar dates in her time zone: "today" is hers
(calendar.local_date), not the server's. Items are generated for two years
ahead (calendar.horizon) and roll forward as they are done.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from .. import scope
from ..models import TIME_ZONE_CHOICES, Plan, PlanChange, PlanItem, PlanTemplate, User
from ..plans import calendar
from ..plans.serialize import TemplateItemsError, template_spec
from ..plans.spec import Anchors, ItemSpec
from ..signals import plan_items_changed
from .audit import audit_record

EARLIEST = dt.date(1900, 1, 1)
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


# ---------------------------------------------------------------- shared


def her_zone(survivor: User) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(survivor.time_zone or "UTC")


def her_today(survivor: User, now: dt.datetime | None = None) -> dt.date:
    """Her calendar date now (in Tokyo, 20:00 UTC is tomorrow)."""
    return calendar.local_date(now or timezone.now(), her_zone(survivor))


def anchors_of(plan: Plan) -> Anchors:
    return Anchors(
        diagnosis=plan.diagnosis_on,
        start=plan.started_on,
        surgery=plan.surgery_on,
        radiation_end=plan.radiation_end_on,
        endocrine_start=plan.endocrine_start_on,
        first_mammogram=plan.first_mammogram_on,
    )


def require_nurse_of(by: User, survivor: User) -> None:
    """Who may change her plan: a nurse of her clinic. The views reach the
    plan through a selector that answers 404 first; this is the service's
    own guard, so no other caller changes a plan it may not."""
    if not by.is_nurse or not scope.survivors_of(by).filter(pk=survivor.pk).exists():
        raise PermissionDenied("Only a nurse of her clinic changes her plan.")


def jsonable(value: object) -> object:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def change_record(
    *,
    plan: Plan,
    by: User | None,
    action: str,
    item: PlanItem | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> PlanChange:
    """One PlanChange (the plan's history) and, for a person's write, an
    audit row (the project's trail of who changed whose data)."""
    change = PlanChange.objects.create(
        plan=plan,
        item=item,
        by=by,
        action=action,
        before={name: jsonable(value) for name, value in (before or {}).items()},
        after={name: jsonable(value) for name, value in (after or {}).items()},
    )
    if by is not None:
        audit_record(actor=by, action=f"plan.{action}", survivor=plan.survivor, target=item or plan)
    return change


def items_announce(*, plan: Plan, items: Sequence[PlanItem]) -> None:
    """Inside the caller's transaction (tracker/signals.py says why)."""
    plan_items_changed.send(sender=Plan, plan=plan, items=list(items))


def date_problem(day: dt.date | None, *, today: dt.date, what: str) -> str | None:
    """The message for one of her past dates, or None when it is fine."""
    if day is None:
        return None
    if day > today:
        return f"The {what} can't be in the future (her today is {today:%-d %b %Y})."
    if day < EARLIEST:
        return f"The {what} can't be before {EARLIEST.year}."
    return None


def window_problems(opens_on: dt.date, due_by: dt.date, *, today: dt.date) -> dict[str, list[str]]:
    """Messages by field for an item's window (opens_on..due_by)."""
    errors: dict[str, list[str]] = {}
    latest = calendar.add_months(today, 12 * 10)
    if opens_on < EARLIEST:
        errors["opens_on"] = [f"The window can't open before {EARLIEST.year}."]
    if due_by > latest:
        errors["due_by"] = [f"Plan at most ten years ahead (by {latest:%-d %b %Y})."]
    elif due_by < opens_on:
        errors["due_by"] = ["The window must close on or after the day it opens."]
    elif due_by < today:
        errors["due_by"] = [f"The window has already closed (her today is {today:%-d %b %Y})."]
    return errors


def _overlaps(window: calendar.Window, item: PlanItem) -> bool:
    return window.opens <= item.due_by and item.opens_on <= window.due_by


def items_generate(*, plan: Plan, specs: Iterable[ItemSpec], today: dt.date, tz: zoneinfo.ZoneInfo) -> list[PlanItem]:
    """The template items' windows from her today up to the horizon, for
    each spec, written as due items.

    1. Counted from the latest of her done items and booked days of that
       key (calendar.windows' last_done): a booking stands for the visit
       until it is done, when roll forward counts from the real day.
    2. A window that overlaps an item of the key kept on the plan (done,
       booked, missed, not needed: a nurse's decision) is not made again."""
    until = calendar.horizon(today)
    kept: dict[str, list[PlanItem]] = defaultdict(list)
    for row in plan.items.exclude(key=""):
        kept[row.key].append(row)
    made: list[PlanItem] = []
    anchors = anchors_of(plan)
    for spec in specs:
        mine = kept[spec.key]
        seen = [row.done_on for row in mine if row.done_on is not None]
        seen += [calendar.local_date(row.booked_at, tz) for row in mine if row.state == "booked" and row.booked_at]
        last = max(seen, default=None)
        for window in calendar.windows(spec, anchors, after=today, until=until, last_done=last):
            if any(_overlaps(window, row) for row in mine):
                continue
            made.append(
                PlanItem(plan=plan, key=spec.key, kind=spec.kind.value, opens_on=window.opens, due_by=window.due_by)
            )
    for row in made:
        row.full_clean(exclude=["plan"])
    return PlanItem.objects.bulk_create(made)


def template_items(template: PlanTemplate) -> tuple[ItemSpec, ...]:
    try:
        return template_spec(template).items
    except TemplateItemsError as error:
        raise ValidationError({"template": error.messages}) from None


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
            plan = Plan.objects.create(survivor=survivor, template=template, started_on=today, started_by=by, **dates)
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
        changes = []
        for item in missed:
            changes.append(
                PlanChange(
                    plan=item.plan,
                    item=item,
                    by=None,
                    at=now,
                    action=PlanChange.Action.MISSED,
                    before={"state": item.state},
                    after={"state": PlanItem.State.MISSED.value},
                )
            )
            item.state, item.missed_at, item.updated_at = PlanItem.State.MISSED, now, now
            by_plan[item.plan_id].append(item)
        PlanItem.objects.bulk_update(missed, ["state", "missed_at", "updated_at"])
        PlanChange.objects.bulk_create(changes)
        for items in by_plan.values():
            items_announce(plan=items[0].plan, items=items)
    return len(missed)
