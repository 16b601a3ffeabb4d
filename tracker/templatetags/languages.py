"""The language a survivor reads, as a small badge next to her name on the
nurses' pages. Those pages are English, so the badge names the language in
English ("Spanish"): it tells the nurse which words her advice and messages
came in, and which language to call her in."""

from html import escape

from django import template
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language_info

register = template.Library()

LANGUAGE_BADGES: dict[str, str] = {
    code: '<span class="badge text-bg-light border fw-normal ms-1 survivor-language">'
    f'<span class="visually-hidden">reads </span>{escape(get_language_info(code)["name"])}</span>'
    for code, _ in settings.LANGUAGES
}


@register.filter
def survivor_language(code: str) -> SafeString:
    """{{ survivor.language|survivor_language }}"""
    return mark_safe(LANGUAGE_BADGES.get(code, ""))  # noqa: S308 (made above from settings.LANGUAGES, escaped)
