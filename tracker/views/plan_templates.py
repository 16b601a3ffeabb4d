"""The clinic admin's plan templates (/admin-pages/plan-templates/): the
shipped default (the ASCO 2013 guidance, with its source) and her clinics'
own, which she creates, edits and switches off. No survivor's data here:
templates only."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from .. import scope
from ..access import AuthenticatedHttpRequest, clinic_admin_required
from ..forms.plans import PlanTemplateForm
from ..plans import serialize
from ..plans.defaults import DEFAULT_TEMPLATE
from ..plans.spec import ItemSpec
from ..selectors.plans import plan_template_get_for_admin, plan_templates_for_admin
from ..service_errors import form_add_service_errors
from ..services.plan_templates import plan_template_default, plan_template_save, plan_template_set_active


def rhythm(spec: ItemSpec) -> str:
    """An item's rhythm in words, for the templates pages."""
    parts = []
    for phase in spec.phases:
        years = f"years {phase.from_year}\u2013{phase.to_year}" if phase.to_year else f"from year {phase.from_year}"
        if phase.to_year == phase.from_year:
            years = f"year {phase.from_year}"
        parts.append(f"{years}: every {phase.every_min_months}\u2013{phase.every_max_months} months")
    for offset in spec.not_before:
        dates = ", else ".join(anchor.value.replace("_", " ") for anchor in offset.after)
        parts.append(f"not before {offset.months} months after {dates}")
    return "; ".join(parts)


def _items_text(stored: object) -> str:
    # A row that no longer reads (edited by hand) opens as it is stored, so
    # she can mend it: saving checks it again.
    try:
        return serialize.items_to_text(serialize.items_from_json(stored))
    except serialize.TemplateItemsError:
        return json.dumps(stored, indent=2, ensure_ascii=False)


@clinic_admin_required
def plan_template_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    # Each of her clinics has the shipped default (idempotent: made the
    # first time anyone needs it).
    for clinic in scope.clinics_of(request.user):
        plan_template_default(clinic=clinic)
    rows = []
    for template in plan_templates_for_admin(user=request.user):
        try:
            spec = serialize.template_spec(template)
        except serialize.TemplateItemsError:
            spec = None
        items = [(item, rhythm(item)) for item in spec.items] if spec else []
        rows.append((template, spec, items))
    return render(request, "staff/plan/templates.html", {"rows": rows})


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def plan_template_edit(request: AuthenticatedHttpRequest, template_id: int | None = None) -> HttpResponse:
    template = plan_template_get_for_admin(user=request.user, template_id=template_id) if template_id else None
    if template is not None and template.builtin:
        messages.info(request, "The shipped template follows the guidance and can't be changed; make your own.")
        return redirect("plan_template_list")
    clinics = scope.clinics_of(request.user)
    if template is not None:
        initial = {
            "clinic": template.clinic,
            "name": template.name,
            "source": template.source,
            "source_note": template.source_note,
            "items_json": _items_text(template.items),
        }
    else:
        initial = {"items_json": serialize.items_to_text(DEFAULT_TEMPLATE.items)}
    form = PlanTemplateForm(request.POST or None, clinics=clinics, initial=initial)
    if template is not None:
        form.fields["clinic"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = plan_template_save(
                by=request.user,
                clinic=template.clinic if template else data["clinic"],
                name=data["name"],
                source=data["source"],
                source_note=data["source_note"],
                items_json=data["items_json"],
                template=template,
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, f"Template \u201c{saved.name}\u201d saved.")
            return redirect("plan_template_list")
    return render(request, "staff/plan/template_edit.html", {"form": form, "template": template})


@clinic_admin_required
@require_POST
def plan_template_toggle(request: AuthenticatedHttpRequest, template_id: int) -> HttpResponse:
    template = plan_template_get_for_admin(user=request.user, template_id=template_id)
    active = request.POST.get("active") == "on"
    plan_template_set_active(by=request.user, template=template, active=active)
    said = "is offered for new plans" if active else "is no longer offered for new plans; plans started from it keep it"
    messages.success(request, f"\u201c{template.name}\u201d {said}.")
    return redirect("plan_template_list")
