"""Small plan rows for followup's tests (issue 15): a template, her plan, an
item in a given state, with the dates these tests reason about (the
factories in tests/factories.py pick their own)."""

from __future__ import annotations

import datetime as dt

from tracker.models import Plan, PlanItem, PlanTemplate, User
from tracker.signals import plan_items_changed


def plan_for(survivor: User, nurse: User) -> Plan:
    template, _ = PlanTemplate.objects.get_or_create(clinic=survivor.clinic, name="Test template")
    return Plan.objects.create(
        survivor=survivor,
        template=template,
        diagnosis_on=dt.date(2024, 1, 10),
        started_on=dt.date(2026, 1, 5),
        started_by=nurse,
    )


def item_for(plan: Plan, *, opens_on: dt.date, due_by: dt.date, kind: str = "visit", **fields) -> PlanItem:
    return PlanItem.objects.create(plan=plan, kind=kind, opens_on=opens_on, due_by=due_by, **fields)


def changed(plan: Plan, *items: PlanItem) -> None:
    """What tracker's plan services send after changing items."""
    plan_items_changed.send(sender=PlanItem, plan=plan, items=list(items))


def save(item: PlanItem, **fields) -> PlanItem:
    for name, value in fields.items():
        setattr(item, name, value)
    item.save()
    return item
