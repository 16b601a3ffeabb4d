"""Moved to tracker/selectors/accounts.py (issue 14); this name stays
importable while call sites move."""

# Re-exported while moving (issue 14); call sites move to the modules next.
from .selectors.accounts import (  # noqa: F401
    SEARCH_MAX_LENGTH,
    account_get_for_admin,
    accounts_for_admin,
    may_change,
)
