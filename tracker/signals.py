"""Events other apps subscribe to. tracker never imports followup; followup
connects a receiver to these in its AppConfig.ready()."""

from django.dispatch import Signal

# Sent once per flag, after the transaction that raised or escalated it
# commits. kwargs: flag_id (int), created (bool: a new flag, not an attachment),
# tier (str), tier_raised (bool).
flag_raised = Signal()

# Sent once per flag INSIDE the transaction that raised or escalated it, so a
# receiver's writes (the follow-up app's reminder rows) commit or roll back
# with the flag. Same kwargs as flag_raised, plus flag (the Flag instance).
flag_recorded = Signal()
