"""Events other apps subscribe to. tracker never imports followup; followup
connects a receiver to it in its AppConfig.ready()."""

from django.dispatch import Signal

# Sent once per check-in (or weight) INSIDE the transaction that raised or
# escalated its flags, so a receiver's writes (the follow-up app's reminder
# rows) commit or roll back with them, written in one batch however many
# rules fired. kwargs: recorded, a list of (flag, created, tier_raised).
flags_recorded = Signal()
