"""Clinical text in her language on a page: `{{ version|localized:"advice" }}`
is tracker.i18n.localized, the Spanish column when the page is in Spanish
and it is written, else the English."""

from typing import Any

from django import template

from ..i18n import localized as _localized

register = template.Library()


@register.filter
def localized(obj: Any, field: str) -> str:
    return _localized(obj, field)
