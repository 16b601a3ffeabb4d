"""Her follow-up plan as her nurse keeps it (/staff/survivors/<id>/plan/):
the items by state, the forms that start the plan and change it, and its
history; and the clinic admin's plan templates (/admin-pages/plan-templates/).
Forms validate shape, one service writes, a failed form comes back with
what was typed and the service's messages by its fields. A nurse's read of
her plan is audited; a clinic admin never reaches it (scope)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from ..access import AuthenticatedHttpRequest, nurse_required
from ..forms import plans as plan_forms
from ..models import PlanItem
from ..selectors.plans import PlanRead, plan_changes, plan_get_for_user, plan_item_get, plan_templates_for_nurse
from ..service_errors import form_add_service_errors
from ..services import plan_items, plans
from ..services.audit import audit_read
from ..services.plan_items import CHANGEABLE
from ..services.plan_templates import plan_template_default
from ..timezones import her_zone
from .plan_history import change_text

HISTORY_LIMIT = 50

# An item's forms: (URL action, form class, what the button says).
ITEM_ACTIONS: dict[str, tuple[type[forms.Form], str]] = {
    "book": (plan_forms.ItemBookForm, "Book"),
    "done": (plan_forms.ItemDoneForm, "Mark done"),
    "move": (plan_forms.ItemMoveForm, "Move"),
    "not-needed": (plan_forms.ItemReasonForm, "Not needed"),
    "drop": (plan_forms.ItemDropForm, "Drop from her plan"),
    "note": (plan_forms.ItemNoteForm, "Save note"),
}


def _item_forms(item: PlanItem, failed: tuple[int, str, forms.Form] | None) -> dict[str, forms.Form]:
    actions = ITEM_ACTIONS if item.state in CHANGEABLE else {"note": ITEM_ACTIONS["note"]}
    made: dict[str, forms.Form] = {}
    for action, (form_class, _label) in actions.items():
        if failed is not None and failed[0] == item.pk and failed[1] == action:
            made[action] = failed[2]
            continue
        initial: dict[str, Any] = {}
        if action == "move":
            initial = {"opens_on": item.opens_on, "due_by": item.due_by}
        elif action == "note":
            initial = {"note": item.note}
        elif action == "book" and item.booked_place:
            initial = {"place": item.booked_place}
        made[action] = _shaped(form_class(prefix=f"item{item.pk}-{action}", initial=initial), item, action)
    return made


def _shaped(form: forms.Form, item: PlanItem, action: str) -> forms.Form:
    """The item's form as this item needs it: named in the error summary
    (every item has a "Due by"), and the seen-early box only on a booking."""
    form.error_summary_row = getattr(item, "words", "") or item.get_kind_display()  # type: ignore[attr-defined]
    if action == "done" and item.state != PlanItem.State.BOOKED:
        form.fields.pop("seen_early", None)
    return form


def _page(
    request: AuthenticatedHttpRequest,
    read: PlanRead,
    *,
    page_forms: dict[str, forms.Form] | None = None,
    failed_item: tuple[int, str, forms.Form] | None = None,
) -> HttpResponse:
    survivor, plan = read.survivor, read.plan
    audit_read(reader=request.user, action="plan.view", survivor=survivor, target=plan or survivor)
    page_forms = page_forms or {}
    context: dict[str, Any] = {"survivor": survivor, "read": read, "plan": plan}
    if plan is None:
        templates = plan_templates_for_nurse(user=request.user, clinic=survivor.clinic)
        context["start_form"] = page_forms.get("start") or plan_forms.PlanStartForm(prefix="start", templates=templates)
    else:
        dates = {name: getattr(plan, name) for name in plan_forms.KeyDatesForm.base_fields}
        context["dates_form"] = page_forms.get("dates") or plan_forms.KeyDatesForm(prefix="dates", initial=dates)
        context["add_form"] = page_forms.get("add") or plan_forms.ItemAddForm(prefix="add")
        if plan.takes_endocrine or "endocrine" in page_forms:
            context["endocrine_form"] = page_forms.get("endocrine") or plan_forms.EndocrineEndForm(prefix="endocrine")
        context["groups"] = [
            (state, [(item, _item_forms(item, failed_item)) for item in items]) for state, items in read.by_state()
        ]
        context["item_actions"] = {action: label for action, (_form, label) in ITEM_ACTIONS.items()}
        tz = her_zone(survivor)
        context["changes"] = [
            (change, change_text(change, tz)) for change in plan_changes(plan=plan, limit=HISTORY_LIMIT)
        ]
        context["failed_item"] = failed_item[2] if failed_item else None
        context["open_item"] = failed_item[0] if failed_item else None
    return render(request, "staff/plan/plan.html", context)


@nurse_required
@require_http_methods(["GET", "POST"])
def survivor_plan(request: AuthenticatedHttpRequest, survivor_id: int) -> HttpResponse:
    read = plan_get_for_user(user=request.user, survivor_id=survivor_id)
    if request.method == "GET":
        if read.plan is None and read.survivor.clinic is not None:
            # Her clinic's default template, made the first time anyone needs
            # it (idempotent): a clinic starts with the guidance's template.
            plan_template_default(clinic=read.survivor.clinic)
        return _page(request, read)
    action = next((name for name in PLAN_ACTIONS if name in request.POST), "")
    if not action or (read.plan is None) != (action == "start"):
        messages.error(request, "That form is out of date: the page has been reloaded.")
        return redirect("survivor_plan", survivor_id=read.survivor.pk)
    form = _plan_form(request, read, action)
    if form.is_valid():
        try:
            said = _plan_call(request, read, action, form.cleaned_data)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, said)
            return redirect("survivor_plan", survivor_id=read.survivor.pk)
    return _page(request, read, page_forms={action: form})


# The plan's forms, by the name of their submit button: "start" before she
# has a plan, the others once she has one.
PLAN_ACTIONS: dict[str, type[forms.Form]] = {
    "start": plan_forms.PlanStartForm,
    "dates": plan_forms.KeyDatesForm,
    "endocrine": plan_forms.EndocrineEndForm,
    "add": plan_forms.ItemAddForm,
}


def _plan_form(request: AuthenticatedHttpRequest, read: PlanRead, action: str) -> forms.Form:
    if action == "start":
        templates = plan_templates_for_nurse(user=request.user, clinic=read.survivor.clinic)
        return plan_forms.PlanStartForm(request.POST, prefix="start", templates=templates)
    return PLAN_ACTIONS[action](request.POST, prefix=action)


def _plan_call(request: AuthenticatedHttpRequest, read: PlanRead, action: str, data: dict[str, Any]) -> str:
    by = request.user
    if action == "start":
        plans.plan_start(by=by, survivor=read.survivor, **data)
        return "Her plan is started."
    assert read.plan is not None
    if action == "dates":
        plans.plan_dates_update(by=by, plan=read.plan, **data)
        return "Her key dates are saved; the items still due are planned from them."
    if action == "endocrine":
        plans.plan_endocrine_end(by=by, plan=read.plan, end_on=data["end_on"])
        return "The end of her hormone therapy is saved: her check-in stops asking about it."
    plan_items.plan_item_add(by=by, plan=read.plan, **data)
    return "The item is added to her plan."


@nurse_required
@require_POST
def plan_item_update(request: AuthenticatedHttpRequest, survivor_id: int, item_id: int, action: str) -> HttpResponse:
    read = plan_get_for_user(user=request.user, survivor_id=survivor_id)
    item = plan_item_get(read=read, item_id=item_id)
    if action not in ITEM_ACTIONS:
        return redirect("survivor_plan", survivor_id=read.survivor.pk)
    form_class, _label = ITEM_ACTIONS[action]
    form = _shaped(form_class(request.POST, prefix=f"item{item.pk}-{action}"), item, action)
    if form.is_valid():
        try:
            said = _item_call(request, item, action, form.cleaned_data, read)
        except ValidationError as error:
            form_add_service_errors(form, error, rename={"booked_at": "booked_on"})
        else:
            messages.success(request, said)
            return redirect("survivor_plan", survivor_id=read.survivor.pk)
    return _page(request, read, failed_item=(item.pk, action, form))


def _item_call(
    request: AuthenticatedHttpRequest, item: PlanItem, action: str, data: dict[str, Any], read: PlanRead
) -> str:
    by = request.user
    if action == "book":
        tz = her_zone(read.survivor)
        booked_at = dt.datetime.combine(data["booked_on"], data["booked_time"], tzinfo=tz)
        plan_items.plan_item_book(by=by, item=item, booked_at=booked_at, place=data["place"])
        return "Booked."
    if action == "done":
        plan_items.plan_item_done(by=by, item=item, done_on=data["done_on"], seen_early=data.get("seen_early", False))
        return "Marked done; the next ones are planned from that day."
    if action == "move":
        plan_items.plan_item_move(by=by, item=item, opens_on=data["opens_on"], due_by=data["due_by"])
        _warn_overlap(request, item, read, opens_on=data["opens_on"], due_by=data["due_by"])
        return "Moved."
    if action == "not-needed":
        plan_items.plan_item_not_needed(by=by, item=item, reason=data["reason"])
        return "Marked not needed."
    if action == "drop":
        plan_items.plan_item_drop(by=by, item=item, reason=data["reason"])
        return "Dropped from her plan (kept in its history)."
    plan_items.plan_item_note(by=by, item=item, note=data["note"])
    return "Note saved."


def _warn_overlap(
    request: AuthenticatedHttpRequest, item: PlanItem, read: PlanRead, *, opens_on: dt.date, due_by: dt.date
) -> None:
    """A move is the nurse's call, so an overlap with another open item of
    the same kind is saved, and said: two mammograms due at once is more
    often a slip than a plan."""
    for other in read.items:
        if (
            other.pk != item.pk
            and other.kind == item.kind
            and other.state in PlanItem.OPEN_STATES
            and other.opens_on <= due_by
            and opens_on <= other.due_by
        ):
            messages.warning(
                request,
                f"It now overlaps {getattr(other, 'words', other.get_kind_display())} "
                f"(due {other.opens_on:%-d %b %Y} to {other.due_by:%-d %b %Y}): "
                "check she needs both, or move or drop one.",
            )
