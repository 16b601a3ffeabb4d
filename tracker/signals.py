"""Events other apps subscribe to. tracker never imports followup; followup
connects a receiver to these in its AppConfig.ready()."""

from django.dispatch import Signal

# Sent once per flag, after the transaction that raised or escalated it
# commits. kwargs: flag_id (int), created (bool: a new flag, not an attachment),
# tier (str), tier_raised (bool).
flag_raised = Signal()
