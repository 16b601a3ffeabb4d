"""What every builder shares: meta with the row's last change, aware UTC
instants, English words from the app's translated labels, and `resource`,
which makes a builder's data the JSON it sends.

Builders return JSON-ready dicts, not fhir.resources models: a model's
validation and, above all, its serialization cost about 0.2 ms a resource,
more than the rest of a search page (the FHIR bench, bench/README.md).
Every builder's output is validated with fhir.resources (R4B) in the tests
(tests/fhirapi/checks.py: roundtrip), which is where the issue wants it."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.encoding import force_str


def utc(when: dt.datetime) -> dt.datetime:
    """An aware instant in UTC (FHIR instants must carry their offset)."""
    if when.tzinfo is None:  # a naive value is a bug upstream; UTC is what the app stores
        raise ValueError("naive datetime")
    return when.astimezone(dt.UTC)


def latest(*times: dt.datetime | None) -> dt.datetime:
    """The latest of the times that are set: a row's best "last changed"."""
    present = [t for t in times if t is not None]
    return utc(max(present))


def meta(last_updated: dt.datetime, *, profile: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"lastUpdated": utc(last_updated)}
    if profile:
        data["profile"] = [profile]
    return data


def english(label: Any) -> str:
    """A label (often a lazy translation) in English: the chart reads one
    language whatever language the request that built it was in."""
    with translation.override("en"):
        return force_str(label)


@functools.cache
def choice_label(choices: Any, value: str) -> str:
    """The English label of a value of a TextChoices class (the same for the
    process's life: cached, as a search page asks it for every row)."""
    with translation.override("en"):
        return force_str(dict(choices.choices).get(value, value))


def instant(when: dt.datetime) -> str:
    """An aware time as FHIR writes it: UTC, with a Z."""
    return utc(when).isoformat().replace("+00:00", "Z")


def resource(data: dict[str, Any]) -> dict[str, Any]:
    """The data as JSON: times as FHIR instants, dates as dates, decimals as
    numbers, and no empty element (FHIR JSON has no nulls, [] or {})."""
    return _clean(data)


_EMPTY: tuple[Any, ...] = (None, [], {})


def _clean(value: Any) -> Any:
    # The hot path of a search page (thousands of elements a page): most
    # leaves are strings, so they are tested first and by exact type.
    kind = type(value)
    if kind is str or kind is bool or kind is int:
        return value
    if kind is dict:
        out = {}
        for key, item in value.items():
            item = _clean(item)
            if item not in _EMPTY:
                out[key] = item
        return out
    if kind is list or kind is tuple:
        return [item for item in map(_clean, value) if item is not None and item != {}]
    if isinstance(value, dt.datetime):
        return instant(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
