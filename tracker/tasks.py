"""Thin Celery tasks: take an id, call a service."""

from smtplib import SMTPException

from celery import shared_task
from django.core.management import call_command

from .evaluation import preview_jobs

# The module, not the function: services.accounts imports this module to
# enqueue the email, so the name is looked up when the task runs.
from .services import accounts as account_services


@shared_task(autoretry_for=(SMTPException, ConnectionError), retry_backoff=True, max_retries=5)
def send_invite_email(invitation_id: int) -> bool:
    return account_services.invitation_send_email(invitation_id=invitation_id)


@shared_task(autoretry_for=(SMTPException, ConnectionError), retry_backoff=True, max_retries=5)
def send_password_reset(email: str) -> int:
    # The email, not an id: the request must not look the account up
    # (tracker/security/password_reset.py).
    from .security.password_reset import password_reset_send

    return password_reset_send(email=email)


@shared_task
def clear_expired_sessions() -> None:
    call_command("clearsessions")


@shared_task(
    soft_time_limit=preview_jobs.SOFT_TIME_LIMIT_SECONDS,
    time_limit=preview_jobs.HARD_TIME_LIMIT_SECONDS,
)
def run_rule_preview(job_id: int) -> None:
    # Claimed by a conditional update: a redelivered or repeated task finds
    # the job no longer queued and does nothing.
    if preview_jobs.preview_job_claim(job_id=job_id):
        preview_jobs.preview_job_run(job_id=job_id)
