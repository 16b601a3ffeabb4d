"""A clinic's plan templates, as its clinic admin keeps them: the shipped
default (plan_template_default: the ASCO 2013 template, one row per clinic),
her clinic's own templates (plan_template_save) and switching one off or on
(plan_template_set_active). A survivor's plan is started from one by a
nurse (services/plans.py); the items a clinic template holds are JSON,
checked by tracker/plans/serialize.py."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import override

from .. import scope
from ..models import Clinic, PlanTemplate, User
from ..models.plans import PLAN_NOTE_MAX_LENGTH, PLAN_TEMPLATE_NAME_MAX_LENGTH, PLAN_TEMPLATE_SOURCE_MAX_LENGTH
from ..plans import serialize
from ..plans.defaults import DEFAULT_TEMPLATE
from .audit import audit_record


def plan_template_default(*, clinic: Clinic) -> PlanTemplate:
    """The clinic's row for the shipped default template, made the first
    time it is asked for. Idempotent, and safe when two requests make it at
    once: the unique constraint on (clinic, builtin) lets one insert win and
    the other reads the winner's row."""
    template = DEFAULT_TEMPLATE
    found = PlanTemplate.objects.filter(clinic=clinic, builtin=template.key).first()
    if found is not None:
        return found
    # Stored in English: the pages show the code's words (serialize.template_spec), translated.
    with override("en"):
        fields = {"name": str(template.name), "source": template.source, "source_note": str(template.source_note)}
    try:
        with transaction.atomic():
            return PlanTemplate.objects.create(clinic=clinic, builtin=template.key, **fields)
    except IntegrityError:
        return PlanTemplate.objects.get(clinic=clinic, builtin=template.key)


def _require_admin_of(by: User, clinic: Clinic) -> None:
    if not by.is_clinic_admin or not scope.works_for(by, clinic):
        raise PermissionDenied("Only a clinic admin of this clinic changes its plan templates.")


def plan_template_save(
    *,
    by: User,
    clinic: Clinic,
    name: str,
    source: str,
    source_note: str,
    items_json: str,
    template: PlanTemplate | None = None,
) -> PlanTemplate:
    """Create (template None) or change a clinic's own template.

    1. Only a clinic admin of the clinic; a shipped template is not edited
       (its words are the code's): she makes her own instead.
    2. Every field bounded, the name unique in the clinic, the items
       checked by serialize (each problem a sentence under the items box).
    3. Saved with its items as JSON; audited. Plans already started keep
       their items: a template is read when a plan starts or rolls forward.
    """
    _require_admin_of(by, clinic)
    if template is not None and (template.clinic_id != clinic.pk or template.builtin):
        raise ValidationError("The shipped template follows the guidance and can't be changed; make your own.")
    name, source, source_note = name.strip(), source.strip(), source_note.strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Give the template a name."]
    elif len(name) > PLAN_TEMPLATE_NAME_MAX_LENGTH:
        errors["name"] = [f"At most {PLAN_TEMPLATE_NAME_MAX_LENGTH} characters (this has {len(name):,})."]
    else:
        same = PlanTemplate.objects.filter(clinic=clinic, name__iexact=name)
        if template is not None:
            same = same.exclude(pk=template.pk)
        if same.exists():
            errors["name"] = ["Another template of this clinic has this name."]
    if len(source) > PLAN_TEMPLATE_SOURCE_MAX_LENGTH:
        errors["source"] = [f"At most {PLAN_TEMPLATE_SOURCE_MAX_LENGTH} characters (this has {len(source):,})."]
    if len(source_note) > PLAN_NOTE_MAX_LENGTH:
        errors["source_note"] = [f"At most {PLAN_NOTE_MAX_LENGTH} characters (this has {len(source_note):,})."]
    try:
        items = serialize.items_from_text(items_json)
    except serialize.TemplateItemsError as error:
        errors["items_json"] = error.messages
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    row = template or PlanTemplate(clinic=clinic, created_by=by, created_at=now)
    row.name, row.source, row.source_note = name, source, source_note
    row.items = serialize.items_to_json(items)
    row.updated_at = now
    row.full_clean()
    try:
        with transaction.atomic():
            row.save()
            audit_record(actor=by, action="plan_template.save", target=row)
    except IntegrityError:
        # Another admin saved the same name a moment before.
        raise ValidationError({"name": ["Another template of this clinic has this name."]}) from None
    return row


def plan_template_set_active(*, by: User, template: PlanTemplate, active: bool) -> PlanTemplate:
    """Offer the template for new plans, or stop offering it. Plans started
    from it keep it (PROTECT): switching off is how a template retires."""
    _require_admin_of(by, template.clinic)
    if template.is_active != active:
        template.is_active = active
        template.updated_at = timezone.now()
        with transaction.atomic():
            template.save(update_fields=["is_active", "updated_at"])
            audit_record(actor=by, action="plan_template.on" if active else "plan_template.off", target=template)
    return template
