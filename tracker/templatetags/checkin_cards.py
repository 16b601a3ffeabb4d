"""A check-in's entries and the charts' tables, written in Python.

Her home page shows her ten latest check-ins with every entry, and under
each chart the same points as a table. As Django templates (an included
template per entry, a loop of filters per table row) that markup was most
of the page's time (bench/README.md, "Her home page"). It is small and
fixed, so it is written here once, escaped with the standard library's
html.escape (what django.utils.html.escape calls), for every page that shows
an entry: her home page, her history as a nurse opens it, a check-in's page,
"was this a mistake?", and the flag page's charts.

The rows are plain tuples (`EntryRow`), so her home page can build them
straight from its one statement (tracker/history_page.py) and the other
pages from model instances (`EntryRow.of`)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from html import escape
from typing import NamedTuple

from django import template
from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from ..i18n import localized
from ..models import CheckIn

register = template.Library()

_ID = 987654321  # a placeholder id: a URL is reversed once a page, not once an entry
DAY = "SHORT_DATE_FORMAT"


class EntryRow(NamedTuple):
    """What a card shows of one symptom entry."""

    pk: int
    survivor_id: int
    symptom: str  # the symptom's label, in her language
    site: str  # the body site's label, in her language, or ""
    severity: int
    is_new: bool
    is_worse: bool
    started_on: dt.date
    note: str
    entered_in_error_at: dt.datetime | None

    @classmethod
    def of(cls, entry) -> EntryRow:
        """From a SymptomEntry with its symptom and body site loaded; their
        labels in the active language."""
        return cls(
            entry.pk,
            entry.survivor_id,
            localized(entry.symptom, "label"),
            localized(entry.body_site, "label") if entry.body_site_id else "",
            entry.severity,
            entry.is_new,
            entry.is_worse,
            entry.started_on,
            entry.note,
            entry.entered_in_error_at,
        )


class CheckInRow(NamedTuple):
    pk: int
    created_at: dt.datetime
    callback_requested: bool
    entries: list[EntryRow]
    # Her answer about her hormone tablets (CheckIn.Endocrine), "" when not asked.
    endocrine_answer: str = ""

    @classmethod
    def of(cls, checkin) -> CheckInRow:
        """From a CheckIn with its entries prefetched (with symptom and site)."""
        return cls(
            checkin.pk,
            checkin.created_at,
            checkin.callback_requested,
            [EntryRow.of(e) for e in checkin.entries.all()],
            checkin.endocrine_answer,
        )


class _Words:
    """The page's fixed words, translated once a page (not once an entry)."""

    def __init__(self, viewer_id: int | None) -> None:
        self.viewer_id = viewer_id
        self.severity = gettext("Severity %(severity)s/10")
        self.new = gettext("New or different")
        self.not_new = gettext("Not new")
        self.worse = gettext("getting worse")
        self.not_worse = gettext("not getting worse")
        self.started = gettext("started %(day)s")
        self.in_error = gettext("Entered in error")
        self.in_error_on = gettext("marked on %(day)s; kept for the record")
        self.mistake = gettext("This was a mistake")
        self.mistake_of = gettext("This was a mistake: %(what)s")
        self.callback = gettext("Call back requested")
        self.endocrine = gettext("Hormone tablets this week: %(answer)s")
        # The answers' words as the form put them to her (CheckIn.Endocrine), translated once a page.
        self.answers = {code: str(label) for code, label in CheckIn.Endocrine.choices}
        self.mistake_url = reverse("entry_entered_in_error", args=[_ID]).split(str(_ID))
        self.checkin_url = reverse("checkin_detail", args=[_ID]).split(str(_ID))


# Dates and times as her locale writes them, cached: Django's dateformat
# parses the format and builds a formatter for every value (40 a page here),
# while every survivor's last 90 days share the same few hundred days and
# the day has 1,440 minutes. Keyed by language, as the words change with it.
@lru_cache(maxsize=4096)
def _date_text(day: dt.date, fmt: str, language: str | None) -> str:
    # A named format ("SHORT_DATE_FORMAT") is her language's; a literal one is kept.
    return dateformat.format(day, formats.get_format(fmt))


@lru_cache(maxsize=2048)
def _time_text(hour: int, minute: int, language: str | None) -> str:
    return formats.time_format(dt.time(hour, minute))


def _day(value: dt.date | dt.datetime, fmt: str) -> str:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return _date_text(value, fmt, get_language())


def _when(value: dt.datetime, *, weekday: bool = True) -> str:
    """ "Thursday 26 Nov 2026, 4:32 AM" ("jueves 26 nov 2026, 04:32"): the
    day, and the time as her locale writes them."""
    local = timezone.localtime(value)
    language = get_language()
    day = _date_text(local.date(), DAY, language)
    if weekday:
        day = f"{_date_text(local.date(), 'l', language)} {day}"
    return f"{day}, {_time_text(local.hour, local.minute, language)}"


