"""A clinic's own plan template as JSON (PlanTemplate.items) and back.

The shipped templates (defaults.py) live in code, so their words are
translated; a clinic's own template keeps its items as a JSON list, one
object per item:

    {"key": "visit", "kind": "visit", "label": "Check-up",
     "counts_from": ["surgery", "diagnosis"],
     "phases": [{"from_year": 1, "to_year": 3, "every_min_months": 3, "every_max_months": 6},
                {"from_year": 4, "to_year": null, "every_min_months": 11, "every_max_months": 13}],
     "not_before": [{"months": 6, "after": ["radiation_end"]}],
     "first_window_months": 2}

not_before and first_window_months may be left out. Everything a clinic
admin types is bounded here (the text's size, the number of items and
phases, a label's length, months and years in range) and every problem is a
sentence naming the item, so the template form shows them by the field
(services/plan_templates.py); the spec's own checks (spec.py) run last and
their ValueErrors become such sentences too. Pure: no ORM (the row is only
read in template_spec).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from .defaults import ASCO_2013
from .spec import MAX_ITEMS, MAX_MONTHS, MAX_YEAR, Anchor, ItemSpec, Kind, Offset, Phase, Template

if TYPE_CHECKING:
    from ..models.plans import PlanTemplate

# The shipped templates by key: PlanTemplate.builtin names one of these.
BUILTIN: dict[str, Template] = {ASCO_2013.key: ASCO_2013}

MAX_JSON_CHARS = 20_000  # thirty items with five phases each fit in a third of it
MAX_LABEL = 120  # PlanItem.label's column (models/plans.py takes it from here)
MAX_KEY = 40  # PlanItem.key's column
MAX_PHASES = 10
MAX_OFFSETS = 5
KEY = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")

_ITEM_FIELDS = {"key", "kind", "label", "counts_from", "phases", "not_before", "first_window_months"}
_PHASE_FIELDS = {"from_year", "to_year", "every_min_months", "every_max_months"}
_OFFSET_FIELDS = {"months", "after"}


class TemplateItemsError(ValueError):
    """What is wrong with a template's items: a list of sentences for the
    clinic admin, each naming the item it is about."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


# ---------------------------------------------------------------- to JSON


def item_to_json(spec: ItemSpec) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": spec.key,
        "kind": spec.kind.value,
        "label": str(spec.label),
        "counts_from": [anchor.value for anchor in spec.counts_from],
        "phases": [
            {
                "from_year": phase.from_year,
                "to_year": phase.to_year,
                "every_min_months": phase.every_min_months,
                "every_max_months": phase.every_max_months,
            }
            for phase in spec.phases
        ],
    }
    if spec.not_before:
        data["not_before"] = [
            {"months": offset.months, "after": [anchor.value for anchor in offset.after]} for offset in spec.not_before
        ]
    if spec.first_window_months is not None:
        data["first_window_months"] = spec.first_window_months
    return data


def items_to_json(items: tuple[ItemSpec, ...] | list[ItemSpec]) -> list[dict[str, Any]]:
    return [item_to_json(spec) for spec in items]


def items_to_text(items: tuple[ItemSpec, ...] | list[ItemSpec]) -> str:
    """The items as the template form's text box shows them."""
    return json.dumps(items_to_json(items), indent=2, ensure_ascii=False)


# ---------------------------------------------------------------- from JSON


def items_from_text(text: str) -> tuple[ItemSpec, ...]:
    """The items a clinic admin typed (JSON text), checked; raises
    TemplateItemsError with every problem found."""
    if len(text) > MAX_JSON_CHARS:
        raise TemplateItemsError([f"At most {MAX_JSON_CHARS:,} characters (this has {len(text):,})."])
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        where = f" (line {error.lineno}, column {error.colno})" if isinstance(error, json.JSONDecodeError) else ""
        raise TemplateItemsError([f"This is not valid JSON{where}."]) from None
    return items_from_json(data)


def items_from_json(data: object) -> tuple[ItemSpec, ...]:
    """The items of a clinic's template (the stored JSON), checked."""
    if not isinstance(data, list):
        raise TemplateItemsError(["The items must be a JSON list: [ {...}, {...} ]."])
    if not 1 <= len(data) <= MAX_ITEMS:
        raise TemplateItemsError([f"A template has 1 to {MAX_ITEMS} items (this has {len(data)})."])
    problems: list[str] = []
    items: list[ItemSpec] = []
    for number, entry in enumerate(data, start=1):
        try:
            items.append(_item(entry))
        except ValueError as error:
            key = entry.get("key") if isinstance(entry, dict) else None
            name = f"Item {number}" + (f" ({key})" if isinstance(key, str) and key else "")
            problems += [f"{name}: {message}" for message in _messages(error)]
    keys = [item.key for item in items]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        problems.append(f"Each item needs its own key; repeated: {', '.join(repeated)}.")
    if problems:
        raise TemplateItemsError(problems)
    return tuple(items)


def _messages(error: ValueError) -> list[str]:
    if isinstance(error, TemplateItemsError):
        return error.messages
    text = str(error)
    return [text if text.endswith(".") else f"{text}."]


