"""What a follow-up plan is made of, as plain values: her key dates
(Anchors), a template item's rhythm (ItemSpec: Phases, Offsets), a
template (Template) and a window of time an item is due in (Window).

No ORM and no I/O: models and services map their rows onto these, and the
arithmetic in calendar.py reads only these. Every spec checks itself when it
is built (ValueError), so a clinic's template that would loop, leave a gap
between phases or open a window before it closes never reaches the
calendar.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from django.utils.functional import Promise

# A label is shown to the survivor, so it is usually a lazy translation.
Label = str | Promise

# Bounds at the edge: a rhythm longer than ten years or a template with
# dozens of items is a typing slip, not a plan.
MAX_MONTHS = 120
MAX_YEAR = 50
MAX_ITEMS = 30


class Kind(enum.StrEnum):
    """What an item is (the issue's list). Values are what models store."""

    VISIT = "visit"
    MAMMOGRAM = "mammogram"
    IMAGING = "imaging"
    BLOOD_TEST = "blood_test"
    OTHER = "other"


class Anchor(enum.StrEnum):
    """Her dates an item may count from. Values match Anchors' fields."""

    DIAGNOSIS = "diagnosis"
    SURGERY = "surgery"
    RADIATION_END = "radiation_end"
    ENDOCRINE_START = "endocrine_start"
    # The guideline's "initial mammogram" (the one that led to diagnosis,
    # or the first one after it where that is what the clinic records).
    FIRST_MAMMOGRAM = "first_mammogram"
    START = "start"  # the day the plan was started


@dataclass(frozen=True)
class Anchors:
    """Her key dates, calendar dates in her own time zone. Diagnosis and the
    plan's start are always known; the others are None when she has none
    (no radiation, no endocrine therapy) or the clinic does not know it."""

    diagnosis: dt.date
    start: dt.date
    surgery: dt.date | None = None
    radiation_end: dt.date | None = None
    endocrine_start: dt.date | None = None
    first_mammogram: dt.date | None = None

    def get(self, anchor: Anchor) -> dt.date | None:
        # An explicit table rather than getattr: typed, and a new Anchor
        # member without a field fails here at once (KeyError), not later.
        return {
            Anchor.DIAGNOSIS: self.diagnosis,
            Anchor.START: self.start,
            Anchor.SURGERY: self.surgery,
            Anchor.RADIATION_END: self.radiation_end,
            Anchor.ENDOCRINE_START: self.endocrine_start,
            Anchor.FIRST_MAMMOGRAM: self.first_mammogram,
        }[anchor]

    def first_known(self, chain: tuple[Anchor, ...]) -> dt.date | None:
        """The first of `chain` she has a date for: a fallback order, e.g.
        surgery, else diagnosis."""
        for anchor in chain:
            day = self.get(anchor)
            if day is not None:
                return day
        return None


@dataclass(frozen=True)
class Phase:
    """In her years from_year..to_year (1-based, inclusive; to_year None:
    for ever) the item comes every every_min_months to every_max_months."""

    from_year: int
    to_year: int | None
    every_min_months: int
    every_max_months: int

    def __post_init__(self) -> None:
        if not 1 <= self.from_year <= MAX_YEAR:
            raise ValueError(f"from_year {self.from_year} is not in 1..{MAX_YEAR}")
        if self.to_year is not None and not self.from_year <= self.to_year <= MAX_YEAR:
            raise ValueError(f"to_year {self.to_year} is before from_year {self.from_year} or past {MAX_YEAR}")
        # A minimum of at least one month is what makes the chain advance.
        if not 1 <= self.every_min_months <= self.every_max_months <= MAX_MONTHS:
            raise ValueError(
                f"every {self.every_min_months}-{self.every_max_months} months: need 1 <= min <= max <= {MAX_MONTHS}"
            )


@dataclass(frozen=True)
class Offset:
    """`months` after the first date of `after` she has (a fallback chain)."""

    months: int
    after: tuple[Anchor, ...]

    def __post_init__(self) -> None:
        if not 0 <= self.months <= MAX_MONTHS:
            raise ValueError(f"offset of {self.months} months is not in 0..{MAX_MONTHS}")
        if not self.after:
            raise ValueError("an offset counts from at least one anchor")


@dataclass(frozen=True)
class ItemSpec:
    """One line of a template.

    counts_from: the anchor her years count from, for choosing the phase
      (first known of the chain). If she has none of them (an item counting
      from endocrine therapy, and she has none) the item is not generated.
    phases: contiguous from year 1, the last one open-ended.
    not_before: floors: no window opens before the latest of these she has a
      date for (a mammogram at least 6 months after radiation ends).
    first_window_months: with no last-done date, the first window opens at
      the not_before floor and is this many months wide; None: the first
      window is chained from the counts_from date like any other.
    """

    key: str
    kind: Kind
    label: Label
    counts_from: tuple[Anchor, ...]
    phases: tuple[Phase, ...]
    not_before: tuple[Offset, ...] = ()
    first_window_months: int | None = None

    def __post_init__(self) -> None:
        if not self.key or not self.counts_from or not self.phases:
            raise ValueError("an item needs a key, an anchor to count from and at least one phase")
        if self.phases[0].from_year != 1:
            raise ValueError(f"{self.key}: the first phase starts in year {self.phases[0].from_year}, not year 1")
        for before, after in zip(self.phases, self.phases[1:], strict=False):
            if before.to_year is None or after.from_year != before.to_year + 1:
                raise ValueError(f"{self.key}: phases leave a gap or overlap after year {before.to_year}")
        if self.phases[-1].to_year is not None:
            raise ValueError(f"{self.key}: the last phase must run on (to_year None)")
        if self.first_window_months is not None:
            if not self.not_before:
                raise ValueError(f"{self.key}: a first window needs a not_before date to open on")
            if not 0 <= self.first_window_months <= MAX_MONTHS:
                raise ValueError(f"{self.key}: first window of {self.first_window_months} months")

    def phase_for_year(self, year: int) -> int:
        """The index of the phase in force in her `year` (1-based)."""
        for index, phase in enumerate(self.phases):
            if phase.to_year is None or year <= phase.to_year:
                return index
        raise AssertionError("unreachable: the last phase is open-ended")


@dataclass(frozen=True)
class Template:
    """A clinic's plan template: items plus where they come from. `source`
    is the citation shown beside the plan; `source_note` says, in her
    words, what the guidance leaves out on purpose."""

    key: str
    name: Label
    source: str
    source_note: Label
    items: tuple[ItemSpec, ...]

    def __post_init__(self) -> None:
        if not 1 <= len(self.items) <= MAX_ITEMS:
            raise ValueError(f"a template has 1..{MAX_ITEMS} items, not {len(self.items)}")
        keys = [item.key for item in self.items]
        if len(set(keys)) != len(keys):
            raise ValueError(f"item keys repeat in template {self.key}: {keys}")


@dataclass(frozen=True, order=True)
class Window:
    """When an item is due: from `opens` to `due_by`, both inclusive, as
    calendar dates in her time zone. Ordered by opening date."""

    opens: dt.date
    due_by: dt.date

    def __post_init__(self) -> None:
        if self.due_by < self.opens:
            raise ValueError(f"window closes ({self.due_by}) before it opens ({self.opens})")

    @property
    def width(self) -> dt.timedelta:
        """From its first day to its last (0 for a one-day window)."""
        return self.due_by - self.opens

    def __contains__(self, day: object) -> bool:
        # A datetime is a date too, but comparing one with a date raises.
        return isinstance(day, dt.date) and not isinstance(day, dt.datetime) and self.opens <= day <= self.due_by
