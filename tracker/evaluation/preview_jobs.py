"""Every write of a rule preview job (tracker.models.PreviewJob): asked for
on the rules pages, run by a worker (tracker.tasks.run_rule_preview), so a
preview costs a worker's time, never a web worker's.

The job's row is the truth: the worker claims it with a conditional update,
writes its progress after each chunk of survivors with an update that only
succeeds while the row is still "running" (so a cancel, or a stale mark,
stops it at the next chunk), and the result is written the same way. A job
whose worker died goes quiet, and is failed as stale the next time anyone
looks at it or asks for a new one.
"""

import datetime as dt
import logging
import time

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

# The module, not the function: tracker.tasks imports this module to run
# the preview, so the task is looked up when a job is enqueued.
from .. import scope, tasks
from ..models import PreviewJob, Rule, RuleVersion, User
from ..rules import engine
from ..rules.validation import validate_condition
from ..services.rules import rule_vocabulary
from .preview import rule_preview

logger = logging.getLogger(__name__)

# The job's own budget, checked between chunks whatever the worker's pool
# (the solo pool of `make run` ignores Celery's limits); Celery's soft and
# hard limits on the task back it up where one chunk never ends.
TIME_LIMIT_SECONDS: int = getattr(settings, "FOLLOWUP_PREVIEW_SECONDS", 300)
SOFT_TIME_LIMIT_SECONDS: int = TIME_LIMIT_SECONDS + 30
HARD_TIME_LIMIT_SECONDS: int = TIME_LIMIT_SECONDS + 60
# A running job with no progress for this long lost its worker (a chunk
# takes seconds); a queued one no worker took this long was lost on the way.
STALE_RUNNING = dt.timedelta(minutes=3)
STALE_QUEUED = dt.timedelta(minutes=10)
# Previews running at once in the installation. Each holds a worker process
# for up to the time limit: at 1 of the 2 worker processes the other keeps
# sending reminders.
MAX_ACTIVE = getattr(settings, "FOLLOWUP_PREVIEW_MAX_ACTIVE", 1)

TOO_BROAD = "Too broad: narrow the rule or shorten the period."
WORKER_LOST = "The preview stopped because its worker went away. Start it again."
NOT_STARTED = "No worker took the preview up. Start it again; if this happens again, tell your administrator."
FAILED = "The preview failed. Start it again; if it fails again, tell your administrator."
BUSY = "Another preview is running. Try again when it has finished (a few minutes at most)."
NO_CLINIC = "You work for no clinic yet, so there are no check-ins to preview."


class _Stopped(Exception):
    """The row left "running" under the worker: cancelled, or marked stale."""


class _TooBroad(Exception):
    """The job's time budget ran out."""


def preview_job_create(*, by: User, rule: Rule | None, condition: dict, tier: str, days: int) -> PreviewJob:
    """Queue a preview of a draft.

    1. The draft is checked by the rules' own validation (sizes and depths
       included), the tier and the period by theirs.
    2. Her earlier previews still queued or running are cancelled: she
       follows one at a time, and each holds a worker.
    3. Past MAX_ACTIVE previews in the installation, refuse (BUSY).
    4. Save with the clinics she works for (the preview reads their
       survivors only), and enqueue once the row is committed."""
    problems = validate_condition(condition, rule_vocabulary())
    if problems:
        raise ValidationError({"condition": problems})
    clinics = list(scope.clinics_of(by))
    if not clinics:
        raise ValidationError(NO_CLINIC, code="no_clinic")
    now = timezone.now()
    preview_jobs_fail_stale(now=now)
    with transaction.atomic():
        PreviewJob.objects.filter(requested_by=by, state__in=PreviewJob.ACTIVE).update(
            state=PreviewJob.State.CANCELLED, finished_at=now
        )
        if PreviewJob.objects.filter(state__in=PreviewJob.ACTIVE).count() >= MAX_ACTIVE:
            raise ValidationError(BUSY, code="busy")
        job = PreviewJob(
            requested_by=by,
            rule=rule,
            compare_with=rule.current if rule is not None else None,
            condition=condition,
            tier=tier,
            days=days,
            created_at=now,
        )
        job.full_clean()
        job.save()
        job.clinics.set(clinics)
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    tasks.run_rule_preview.delay(job_id)


