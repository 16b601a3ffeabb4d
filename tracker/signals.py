"""Events other apps subscribe to. tracker never imports followup; followup
connects a receiver to it in its AppConfig.ready()."""

from django.dispatch import Signal

# Sent once per check-in (or weight) INSIDE the transaction that raised or
# escalated its flags, so a receiver's writes (the follow-up app's follow-up
# and reminder rows) commit or roll back with them, written in one batch
# however many rules fired. kwargs: flags, every flag the check-in opened or
# attached to; recorded, a list of (flag, created, tier_raised) for those
# that remind her (not a flag only a failed rule opened). When a receiver
# fails, it is sent once more with recorded=[] (services/flags.py), so that
# what does not hang on her reminders is still written.
flags_recorded = Signal()

# Sent INSIDE the transaction that changed a plan's items (started, added,
# moved, booked, done, dropped, rolled forward, found missed), so followup
# (followup/reminders/plan.py) writes or cancels the items' reminder rows in
# the same commit. kwargs: plan, items (the PlanItem rows whose dates or
# state changed).
plan_items_changed = Signal()
