from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = "Follow-up"

    def ready(self) -> None:
        from tracker.signals import flags_recorded

        from . import receivers

        # In the flag's own transaction: reminder rows commit or roll back with it.
        flags_recorded.connect(receivers.schedule_reminders, dispatch_uid="followup.schedule_reminders")
