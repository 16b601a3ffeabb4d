"""Thin Celery tasks: take an id, call a service."""

from smtplib import SMTPException

from celery import shared_task
from django.core.management import call_command

from . import services


@shared_task(autoretry_for=(SMTPException, ConnectionError), retry_backoff=True, max_retries=5)
def send_invite_email(invitation_id: int) -> bool:
    return services.invitation_send_email(invitation_id=invitation_id)


@shared_task
def clear_expired_sessions() -> None:
    call_command("clearsessions")
