"""Thin Celery tasks: take an id (or nothing), call a service.

No autoretry here: a failed send goes back to "pending" with a growing delay
in its row (services._failed), so PostgreSQL, not a Celery countdown, holds
the retry schedule and a lost task is found again by the next sweep."""

from celery import shared_task

from . import services


@shared_task
def sweep() -> int:
    return len(services.sweep())


@shared_task
def deliver_message(message_id: int) -> str:
    return services.deliver(message_id=message_id)
