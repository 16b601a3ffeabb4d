"""What a page of the nurse's queue holds, as plain values with their strings
already made: QueueFlag (one open flag), QueueRow (one survivor and her open
flags), QueuePage (previous/next, no count); and span, the compact "2 d 4 h"
that the nurse's pages print. Reading them is queue.py's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class QueueFlag:
    """One open flag, ready to print. Every nurse's open queue reloads every
    30 s, so flags come from one plain-values query and carry their strings
    already made (bench/README.md, issue 5); no model objects per row."""

    pk: int
    survivor_id: int
    survivor_name: str
    survivor_language: str
    tier: str
    summary: str
    age: str
    due: str
    overdue: bool
    callback_wanted: bool
    claimed_by: str
    contacted_at: dt.datetime | None  # she said she contacted her care team


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One survivor in the queue: a nurse calls a person, not a rule. Her
    open flags, highest tier first (then the nearest deadline): the first
    one is what the row leads with, whatever the filters matched."""

    survivor_id: int
    survivor_name: str
    survivor_language: str  # shown next to her name: the language she reads
    flags: tuple[QueueFlag, ...]
    contacted: str  # "2 Jun 11:05": when she last said she contacted her care team, or ""

    @property
    def top(self) -> QueueFlag:
        return self.flags[0]

    @property
    def others(self) -> tuple[QueueFlag, ...]:
        return self.flags[1:]

    @property
    def pk(self) -> int:
        return self.flags[0].pk

    @property
    def tier(self) -> str:
        return self.flags[0].tier

    @property
    def overdue(self) -> bool:
        return any(f.overdue for f in self.flags)

    @property
    def callback_wanted(self) -> bool:
        return any(f.callback_wanted for f in self.flags)


@dataclass
class QueuePage:
    """A page of survivors without a count of every open flag (that count
    cost more than the page itself on 50,000 flags): previous/next only."""

    rows: list[QueueRow]
    number: int
    has_previous: bool
    has_next: bool

    @property
    def flags(self) -> list[QueueFlag]:
        """Every flag the page shows, row by row."""
        return [flag for row in self.rows for flag in row.flags]

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def span(delta: dt.timedelta) -> str:
    """ "2 d 4 h", "3 h 5 min", "12 min": compact, for a table column.
    Django's timesince spells out "3 days, 4 hours" through calendar maths
    and translation lookups at ~40 µs a call, 50 calls a page."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"
