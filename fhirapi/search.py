"""Search parameters and paging, shared by every resource type.

A search reads one or more sources (Observation is her symptom entries and
her weights), each a clinic-scoped queryset annotated with `fhir_updated`,
the time that becomes meta.lastUpdated. Rows come in the order (updated,
source rank, pk), so a page ends at a key and the next page starts after
it: `_cursor` in Bundle.link "next" is that key, so paging stays stable and
costs the same on the last page as on the first (an offset would re-read
every row before it). Every parameter is bounded and a bad one is a 400."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import heapq
import itertools
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Expression, F, Model, Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime

from .outcome import FhirError

COUNT_DEFAULT = 50
COUNT_MAX = 200
# What a client may send; `_format` and `_pretty` are accepted and ignored.
KNOWN = {"patient", "_lastUpdated", "_count", "_cursor", "_format", "_pretty"}
_PREFIXES = ("ge", "le", "gt", "lt")


@dataclass(frozen=True)
class Source:
    """One table behind a resource type."""

    rank: int  # its place among the type's sources, in the paging key
    queryset: Callable[[Any], QuerySet]  # (client) -> rows of its clinic only, related rows fetched
    updated: Expression | F  # -> fhir_updated
    build: Callable[[Any], dict[str, Any]]  # row -> the resource as JSON-ready dict
    patient: str = ""  # the lookup of her id ("survivor_id"); "" if `patient` does not apply
    # For a queryset of plain values (.values()): makes the page's dicts the
    # rows its builder reads (with `pk` and `fhir_updated`).
    adapt: Callable[[list[Any]], list[Any]] | None = None

    def survivor_id(self, row: Any) -> int | None:
        """Whose data a row is, for the audit: the `patient` lookup read on
        the row ("plan__survivor_id" is row.plan.survivor_id)."""
        return operator.attrgetter(self.patient.replace("__", "."))(row) if self.patient else None


@dataclass
class Query:
    patient: int | None = None
    bounds: list[tuple[str, dt.datetime]] = field(default_factory=list)
    count: int = COUNT_DEFAULT
    cursor: tuple[dt.datetime, int, int] | None = None


def parse_query(params: Any, *, patient_allowed: bool) -> Query:
    """params: a QueryDict. Unknown parameters are refused with the list of
    what is supported (a silently ignored filter would return too much)."""
    unknown = sorted(set(params) - KNOWN)
    if unknown:
        names = ", ".join(unknown)[:200]
        raise FhirError(400, f"Unsupported search parameter(s): {names}. Supported: {', '.join(sorted(KNOWN))}.")
    if params.get("_format") not in (None, "json", "application/fhir+json", "application/json"):
        raise FhirError(406, "Only JSON is served (_format=json).")
    query = Query()
    if "patient" in params:
        if not patient_allowed:
            raise FhirError(400, "This resource type has no patient search parameter.")
        query.patient = _patient(params.get("patient", ""))
    values = params.getlist("_lastUpdated")
    if len(values) > 2:
        raise FhirError(400, "_lastUpdated may be given at most twice (a lower and an upper bound).")
    query.bounds = [_bound(value) for value in values]
    if "_count" in params:
        raw = params.get("_count", "")
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= COUNT_MAX:
            raise FhirError(400, f"_count must be a whole number from 1 to {COUNT_MAX}.")
        query.count = int(raw)
    if "_cursor" in params:
        query.cursor = cursor_decode(params.get("_cursor", ""))
    return query


def _patient(value: str) -> int:
    pk = value.removeprefix("Patient/")
    if not (pk.isascii() and pk.isdigit()) or len(pk) > 18:
        raise FhirError(400, "patient must be a Patient id, as 123 or Patient/123.")
    return int(pk)


def _bound(value: str) -> tuple[str, dt.datetime]:
    prefix, raw = value[:2], value[2:]
    if prefix not in _PREFIXES or len(raw) > 40:
        raise FhirError(400, "_lastUpdated takes ge, le, gt or lt and a date or a time, as ge2026-01-31.")
    try:
        day = parse_date(raw) if len(raw) == 10 else None
    except ValueError:
        day = None
    if day is not None:
        # A day is the whole day, in UTC: ge and lt take its start, le and gt its end.
        return prefix, dt.datetime.combine(day, dt.time.min if prefix in ("ge", "lt") else dt.time.max, tzinfo=dt.UTC)
    try:
        when = parse_datetime(raw)
    except ValueError:
        when = None
    if when is None:
        raise FhirError(400, f"_lastUpdated: {raw[:40]!r} is not a date or a time.")
    if when.tzinfo is None:
        raise FhirError(400, "_lastUpdated: a time needs its offset from UTC, as 2026-01-31T09:00:00Z.")
    return prefix, when


def cursor_encode(updated: dt.datetime, rank: int, pk: int) -> str:
    raw = f"{updated.astimezone(dt.UTC).isoformat()}|{rank}|{pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_decode(token: str) -> tuple[dt.datetime, int, int]:
    try:
        if len(token) > 120:
            raise ValueError
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        stamp, rank, pk = raw.split("|")
        when = dt.datetime.fromisoformat(stamp)
        if when.tzinfo is None:
            raise ValueError
        return when, int(rank), int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise FhirError(400, "_cursor is not one this server wrote: follow Bundle.link next as it is.") from None


_LOOKUP = {"ge": "gte", "le": "lte", "gt": "gt", "lt": "lt"}


def _after(source: Source, cursor: tuple[dt.datetime, int, int] | None) -> Q:
    if cursor is None:
        return Q()
    when, rank, pk = cursor
    if source.rank > rank:
        return Q(fhir_updated__gte=when)
    if source.rank < rank:
        return Q(fhir_updated__gt=when)
    return Q(fhir_updated__gt=when) | Q(fhir_updated=when, pk__gt=pk)


def source_rows(source: Source, client: Any, query: Query, *, limit: int) -> QuerySet:
    rows = source.queryset(client).annotate(fhir_updated=source.updated)
    if query.patient is not None:
        rows = rows.filter(**{source.patient: query.patient})
    for prefix, when in query.bounds:
        rows = rows.filter(**{f"fhir_updated__{_LOOKUP[prefix]}": when})
    return rows.filter(_after(source, query.cursor)).order_by("fhir_updated", "pk")[:limit]


def search(sources: tuple[Source, ...], client: Any, query: Query) -> tuple[list[tuple[Source, Model]], str | None]:
    """One page: up to query.count rows in (updated, rank, pk) order across
    the sources, and the cursor of the next page (None on the last)."""
    streams: list[Iterator[tuple[tuple[dt.datetime, int, int], Source, Model]]] = [
        _keyed(source, source_rows(source, client, query, limit=query.count + 1)) for source in sources
    ]
    merged = list(itertools.islice(heapq.merge(*streams, key=lambda item: item[0]), query.count + 1))
    page = merged[: query.count]
    more = len(merged) > query.count
    next_cursor = cursor_encode(*page[-1][0]) if more and page else None
    return [(source, row) for _, source, row in page], next_cursor


def _keyed(source: Source, rows: QuerySet) -> Iterator[tuple[tuple[dt.datetime, int, int], Source, Model]]:
    for row in source.adapt(list(rows)) if source.adapt else rows:
        yield (row.fhir_updated, source.rank, row.pk), source, row
