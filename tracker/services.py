"""Every write in the tracker app. Keyword-only, typed, full_clean() first."""

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import tasks
from .models import AuditEvent, BodySite, CheckIn, Clinic, Invitation, Symptom, SymptomEntry, User, WeightEntry

log = logging.getLogger(__name__)

LB_PER_KG = Decimal("2.20462262185")


@dataclass(frozen=True)
class EntryData:
    """One symptom as the survivor reported it, already validated by the form."""

    symptom: Symptom
    body_site: BodySite | None
    severity: int
    is_new: bool
    is_worse: bool
    started_on: dt.date
    note: str = ""


def audit_record(*, actor: User, action: str, survivor: User | None = None, target=None) -> AuditEvent:
    event = AuditEvent(
        actor=actor,
        action=action,
        survivor=survivor,
        object_type=target._meta.model_name if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
    )
    event.save()
    return event


def invitation_create(*, invited_by: User, clinic: Clinic, email: str, full_name: str) -> Invitation:
    """1. Check the inviter works for the clinic. 2. Save the invitation.
    3. Send the email from a worker once the row is committed."""
    if not invited_by.staff_clinics.filter(pk=clinic.pk).exists():
        raise ValidationError({"clinic": "You can only invite survivors to your own clinic."})
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "Someone with this email already has an account."})
    invitation = Invitation(email=email, full_name=full_name.strip(), clinic=clinic, invited_by=invited_by)
    invitation.full_clean()
    invitation.save()
    audit_record(actor=invited_by, action="invitation.create", target=invitation)
    transaction.on_commit(lambda: tasks.send_invite_email.delay(invitation.pk))
    log.info("invitation %s created by user %s", invitation.pk, invited_by.pk)
    return invitation


def invitation_accept(
    *, invitation: Invitation, password: str, time_zone: str, date_of_birth: dt.date, weight_unit: str
) -> User:
    """Create the survivor's account and spend the invitation, atomically.
    A second accept of the same invitation fails on the locked row."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at is not None:
            raise ValidationError("This invitation has already been used.")
        if User.objects.filter(email__iexact=locked.email).exists():
            raise ValidationError("Someone with this email already has an account.")
        user = User(
            email=locked.email,
            full_name=locked.full_name,
            role=User.Role.SURVIVOR,
            clinic=locked.clinic,
            time_zone=time_zone,
            date_of_birth=date_of_birth,
            weight_unit=weight_unit,
            enrolled_on=timezone.localdate(timezone=dt.UTC),
        )
        user.set_password(password)
        user.full_clean()
        user.save()
        locked.accepted_at = timezone.now()
        locked.survivor = user
        locked.save(update_fields=["accepted_at", "survivor"])
    log.info("invitation %s accepted by user %s", locked.pk, user.pk)
    return user


def survivor_profile_update(*, survivor: User, time_zone: str, weight_unit: str) -> User:
    survivor.time_zone = time_zone
    survivor.weight_unit = weight_unit
    survivor.full_clean()
    survivor.save(update_fields=["time_zone", "weight_unit"])
    return survivor


def checkin_create(
    *, survivor: User, entries: list[EntryData], callback_requested: bool, submission_token: uuid.UUID
) -> tuple[CheckIn, bool]:
    """Save a check-in and its entries in one transaction.

    1. If this form was already submitted (same token), return that check-in.
    2. Otherwise create the check-in and every entry, all or nothing.
    Returns (check-in, created).
    """
    if not entries:
        raise ValidationError("Add at least one symptom.")
    existing = CheckIn.objects.filter(survivor=survivor, submission_token=submission_token).first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    try:
        with transaction.atomic():
            checkin = CheckIn(
                survivor=survivor,
                created_at=now,
                callback_requested=callback_requested,
                submission_token=submission_token,
            )
            checkin.full_clean()
            checkin.save()
            rows = []
            for data in entries:
                row = SymptomEntry(checkin=checkin, survivor=survivor, created_at=now, **data.__dict__)
                row.full_clean(exclude=["checkin"])
                rows.append(row)
            SymptomEntry.objects.bulk_create(rows)
    except IntegrityError:
        # Two submissions of one form raced; the other one won. Show it.
        return CheckIn.objects.get(survivor=survivor, submission_token=submission_token), False
    log.info("checkin %s saved for user %s with %d entries", checkin.pk, survivor.pk, len(entries))
    return checkin, True


def weight_to_kg(*, value: Decimal, unit: str) -> Decimal:
    kg = value if unit == User.WeightUnit.KG else value / LB_PER_KG
    return kg.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def weight_record(
    *, survivor: User, value: Decimal, unit: str, submission_token: uuid.UUID
) -> tuple[WeightEntry, bool]:
    existing = WeightEntry.objects.filter(survivor=survivor, submission_token=submission_token).first()
    if existing is not None:
        return existing, False
    entry = WeightEntry(survivor=survivor, kg=weight_to_kg(value=value, unit=unit), submission_token=submission_token)
    entry.full_clean()
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        return WeightEntry.objects.get(survivor=survivor, submission_token=submission_token), False
    return entry, True


def invitation_send_email(*, invitation_id: int) -> bool:
    """Email the invite link. Skips an invitation already used. The email
    names the clinic and its phone number and nothing about health."""
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string
    from django.urls import reverse

    from .tokens import invite_token_make

    invitation = Invitation.objects.select_related("clinic").filter(pk=invitation_id).first()
    if invitation is None or invitation.accepted_at is not None:
        return False
    link = settings.SITE_URL.rstrip("/") + reverse(
        "invite_accept", args=[invite_token_make(nonce=str(invitation.nonce))]
    )
    context = {
        "invitation": invitation,
        "clinic": invitation.clinic,
        "link": link,
        "valid_days": settings.INVITE_MAX_AGE // 86400,
    }
    subject = render_to_string("emails/invite-subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/invite-body.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string("emails/invite-body.html", context), "text/html")
    message.send()
    log.info("invitation %s emailed", invitation.pk)
    return True
