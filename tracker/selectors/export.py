"""Her whole record as the export file's rows (symptoms, weights, flags),
oldest first. Callers have checked access through
access.survivor_get_for_user; the view writes the file.
"""

import heapq
import operator
import zoneinfo
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from ..i18n import localized
from ..models import Flag, Tier, User, WeightEntry
from .access import symptom_entries

# Column key -> heading, in the file's order. Headings and words are in the
# language of whoever downloads it (hers, or English for staff); numbers and
# dates stay as a spreadsheet reads them (68.5, 2026-03-03 14:30), whatever
# the language, since the file's separator is the comma.
_EXPORT = {
    "at": _("recorded (her time zone)"),
    "type": _("type"),
    "what": _("what"),
    "site": _("body site"),
    "severity": _("severity (0-10)"),
    "new": _("new"),
    "worse": _("getting worse"),
    "since": _("since"),
    "note": _("note"),
    "weight": _("weight"),
    "unit": _("weight unit"),
    "tier": _("flag tier"),
    "status": _("flag status"),
    "outcome": _("flag outcome"),
    # When she marked a symptom or a weight entered in error (kept in the record, marked).
    "error": _("entered in error (her time zone)"),
}


def record_export_header() -> tuple[str, ...]:
    """The headings, in the language active now (the view's, not the
    streaming's: the file is written after the view returned)."""
    return tuple(str(heading) for heading in _EXPORT.values())


def record_export_rows(*, survivor: User) -> Iterator[tuple]:
    """Her whole record, oldest first, one row per symptom, weight and flag,
    in the header's order: three queries read in time order and merged as
    they stream. Callers have checked access through survivor_get_for_user."""
    tz = zoneinfo.ZoneInfo(survivor.time_zone or "UTC")
    entries = symptom_entries().filter(survivor=survivor).order_by("created_at", "id")
    weights = WeightEntry.objects.filter(survivor=survivor).order_by("recorded_at", "id")
    flags = Flag.objects.filter(survivor=survivor).select_related("rule__current").order_by("created_at", "id")
    yes, no = pgettext("export", "yes"), pgettext("export", "no")
    kinds = {"symptom": gettext("symptom"), "weight": gettext("weight"), "flag": pgettext("export", "flag")}
    # Words made now, in the view's language: the rows are made as the file streams.
    flag_choices: dict[str, list[tuple[str, Any]]] = {
        "tier": Tier.choices,
        "status": Flag.Status.choices,
        "outcome": Flag.Outcome.choices,
    }
    choices = {name: {value: str(label) for value, label in options} for name, options in flag_choices.items()}
    rows: Iterator[dict[str, Any]] = heapq.merge(
        (
            {
                "at": e.created_at,
                "type": kinds["symptom"],
                "what": localized(e.symptom, "label"),
                "site": localized(e.body_site, "label") if e.body_site else "",
                "severity": e.severity,
                "new": yes if e.is_new else no,
                "worse": yes if e.is_worse else no,
                "since": e.started_on.isoformat() if e.started_on else "",
                "note": e.note,
                "error": e.entered_in_error_at,
            }
            for e in entries.iterator(chunk_size=2000)
        ),
        (
            {
                "at": w.recorded_at,
                "type": kinds["weight"],
                "weight": f"{survivor.weight_shown(w.kg):.1f}",
                "unit": survivor.weight_unit,
                "error": w.entered_in_error_at,
            }
            for w in weights.iterator(chunk_size=2000)
        ),
        (
            {
                "at": f.created_at,
                "type": kinds["flag"],
                "what": f.rule.current.name if f.rule.current else f.rule.slug,
                "note": f.evidence,
                "tier": choices["tier"].get(f.tier, f.tier),
                "status": choices["status"].get(f.status, f.status),
                "outcome": choices["outcome"].get(f.outcome, f.outcome),
            }
            for f in flags.iterator(chunk_size=2000)
        ),
        key=operator.itemgetter("at"),
    )
    return _formatted(rows, tz)


def _formatted(rows: Iterator[dict[str, Any]], tz: zoneinfo.ZoneInfo) -> Iterator[tuple]:
    for row in rows:
        row["at"] = row["at"].astimezone(tz).strftime("%Y-%m-%d %H:%M")
        error = row.get("error")
        row["error"] = error.astimezone(tz).strftime("%Y-%m-%d %H:%M") if error else ""
        yield tuple(row.get(key, "") for key in _EXPORT)
