"""The error summary at the top of every page whose form failed.

base.html calls {% form_error_summary %} once, so every form of the app gets
it without a line in its own page: the tag finds the forms and formsets with
errors in the page's context (also inside a dict or list of them, as the
cadence page passes) and lists each problem with a link to its field.
static/js/forms.js moves focus to the summary when the page loads."""

from dataclasses import dataclass

from django import template
from django.forms import BaseForm, BaseFormSet
from django.utils.translation import gettext as _
from django_stubs_ext import StrOrPromise

register = template.Library()


@dataclass(frozen=True)
class Problem:
    message: str
    label: str = ""
    href: str = ""


def _label(text: StrOrPromise) -> str:
    text = str(text).strip()
    return text if not text or text.endswith(("?", ":", ".")) else f"{text}:"


def _form_problems(form: BaseForm, row: str = "") -> list[Problem]:
    problems = [Problem(message=str(message), label=_label(row) if row else "") for message in form.non_field_errors()]
    for name in form.errors:
        if name not in form.fields:
            continue
        field = form[name]
        if field.is_hidden:
            # Only a tampered or stale page gets here (a hidden token): nothing to
            # link to, and the field's own words would mean nothing to her.
            problems.append(Problem(message=_("Something went wrong with this form. Please send it again.")))
            continue
        # A radio or checkbox group has no element with the field's own id:
        # its first option is where she answers.
        target = field.id_for_label or f"{field.auto_id}_0"
        label = f"{row}, {field.label}" if row else field.label
        for message in field.errors:
            problems.append(Problem(message=str(message), label=_label(label), href=f"#{target}"))
    return problems


def _formset_problems(formset: BaseFormSet) -> list[Problem]:
    problems = [Problem(message=str(message)) for message in formset.non_form_errors()]
    row_label = getattr(formset, "error_summary_row", "")
    for number, form in enumerate(formset.forms, start=1):
        problems += _form_problems(form, row=str(row_label).format(number=number) if row_label else "")
    return problems


def _failed(value) -> list[Problem]:
    if isinstance(value, BaseFormSet):
        return _formset_problems(value) if value.is_bound and not value.is_valid() else []
    if isinstance(value, BaseForm):
        # A page with one form per row (her plan's items) names the row the
        # form is for, as a formset names its rows: "Mammogram, Due by:".
        row = str(getattr(value, "error_summary_row", "") or "")
        return _form_problems(value, row=row) if value.is_bound and value.errors else []
    return []


def problems_in(context) -> list[Problem]:
    """Every problem of every failed form in the context, each form once, in
    the order the view put them in its context."""
    seen: set[int] = set()
    problems: list[Problem] = []
    for value in context.flatten().values():
        # One level into a dict, list or tuple (never a queryset: iterating it
        # would run it) for pages with several forms, like the cadence page.
        if isinstance(value, dict):
            candidates = list(value.values())
        elif isinstance(value, list | tuple):
            candidates = list(value)
        else:
            candidates = [value]
        for candidate in candidates:
            if isinstance(candidate, BaseForm | BaseFormSet) and id(candidate) not in seen:
                seen.add(id(candidate))
                problems += _failed(candidate)
    return problems


@register.inclusion_tag("_form_errors.html", takes_context=True)
def form_error_summary(context):
    return {"problems": problems_in(context)}
