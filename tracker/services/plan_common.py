"""What every write to her plan shares (plans.py, plan_items.py): her
today (in her zone, tracker/timezones.py), her key dates as the calendar's
Anchors, who may write (require_nurse_of), the PlanChange with its audit
row (change_record), the signal (items_announce), the checks of a date and
of an item's window, the generation of a template's items up to the
two-year horizon, the lock the writes that generate items take turns on
(plan_lock) and how far her plan is planned (planned_until_set)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from .. import scope
from ..models import Plan, PlanChange, PlanItem, PlanTemplate, User
from ..plans import calendar
from ..plans.serialize import TemplateItemsError, template_spec
from ..plans.spec import Anchors, ItemSpec
from ..signals import plan_items_changed
from ..timezones import her_zone
from .audit import audit_record

EARLIEST = dt.date(1900, 1, 1)


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


def plans_locked(rows: QuerySet[Plan], *, skip_locked: bool = False) -> QuerySet[Plan]:
    """Plan rows to lock for this transaction, so the writes that plan
    items (new dates, roll forward, the sweep's extension) take turns: none
    reads her items while another is replacing them. FOR NO KEY UPDATE on
    PostgreSQL: a nurse adding an item (which only takes KEY SHARE on the
    plan) does not wait for it. skip_locked (the sweep): a plan another
    transaction holds is not returned."""
    if not connection.features.has_select_for_update:
        return rows
    return rows.select_for_update(
        skip_locked=skip_locked and connection.features.has_select_for_update_skip_locked,
        no_key=connection.features.has_select_for_no_key_update,
        of=("self",),
    )


def plan_lock(plan: Plan) -> None:
    """Her plan's row locked for this transaction (plans_locked), waiting
    for a sweep extending it."""
    list(plans_locked(Plan.objects.filter(pk=plan.pk)).values_list("pk", flat=True))


def planned_until_set(*, plan: Plan, until: dt.date) -> None:
    """Every template item of her plan is planned up to `until` (the
    sweep's extension asks for plans short of their horizon on this)."""
    plan.planned_until = until
    Plan.objects.filter(pk=plan.pk).update(planned_until=until)


def _last_seen(rows: Iterable[PlanItem], tz: zoneinfo.ZoneInfo) -> dt.date | None:
    # A booking stands for the visit until it is done (items_generate, 1).
    seen = [row.done_on for row in rows if row.done_on is not None]
    seen += [calendar.local_date(row.booked_at, tz) for row in rows if row.state == "booked" and row.booked_at]
    return max(seen, default=None)


def _windows_beyond(
    spec: ItemSpec, anchors: Anchors, mine: list[PlanItem], *, today: dt.date, until: dt.date, last: dt.date | None
) -> list[calendar.Window]:
    """The windows of `spec` after the last one planned of its key (the
    latest due_by of its rows, whatever their state), due from her today.

    The chain is counted from `last` with `after` no later than it, so it
    is the chain her items were projected on: with `after` = today, a
    last-done long past would make calendar.windows treat its next window
    as overdue and restart the rhythm from today, packing a window against
    the last one planned."""
    planned = max(row.due_by for row in mine)
    start = min(today, last) if last is not None else today
    return [
        calendar.Window(max(window.opens, today), window.due_by)
        for window in calendar.windows(spec, anchors, after=start, until=until, last_done=last)
        if window.due_by > planned and window.due_by >= today
    ]


def items_generate(
    *, plan: Plan, specs: Iterable[ItemSpec], today: dt.date, tz: zoneinfo.ZoneInfo, beyond_planned: bool = False
) -> list[PlanItem]:
    """The template items' windows from her today up to the horizon, for
    each spec, written as due items.

    1. Counted from the latest of her done items and booked days of that
       key (calendar.windows' last_done): a booking stands for the visit
       until it is done, when roll forward counts from the real day.
    2. A window that overlaps an item of the key kept on the plan (done,
       booked, missed, not needed: a nurse's decision) is not made again.
    3. beyond_planned (the sweep's extension, plan_horizon.py): for a key
       with rows, only the windows after its last one (_windows_beyond), so
       time passing adds to her plan and never fills it in behind her."""
    until = calendar.horizon(today)
    kept: dict[str, list[PlanItem]] = defaultdict(list)
    for row in plan.items.exclude(key=""):
        kept[row.key].append(row)
    made: list[PlanItem] = []
    anchors = anchors_of(plan)
    for spec in specs:
        mine = kept[spec.key]
        last = _last_seen(mine, tz)
        if beyond_planned and mine:
            windows = _windows_beyond(spec, anchors, mine, today=today, until=until, last=last)
        else:
            windows = calendar.windows(spec, anchors, after=today, until=until, last_done=last)
        for window in windows:
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