def _entry(row: EntryRow, w: _Words) -> str:
    what = escape(row.symptom) + (f" · {escape(row.site)}" if row.site else "")
    parts = [
        f'<li class="list-group-item{" entry-in-error" if row.entered_in_error_at else ""}">'
        '<div class="d-flex flex-wrap justify-content-between gap-2">'
        f"<strong>{what}</strong><span>{escape(w.severity % {'severity': row.severity})}</span></div>"
        '<div class="small text-body-secondary">'
        f"{escape(w.new if row.is_new else w.not_new)} · {escape(w.worse if row.is_worse else w.not_worse)} · "
        f"{escape(w.started % {'day': _day(row.started_on, DAY)})}</div>"
    ]
    if row.note:
        parts.append(f'<p class="note-text mb-0 mt-1">{escape(row.note)}</p>')
    if row.entered_in_error_at:
        day = _day(row.entered_in_error_at, DAY)
        parts.append(
            '<p class="small mb-0 mt-1" data-entered-in-error>'
            f'<span class="badge text-bg-secondary">{escape(w.in_error)}</span> '
            f"{escape(w.in_error_on % {'day': day})}</p>"
        )
    elif row.survivor_id == w.viewer_id:
        # The symptom in the link's name (not in hidden text: it would be
        # the entry's words twice on the page).
        url = f"{w.mistake_url[0]}{row.pk}{w.mistake_url[1]}"
        label = escape(w.mistake_of % {"what": row.symptom})
        parts.append(f'<a class="small d-inline-block mt-1" href="{url}" aria-label="{label}">{escape(w.mistake)}</a>')
    parts.append("</li>")
    return "".join(parts)


def entry_items(entries: list[EntryRow], *, viewer_id: int | None) -> SafeString:
    """Each entry as a list item; her own that stand offer "This was a mistake"."""
    w = _Words(viewer_id)
    return mark_safe("".join(_entry(row, w) for row in entries))  # noqa: S308 (every value is escaped above)


def checkin_cards(checkins: list[CheckInRow], *, viewer_id: int | None, link: bool = True) -> SafeString:
    """Each check-in as a card: when (a link to its page), whether she asked
    for a call back, and its entries."""
    w = _Words(viewer_id)
    cards = []
    for checkin in checkins:
        when = escape(_when(checkin.created_at))
        if link:
            when = f'<a href="{w.checkin_url[0]}{checkin.pk}{w.checkin_url[1]}">{when}</a>'
        else:
            when = f"<span>{when}</span>"
        callback = (
            f'<span class="badge text-bg-warning">{escape(w.callback)}</span>' if checkin.callback_requested else ""
        )
        items = "".join(_entry(row, w) for row in checkin.entries)
        answer = ""
        if checkin.endocrine_answer:
            said = w.answers.get(checkin.endocrine_answer, checkin.endocrine_answer)
            answer = (
                f'<p class="card-body small py-2 mb-0" data-endocrine-answer="{escape(checkin.endocrine_answer)}">'
                f"{escape(w.endocrine % {'answer': said})}</p>"
            )
        list_ = f'<ul class="list-group list-group-flush">{items}</ul>' if items else ""
        cards.append(
            '<article class="card entry-card mb-3">'
            f'<div class="card-header d-flex flex-wrap justify-content-between gap-2">{when}{callback}</div>'
            f"{answer}{list_}</article>"
        )
    return mark_safe("".join(cards))  # noqa: S308 (every value is escaped above)


@register.simple_tag(takes_context=True)
def checkin_card(context, checkin) -> SafeString:
    """{% checkin_card checkin %}: one check-in (its entries prefetched) as on her home page, unlinked."""
    return checkin_cards([CheckInRow.of(checkin)], viewer_id=_viewer(context), link=False)


@register.simple_tag(takes_context=True)
def entry_item(context, entry) -> SafeString:
    """{% entry_item entry %}: one entry as a list item."""
    return entry_items([EntryRow.of(entry)], viewer_id=_viewer(context))


def _viewer(context) -> int | None:
    user = context.get("user")
    return user.pk if user is not None and user.is_authenticated else None


@register.simple_tag
def chart_table_rows(points: list[dict], kind: str) -> SafeString:
    """The rows of a chart's table, newest first: {% chart_table_rows chart_data.symptoms "symptoms" %}."""
    rows = []
    for point in reversed(points):
        when = escape(_when(point["x"], weekday=False))
        if kind == "symptoms":
            what = escape(point["symptom"]) + (f" · {escape(point['site'])}" if point["site"] else "")
            rows.append(f"<tr><td>{when}</td><td>{what}</td><td>{point['y']}</td></tr>")
        else:
            rows.append(f"<tr><td>{when}</td><td>{escape(formats.number_format(point['y'], 1))}</td></tr>")
    return mark_safe("".join(rows))  # noqa: S308 (every value is escaped above)
