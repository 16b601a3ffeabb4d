"""The Celery app and the ONE beat schedule (CONVENTIONS.md habit 8)."""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("followup")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

SWEEP_SECONDS = float(os.environ.get("FOLLOWUP_SWEEP_SECONDS", "60"))

app.conf.beat_schedule = {
    # Claim due messages, schedule weekly check-ins, escalate unreviewed flags.
    "followup-sweep": {"task": "followup.tasks.sweep", "schedule": SWEEP_SECONDS},
    # Housekeeping: drop expired login sessions so the session table stays small.
    "clear-expired-sessions": {
        "task": "tracker.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
}


@worker_process_init.connect
def _worker_process_init(**kwargs) -> None:
    # Worker writes may commit asynchronously: the sweep recovers any lost one.
    from followup.db import use_async_commit_in_this_process

    use_async_commit_in_this_process()
