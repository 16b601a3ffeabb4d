"""The Celery app and the ONE beat schedule (CONVENTIONS.md habit 8)."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("followup")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Housekeeping: drop expired login sessions so the session table stays small.
    "clear-expired-sessions": {
        "task": "tracker.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
}
