from . import services


def schedule_reminders(sender, *, recorded, **kwargs) -> None:
    services.reminders_schedule_many(recorded=recorded)
