from django.db import transaction

from tracker.models import Tier

from . import services

# Tiers whose first reminder is sent as soon as the check-in commits.
SEND_NOW_TIERS = {Tier.EMERGENCY, Tier.URGENT}


def schedule_reminders(sender, *, recorded, **kwargs) -> None:
    """In the check-in's transaction: the reminder rows commit or roll back
    with her flags. After commit, the ones already due are sent at once."""
    services.reminders_schedule_many(recorded=recorded)
    now_ids = [flag.pk for flag, created, raised in recorded if (created or raised) and flag.tier in SEND_NOW_TIERS]
    if now_ids:
        # robust: her check-in has committed; a failure here is logged, never
        # turned into an error page (the sweep sends them anyway).
        transaction.on_commit(lambda: services.reminders_send_now(flag_ids=now_ids), robust=True)
