"""Delivery channels: small classes with one method (healthchecks' transports).

`send(message)` returns on success or raises DeliveryError(reason,
permanent=...). A registry maps the channel kind to its class. Content comes
from templates (emails/<kind>-subject.txt, -body.txt, -body.html and
sms/<kind>.txt) and never names a symptom or any other health detail: it says
who to call and asks her to log in.
"""

from __future__ import annotations

import logging
import smtplib
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.module_loading import import_string

from .models import Channel, Message

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.reason = reason[:200]
        self.permanent = permanent


def message_context(message: Message) -> dict:
    site = settings.SITE_URL.rstrip("/")
    if message.kind == Message.Kind.REMINDER:
        path = reverse("flag_contacted", args=[message.flag_id])
    elif message.kind == Message.Kind.ESCALATION:
        path = reverse("nurse_flag", args=[message.flag_id])
    else:
        path = reverse("checkin_create")
    return {
        "message": message,
        "clinic": message.clinic,
        "first_name": message.recipient.get_short_name(),
        "link": site + reverse("login") + "?next=" + path,
        "emergency": message.urgent,
    }


class EmailChannel:
    kind = Channel.EMAIL

    def send(self, message: Message) -> None:
        context = message_context(message)
        name = message.kind
        email = EmailMultiAlternatives(
            subject=render_to_string(f"emails/{name}-subject.txt", context).strip(),
            body=render_to_string(f"emails/{name}-body.txt", context),
            to=[message.recipient.email],
        )
        email.attach_alternative(render_to_string(f"emails/{name}-body.html", context), "text/html")
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as error:
            raise DeliveryError("address refused (bounce)", permanent=True) from error
        except (TimeoutError, smtplib.SMTPException, ConnectionError, OSError) as error:
            raise DeliveryError(f"mail server: {type(error).__name__}") from error


class SmsChannel:
    """Texts go through settings.SMS_BACKEND: "console" (log a line), a
    "file:///path" (append), or the dotted path of a provider class with a
    `send(to, text)` method for production. No provider is reachable here."""

    kind = Channel.SMS

    def send(self, message: Message) -> None:
        to = message.recipient.preferences.phone
        if not to:
            raise DeliveryError("no mobile number", permanent=True)
        text = render_to_string(f"sms/{message.kind}.txt", message_context(message)).strip()
        backend = settings.SMS_BACKEND
        if backend == "console":
            log.info("sms to message %s: %d characters", message.pk, len(text))
        elif backend.startswith("file://"):
            with Path(backend.removeprefix("file://")).open("a", encoding="utf-8") as out:
                out.write(f"{to}\t{text}\n")
        else:
            try:
                import_string(backend)().send(to, text)
            except (TimeoutError, ConnectionError, OSError) as error:
                raise DeliveryError(f"sms provider: {type(error).__name__}") from error


class InAppChannel:
    """The row itself is the notice: once sent, her home page shows it."""

    kind = Channel.IN_APP

    def send(self, message: Message) -> None:
        return None


REGISTRY = {cls.kind: cls for cls in (EmailChannel, SmsChannel, InAppChannel)}


def channel_for(kind: str):
    return REGISTRY[kind]()
