"""Sending: one queued message claimed and sent (deliver, which the
deliver_message task calls), its attempt recorded; a transient failure goes
back to pending with a growing delay (the row, not a Celery countdown, is
the retry schedule), a permanent one switches that channel off for her. Also
the reminders that go the moment a check-in commits (deliveries_send_now) and
enqueueing the delivery tasks (enqueue). The channels themselves are
channels.py's; what falls due is sweep.py's."""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from tracker.models import CheckIn, Flag

from .. import cadence
from ..models import Attempt, Message, Preferences
from . import channels

log = logging.getLogger(__name__)


def deliveries_send_now(*, message_ids: list[int]) -> int:
    """Right after a check-in commits: queue her reminders that go at once
    (one conditional update, so a sweep running at the same moment claims
    none twice) and enqueue one delivery task each. If the broker is down
    they stay queued and the sweep puts them back."""
    # followup.tasks imports this module to call it: imported here, at call
    # time, to break the cycle.
    from .. import tasks

    queued = Message.objects.filter(pk__in=message_ids, state=Message.State.PENDING).update(
        state=Message.State.QUEUED, state_changed_at=timezone.now()
    )
    if queued:
        # All of them: one the sweep claimed meanwhile gets a second task,
        # which finds it taken ("not claimed") and sends nothing.
        enqueue(tasks.deliver_message, message_ids)
    return queued


def enqueue(task, ids: list[int]) -> None:
    # With the broker down the rows stay "queued"; requeue_stuck finds them.
    # No publish retries: this runs at the end of a check-in request too,
    # and the sweep is the retry.
    if not ids:
        return
    try:
        with task.app.producer_or_acquire() as producer:
            for pk in ids:
                task.apply_async(args=[pk], producer=producer, retry=False)
    except Exception:  # noqa: BLE001 - any broker failure: the sweep will retry
        log.warning("broker unavailable; %d message(s) wait for the next sweep", len(ids))


def deliver(*, message_id: int) -> str:
    """Claim one queued message and send it. Thin tasks call this.

    1. Claim: queued -> sending, or stop (someone else has it, or it was
       cancelled). 2. Read it and check it is still wanted. 3. Send, outside
    any transaction. 4. Record the attempt and the new state."""
    envelope = _claim(message_id)
    if envelope is None:
        return "not claimed"
    reason = _not_wanted(envelope)
    if reason:
        _finish(envelope.id, Message.State.CANCELLED, error=reason)
        return "cancelled"
    started = time.monotonic()
    try:
        channels.channel_for(envelope.channel).send(envelope)
    except channels.DeliveryError as error:
        duration = int((time.monotonic() - started) * 1000)
        return _failed(envelope, error, duration)
    except Exception as error:  # noqa: BLE001 - see below
        # A provider's own exception (or the task's soft time limit in a
        # hung send) is a failed attempt like any other, named by its class
        # (its message could quote an address): left to propagate, it kept
        # the message cycling between sending and pending forever, never
        # failed and never on the Messages page. Tries cap the retries.
        duration = int((time.monotonic() - started) * 1000)
        return _failed(envelope, channels.DeliveryError(f"{envelope.channel}: {type(error).__name__}"), duration)
    duration = int((time.monotonic() - started) * 1000)
    _record_sent(envelope, duration)
    return "sent"


_ENVELOPE_FIELDS = (
    "id",
    "kind",
    "channel",
    "urgent",
    "due_at",
    "tries",
    "recipient_id",
    "survivor_id",
    "recipient__email",
    "recipient__full_name",
    "recipient__preferences__phone",
    "clinic__name",
    "clinic__care_team_phone",
    "clinic__emergency_number",
    "flag_id",
    "flag__tier",
    "flag__status",
    "flag__followup__survivor_contacted_at",
    "flag__followup__nurse_contacted_at",
    "flag__followup__first_opened_at",
    "recipient__preferences__email_on",
    "recipient__preferences__email_failed_at",
    "recipient__preferences__sms_on",
    "recipient__preferences__sms_failed_at",
    "recipient__preferences__in_app_on",
    "recipient__role",
    "recipient__language",
)


# Claim and read in one statement on PostgreSQL: the conditional UPDATE is
# the claim, RETURNING feeds the joins. Hand-written because delivery runs once
# per message and the ORM's two queries cost a third of its time
# (bench/README.md). Columns in _ENVELOPE_FIELDS order.
_CLAIM_SQL = """
WITH claimed AS (
    UPDATE followup_message SET state = 'sending', state_changed_at = %(now)s, tries = tries + 1
     WHERE id = %(id)s AND state = 'queued'
    RETURNING id, kind, channel, urgent, due_at, tries, recipient_id, survivor_id, clinic_id, flag_id
)
SELECT c.id, c.kind, c.channel, c.urgent, c.due_at, c.tries, c.recipient_id, c.survivor_id,
       u.email, u.full_name, p.phone, cl.name, cl.care_team_phone, cl.emergency_number, c.flag_id, f.tier, f.status,
       fu.survivor_contacted_at, fu.nurse_contacted_at, fu.first_opened_at,
       p.email_on, p.email_failed_at, p.sms_on, p.sms_failed_at, p.in_app_on, u.role, u.language
  FROM claimed c
  JOIN tracker_user u ON u.id = c.recipient_id
  JOIN tracker_clinic cl ON cl.id = c.clinic_id
  LEFT JOIN followup_preferences p ON p.survivor_id = c.recipient_id
  LEFT JOIN tracker_flag f ON f.id = c.flag_id
  LEFT JOIN followup_flagfollowup fu ON fu.flag_id = c.flag_id
"""


