"""Asynchronous commit for the Celery worker's database connections.

Worker writes (message states, attempts, schedule rows) are safe to lose in a
PostgreSQL crash: every one of them is recomputed or resent by the next sweep
(at-least-once, see services.py). Waiting for the WAL flush on each of them
cost about a millisecond per message (bench/README.md). Web requests, where
flags and check-ins are written, keep synchronous commits."""

from django.db.backends.signals import connection_created

_worker = {"on": False}


def use_async_commit_in_this_process() -> None:
    _worker["on"] = True
    connection_created.connect(_set_async_commit, dispatch_uid="followup.async_commit")


def _set_async_commit(sender, connection, **kwargs) -> None:
    if _worker["on"] and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
