"""What a clinic admin does in the follow-up app, reads and writes together:
her clinics (admin_clinics, the check every admin page starts with), the
Messages page (the list by name, the week's counts by kind, one message,
sending a failed one again) and saving a clinic's reminder cadence for a
tier. The cadence in use is reminders/schedule.py's cadence_plan; the audit
trail's reads are audit_trail.py's."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone

from tracker import scope
from tracker.access import Refused
from tracker.models import Clinic, User
from tracker.services.audit import audit_record

from .models import Cadence, Message


def admin_clinics(*, user: User) -> QuerySet[Clinic]:
    if not user.is_authenticated or not user.is_clinic_admin:
        raise Refused
    return scope.clinics_of(user)


def messages_for_admin(*, user: User, state: str | None) -> QuerySet[Message]:
    rows = Message.objects.filter(clinic__in=admin_clinics(user=user)).select_related("recipient", "clinic")
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-due_at", "-id")


MESSAGE_COUNT_DAYS = 7


def message_counts_for_admin(*, user: User, now: dt.datetime | None = None) -> list[dict]:
    """Her clinics' messages due in the last week, counted by kind and
    state: the only place the admin sees kinds, and it names no one (the
    list by name shows no kind: a reminder names a survivor with an open
    flag). One row a kind: {"kind": label, "counts": [n for each state]}."""
    since = (now or timezone.now()) - dt.timedelta(days=MESSAGE_COUNT_DAYS)
    counts = (
        Message.objects.filter(clinic__in=admin_clinics(user=user), due_at__gte=since)
        .values_list("kind", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    found = {(kind, state): n for kind, state, n in counts}
    return [
        {"kind": label, "counts": [found.get((kind, state), 0) for state in Message.State.values]}
        for kind, label in Message.Kind.choices
    ]


def message_get_for_admin(*, user: User, message_id: int) -> Message:
    message = Message.objects.filter(pk=message_id, clinic__in=admin_clinics(user=user)).first()
    if message is None:
        raise Http404
    return message


def message_retry(*, message: Message, by: User) -> None:
    """An admin sends a failed message again."""
    Message.objects.filter(pk=message.pk, state=Message.State.FAILED).update(
        state=Message.State.PENDING, state_changed_at=timezone.now(), due_at=timezone.now(), tries=0
    )
    audit_record(actor=by, action="message.retry", survivor=message.survivor, target=message)


def cadence_save(
    *, clinic, tier: str, first_after_minutes: int, every_minutes: int, max_count: int, by: User
) -> Cadence:
    """Checked (the clinical range: Cadence's validators) before it is written:
    a value out of range raises ValidationError by its field and saves nothing."""
    row = Cadence.objects.filter(clinic=clinic, tier=tier).first() or Cadence(clinic=clinic, tier=tier)
    row.first_after_minutes, row.every_minutes, row.max_count = first_after_minutes, every_minutes, max_count
    row.full_clean()
    if row.pk is None:
        row.save()
    else:
        row.save(update_fields=["first_after_minutes", "every_minutes", "max_count"])
    audit_record(actor=by, action="cadence.save", target=row)
    return row
