"""The follow-up plan's date arithmetic (tracker/plans/calendar.py) and its
default template: month ends, her years and phase changes, first-window
floors, rolling forward, the two-year horizon, and the UTC instants of her
reminders across DST and date lines. Pure: no database."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils.functional import Promise

from tracker.plans.calendar import (
    add_months,
    at_local_hour,
    booked_reminder_at,
    horizon,
    is_missed,
    local_date,
    overdue_days,
    roll_forward,
    window_reminder_at,
    windows,
    year_of,
)
from tracker.plans.defaults import ASCO_2013, ASCO_2013_SOURCE, DEFAULT_TEMPLATE, MAMMOGRAM, VISIT
from tracker.plans.spec import Anchor, Anchors, ItemSpec, Kind, Offset, Phase, Template, Window

NEW_YORK = ZoneInfo("America/New_York")
MEXICO_CITY = ZoneInfo("America/Mexico_City")
MADRID = ZoneInfo("Europe/Madrid")
TOKYO = ZoneInfo("Asia/Tokyo")


def d(iso: str) -> dt.date:
    return dt.date.fromisoformat(iso)


def w(opens: str, due_by: str) -> Window:
    return Window(d(opens), d(due_by))


def utc(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso).replace(tzinfo=dt.UTC)


def her(**dates: str) -> Anchors:
    """Her anchors: diagnosis and start default to early 2020."""
    values = {"diagnosis": "2020-01-05", "start": "2020-01-05", **dates}
    return Anchors(**{name: d(value) for name, value in values.items()})


# ---------------------------------------------------------------- months


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2025-01-31", 1, "2025-02-28"),  # month end clamps
        ("2024-01-31", 1, "2024-02-29"),  # leap year
        ("2024-02-29", 12, "2025-02-28"),
        ("2024-02-29", 48, "2028-02-29"),
        ("2025-08-31", 6, "2026-02-28"),
        ("2023-08-31", 6, "2024-02-29"),
        ("2025-10-31", 1, "2025-11-30"),
        ("2025-11-30", 3, "2026-02-28"),
        ("2025-12-15", 1, "2026-01-15"),  # year boundary
        ("2025-12-31", 12, "2026-12-31"),
        ("2026-01-15", -1, "2025-12-15"),
        ("2024-03-31", -1, "2024-02-29"),
        ("2025-07-31", 0, "2025-07-31"),
        ("2025-02-28", 1, "2025-03-28"),  # a clamped day does not spring back
    ],
)
def test_it_adds_months_clamping_to_the_month_end(day, months, expected):
    assert add_months(d(day), months) == d(expected)


@pytest.mark.parametrize(
    ("anchor", "day", "year"),
    [
        ("2020-01-15", "2020-01-15", 1),
        ("2020-01-15", "2019-12-01", 1),  # before the anchor: year 1
        ("2020-01-15", "2023-01-14", 3),
        ("2020-01-15", "2023-01-15", 4),
        ("2020-01-15", "2025-01-14", 5),
        ("2020-01-15", "2025-01-15", 6),
        ("2024-02-29", "2025-02-27", 1),
        ("2024-02-29", "2025-02-28", 2),  # 29 Feb's anniversary is 28 Feb
        ("2024-12-31", "2025-12-30", 1),
        ("2024-12-31", "2025-12-31", 2),
    ],
)
def test_it_counts_her_years_from_the_anchor(anchor, day, year):
    assert year_of(d(anchor), d(day)) == year


def test_the_horizon_is_two_years_clamped():
    assert horizon(d("2024-02-29")) == d("2026-02-28")


# ---------------------------------------------------------------- windows

SURGERY_2020 = her(surgery="2020-01-15")  # year 4 from 2023-01-15, year 6 from 2025-01-15


@pytest.mark.parametrize(
    ("spec", "anchors", "after", "until", "last_done", "expected"),
    [
        pytest.param(
            VISIT,
            her(diagnosis="2024-01-10", start="2024-06-01", surgery="2024-02-15"),
            "2024-06-01",
            "2026-06-01",
            None,
            [
                w("2024-06-01", "2024-08-15"),  # opened 2024-05-15: clipped to `after`
                w("2024-09-30", "2024-12-30"),
                w("2025-02-14", "2025-05-14"),
                w("2025-06-29", "2025-09-29"),
                w("2025-11-13", "2026-02-13"),
                w("2026-03-28", "2026-06-28"),  # opens inside the horizon, due after it
            ],
            id="new-plan-visits-from-surgery",
        ),
        pytest.param(
            VISIT,
            her(diagnosis="2024-01-10"),
            "2024-01-10",
            "2024-12-31",
            None,
            [w("2024-04-10", "2024-07-10"), w("2024-08-25", "2024-11-25")],
            id="no-surgery-date-counts-from-diagnosis",
        ),
        pytest.param(
            VISIT,
            SURGERY_2020,
            "2022-09-15",
            "2023-12-31",
            "2022-09-15",
            [w("2022-12-15", "2023-03-15"), w("2023-07-30", "2024-01-30")],
            id="year-3-window-straddles-into-year-4-then-year-4-rhythm",
        ),
        pytest.param(
            VISIT,
            SURGERY_2020,
            "2022-10-14",
            "2023-06-30",
            "2022-10-14",
            [w("2023-01-14", "2023-04-14")],
            id="opens-on-the-last-day-of-year-3-keeps-3-6",
        ),
        pytest.param(
            VISIT,
            SURGERY_2020,
            "2022-10-15",
            "2023-06-30",
            "2022-10-15",
            [w("2023-04-15", "2023-10-15")],
            id="would-open-on-the-first-day-of-year-4-takes-6-12",
        ),
        pytest.param(
            VISIT,
            SURGERY_2020,
            "2024-07-14",
            "2025-09-30",
            "2024-07-14",
            [w("2025-01-14", "2025-07-14")],
            id="year-5-window-straddles-into-year-6",
        ),
        pytest.param(
            VISIT,
            SURGERY_2020,
            "2024-07-15",
            "2026-12-31",
            "2024-07-15",
            [w("2025-06-15", "2025-08-15"), w("2026-06-15", "2026-08-15")],
            id="would-open-in-year-6-goes-yearly-11-13",
        ),
        pytest.param(
            VISIT,
            her(surgery="2025-06-01"),
            "2025-08-31",
            "2026-06-30",
            "2025-08-31",
            [w("2025-11-30", "2026-02-28"), w("2026-04-15", "2026-07-15")],
            id="aug-31-month-ends",
        ),
        pytest.param(
            VISIT,
            her(surgery="2023-05-01"),
            "2023-08-31",
            "2024-01-31",
            "2023-08-31",
            [w("2023-11-30", "2024-02-29")],
            id="aug-31-plus-6-in-a-leap-year",
        ),
        pytest.param(
            VISIT,
            her(surgery="2025-06-01"),
            "2025-12-15",
            "2026-03-31",
            "2025-12-15",
            [w("2026-03-15", "2026-06-15")],
            id="across-the-new-year",
        ),
        pytest.param(
            MAMMOGRAM,
            her(diagnosis="2023-01-10"),
            "2024-02-29",
            "2026-03-01",
            "2024-02-29",
            [w("2025-01-29", "2025-03-29"), w("2026-01-28", "2026-03-28")],
            id="mammogram-on-feb-29-then-yearly",
        ),
        pytest.param(
            MAMMOGRAM,
            her(diagnosis="2023-01-10"),
            "2025-12-31",
            "2026-12-31",
            "2025-12-31",
            [w("2026-11-30", "2027-01-31")],
            id="mammogram-window-across-the-new-year",
        ),
        pytest.param(
            VISIT,
            SURGERY_2020,
            "2023-06-01",
            "2024-06-30",
            "2021-01-10",
            # Due 2021-04-10..07-10: she is overdue, so it is due from `after`, as wide.
            [w("2023-06-01", "2023-08-31"), w("2024-01-16", "2024-07-16")],
            id="known-last-visit-long-ago-is-overdue-from-after",
        ),
    ],
)
def test_it_generates_the_windows(spec, anchors, after, until, last_done, expected):
    got = windows(spec, anchors, after=d(after), until=d(until), last_done=d(last_done) if last_done else None)
    assert got == expected


@pytest.mark.parametrize(
    ("anchors", "expected_first"),
    [
        (her(diagnosis="2024-01-10"), w("2025-01-10", "2025-03-10")),  # one year after diagnosis
        (her(diagnosis="2024-01-10", first_mammogram="2023-12-20"), w("2024-12-20", "2025-02-20")),
        (her(diagnosis="2024-01-10", radiation_end="2024-03-01"), w("2025-01-10", "2025-03-10")),  # early: no push
        (her(diagnosis="2024-01-10", radiation_end="2024-07-10"), w("2025-01-10", "2025-03-10")),  # a tie
        (her(diagnosis="2024-01-10", radiation_end="2025-03-20"), w("2025-09-20", "2025-11-20")),  # late: pushed
        (her(diagnosis="2024-01-10", radiation_end="2024-08-31"), w("2025-02-28", "2025-04-28")),  # month end
    ],
)
def test_the_first_mammogram_waits_a_year_and_six_months_after_radiation(anchors, expected_first):
    got = windows(MAMMOGRAM, anchors, after=d("2024-01-10"), until=d("2027-06-01"))
    assert got[0] == expected_first
    # Then yearly, counted from the middle of the first window.
    assert got[1] == Window(add_months(expected_first.opens, 12), add_months(expected_first.opens, 14))


def test_the_radiation_floor_holds_after_a_known_mammogram_too():
    # The diagnostic mammogram was done; radiation ended late: the yearly
    # window (2024-12-05..2025-02-05) waits for 2025-03-30, keeping its width.
    anchors = her(diagnosis="2024-01-10", radiation_end="2024-09-30")
    got = windows(MAMMOGRAM, anchors, after=d("2024-01-10"), until=d("2025-12-31"), last_done=d("2024-01-05"))
    assert got[0] == w("2025-03-30", "2025-05-31")


def test_a_later_shorter_rhythm_waits_for_its_phase():
    # Year 1's 13 months reach into year 2, whose rhythm (1-2 months) would
    # open the window back in year 1: it opens on year 2's first day instead,
    # one month wide as year 2's rhythm is.
    spec = ItemSpec(
        key="x",
        kind=Kind.OTHER,
        label="x",
        counts_from=(Anchor.DIAGNOSIS,),
        phases=(Phase(1, 1, 13, 14), Phase(2, None, 1, 2)),
    )
    anchors = her(diagnosis="2020-01-01")
    assert windows(spec, anchors, after=d("2020-01-01"), until=d("2021-01-31"))[0] == w("2021-01-01", "2021-02-01")


DEXA = ItemSpec(
    key="dexa",
    kind=Kind.IMAGING,
    label="Bone density scan",
    counts_from=(Anchor.ENDOCRINE_START,),
    phases=(Phase(from_year=1, to_year=None, every_min_months=12, every_max_months=24),),
)


@pytest.mark.parametrize(
    ("anchors", "expected"),
    [
        (her(start="2024-03-01"), []),  # no endocrine therapy: no item
        (her(start="2024-03-01", endocrine_start="2024-03-01"), [w("2025-03-01", "2026-03-01")]),
    ],
)
def test_an_item_counting_from_a_date_she_does_not_have_is_not_generated(anchors, expected):
    assert windows(DEXA, anchors, after=d("2024-03-01"), until=d("2026-03-01")) == expected


# ---------------------------------------------------------------- rolling forward

NEW_SURVIVOR = her(diagnosis="2024-01-10", start="2024-03-01", surgery="2024-02-15")  # first visit 05-15..08-15


@pytest.mark.parametrize(
    ("spec", "done_on", "expected_first"),
    [
        (VISIT, "2024-04-20", w("2024-07-20", "2024-10-20")),  # early: before the window opened
        (VISIT, "2024-06-30", w("2024-09-30", "2024-12-30")),  # in the window
        (VISIT, "2024-09-10", w("2024-12-10", "2025-03-10")),  # late: after it closed
        (MAMMOGRAM, "2024-12-01", w("2025-11-01", "2026-01-01")),  # early: floor is 2025-01-10
        (MAMMOGRAM, "2025-06-01", w("2026-05-01", "2026-07-01")),  # late
    ],
)
def test_it_rolls_forward_from_the_day_she_was_seen(spec, done_on, expected_first):
    got = roll_forward(spec, NEW_SURVIVOR, done_on=d(done_on), until=horizon(d(done_on)))
    assert got[0] == expected_first
    assert all(window.opens > d(done_on) for window in got)


def test_rolling_forward_past_the_horizon_gives_nothing():
    assert roll_forward(VISIT, NEW_SURVIVOR, done_on=d("2024-06-01"), until=d("2024-05-31")) == []


def test_the_mammogram_floor_holds_an_early_one_back_only_until_the_floor():
    # Done 2024-06-01, before a year after diagnosis: the next would open
    # 2025-05-01 anyway, past the 2025-01-10 floor, so the floor does not bite.
    got = roll_forward(MAMMOGRAM, NEW_SURVIVOR, done_on=d("2024-06-01"), until=d("2025-12-31"))
    assert got == [w("2025-05-01", "2025-07-01")]


# ---------------------------------------------------------------- the horizon

PEOPLE = [
    her(diagnosis="2024-01-10", start="2024-06-01", surgery="2024-02-15", radiation_end="2024-05-20"),
    her(diagnosis="2024-02-29", start="2024-02-29", surgery="2024-03-31", radiation_end="2024-08-31"),
    her(diagnosis="2019-11-30", start="2024-12-31", surgery="2020-01-31"),
    her(diagnosis="2021-06-15", start="2023-01-15"),
]


@pytest.mark.parametrize("spec", [VISIT, MAMMOGRAM])
@pytest.mark.parametrize("anchors", PEOPLE)
def test_nothing_is_generated_before_after_or_beyond_until(spec, anchors):
    after, until = anchors.start, horizon(anchors.start)
    got = windows(spec, anchors, after=after, until=until)
    assert got, "two years always hold a window of each default item"
    assert all(after <= window.opens <= until for window in got)
    assert got == sorted(got)
    # Nothing missed at the far end: a longer horizon only adds windows
    # that open after `until`.
    longer = windows(spec, anchors, after=after, until=add_months(until, 24))
    assert longer[: len(got)] == got
    assert all(window.opens > until for window in longer[len(got) :])
    # Nothing missed at the near end: from further back, the same windows,
    # clipped at `after`; unless less than half of the one open on `after`
    # is left, which is then due from `after`, as wide (windows(), 5).
    # (Changed with rule 5: it held for every window before.)
    # From her diagnosis: no window is open then, so none is restarted.
    earlier = [x for x in windows(spec, anchors, after=anchors.diagnosis, until=until) if x.due_by >= after]
    first = earlier[0]
    if first.opens < after and (first.due_by - after) * 2 < first.width:
        assert got[0] == Window(after, after + first.width)
        assert got[1].opens > got[0].due_by
    else:
        assert [Window(max(x.opens, after), x.due_by) for x in earlier] == got


@pytest.mark.parametrize(
    ("until", "count"),
    [("2024-09-29", 1), ("2024-09-30", 2)],  # the second window opens 2024-09-30: inclusive
)
def test_the_horizon_includes_a_window_opening_on_its_last_day(until, count):
    anchors = her(diagnosis="2024-01-10", surgery="2024-02-15")
    assert len(windows(VISIT, anchors, after=d("2024-06-01"), until=d(until))) == count


# Rule 5 of windows(). These replace test_a_window_closing_on_after_is_kept_for_that_day,
# which asserted the one-day window [2024-08-15, 2024-08-15] this rule forbids.
NEW_PATIENT = her(diagnosis="2024-01-10", surgery="2024-02-15")  # first visit 2024-05-15..08-15


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # Half or more left (47 of 92 days): the deadline holds, clipped at `after`.
        ("2024-06-30", [w("2024-06-30", "2024-08-15"), w("2024-09-30", "2024-12-30"), w("2025-02-14", "2025-05-14")]),
        # Less than half left (the last day): due from `after`, as wide (3 months);
        # the next window moves with it (was 2024-09-30..12-30) rather than crowd it.
        ("2024-08-15", [w("2024-08-15", "2024-11-15"), w("2024-12-30", "2025-03-30")]),
        # Closed yesterday, never had: she is late for it, due from `after`.
        ("2024-08-16", [w("2024-08-16", "2024-11-16"), w("2025-01-01", "2025-04-01")]),
        # A projected window (the second) open with 40 of 91 days left: the same rule.
        ("2024-11-20", [w("2024-11-20", "2025-02-19")]),
        # The first closed long ago and a projected one just closed: projections
        # of the past, dropped; the next as projected.
        ("2025-01-01", [w("2025-02-14", "2025-05-14")]),
    ],
)
def test_a_window_nearly_or_just_closed_when_planning_starts_is_due_from_after_as_wide(after, expected):
    assert windows(VISIT, NEW_PATIENT, after=d(after), until=d("2025-03-01")) == expected


def test_joans_first_mammogram_is_not_a_one_day_window():
    # Diagnosed 2025-09-26: her first mammogram window is 2026-09-26..11-26;
    # her plan starts on its last day: two months from then, not one day.
    anchors = her(diagnosis="2025-09-26")
    got = windows(MAMMOGRAM, anchors, after=d("2026-11-26"), until=d("2028-11-26"))
    assert got[0] == w("2026-11-26", "2027-01-26")
    assert all(window.width >= dt.timedelta(days=59) for window in got)


def test_until_before_after_is_refused():
    with pytest.raises(ValueError, match="before after"):
        windows(VISIT, SURGERY_2020, after=d("2024-01-02"), until=d("2024-01-01"))


# ---------------------------------------------------------------- missed, overdue

MARCH_APRIL = w("2026-03-01", "2026-04-30")


@pytest.mark.parametrize(
    ("today", "booked_at", "tz", "missed"),
    [
        ("2026-04-30", None, NEW_YORK, False),  # the last day is still in time
        ("2026-05-01", None, NEW_YORK, True),
        ("2026-05-01", "2026-05-10T14:00", NEW_YORK, False),  # booked after the window: not yet
        ("2026-05-01", "2026-04-20T14:00", NEW_YORK, True),  # booked, the day passed, not done
        ("2026-05-01", "2026-05-01T14:00", NEW_YORK, False),  # booked for today
        # 02:00 UTC on 1 May is still 30 April in New York: that day has passed.
        ("2026-05-01", "2026-05-01T02:00", NEW_YORK, True),
        # ... and already 1 May in Tokyo: booked for today.
        ("2026-05-01", "2026-05-01T02:00", TOKYO, False),
    ],
)
def test_it_tells_a_missed_item(today, booked_at, tz, missed):
    booked = utc(booked_at) if booked_at else None
    assert is_missed(MARCH_APRIL, booked_at=booked, today=d(today), tz=tz) is missed


@pytest.mark.parametrize(
    ("now", "tz", "today", "missed"),
    [
        ("2026-04-30T20:00", TOKYO, "2026-05-01", True),  # 05:00 on 1 May in Tokyo
        ("2026-04-30T20:00", NEW_YORK, "2026-04-30", False),
        ("2026-05-01T02:00", NEW_YORK, "2026-04-30", False),  # 22:00 on 30 April in New York
        ("2026-05-01T02:00", ZoneInfo("UTC"), "2026-05-01", True),
    ],
)
def test_her_today_is_her_local_date(now, tz, today, missed):
    assert local_date(utc(now), tz) == d(today)
    assert is_missed(MARCH_APRIL, booked_at=None, today=local_date(utc(now), tz), tz=tz) is missed


@pytest.mark.parametrize(
    ("today", "days"),
    [("2026-02-01", 0), ("2026-04-30", 0), ("2026-05-01", 1), ("2026-06-30", 61), ("2027-04-30", 365)],
)
def test_it_counts_days_overdue(today, days):
    assert overdue_days(MARCH_APRIL, d(today)) == days


# ---------------------------------------------------------------- reminder instants


@pytest.mark.parametrize(
    ("day", "tz", "hour", "expected"),
    [
        ("2026-03-07", NEW_YORK, 9, "2026-03-07T14:00"),  # EST
        ("2026-03-08", NEW_YORK, 9, "2026-03-08T13:00"),  # EDT from 02:00 that day
        ("2026-10-31", NEW_YORK, 9, "2026-10-31T13:00"),
        ("2026-11-01", NEW_YORK, 9, "2026-11-01T14:00"),  # back to EST
        ("2022-04-04", MEXICO_CITY, 9, "2022-04-04T14:00"),  # Mexico still had summer time in 2022
        ("2023-04-03", MEXICO_CITY, 9, "2023-04-03T15:00"),  # and none since
        ("2026-07-01", MEXICO_CITY, 9, "2026-07-01T15:00"),
        ("2026-03-28", MADRID, 9, "2026-03-28T08:00"),  # CET
        ("2026-03-29", MADRID, 9, "2026-03-29T07:00"),  # CEST
        ("2026-10-25", MADRID, 9, "2026-10-25T08:00"),
        ("2026-04-01", TOKYO, 9, "2026-04-01T00:00"),
        ("2026-04-01", TOKYO, 8, "2026-03-31T23:00"),  # her 1 April is still 31 March in UTC
    ],
)
def test_the_window_reminder_is_at_her_hour(day, tz, hour, expected):
    at = window_reminder_at(d(day), tz, hour)
    assert at == utc(expected)
    assert at.tzinfo is dt.UTC


@pytest.mark.parametrize(
    ("day", "tz", "hour", "expected", "local_hour"),
    [
        ("2026-03-08", NEW_YORK, 2, "2026-03-08T07:00", 3),  # 02:00 does not happen: 03:00
        ("2026-11-01", NEW_YORK, 1, "2026-11-01T05:00", 1),  # 01:00 happens twice: the first (EDT)
        ("2026-03-29", MADRID, 2, "2026-03-29T01:00", 3),
        ("2026-10-25", MADRID, 2, "2026-10-25T00:00", 2),  # the first 02:00, CEST
    ],
)
def test_nonexistent_and_ambiguous_hours_resolve_forward_and_first(day, tz, hour, expected, local_hour):
    at = at_local_hour(d(day), tz, hour)
    assert at == utc(expected)
    assert at.astimezone(tz).hour == local_hour


@pytest.mark.parametrize(
    ("booked_at", "tz", "days_before", "expected"),
    [
        # 10:00 EDT on 10 March; three days before is 7 March, still EST.
        ("2026-03-10T14:00", NEW_YORK, 3, "2026-03-07T14:00"),
        # 21:00 EST on 2 November is 3 November in UTC: her day counts.
        ("2026-11-03T02:00", NEW_YORK, 3, "2026-10-30T13:00"),
        ("2023-04-05T16:00", MEXICO_CITY, 3, "2023-04-02T15:00"),
        ("2026-03-31T08:00", MADRID, 3, "2026-03-28T08:00"),  # booked in CEST, reminded in CET
        ("2026-10-27T09:00", MADRID, 2, "2026-10-25T08:00"),
        # 08:00 on 3 April in Tokyo is 2 April in UTC: reminded 31 March 09:00 JST.
        ("2026-04-02T23:00", TOKYO, 3, "2026-03-31T00:00"),
        ("2026-04-02T23:00", TOKYO, 1, "2026-04-02T00:00"),
    ],
)
def test_the_booking_reminder_is_days_before_on_her_calendar(booked_at, tz, days_before, expected):
    at = booked_reminder_at(utc(booked_at), tz=tz, days_before=days_before)
    assert at == utc(expected)
    assert at < utc(booked_at)


NAIVE = utc("2026-03-10T10:00").replace(tzinfo=None)


@pytest.mark.parametrize(
    "call",
    [
        lambda: booked_reminder_at(NAIVE, tz=NEW_YORK),  # naive
        lambda: booked_reminder_at(utc("2026-03-10T14:00"), tz=NEW_YORK, days_before=0),
        lambda: window_reminder_at(d("2026-03-10"), NEW_YORK, 24),
        lambda: local_date(NAIVE, TOKYO),  # naive
    ],
)
def test_it_refuses_naive_instants_and_out_of_range_settings(call):
    with pytest.raises(ValueError):
        call()


# ---------------------------------------------------------------- specs and the default template


@pytest.mark.parametrize(
    "build",
    [
        lambda: Phase(from_year=0, to_year=3, every_min_months=3, every_max_months=6),
        lambda: Phase(from_year=4, to_year=3, every_min_months=3, every_max_months=6),
        lambda: Phase(from_year=1, to_year=None, every_min_months=0, every_max_months=6),  # would never advance
        lambda: Phase(from_year=1, to_year=None, every_min_months=7, every_max_months=6),
        lambda: Offset(months=6, after=()),
        lambda: ItemSpec(  # a gap: nothing for year 4
            key="x",
            kind=Kind.OTHER,
            label="x",
            counts_from=(Anchor.DIAGNOSIS,),
            phases=(Phase(1, 3, 3, 6), Phase(5, None, 12, 12)),
        ),
        lambda: ItemSpec(
            key="x", kind=Kind.OTHER, label="x", counts_from=(Anchor.DIAGNOSIS,), phases=(Phase(1, 3, 3, 6),)
        ),
        lambda: ItemSpec(
            key="x", kind=Kind.OTHER, label="x", counts_from=(Anchor.DIAGNOSIS,), phases=(Phase(2, None, 3, 6),)
        ),
        lambda: ItemSpec(
            key="x",
            kind=Kind.OTHER,
            label="x",
            counts_from=(Anchor.DIAGNOSIS,),
            phases=(Phase(1, None, 3, 6),),
            first_window_months=2,  # opens on no floor
        ),
        lambda: Template(key="t", name="t", source="s", source_note="n", items=(VISIT, VISIT)),
        lambda: Window(d("2026-02-01"), d("2026-01-31")),
    ],
)
def test_a_spec_that_cannot_make_a_plan_is_refused(build):
    with pytest.raises(ValueError):
        build()


def test_the_default_template_is_asco_2013_with_its_source():
    assert DEFAULT_TEMPLATE is ASCO_2013
    assert ASCO_2013.source == (
        "Khatcheressian JL et al. Breast Cancer Follow-Up and Management After Primary Treatment: "
        "ASCO Clinical Practice Guideline Update. J Clin Oncol 2013;31(7):961-965."
    )
    assert ASCO_2013_SOURCE == ASCO_2013.source
    assert [item.kind for item in ASCO_2013.items] == [Kind.VISIT, Kind.MAMMOGRAM]


def test_the_default_template_advises_against_routine_scans_and_tumor_markers():
    # No item for them...
    assert not {Kind.IMAGING, Kind.BLOOD_TEST} & {item.kind for item in ASCO_2013.items}
    # ...and her note says so.
    note = str(ASCO_2013.source_note)
    assert "scans" in note
    assert "tumor markers" in note


def test_the_default_visit_rhythm_is_the_guidance():
    assert [(p.from_year, p.to_year, p.every_min_months, p.every_max_months) for p in VISIT.phases] == [
        (1, 3, 3, 6),
        (4, 5, 6, 12),
        (6, None, 11, 13),
    ]


@pytest.mark.parametrize("label", [ASCO_2013.name, ASCO_2013.source_note, VISIT.label, MAMMOGRAM.label])
def test_survivor_facing_text_is_marked_for_translation(label):
    assert isinstance(label, Promise)


def test_in_on_a_window_takes_dates_inclusive():
    assert d("2026-03-01") in MARCH_APRIL
    assert d("2026-04-30") in MARCH_APRIL
    assert d("2026-05-01") not in MARCH_APRIL
    assert utc("2026-03-02T12:00") not in MARCH_APRIL  # an instant is not a date of hers
