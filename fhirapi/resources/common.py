"""What every builder shares: meta with the row's last change, aware UTC
instants, English words from the app's translated labels."""

from __future__ import annotations

import datetime as dt
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


def choice_label(choices: Any, value: str) -> str:
    """The English label of a value of a TextChoices class."""
    with translation.override("en"):
        return force_str(dict(choices.choices).get(value, value))
