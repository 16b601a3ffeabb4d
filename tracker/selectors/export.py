"""Her whole record as the export file's rows (symptoms, weights, flags),
oldest first. Callers have checked access through
access.survivor_get_for_user; the view writes the file.
"""

import heapq
import operator
import zoneinfo
from collections.abc import Iterator
from typing import Any

from ..models import Flag, User, WeightEntry
from .access import symptom_entries

# Column key -> heading, in the file's order.
_EXPORT = {
    "at": "recorded (her time zone)",
    "type": "type",
    "what": "what",
    "site": "body site",
    "severity": "severity (0-10)",
    "new": "new",
    "worse": "getting worse",
    "since": "since",
    "note": "note",
    "weight": "weight",
    "unit": "weight unit",
    "tier": "flag tier",
    "status": "flag status",
    "outcome": "flag outcome",
    # When she marked a symptom or a weight entered in error (kept in the record, marked).
    "error": "entered in error (her time zone)",
}
EXPORT_COLUMNS = tuple(_EXPORT.values())


def record_export_rows(*, survivor: User):
    """Her whole record, oldest first, one row per symptom, weight and flag,
    in EXPORT_COLUMNS order: three queries read in time order and merged as
    they stream. Callers have checked access through survivor_get_for_user."""
    tz = zoneinfo.ZoneInfo(survivor.time_zone or "UTC")
    entries = symptom_entries().filter(survivor=survivor).order_by("created_at", "id")
    weights = WeightEntry.objects.filter(survivor=survivor).order_by("recorded_at", "id")
    flags = Flag.objects.filter(survivor=survivor).select_related("rule__current").order_by("created_at", "id")
    rows: Iterator[dict[str, Any]] = heapq.merge(
        (
            {
                "at": e.created_at,
                "type": "symptom",
                "what": e.symptom.label,
                "site": e.body_site.label if e.body_site else "",
                "severity": e.severity,
                "new": "yes" if e.is_new else "no",
                "worse": "yes" if e.is_worse else "no",
                "since": e.started_on.isoformat() if e.started_on else "",
                "note": e.note,
                "error": e.entered_in_error_at,
            }
            for e in entries.iterator(chunk_size=2000)
        ),
        (
            {
                "at": w.recorded_at,
                "type": "weight",
                "weight": f"{survivor.weight_shown(w.kg):.1f}",
                "unit": survivor.weight_unit,
                "error": w.entered_in_error_at,
            }
            for w in weights.iterator(chunk_size=2000)
        ),
        (
            {
                "at": f.created_at,
                "type": "flag",
                "what": f.rule.current.name if f.rule.current else f.rule.slug,
                "note": f.evidence,
                "tier": f.get_tier_display(),
                "status": f.get_status_display(),
                "outcome": f.get_outcome_display(),
            }
            for f in flags.iterator(chunk_size=2000)
        ),
        key=operator.itemgetter("at"),
    )
    for row in rows:
        row["at"] = row["at"].astimezone(tz).strftime("%Y-%m-%d %H:%M")
        error = row.get("error")
        row["error"] = error.astimezone(tz).strftime("%Y-%m-%d %H:%M") if error else ""
        yield tuple(row.get(key, "") for key in _EXPORT)
