"""Default reminder cadence and review deadlines per tier (issue 4's table).
Clinic admins override the cadence per clinic (Cadence rows)."""

import datetime as dt
from dataclasses import dataclass

HOUR = 60
DAY = 24 * HOUR


@dataclass(frozen=True)
class Plan:
    first_after: dt.timedelta
    every: dt.timedelta
    max_count: int


DEFAULT_CADENCE = {
    "emergency": Plan(dt.timedelta(0), dt.timedelta(hours=2), 6),
    "urgent": Plan(dt.timedelta(0), dt.timedelta(hours=24), 5),
    "routine": Plan(dt.timedelta(days=1), dt.timedelta(days=7), 3),
}


QUIET_START_HOUR = 21  # 21:00 ... 08:00 in her own time zone: only emergencies
QUIET_END_HOUR = 8
NUDGE_AFTER = dt.timedelta(days=2)
NO_CHECKIN_CALL_LIST = dt.timedelta(days=5)
