"""One item of her plan, as her nurse changes it: add one of her own
(plan_item_add), move its window (plan_item_move), book it (plan_item_book),
mark it done and roll the next ones forward from that day (plan_item_done),
mark it not needed or drop it with a reason (plan_item_not_needed,
plan_item_drop: the row stays, so her history does) and write its note
(plan_item_note). The plan as a whole, and the helpers every write shares
(who may, the PlanChange, the signal), in plan_common.py."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import Plan, PlanChange, PlanItem, User
from ..models.plans import PLAN_LABEL_MAX_LENGTH, PLAN_NOTE_MAX_LENGTH, PLAN_PLACE_MAX_LENGTH
from ..plans import calendar
from ..plans.spec import Kind
from .plan_common import (
    change_record,
    date_problem,
    her_today,
    her_zone,
    items_announce,
    items_generate,
    plan_lock,
    require_nurse_of,
    template_items,
    window_problems,
)

REASON_MAX_LENGTH = 500
DROP_REASON_REQUIRED = "Say why it is dropped, for example \u201cmastectomy of both breasts\u201d."
# How far ahead a booking may be: a slip of the year otherwise.
BOOKING_MAX_MONTHS = 36
# The states an item can still be booked, moved, done or dropped from: a
# missed one too (she is seen late, or it is booked again).
CHANGEABLE = (PlanItem.State.DUE, PlanItem.State.BOOKED, PlanItem.State.MISSED)


def _text(value: str, *, field: str, longest: int, errors: dict[str, list[str]], required: str = "") -> str:
    value = value.strip()
    if required and not value:
        errors[field] = [required]
    elif len(value) > longest:
        errors[field] = [f"At most {longest:,} characters (this has {len(value):,})."]
    return value


def _locked(item: PlanItem, *, by: User, states=CHANGEABLE) -> PlanItem:
    """The item again, locked for this transaction (two nurses at once: the
    second sees the first's change), after the checks every write makes."""
    row = PlanItem.objects.select_for_update().select_related("plan__survivor", "plan__template").get(pk=item.pk)
    require_nurse_of(by, row.plan.survivor)
    if row.state not in states:
        raise ValidationError(f"This item is already {row.get_state_display().lower()}: it can't be changed now.")
    return row


def _save(row: PlanItem, fields: list[str]) -> None:
    row.updated_at = timezone.now()
    row.full_clean()
    row.save(update_fields=[*fields, "updated_at"])


def plan_item_add(
    *,
    by: User,
    plan: Plan,
    kind: str,
    label: str,
    opens_on: dt.date,
    due_by: dt.date,
    note: str = "",
    today: dt.date | None = None,
) -> PlanItem:
    """An item of her nurse's own (key ""): it does not roll forward."""
    require_nurse_of(by, plan.survivor)
    today = today or her_today(plan.survivor)
    errors = window_problems(opens_on, due_by, today=today)
    if kind not in {k.value for k in Kind}:
        errors["kind"] = ["Choose what it is."]
    label = _text(label, field="label", longest=PLAN_LABEL_MAX_LENGTH, errors=errors, required="Say what it is.")
    note = _text(note, field="note", longest=PLAN_NOTE_MAX_LENGTH, errors=errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        item = PlanItem(plan=plan, kind=kind, label=label, opens_on=opens_on, due_by=due_by, note=note)
        item.full_clean()
        item.save()
        after = {"kind": kind, "label": label, "opens_on": opens_on, "due_by": due_by}
        change_record(plan=plan, by=by, action=PlanChange.Action.ADDED, item=item, after=after)
        items_announce(plan=plan, items=[item])
    return item


def plan_item_move(
    *, by: User, item: PlanItem, opens_on: dt.date, due_by: dt.date, today: dt.date | None = None
) -> PlanItem:
    """A new window. A missed item moved to a window still open is due
    again; its stale booking, if it had one, goes."""
    with transaction.atomic():
        row = _locked(item, by=by)
        today = today or her_today(row.plan.survivor)
        errors = window_problems(opens_on, due_by, today=today)
        if errors:
            raise ValidationError(errors)
        before = {"opens_on": row.opens_on, "due_by": row.due_by, "state": row.state}
        row.opens_on, row.due_by = opens_on, due_by
        fields = ["opens_on", "due_by"]
        if row.state == PlanItem.State.MISSED:
            row.state, row.missed_at, row.booked_at, row.booked_place = PlanItem.State.DUE, None, None, ""
            fields += ["state", "missed_at", "booked_at", "booked_place"]
        _save(row, fields)
        after = {"opens_on": opens_on, "due_by": due_by, "state": row.state}
        change_record(plan=row.plan, by=by, action=PlanChange.Action.MOVED, item=row, before=before, after=after)
        items_announce(plan=row.plan, items=[row])
    return row


def plan_item_book(
    *, by: User, item: PlanItem, booked_at: dt.datetime, place: str, now: dt.datetime | None = None
) -> PlanItem:
    """Booked for `booked_at` (aware; her calendar day decides whether it
    has passed) at `place`. A booking made after the window closed is
    fine: the item is not missed before the booked day (calendar.is_missed)."""
    if booked_at.tzinfo is None or booked_at.utcoffset() is None:
        raise ValueError("booked_at must be aware")
    with transaction.atomic():
        row = _locked(item, by=by)
        tz = her_zone(row.plan.survivor)
        today = calendar.local_date(now or timezone.now(), tz)
        errors: dict[str, list[str]] = {}
        day = calendar.local_date(booked_at, tz)
        latest = calendar.add_months(today, BOOKING_MAX_MONTHS)
        if day < today:
            errors["booked_at"] = ["A booking is for today or later; if she was seen, mark it done."]
        elif day > latest:
            errors["booked_at"] = [f"Book at most three years ahead (by {latest:%-d %b %Y})."]
        place = _text(place, field="place", longest=PLAN_PLACE_MAX_LENGTH, errors=errors)
        if errors:
            raise ValidationError(errors)
        before = {"state": row.state, "booked_at": row.booked_at, "booked_place": row.booked_place}
        row.state, row.booked_at, row.booked_place, row.missed_at = PlanItem.State.BOOKED, booked_at, place, None
        _save(row, ["state", "booked_at", "booked_place", "missed_at"])
        after = {"state": row.state, "booked_at": booked_at.astimezone(dt.UTC), "booked_place": place}
        change_record(plan=row.plan, by=by, action=PlanChange.Action.BOOKED, item=row, before=before, after=after)
        items_announce(plan=row.plan, items=[row])
    return row


def plan_item_done(
    *, by: User, item: PlanItem, done_on: dt.date, today: dt.date | None = None, seen_early: bool = False
) -> PlanItem:
    """She was seen (or had the test) on `done_on`, early, in the window or
    late. A booked item done before its booked day needs `seen_early`: a
    slip of the date (the booking still stands) is far likelier than a
    visit moved forward, yet she can be seen early (a slot freed up) and
    that must be recordable; so it is confirmed, not refused. A template
    item then rolls forward:

    1. the later items of its key still only due are removed (projections
       from before she was seen);
    2. the windows after `done_on` up to two years from her today are made
       (calendar.windows from her today with done_on as the last done: the
       roll_forward rule, except that a window already closed is due from
       today rather than made missed at once), skipping any that overlaps
       an item kept (booked, done, dropped)."""
    with transaction.atomic():
        row = _locked(item, by=by)
        plan = row.plan
        today = today or her_today(plan.survivor)
        problem = date_problem(done_on, today=today, what="day she was seen")
        if problem is None and done_on < plan.diagnosis_on:
            problem = f"The day she was seen can't be before her diagnosis ({plan.diagnosis_on:%-d %b %Y})."
        if problem is None and not seen_early:
            problem = _before_booking(row, done_on)
        if problem:
            raise ValidationError({"done_on": [problem]})
        before = {"state": row.state}
        row.state, row.done_on, row.missed_at = PlanItem.State.DONE, done_on, None
        _save(row, ["state", "done_on", "missed_at"])
        change_record(
            plan=plan,
            by=by,
            action=PlanChange.Action.DONE,
            item=row,
            before=before,
            after={"state": row.state, "done_on": done_on},
        )
        changed = [row, *_roll_forward(row, by=by, today=today)]
        items_announce(plan=plan, items=changed)
    return row


def _before_booking(row: PlanItem, done_on: dt.date) -> str | None:
    if row.state != PlanItem.State.BOOKED or row.booked_at is None:
        return None
    booked_on = calendar.local_date(row.booked_at, her_zone(row.plan.survivor))
    if done_on >= booked_on:
        return None
    return (
        f"It is booked for {booked_on:%-d %B %Y}; mark it done on or after that day, or move the booking. "
        "If she was seen before it, tick “She was seen before her booking”."
    )


def _roll_forward(row: PlanItem, *, by: User, today: dt.date) -> list[PlanItem]:
    if not row.key:
        return []  # her nurse's own item: nothing to project
    try:
        spec = next((spec for spec in template_items(row.plan.template) if spec.key == row.key), None)
    except ValidationError:
        spec = None  # a template that no longer reads: the visit is recorded all the same
    if spec is None:
        return []
    # Her other keys are planned where they were, so planned_until (every
    # key's) stays; the lock keeps the sweep's extension out meanwhile.
    plan_lock(row.plan)
    later = row.plan.items.filter(key=row.key, state=PlanItem.State.DUE, opens_on__gte=row.opens_on).exclude(pk=row.pk)
    replaced = [f"{a}..{b}" for a, b in later.values_list("opens_on", "due_by")]
    later.delete()
    made = items_generate(plan=row.plan, specs=[spec], today=today, tz=her_zone(row.plan.survivor))
    if replaced or made:
        change_record(
            plan=row.plan,
            by=by,
            action=PlanChange.Action.ROLLED,
            item=row,
            before={"windows": replaced},
            after={"windows": [f"{item.opens_on}..{item.due_by}" for item in made]},
        )
    return made


def _set_not_needed(*, by: User, item: PlanItem, reason: str, action: str, required: str) -> PlanItem:
    errors: dict[str, list[str]] = {}
    reason = _text(reason, field="reason", longest=REASON_MAX_LENGTH, errors=errors, required=required)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = _locked(item, by=by)
        before = {"state": row.state}
        row.state = PlanItem.State.NOT_NEEDED
        _save(row, ["state"])
        after = {"state": row.state, **({"reason": reason} if reason else {})}
        change_record(plan=row.plan, by=by, action=action, item=row, before=before, after=after)
        items_announce(plan=row.plan, items=[row])
    return row


def plan_item_not_needed(*, by: User, item: PlanItem, reason: str = "") -> PlanItem:
    """Not needed this time (done elsewhere, she is in another plan of
    care...). The row stays, with the reason in its history."""
    return _set_not_needed(by=by, item=item, reason=reason, action=PlanChange.Action.NOT_NEEDED, required="")


def plan_item_drop(*, by: User, item: PlanItem, reason: str) -> PlanItem:
    """Dropped from her plan because it does not apply to her: kept as not
    needed (not deleted), so her history keeps it and why."""
    return _set_not_needed(
        by=by, item=item, reason=reason, action=PlanChange.Action.DROPPED, required=DROP_REASON_REQUIRED
    )


def plan_item_note(*, by: User, item: PlanItem, note: str) -> PlanItem:
    """Her nurse's note on an item, whatever its state."""
    errors: dict[str, list[str]] = {}
    note = _text(note, field="note", longest=PLAN_NOTE_MAX_LENGTH, errors=errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = _locked(item, by=by, states=tuple(PlanItem.State))
        if row.note == note:
            return row
        before = {"note": row.note}
        row.note = note
        _save(row, ["note"])
        change_record(
            plan=row.plan, by=by, action=PlanChange.Action.NOTE, item=row, before=before, after={"note": note}
        )
        items_announce(plan=row.plan, items=[row])
    return row
