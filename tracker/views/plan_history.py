"""Her plan's history in words for her nurse: a PlanChange keeps its fields
as JSON (ISO dates, UTC instants, state codes); the page says them as a
person would, in HER time zone, as the rest of the page does ("times are
hers"), and leaves out a field a change did not change (a move keeps the
state it had: "state: due -> due" is noise)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from ..models import PlanChange, PlanItem

# A stored name -> what the nurse reads. A name not here (a field added
# later) falls back to its words, never to nothing.
LABELS = {
    "opens_on": "due from",
    "due_by": "due by",
    "state": "state",
    "booked_at": "booked for",
    "booked_place": "place",
    "done_on": "done on",
    "missed_at": "missed on",
    "note": "note",
    "reason": "why",
    "kind": "what",
    "label": "name",
    "template": "template",
    "windows": "windows",
    "planned_until": "planned until",
    "diagnosis_on": "diagnosis",
    "surgery_on": "surgery",
    "radiation_end_on": "end of radiation",
    "first_mammogram_on": "mammogram that found the cancer",
    "endocrine_start_on": "hormone therapy started",
    "endocrine_end_on": "hormone therapy ended",
}
_CHOICES = {"state": dict(PlanItem.State.choices), "kind": dict(PlanItem.KIND_CHOICES)}


def _label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " "))


def _day(value: str) -> str | None:
    try:
        return f"{dt.date.fromisoformat(value):%-d %b %Y}"
    except ValueError:
        return None


def _value(name: str, value: object, tz: zoneinfo.ZoneInfo) -> str:
    if isinstance(value, list):
        return ", ".join(_value(name, part, tz) for part in value) or "none"
    if value in (None, ""):
        return "\u2014"
    text = str(value)
    if name in _CHOICES:
        return str(_CHOICES[name].get(text, text))
    if name == "windows" and ".." in text:
        opens, _sep, due_by = text.partition("..")
        return f"{_day(opens) or opens} to {_day(due_by) or due_by}"
    if len(text) == 10 and (day := _day(text)):
        return day
    if len(text) > 10 and text[10:11] == "T":
        try:
            instant = dt.datetime.fromisoformat(text)
        except ValueError:
            return text
        if instant.tzinfo is not None:
            return f"{instant.astimezone(tz):%-d %b %Y, %H:%M}"
    return text


def change_text(change: PlanChange, tz: zoneinfo.ZoneInfo) -> str:
    """What a change changed, field by field, in her zone:
    "due by: 1 Mar 2025 -> 1 Apr 2025; booked for: 10 Dec 2026, 10:15"."""
    parts = []
    for name, value in change.after.items():
        if name in change.before and change.before[name] == value:
            continue  # unchanged: a move of a due item stays due
        old = f"{_value(name, change.before[name], tz)} \u2192 " if name in change.before else ""
        parts.append(f"{_label(name)}: {old}{_value(name, value, tz)}")
    parts += [
        f"{_label(name)} was {_value(name, value, tz)}"
        for name, value in change.before.items()
        if name not in change.after
    ]
    return "; ".join(parts)
