"""The plan's date arithmetic: months that end on different days, her years
since an anchor, the windows an item is due in, rolling them forward when
one is done, and the instants her reminders go at.

Dates here are calendar dates in HER time zone (a mammogram is due "by
12 May" where she lives); instants are aware UTC, as every stored time in
the project is. The only place a zone turns one into the other is
at_local_hour (and local_date, the other way).

Chaining. A window opens every_min months after its basis and is due
every_max months after it. The basis of the first window is her last-done
date when there is one, else the item's anchor (or its first-window rule);
the basis of each later window is a projection: she is assumed to be seen
in the middle of the window before. Projecting from the opening would pack
the windows as tightly as the guidance allows (four visits a year where it
asks for two to four) and a yearly item would creep a month earlier every
year; from the deadline, a month later. When she is actually seen,
roll_forward recomputes from that day, so the projection only has to be
fair, not right.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from .spec import Anchors, ItemSpec, Window

HORIZON_MONTHS = 24  # items are generated for the next two years (issue 15)
# Bounds the chain: a 1-month rhythm from a 50-year-old anchor is 600 steps.
MAX_STEPS = 1000
_HALF_MONTH = dt.timedelta(days=15)


# ---------------------------------------------------------------- months


def add_months(day: dt.date, months: int) -> dt.date:
    """`months` calendar months after `day` (before it when negative), on the
    same day of the month or, when that month is shorter, its last day:
    31 Jan + 1 = 28 Feb (29 in a leap year), 29 Feb + 12 = 28 Feb."""
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    return dt.date(year, month0 + 1, min(day.day, _days_in_month(year, month0 + 1)))


def _days_in_month(year: int, month: int) -> int:
    # The day before the 1st of the next month; December rolls the year.
    first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return (first_of_next - dt.timedelta(days=1)).day


def horizon(today: dt.date) -> dt.date:
    """The last day items are generated for: two years ahead."""
    return add_months(today, HORIZON_MONTHS)


def year_of(anchor: dt.date, day: dt.date) -> int:
    """Her year since `anchor`, 1-based: year 1 runs from the anchor up to
    (not including) its first anniversary. Days before the anchor count as
    year 1. Anniversaries of 29 Feb fall on 28 Feb (add_months)."""
    years = day.year - anchor.year
    if add_months(anchor, 12 * years) > day:
        years -= 1
    return max(years, 0) + 1


# ---------------------------------------------------------------- windows


def windows(
    spec: ItemSpec,
    anchors: Anchors,
    *,
    after: dt.date,
    until: dt.date,
    last_done: dt.date | None = None,
) -> list[Window]:
    """The windows of `spec` for her that matter in [after, until], in order.

    1. No date to count from (an item counting from endocrine therapy, and
       she has none): no windows.
    2. The first window: from last_done if given, else from the item's
       first-window rule (opens on its not_before floor), else chained
       from the anchor. Later ones are chained from the projection.
    3. A window that opens after `until` ends the list: nothing is
       generated beyond the horizon (a window opening inside it may be due
       after it: its deadline is clinical, not the horizon's).
    4. A window that closed before `after` is a projection of the past and
       is dropped; one still open on `after` is clipped to open on `after`.
       The exception is the window right after a known last_done: that one
       is real, so if it has already closed she is overdue, and it is due
       from `after`, as wide as it was.
    5. Never a window she cannot act on (_restart): the first window that
       matters on `after`, if less than half of it is left (Joan's first
       mammogram, 2 months wide, starting her plan the day before it
       closes: clipping would leave one day and it would be missed the day
       after), is due from `after`, as wide as it was, like an overdue one.
       So is the chain's first window when it is not a projection (no
       last_done: counted from her own dates, an item she has not had yet)
       and closed less than its own width before `after`: she is late for
       it, not done with it. One that closed longer ago than that stays
       dropped: without a last-done date we cannot tell it from one she
       had, and a nurse who knows records it. The windows after a
       restarted one move with it (their basis shifts as the window does),
       so the next never crowds it.
    """
    if until < after:
        raise ValueError(f"until ({until}) is before after ({after})")
    anchor = anchors.first_known(spec.counts_from)
    if anchor is None:
        return []
    floor = _floor(spec, anchors)
    if last_done is not None:
        window, basis = _next(spec, anchor, last_done, floor)
        if window.due_by < after:
            window, basis = _restart(window, basis, after)
    elif spec.first_window_months is not None and floor is not None:
        window = Window(floor, add_months(floor, spec.first_window_months))
        basis = _clamp(_middle(floor, 0, spec.first_window_months), window)
    else:
        window, basis = _next(spec, anchor, anchor, floor)
    if last_done is None and after - window.width < window.due_by < after:
        window, basis = _restart(window, basis, after)  # 5: closed just before `after`

    found: list[Window] = []
    for _ in range(MAX_STEPS):
        if window.opens > until:
            return found
        if window.due_by >= after:
            if not found and window.opens < after and (window.due_by - after) * 2 < window.width:
                window, basis = _restart(window, basis, after)  # 5: less than half of it left
            found.append(Window(max(window.opens, after), window.due_by))
        window, basis = _next(spec, anchor, basis, floor)
    raise ValueError(f"{spec.key}: more than {MAX_STEPS} windows up to {until}")


def _restart(window: Window, basis: dt.date, after: dt.date) -> tuple[Window, dt.date]:
    """The window due from `after`, as wide as it was, and its basis moved
    as far, so the chain after it keeps its spacing (windows(), 4 and 5)."""
    shift = after - window.opens
    return Window(after, window.due_by + shift), basis + shift


def roll_forward(spec: ItemSpec, anchors: Anchors, *, done_on: dt.date, until: dt.date) -> list[Window]:
    """She was seen on `done_on` (early, in the window or late): the windows
    after it, recomputed from that day up to `until`. The caller replaces
    the later items that are still only due (not booked, done or dropped)
    with these."""
    if until < done_on:
        return []
    return windows(spec, anchors, after=done_on, until=until, last_done=done_on)


def _next(spec: ItemSpec, anchor: dt.date, basis: dt.date, floor: dt.date | None) -> tuple[Window, dt.date]:
    """The window after `basis`, and the projected basis of the one after.

    The phase is the one in force on the day the window opens: start from
    the phase of the basis's year and move on while the window would open
    past the phase's last year (the last visit of year 3 is followed by a
    year-4 window when its 3-6 months reach into year 4). A window opening
    in year 3 and closing in year 4 keeps year 3's rhythm: it straddles."""
    index = spec.phase_for_year(year_of(anchor, basis))
    while True:
        phase = spec.phases[index]
        opens = add_months(basis, phase.every_min_months)
        if phase.to_year is None or opens < add_months(anchor, 12 * phase.to_year):
            break
        index += 1
    due_by = add_months(basis, phase.every_max_months)
    phase_starts = add_months(anchor, 12 * (phase.from_year - 1))
    if opens < phase_starts:
        # A later phase with a shorter rhythm would open back in the phase
        # before: it waits for its own, as wide as its rhythm makes it, so
        # a window always opens in the phase it obeys.
        opens = phase_starts
        due_by = max(due_by, add_months(opens, phase.every_max_months - phase.every_min_months))
    if floor is not None and opens < floor:
        # Too early for this item (6 months after radiation): the window
        # moves to the floor, keeping its width.
        due_by = floor + (due_by - opens)
        opens = floor
    window = Window(opens, due_by)
    return window, _clamp(_middle(basis, phase.every_min_months, phase.every_max_months), window)


