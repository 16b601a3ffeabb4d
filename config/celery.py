"""The Celery app and the ONE beat schedule (CONVENTIONS.md habit 8)."""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("followup")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

SWEEP_SECONDS = float(os.environ.get("FOLLOWUP_SWEEP_SECONDS", "60"))
URGENT_SWEEP_SECONDS = float(os.environ.get("FOLLOWUP_URGENT_SWEEP_SECONDS", "5"))

app.conf.beat_schedule = {
    # Claim due messages, schedule weekly check-ins, escalate unreviewed flags.
    "followup-sweep": {"task": "followup.tasks.sweep", "schedule": SWEEP_SECONDS},
    # The emergency lane: emergency messages lost or stuck are put back within seconds.
    "followup-sweep-urgent": {"task": "followup.tasks.sweep_urgent", "schedule": URGENT_SWEEP_SECONDS},
    # Housekeeping: drop expired login sessions so the session table stays small.
    "clear-expired-sessions": {
        "task": "tracker.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
}


@task_prerun.connect
@task_postrun.connect
def _database_connections_checked(**kwargs) -> None:
    """Before and after every task, Django's own request-boundary check:
    drop a connection that broke (PostgreSQL restarted or crashed) or
    outlived CONN_MAX_AGE, and re-arm CONN_HEALTH_CHECKS so that the task's
    first query finds a dead connection and replaces it. Celery's fixup only
    closes connections every CELERY_DB_REUSE_MAX tasks (kept: a new
    connection costs more than a delivery), so without this a worker kept a
    dead connection and failed every task for 100 tasks after a restart."""
    close_old_connections()
