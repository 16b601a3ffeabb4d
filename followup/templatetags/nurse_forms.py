"""The nurse's action forms, field by field, built in Python.

The flag page carries four forms (contact, resolve, note, snooze). Rendered
by crispy-forms they were about half of the page's time (figures in
bench/README.md, issue 12): every field, option and attribute goes through
template files. This writes the same Bootstrap 5 markup in a few string
operations. Ids are Django's (`id_<prefix>-<name>`, `..._0` for a group's
first option), so labels, the error summary's links (base.html) and the
character count (static/js/forms.js) find their fields. Every value, label,
choice and message goes through html.escape; the markup is ours."""

from collections.abc import Iterable
from html import escape
from typing import Any

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.safestring import mark_safe

register = template.Library()


def _options(bound: BoundField) -> Iterable[tuple[Any, Any]]:
    """A choice field's (value, text) pairs, as Django normalized them when
    they were set."""
    # The stubs know only Field here, and type ChoiceField's getter as
    # anything its setter takes (a mapping, a callable).
    return bound.field.choices  # type: ignore[attr-defined]


@register.simple_tag
def field(bound: BoundField, label: str = "") -> str:
    """One field: its label (or legend), the control, its errors by it,
    and its help text, tied together with aria-describedby."""
    widget = bound.field.widget
    ident = bound.auto_id
    label = escape(label or str(bound.label))
    errors = [escape(str(e)) for e in bound.errors]
    described = []
    error_html = help_html = ""
    if errors:
        described.append(f"{ident}_error")
        error_html = f'<div id="{ident}_error" class="invalid-feedback d-block">{"<br>".join(errors)}</div>'
    if bound.help_text:
        described.append(f"{ident}_helptext")
        help_html = f'<div id="{ident}_helptext" class="form-text">{escape(str(bound.help_text))}</div>'
    aria = (f' aria-describedby="{" ".join(described)}"' if described else "") + (
        ' aria-invalid="true"' if errors else ""
    )
    name = escape(bound.html_name)
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return mark_safe(_group(bound, ident, name, label, aria, error_html + help_html))  # noqa: S308 (escaped above)
    invalid = " is-invalid" if errors else ""
    attrs = "".join(
        f' {escape(key)}="{escape(str(value))}"' for key, value in widget.attrs.items() if value not in (None, False)
    )
    value = bound.value()
    if isinstance(widget, forms.Textarea):
        text = escape(str(value)) if value is not None else ""
        control = f'<textarea name="{name}" id="{ident}" class="form-control{invalid}"{attrs}{aria}>\n{text}</textarea>'
    elif isinstance(widget, forms.Select):
        chosen = "" if value is None else str(value)
        options = "".join(
            f'<option value="{escape(str(v))}"{" selected" if str(v) == chosen else ""}>{escape(str(text))}</option>'
            for v, text in _options(bound)
        )
        control = f'<select name="{name}" id="{ident}" class="form-select{invalid}"{attrs}{aria}>{options}</select>'
    else:
        kind = widget.attrs.get("type") or getattr(widget, "input_type", "text")
        shown = "" if value is None else escape(str(widget.format_value(value) or ""))
        attrs = attrs.replace(f' type="{escape(kind)}"', "")
        control = (
            f'<input type="{escape(kind)}" name="{name}" value="{shown}" id="{ident}" '
            f'class="form-control{invalid}"{attrs}{aria}>'
        )
    label_html = f'<label for="{ident}" class="form-label">{label}</label>'
    return mark_safe(f'<div class="mb-3">{label_html}{control}{error_html}{help_html}</div>')  # noqa: S308 (escaped above)


def _group(bound: BoundField, ident: str, name: str, label: str, aria: str, after: str) -> str:
    multiple = isinstance(bound.field.widget, forms.CheckboxSelectMultiple)
    kind = "checkbox" if multiple else "radio"
    value = bound.value()
    chosen = {str(v) for v in value} if multiple and value else ({str(value)} if value not in (None, "") else set())
    invalid = " is-invalid" if bound.errors else ""
    options = "".join(
        f'<div class="form-check"><input type="{kind}" class="form-check-input{invalid}" name="{name}" '
        f'id="{ident}_{i}" value="{escape(str(v))}"{" checked" if str(v) in chosen else ""}{aria}>'
        f'<label class="form-check-label" for="{ident}_{i}">{escape(str(text))}</label></div>'
        for i, (v, text) in enumerate(_options(bound))
        if v != ""
    )
    return f'<fieldset class="mb-3"><legend class="form-label fs-6">{label}</legend>{options}{after}</fieldset>'
