from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = "Follow-up"

    def ready(self) -> None:
        # Imported in ready(): the receivers import models, loaded only once
        # apps are.
        from tracker.signals import flags_recorded

        from . import receivers

        # In the flag's own transaction: reminder rows commit or roll back with it.
        flags_recorded.connect(receivers.schedule_reminders, dispatch_uid="followup.schedule_reminders")