def _claim(message_id: int) -> channels.Envelope | None:
    """queued -> sending and read it, or None if someone else has it or it
    was cancelled."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_SQL, {"now": now, "id": message_id})
            row = cursor.fetchone()
        return None if row is None else _envelope(row)
    claimed = Message.objects.filter(pk=message_id, state=Message.State.QUEUED).update(
        state=Message.State.SENDING, state_changed_at=now, tries=F("tries") + 1
    )
    if claimed != 1:
        return None
    return _envelope(Message.objects.filter(pk=message_id).values_list(*_ENVELOPE_FIELDS).get())


def _envelope(row) -> channels.Envelope:
    (
        pk,
        kind,
        channel,
        urgent,
        due_at,
        tries,
        recipient_id,
        survivor_id,
        email,
        name,
        phone,
        clinic_name,
        care_phone,
        emergency,
        flag_id,
        tier,
        status,
        her_contact,
        nurse_contact,
        opened,
        email_on,
        email_failed,
        sms_on,
        sms_failed,
        in_app_on,
        role,
        language,
    ) = row
    # Her saved preferences, or the defaults if she never saved any (no row).
    prefs = (
        Preferences(phone=phone or "")
        if email_on is None
        else Preferences(
            phone=phone or "",
            email_on=email_on,
            email_failed_at=email_failed,
            sms_on=sms_on,
            sms_failed_at=sms_failed,
            in_app_on=in_app_on,
        )
    )
    return channels.Envelope(
        id=pk,
        kind=kind,
        channel=channel,
        urgent=urgent,
        due_at=due_at,
        tries=tries,
        recipient_id=recipient_id,
        survivor_id=survivor_id,
        to_email=email,
        to_name=name,
        to_phone=phone or "",
        clinic_name=clinic_name,
        care_team_phone=care_phone,
        emergency_number=emergency,
        flag_id=flag_id,
        flag_status=status,
        loop_closed_at=her_contact or nurse_contact,
        first_opened_at=opened,
        channel_on=bool(prefs.channel_on(channel)),
        role=role,
        language=language,
    )


def _not_wanted(envelope: channels.Envelope) -> str:
    if envelope.kind != Message.Kind.ESCALATION and not envelope.channel_on:
        return "channel off"
    if envelope.kind == Message.Kind.REMINDER and (envelope.flag_status != Flag.Status.OPEN or envelope.loop_closed_at):
        return "loop closed"
    if envelope.kind == Message.Kind.ESCALATION and (
        envelope.flag_status != Flag.Status.OPEN or envelope.first_opened_at
    ):
        return "already opened"
    if envelope.kind == Message.Kind.NUDGE:
        since = envelope.due_at - cadence.NUDGE_AFTER
        if CheckIn.objects.filter(survivor_id=envelope.survivor_id, created_at__gte=since).exists():
            return "checked in"
    return ""


def _finish(message_id: int, state: str, *, error: str = "") -> None:
    Message.objects.filter(pk=message_id, state=Message.State.SENDING).update(
        state=state, state_changed_at=timezone.now(), last_error=error
    )


# One statement for "sent": the attempt row and the message's new state
# (PostgreSQL's data-modifying CTE). Two statements in a transaction cost an
# extra round trip per message (bench/README.md); other databases use the ORM.
_RECORD_SENT_SQL = """
WITH attempt AS (
    INSERT INTO followup_attempt (message_id, at, channel, outcome, duration_ms, detail)
    VALUES (%(id)s, %(now)s, %(channel)s, 'sent', %(ms)s, '')
)
UPDATE followup_message SET state = 'sent', state_changed_at = %(now)s, sent_at = %(now)s, last_error = ''
 WHERE id = %(id)s AND state = 'sending'
"""


def _record_sent(envelope: channels.Envelope, duration: int) -> None:
    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _RECORD_SENT_SQL, {"id": envelope.id, "now": now, "channel": envelope.channel, "ms": duration}
            )
        return
    with transaction.atomic():
        Attempt.objects.create(
            message_id=envelope.id, channel=envelope.channel, outcome=Attempt.Outcome.SENT, duration_ms=duration, at=now
        )
        Message.objects.filter(pk=envelope.id, state=Message.State.SENDING).update(
            state=Message.State.SENT, state_changed_at=now, sent_at=now, last_error=""
        )


def _failed(message: channels.Envelope, error: channels.DeliveryError, duration: int) -> str:
    """Transient: back to pending with a growing delay (the row is the retry
    schedule, not a Celery countdown). Permanent or too many tries: failed,
    and a permanent failure switches that channel off for her, which puts her
    on the nurses' call list."""
    now = timezone.now()
    give_up = error.permanent or message.tries >= settings.FOLLOWUP_MAX_TRIES
    with transaction.atomic():
        Attempt.objects.create(
            message_id=message.id,
            channel=message.channel,
            outcome=Attempt.Outcome.PERMANENT if error.permanent else Attempt.Outcome.TRANSIENT,
            duration_ms=duration,
            detail=error.reason,
        )
        if give_up:
            _finish(message.id, Message.State.FAILED, error=error.reason)
            if error.permanent and message.kind != Message.Kind.ESCALATION:
                field = {"email": "email_failed_at", "sms": "sms_failed_at"}.get(message.channel)
                if field:
                    Preferences.objects.update_or_create(survivor_id=message.recipient_id, defaults={field: now})
        else:
            backoff = dt.timedelta(seconds=settings.FOLLOWUP_RETRY_BASE_SECONDS * 2 ** (message.tries - 1))
            Message.objects.filter(pk=message.id, state=Message.State.SENDING).update(
                state=Message.State.PENDING, state_changed_at=now, due_at=now + backoff, last_error=error.reason
            )
    log.warning("message %s %s: %s", message.id, "failed" if give_up else "will retry", error.reason)
    return "failed" if give_up else "retry"
