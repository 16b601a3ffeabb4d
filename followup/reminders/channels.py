"""Delivery channels: small classes with one method (healthchecks' transports).

`send(message)` returns on success or raises DeliveryError(reason,
permanent=...). A registry maps the channel kind to its class. Content comes
from templates (emails/<kind>-subject.txt, -body.txt, -body.html and
sms/<kind>.txt) and never names a symptom or any other health detail: it says
who to call and asks her to log in. Each is rendered in the recipient's
language (tracker.i18n.in_language_of: hers for a survivor, English for
staff), whatever the language of the worker or request that sends it.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.module_loading import import_string

from tracker.i18n import in_language_of

from ..models import Channel, Message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Envelope:
    """One message as delivery sees it: plain values read in one query, no
    model objects (channels never touch the ORM)."""

    id: int
    kind: str
    channel: str
    urgent: bool
    due_at: dt.datetime
    tries: int
    recipient_id: int
    survivor_id: int
    to_email: str
    to_name: str
    to_phone: str
    clinic_name: str
    care_team_phone: str
    emergency_number: str
    flag_id: int | None
    # For the still-wanted check at send time.
    flag_status: str | None
    loop_closed_at: dt.datetime | None
    first_opened_at: dt.datetime | None
    channel_on: bool
    # The recipient's, as tracker.i18n.language_of reads a user: the envelope
    # goes to in_language_of in her place.
    role: str = ""
    language: str = ""

    @property
    def first_name(self) -> str:
        return self.to_name.split(" ")[0] if self.to_name else ""


class DeliveryError(Exception):
    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.reason = reason[:200]
        self.permanent = permanent


def message_context(message: Envelope) -> dict:
    site = settings.SITE_URL.rstrip("/")
    if message.kind == Message.Kind.REMINDER:
        path = reverse("flag_contacted", args=[message.flag_id])
    elif message.kind == Message.Kind.ESCALATION:
        path = reverse("nurse_flag", args=[message.flag_id])
    elif message.kind in PLAN_KINDS:
        path = reverse("my_followup")
    else:
        path = reverse("checkin_create")
    return {
        "message": message,
        "clinic": SimpleNamespace(
            name=message.clinic_name, care_team_phone=message.care_team_phone, emergency_number=message.emergency_number
        ),
        "first_name": message.first_name,
        "link": site + reverse("login") + "?next=" + path,
        "emergency": message.urgent,
    }


PLAN_KINDS = (Message.Kind.PLAN_OPEN, Message.Kind.PLAN_BOOKED, Message.Kind.PLAN_MISSED)


class EmailChannel:
    kind = Channel.EMAIL

    def send(self, message: Envelope) -> None:
        context = message_context(message)
        name = message.kind
        with in_language_of(message):
            email = EmailMultiAlternatives(
                subject=render_to_string(f"emails/{name}-subject.txt", context).strip(),
                body=render_to_string(f"emails/{name}-body.txt", context),
                to=[message.to_email],
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
    `send(to, text, *, timeout)` method for production, which must give up
    after `timeout` seconds (settings.SMS_TIMEOUT; the task's soft time
    limit catches one that doesn't). No provider is reachable here."""

    kind = Channel.SMS

    def send(self, message: Envelope) -> None:
        to = message.to_phone
        if not to:
            raise DeliveryError("no mobile number", permanent=True)
        with in_language_of(message):
            text = render_to_string(f"sms/{message.kind}.txt", message_context(message)).strip()
        backend = settings.SMS_BACKEND
        if backend == "console":
            log.info("sms for message %s: %d characters", message.id, len(text))
        elif backend.startswith("file://"):
            with Path(backend.removeprefix("file://")).open("a", encoding="utf-8") as out:
                out.write(f"{to}\t{text}\n")
        else:
            try:
                import_string(backend)().send(to, text, timeout=settings.SMS_TIMEOUT)
            except (TimeoutError, ConnectionError, OSError) as error:
                raise DeliveryError(f"sms provider: {type(error).__name__}") from error


class InAppChannel:
    """The row itself is the notice: once sent, her home page shows it."""

    kind = Channel.IN_APP

    def send(self, message: Envelope) -> None:
        return None


# Keyed by the kind as stored (Channel is a str enum: "email" finds it).
REGISTRY: dict[str, type[EmailChannel | SmsChannel | InAppChannel]] = {
    cls.kind: cls for cls in (EmailChannel, SmsChannel, InAppChannel)
}


def channel_for(kind: str):
    return REGISTRY[kind]()
