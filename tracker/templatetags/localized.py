"""`{{ obj|localized:"field" }}`: a translated column in the page's language
(tracker/i18n.py: `<field>_es` when written, else the English)."""

from typing import Any

from django import template

from ..i18n import localized as localized_field

register = template.Library()


@register.filter
def localized(obj: Any, field: str) -> str:
    if obj is None:
        return ""
    return localized_field(obj, field)