def _item(entry: object) -> ItemSpec:
    if not isinstance(entry, dict):
        raise TemplateItemsError(['must be an object: {"key": ..., "kind": ..., ...}'])
    problems = _unknown(entry, _ITEM_FIELDS)
    key = entry.get("key")
    if not isinstance(key, str) or not KEY.match(key) or len(key) > MAX_KEY:
        problems.append(f'key: lower-case letters, digits, - and _, at most {MAX_KEY} characters, e.g. "visit"')
    kind = entry.get("kind")
    if kind not in {k.value for k in Kind}:
        problems.append(f"kind: one of {', '.join(k.value for k in Kind)}")
    label = entry.get("label")
    if not isinstance(label, str) or not label.strip():
        problems.append('label: say what it is, e.g. "Check-up with your care team"')
    elif len(label) > MAX_LABEL:
        problems.append(f"label: at most {MAX_LABEL} characters (this has {len(label)})")
    counts_from = _anchors(entry.get("counts_from"), "counts_from", problems)
    phases = _phases(entry.get("phases"), problems)
    not_before = _offsets(entry.get("not_before", []), problems)
    first = entry.get("first_window_months")
    if first is not None and not _int_in(first, 0, MAX_MONTHS):
        problems.append(f"first_window_months: a whole number of months, 0 to {MAX_MONTHS}, or leave it out")
    if problems:
        raise TemplateItemsError(problems)
    # The spec's own checks (phases contiguous, the last open-ended...).
    return ItemSpec(
        key=str(key),
        kind=Kind(str(kind)),
        label=str(label).strip(),
        counts_from=counts_from,
        phases=phases,
        not_before=not_before,
        first_window_months=first,
    )


def _unknown(entry: dict, known: set[str]) -> list[str]:
    extra = sorted(str(name) for name in entry if name not in known)
    return [f"unknown field {', '.join(extra)} (known: {', '.join(sorted(known))})"] if extra else []


def _int_in(value: object, low: int, high: int) -> bool:
    # bool is an int in Python; true is not a number of months.
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _anchors(value: object, field: str, problems: list[str]) -> tuple[Anchor, ...]:
    names = [a.value for a in Anchor]
    if not isinstance(value, list) or not 1 <= len(value) <= len(names) or any(name not in names for name in value):
        problems.append(f'{field}: a list of her dates, e.g. ["surgery", "diagnosis"]; known: {", ".join(names)}')
        return ()
    return tuple(Anchor(name) for name in value)


def _phases(value: object, problems: list[str]) -> tuple[Phase, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_PHASES:
        problems.append(f"phases: a list of 1 to {MAX_PHASES} phases")
        return ()
    phases: list[Phase] = []
    for number, phase in enumerate(value, start=1):
        where = f"phase {number}"
        if not isinstance(phase, dict):
            problems.append(f"{where}: must be an object")
            continue
        found = _unknown(phase, _PHASE_FIELDS)
        to_year = phase.get("to_year")
        if not _int_in(phase.get("from_year"), 1, MAX_YEAR):
            found.append(f"from_year: a year 1 to {MAX_YEAR}")
        if to_year is not None and not _int_in(to_year, 1, MAX_YEAR):
            found.append(f"to_year: a year 1 to {MAX_YEAR}, or null for the last phase")
        for name in ("every_min_months", "every_max_months"):
            if not _int_in(phase.get(name), 1, MAX_MONTHS):
                found.append(f"{name}: a whole number of months, 1 to {MAX_MONTHS}")
        if found:
            problems += [f"{where}: {message}" for message in found]
            continue
        try:
            phases.append(
                Phase(
                    from_year=phase["from_year"],
                    to_year=to_year,
                    every_min_months=phase["every_min_months"],
                    every_max_months=phase["every_max_months"],
                )
            )
        except ValueError as error:
            problems.append(f"{where}: {error}")
    return tuple(phases)


def _offsets(value: object, problems: list[str]) -> tuple[Offset, ...]:
    if not isinstance(value, list) or len(value) > MAX_OFFSETS:
        problems.append(f'not_before: a list of at most {MAX_OFFSETS} {{"months": ..., "after": [...]}}')
        return ()
    offsets: list[Offset] = []
    for number, offset in enumerate(value, start=1):
        where = f"not_before {number}"
        if not isinstance(offset, dict):
            problems.append(f"{where}: must be an object")
            continue
        found = _unknown(offset, _OFFSET_FIELDS)
        if not _int_in(offset.get("months"), 0, MAX_MONTHS):
            found.append(f"months: a whole number, 0 to {MAX_MONTHS}")
        after = _anchors(offset.get("after"), "after", found)
        if found:
            problems += [f"{where}: {message}" for message in found]
            continue
        offsets.append(Offset(months=offset["months"], after=after))
    return tuple(offsets)


# ---------------------------------------------------------------- rows


def template_spec(row: PlanTemplate) -> Template:
    """The Template a row stands for: a shipped one's from code (so its
    words are translated and follow the code), a clinic's own from its
    JSON. Raises TemplateItemsError when a stored template no longer
    passes (services validate before saving, so only a hand-edited row)."""
    if row.builtin:
        try:
            return BUILTIN[row.builtin]
        except KeyError:
            raise TemplateItemsError([f"No shipped template is called {row.builtin!r}."]) from None
    return Template(
        key=f"clinic-{row.pk}",
        name=row.name,
        source=row.source,
        source_note=row.source_note,
        items=items_from_json(row.items),
    )
