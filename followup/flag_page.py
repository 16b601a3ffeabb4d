"""Moved (issue 14) to followup/triage/flag_page.py; this module only
re-exports it for the call sites not moved yet."""

# Re-exported while moving (issue 14); call sites move to the modules next.
from .triage.flag_page import (  # noqa: F401
    ATTACHMENTS_SHOWN,
    EVENTS_SHOWN,
    REMINDERS_SHOWN,
    Event,
    FlagPage,
    OpenFlag,
    Reminder,
    SnoozeRow,
    flag_page_orm,
    flag_page_read,
    open_flags,
)