def preview_job_claim(*, job_id: int) -> bool:
    """Queued -> running; False when another worker has it, or it was
    cancelled or failed meanwhile (a redelivered task then does nothing)."""
    now = timezone.now()
    claimed = PreviewJob.objects.filter(pk=job_id, state=PreviewJob.State.QUEUED).update(
        state=PreviewJob.State.RUNNING, started_at=now, progress_at=now
    )
    return claimed == 1


def preview_job_run(*, job_id: int, time_limit: float = TIME_LIMIT_SECONDS) -> None:
    """Run a claimed job to its end: done with its result, failed with a
    message that says what to do, or left as cancelled."""
    job = PreviewJob.objects.select_related("compare_with__rule").get(pk=job_id)
    clinic_ids = list(job.clinics.values_list("pk", flat=True))
    deadline = time.monotonic() + time_limit

    def progress(done: int, total: int) -> None:
        running = PreviewJob.objects.filter(pk=job_id, state=PreviewJob.State.RUNNING)
        if running.update(done=done, total=total, progress_at=timezone.now()) != 1:
            raise _Stopped
        if time.monotonic() > deadline:
            raise _TooBroad

    try:
        preview = rule_preview(
            condition=job.condition,
            tier=job.tier,
            days=job.days,
            clinic_ids=clinic_ids,
            current=_compare_with(job.compare_with),
            progress=progress,
        )
    except _Stopped:
        return
    except (_TooBroad, SoftTimeLimitExceeded):
        _finish(job_id, state=PreviewJob.State.FAILED, error=TOO_BROAD)
        return
    except Exception as error:  # a bug: the admin is told, the worker goes on
        # The class only: a message could quote what was read.
        logger.error("preview job %s failed: %s", job_id, type(error).__name__)
        _finish(job_id, state=PreviewJob.State.FAILED, error=FAILED)
        return
    _finish(job_id, state=PreviewJob.State.DONE, result=preview.as_json())


def _compare_with(version: RuleVersion | None) -> engine.RuleDef | None:
    if version is None:
        return None
    return engine.RuleDef(slug=version.rule.slug, tier=version.tier, condition=version.condition)


def _finish(job_id: int, *, state: str, error: str = "", result: dict | None = None) -> bool:
    return (
        PreviewJob.objects.filter(pk=job_id, state=PreviewJob.State.RUNNING).update(
            state=state, error=error, result=result, finished_at=timezone.now()
        )
        == 1
    )


def preview_job_cancel(*, job: PreviewJob) -> bool:
    """Cancel a queued or running job; a running one stops at its next
    chunk. False when it had already ended."""
    cancelled = PreviewJob.objects.filter(pk=job.pk, state__in=PreviewJob.ACTIVE).update(
        state=PreviewJob.State.CANCELLED, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return cancelled == 1


def preview_jobs_fail_stale(*, now=None, job_id: int | None = None) -> int:
    """Fail jobs a dead worker (or a lost task) left queued or running, each
    with what most likely happened, so that none stays "running" forever."""
    now = now or timezone.now()
    jobs = PreviewJob.objects.filter(state__in=PreviewJob.ACTIVE)
    if job_id is not None:
        jobs = jobs.filter(pk=job_id)
    silent = Q(state=PreviewJob.State.RUNNING, progress_at__lt=now - STALE_RUNNING)
    past_hard_limit = Q(started_at__lt=now - dt.timedelta(seconds=HARD_TIME_LIMIT_SECONDS))
    failed = dict(state=PreviewJob.State.FAILED, finished_at=now)
    return (
        jobs.filter(silent & past_hard_limit).update(error=TOO_BROAD, **failed)
        + jobs.filter(silent).update(error=WORKER_LOST, **failed)
        + jobs.filter(state=PreviewJob.State.QUEUED, created_at__lt=now - STALE_QUEUED).update(
            error=NOT_STARTED, **failed
        )
    )
