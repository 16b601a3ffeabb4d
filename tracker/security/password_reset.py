"""Password reset: the request only queues the work; the worker finds the
account and sends the link.

So the answer to "reset the password for this email" is the same redirect,
made by the same work (a form check, two throttle counts, one task queued
after commit), whether or not an account uses the email: neither the page
nor its timing says. The task carries the email itself rather than an id
(CONVENTIONS habit 5): looking the account up in the request is what must
not happen. The worker makes the one-day token, so none travels through
the broker."""

import logging
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

# The module, not the function: tracker.tasks imports this module to send
# the email, so the task is looked up when a request is queued.
from .. import tasks
from ..i18n import in_language_of
from .identity import email_masked, email_normal

log = logging.getLogger("security")

SUBJECT_TEMPLATE = "emails/password-reset-subject.txt"
BODY_TEMPLATE = "emails/password-reset-body.txt"
HTML_TEMPLATE = "emails/password-reset-body.html"


class PasswordResetRequestForm(PasswordResetForm):
    """Django's form (an email field, at most 254 characters) whose save()
    queues the email instead of sending it."""

    # Django passes domain, templates, request...: the worker decides those.
    def save(self, *args: Any, **kwargs: Any) -> None:
        password_reset_request(email=self.cleaned_data["email"])


def password_reset_request(*, email: str) -> None:
    """Queue the reset email once the request's transaction commits."""
    email = email_normal(email)
    transaction.on_commit(lambda: tasks.send_password_reset.delay(email))


def password_reset_send(*, email: str) -> int:
    """(In the worker.) 1. The active accounts with a usable password that
    use this email, as Django's form finds them. 2. Email each a link to
    choose a new password, in that account's language. Returns how many
    were sent; an SMTP error is raised for the task to retry."""
    site = urlsplit(settings.SITE_URL)
    sent = 0
    for user in PasswordResetForm().get_users(email):
        context = {
            "email": user.email,
            "domain": site.netloc,
            "site_name": site.netloc,
            "protocol": site.scheme,
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "user": user,
            "token": default_token_generator.make_token(user),
        }
        with in_language_of(user):  # hers, not the worker's
            subject = "".join(render_to_string(SUBJECT_TEMPLATE, context).splitlines())
            message = EmailMultiAlternatives(subject, render_to_string(BODY_TEMPLATE, context), to=[user.email])
            message.attach_alternative(render_to_string(HTML_TEMPLATE, context), "text/html")
        message.send()
        log.info("security event=password_reset_sent account=%s", user.pk)
        sent += 1
    if not sent:
        log.info("security event=password_reset_unknown email=%s", email_masked(email))
    return sent
