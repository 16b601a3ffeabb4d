from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = "Follow-up"

    def ready(self) -> None:
        # Imported in ready(): the receivers import models, loaded only once
        # apps are.
        from tracker.signals import flags_recorded, plan_items_changed

        from . import receivers
        from .reminders import plan

        # In the flag's own transaction: reminder rows commit or roll back with it.
        flags_recorded.connect(receivers.schedule_reminders, dispatch_uid="followup.schedule_reminders")
        # In the transaction that changed her plan's items: their reminder rows with them.
        plan_items_changed.connect(plan.plan_items_changed_receiver, dispatch_uid="followup.plan_reminders")
