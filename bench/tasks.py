"""A task that does nothing but count, for the delivery benchmark's baseline.
Loaded only by the benchmark's workers (celery worker -I bench.tasks)."""

import redis
from celery import shared_task
from django.conf import settings


@shared_task(name="bench.noop")
def noop(n: int) -> None:
    redis.Redis.from_url(settings.CELERY_BROKER_URL).incr("bench:noop")
