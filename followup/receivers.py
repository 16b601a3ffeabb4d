from . import services


def schedule_reminders(sender, *, flag, created: bool, tier_raised: bool, **kwargs) -> None:
    services.reminders_schedule(flag=flag, created=created, tier_raised=tier_raised)
