from django.db import transaction

from .reminders import delivery, schedule


def schedule_reminders(sender, *, recorded, flags=(), **kwargs) -> None:
    """In the check-in's transaction: every flag's follow-up row and the
    reminder rows commit or roll back with her flags. The first reminders of an emergency (or urgent) flag are
    queued and enqueued as soon as it commits, so the first one goes out in
    seconds; the sweep stays the safety net."""
    now = schedule.reminders_schedule_many(recorded=recorded, flags=flags)
    if now:
        # robust: her check-in has committed; a broker failure here is
        # logged, never turned into an error page (the sweep sends them).
        transaction.on_commit(lambda: delivery.deliveries_send_now(message_ids=now), robust=True)