def _middle(basis: dt.date, low: int, high: int) -> dt.date:
    # In months where it can be (11-13 from 15 Mar is 15 Mar: no drift of a
    # day a year as halving the days would give), half a month when odd.
    months, odd = divmod(low + high, 2)
    return add_months(basis, months) + _HALF_MONTH * odd


def _clamp(day: dt.date, window: Window) -> dt.date:
    return min(max(day, window.opens), window.due_by)


def _floor(spec: ItemSpec, anchors: Anchors) -> dt.date | None:
    """The latest not_before date she has; offsets whose anchors she has no
    date for (no radiation) do not hold the item back."""
    floors = [
        add_months(day, offset.months)
        for offset in spec.not_before
        if (day := anchors.first_known(offset.after)) is not None
    ]
    return max(floors, default=None)


# ---------------------------------------------------------------- state


def overdue_days(window: Window, today: dt.date) -> int:
    """Days past the window's last day (0 while it is open or ahead)."""
    return max((today - window.due_by).days, 0)


def is_missed(window: Window, *, booked_at: dt.datetime | None, today: dt.date, tz: ZoneInfo) -> bool:
    """An item not done is missed once its window has closed and, if it was
    booked, the booked day has passed too (a booking made after the window,
    for want of a slot, is not missed before it happens). `today` is her
    date (local_date(now, tz)); the caller checks that it is not done."""
    if today <= window.due_by:
        return False
    return booked_at is None or local_date(booked_at, tz) < today


# ---------------------------------------------------------------- instants


def local_date(instant: dt.datetime, tz: ZoneInfo) -> dt.date:
    """Her calendar date at `instant` (in Tokyo, 20:00 UTC is tomorrow)."""
    _require_aware(instant)
    return instant.astimezone(tz).date()


def at_local_hour(day: dt.date, tz: ZoneInfo, hour: int) -> dt.datetime:
    """`hour`:00 on `day` where she lives, as aware UTC.

    fold=0 (the default) settles the two DST edge cases: a wall time that
    happens twice (autumn) is the first of them, and one that does not
    happen (spring: 02:30 in New York) is read with the offset before the
    change, which is the instant as far past the gap's start as the wall
    time was (03:30). Reminders at 09:00 never meet either in the zones we
    serve, but an hour is a setting."""
    if not 0 <= hour <= 23:
        raise ValueError(f"hour {hour} is not in 0..23")
    return dt.datetime.combine(day, dt.time(hour), tzinfo=tz).astimezone(dt.UTC)


def window_reminder_at(opens: dt.date, tz: ZoneInfo, hour: int = 9) -> dt.datetime:
    """When to tell her an item is due: `hour` on the day its window opens."""
    return at_local_hour(opens, tz, hour)


def booked_reminder_at(booked_at: dt.datetime, *, tz: ZoneInfo, days_before: int = 3, hour: int = 9) -> dt.datetime:
    """When to remind her of a booking: `hour` on her calendar day
    `days_before` days before the booked day (her day, not UTC's: a 08:00
    appointment in Tokyo is the previous day in UTC). Always before the
    booking, since days_before is at least 1. The caller skips or sends at
    once a reminder already past (a booking made the day before)."""
    if days_before < 1:
        raise ValueError(f"days_before {days_before} must be at least 1")
    day = local_date(booked_at, tz) - dt.timedelta(days=days_before)
    return at_local_hour(day, tz, hour)


def _require_aware(instant: dt.datetime) -> None:
    # A naive datetime would be read in the server's zone: wrong for her.
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{instant!r} is naive; stored instants are aware UTC")
