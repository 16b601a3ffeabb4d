"""Thin Celery tasks: take an id (or nothing), call a service.

No autoretry here: a failed send goes back to "pending" with a growing delay
in its row (followup/reminders/delivery.py, _failed), so PostgreSQL, not a
Celery countdown, holds the retry schedule and a lost task is found again by
the next sweep.

Every task has a time limit: a hung provider or a slow query must not hold
a worker for ever. A delivery's soft limit raises inside the send and is
recorded as a failed attempt; its hard limit kills the process (the message
is then put back by the sweep after FOLLOWUP_URGENT_SENDING_TIMEOUT, which
is longer)."""

from celery import shared_task
from django.conf import settings

from .reminders import delivery
from .reminders import sweep as reminders_sweep


@shared_task(soft_time_limit=240, time_limit=300)
def sweep() -> int:
    return len(reminders_sweep.sweep())


@shared_task(soft_time_limit=20, time_limit=30)
def sweep_urgent() -> int:
    return len(reminders_sweep.sweep_urgent())


@shared_task(soft_time_limit=settings.FOLLOWUP_SEND_SOFT_LIMIT, time_limit=settings.FOLLOWUP_SEND_HARD_LIMIT)
def deliver_message(message_id: int) -> str:
    return delivery.deliver(message_id=message_id)
