"""Her follow-up plan as a CarePlan, each item (a visit, a mammogram...) as
a ServiceRequest based on it.

An item's own state (due, booked, done, missed, not needed) goes out in an
extension of ours beside ServiceRequest.status, which is coarser: a missed
item is still wanted (it can be booked again), so it stays active. The
item's note (the nurse's) and her questions for the visit (her words, for
the visit) stay out: free text the chart does not need to order or track
the item."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from tracker.models import Plan, PlanItem

from . import codes, ids
from .common import choice_label, english, latest, meta, resource

# care_plan(plan) reads its template (the plan's title) and its items' ids:
# Plan.objects.select_related(*PLAN_SELECT).prefetch_related(*PLAN_PREFETCH).
PLAN_SELECT = ("template",)
PLAN_PREFETCH = (Prefetch("items", queryset=PlanItem.objects.only("id", "plan_id")),)
# service_request(item) reads its plan (her, and who started it):
# PlanItem.objects.select_related(*SERVICE_REQUEST_SELECT).
SERVICE_REQUEST_SELECT = ("plan",)

# PlanItem.State -> ServiceRequest.status (active | completed | revoked ...).
ITEM_STATUS = {
    PlanItem.State.DUE: "active",
    PlanItem.State.BOOKED: "active",
    PlanItem.State.MISSED: "active",
    PlanItem.State.DONE: "completed",
    PlanItem.State.NOT_NEEDED: "revoked",
}


def care_plan(plan: Plan) -> dict[str, Any]:
    data: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": ids.make("care_plan", plan.pk),
        "meta": meta(latest(plan.created_at, plan.updated_at)),
        "status": "active",
        "intent": "plan",
        "title": plan.template.name,
        "description": "Follow-up after breast cancer treatment: visits and tests, each due in a window.",
        "subject": ids.ref("patient", plan.survivor_id),
        "period": {"start": plan.started_on},
        "created": plan.created_at,
        "author": ids.ref("practitioner", plan.started_by_id),
    }
    items = sorted(plan.items.all(), key=lambda item: item.pk)
    if items:
        data["activity"] = [{"reference": ids.ref("service_request", item.pk)} for item in items]
    return resource(data)


def service_request(item: PlanItem, *, words: str | None = None) -> dict[str, Any]:
    """`words`: what the item is called (tracker.selectors.plans.item_words,
    for a template item whose words are the template's); else the nurse's
    label, else its kind."""
    state = PlanItem.State(item.state)
    text = english(words) if words else (item.label or choice_label_kind(item.kind))
    data: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": ids.make("service_request", item.pk),
        "meta": meta(latest(item.created_at, item.updated_at, item.booked_at, item.missed_at)),
        "extension": [
            {
                "url": codes.canonical(codes.PLAN_ITEM_STATE_EXTENSION),
                "valueCoding": codes.coding(codes.PLAN_ITEM_STATE, state.value, choice_label(PlanItem.State, state)),
            }
        ],
        "basedOn": [ids.ref("care_plan", item.plan_id)],
        "status": ITEM_STATUS[state],
        "intent": "plan",
        "code": codes.plan_item_concept(item.kind, text),
        "subject": ids.ref("patient", item.plan.survivor_id),
        "authoredOn": item.created_at,
        "requester": ids.ref("practitioner", item.plan.started_by_id),
    }
    if item.booked_at is not None:
        data["occurrenceDateTime"] = item.booked_at
    else:
        data["occurrencePeriod"] = {"start": item.opens_on, "end": item.due_by}
    if item.booked_place:
        data["locationCode"] = [{"text": item.booked_place}]
    return resource(data)


def choice_label_kind(kind: str) -> str:
    return english(dict(PlanItem.KIND_CHOICES).get(kind, kind))
