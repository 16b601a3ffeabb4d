"""Moved (issue 14) to followup/triage/flag_page_sql.py; this module only
re-exports it for the call sites not moved yet."""

# Re-exported while moving (issue 14); call sites move to the modules next.
from .triage.flag_page_sql import (  # noqa: F401
    SQL_TEMPLATE,
    from_rows,
    sql,
)
