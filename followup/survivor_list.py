"""Moved (issue 14) to followup/triage/survivor_list.py; this module only
re-exports it for the call sites not moved yet."""

# Re-exported while moving (issue 14); call sites move to the modules next.
from .triage.survivor_list import (  # noqa: F401
    EARLY_ALLOWED,
    OVERDUE_AFTER,
    SURVIVORS_PAGE_SIZE,
    SurvivorRow,
    is_overdue,
    last_weekly_checkin_due,
    survivor_list,
    survivor_list_read,
)
