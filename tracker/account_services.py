"""Moved to tracker/services/accounts.py (issue 14)."""

# Re-exported while moving (issue 14); call sites move to the modules next.
from .services.accounts import account_deactivate, account_password_changed, account_reactivate

__all__ = ["account_deactivate", "account_password_changed", "account_reactivate"]
