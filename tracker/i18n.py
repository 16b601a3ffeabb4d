"""Her language: which one a page, an email or a text is written in, and
clinical text (rule advice, the symptom catalog) in that language.

Interface strings go through Django's gettext (locale/es/). Clinical text
lives in rows that admins edit and that rules version, so each translated
field is a plain per-language column beside the English one (`advice_es`,
`label_es`, `help_text_es`). We chose that over django-modeltranslation and
django-parler: with two languages a column is the whole need; rule versions
are immutable rows, so a translation must sit in the version it belongs to
(parler keeps a separate table per model); the hand-written SQL of the
queue and flag page reads the columns by name, which modeltranslation's
query rewriting would not see; and "missing Spanish" is a blank column, the
one query the rules page needs. English is the fallback everywhere."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.utils import translation

LANGUAGE_CODES = tuple(code for code, _ in settings.LANGUAGES)
DEFAULT_LANGUAGE = "en"


def language_supported(code: str | None) -> str:
    """A language code we speak, from a browser's or a form's: "es-MX" is
    "es"; anything else is English."""
    base = (code or "").split("-")[0].lower()
    return base if base in LANGUAGE_CODES else DEFAULT_LANGUAGE


def language_of(user: Any) -> str:
    """The language of her pages and her messages. Staff read English."""
    if getattr(user, "role", None) == "survivor":
        return language_supported(getattr(user, "language", None))
    return DEFAULT_LANGUAGE


@contextmanager
def in_language_of(user: Any) -> Iterator[str]:
    """Render an email, a text or a notice for her, whatever the language of
    the request or task that sends it."""
    language = language_of(user)
    with translation.override(language):
        yield language


def localized(obj: Any, field: str, language: str | None = None) -> str:
    """`obj.<field>` in the active (or given) language: its `<field>_<lang>`
    column when it is written, else the English."""
    language = language_supported(language or translation.get_language())
    if language != DEFAULT_LANGUAGE:
        value = getattr(obj, f"{field}_{language}", "")
        if value:
            return str(value)
    return str(getattr(obj, field))
