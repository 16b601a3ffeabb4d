"""Reads of her follow-up plan and of the clinics' plan templates that
depend on who asks. Each get answers 404 alike for "missing" and "not
yours"; who sees which survivor is tracker/scope.py's (a nurse: her
clinics' survivors; a clinic admin: templates only, never her plan).
Staff reads of her plan are audited by the view (audit_read)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import Http404

from .. import scope
from ..models import Clinic, Plan, PlanChange, PlanItem, PlanTemplate, User
from ..plans.serialize import TemplateItemsError, template_spec
from ..plans.spec import Label, Template
from .access import survivor_get_for_user

# Items in the order the plan page lists them: what to act on first.
STATE_ORDER = (
    PlanItem.State.MISSED,
    PlanItem.State.DUE,
    PlanItem.State.BOOKED,
    PlanItem.State.DONE,
    PlanItem.State.NOT_NEEDED,
)


@dataclass
class PlanRead:
    """Her plan as a page shows it: None when none is started yet."""

    survivor: User
    plan: Plan | None
    template: Template | None = None
    items: list[PlanItem] = field(default_factory=list)

    def by_state(self) -> list[tuple[PlanItem.State, list[PlanItem]]]:
        return [(state, [item for item in self.items if item.state == state]) for state in STATE_ORDER]


def item_words(item: PlanItem, template: Template | None) -> Label:
    """What an item is called: her nurse's label, else the template item's
    (translated for a shipped template), else its kind."""
    if item.label:
        return item.label
    if template is not None:
        for spec in template.items:
            if spec.key == item.key:
                return spec.label
    return item.get_kind_display()


def template_or_none(template: PlanTemplate) -> Template | None:
    """The template's words and items (tracker/plans/serialize.py); None for
    a hand-edited row that no longer passes: the pages then show the row's
    own words and the items by their kind."""
    try:
        return template_spec(template)
    except TemplateItemsError:
        return None


def plan_get_for_user(*, user: User, survivor_id: int) -> PlanRead:
    """Her plan and its items for someone who may read her health data
    (scope.survivors_of: she herself, a nurse of her clinic); 404 for
    anyone else. Each item carries `words` (item_words)."""
    survivor = survivor_get_for_user(user=user, survivor_id=survivor_id)
    plan = Plan.objects.filter(survivor=survivor).select_related("template", "started_by").first()
    if plan is None:
        return PlanRead(survivor=survivor, plan=None)
    template = template_or_none(plan.template)
    items = list(plan.items.order_by("opens_on", "id"))
    for item in items:
        item.words = item_words(item, template)  # type: ignore[attr-defined]
    return PlanRead(survivor=survivor, plan=plan, template=template, items=items)


def plan_item_get(*, read: PlanRead, item_id: int) -> PlanItem:
    """One item of a plan already read for this person; 404 otherwise."""
    for item in read.items:
        if item.pk == item_id:
            return item
    raise Http404("No such item.")


def plan_changes(*, plan: Plan, limit: int = 50) -> list[PlanChange]:
    """Her plan's history, newest first, with who made each change."""
    return list(plan.changes.select_related("by", "item").order_by("-at", "-id")[: max(0, min(limit, 500))])


def plan_templates_for_admin(*, user: User) -> QuerySet[PlanTemplate]:
    """The templates of a clinic admin's clinics; none for anyone else."""
    if not user.is_authenticated or not user.is_clinic_admin:
        return PlanTemplate.objects.none()
    return (
        PlanTemplate.objects.filter(clinic__in=scope.clinics_of(user))
        .select_related("clinic")
        .order_by("clinic__name", "-builtin", "name")
    )


def plan_template_get_for_admin(*, user: User, template_id: int) -> PlanTemplate:
    template = plan_templates_for_admin(user=user).filter(pk=template_id).first()
    if template is None:
        raise Http404("No such template.")
    return template


def plan_templates_for_nurse(*, user: User, clinic: Clinic | None) -> QuerySet[PlanTemplate]:
    """The templates a nurse may start a plan from for a survivor of
    `clinic` (her User.clinic): its active ones, if she works for it."""
    if clinic is None or not user.is_authenticated or not user.is_nurse or not scope.works_for(user, clinic):
        return PlanTemplate.objects.none()
    return PlanTemplate.objects.filter(clinic=clinic, is_active=True).order_by("-builtin", "name")
