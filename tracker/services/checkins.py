"""A survivor's check-in and weight as she saves them: the symptom entries
(EntryData, checkin_create), the reading of her notes (note_fields, and
notes_reread for notes read by an older reader), and her weights (weight_to_kg,
weight_record). Both saves run the rules in their transaction (flags.py); the
flags themselves, and a withdrawn entry or weight (corrections.py), live
elsewhere."""

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import LB_PER_KG, BodySite, CheckIn, Symptom, SymptomEntry, User, WeightEntry
from ..rules import text
from .flags import flags_evaluate

log = logging.getLogger(__name__)


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


def checkin_create(
    *,
    survivor: User,
    entries: list[EntryData],
    callback_requested: bool,
    submission_token: uuid.UUID,
    endocrine_answer: str = "",
) -> tuple[CheckIn, bool]:
    """Save a check-in and its entries in one transaction.

    1. If this form was already submitted (same token), return that check-in.
    2. Otherwise create the check-in (with her answer about her hormone
       tablets, when the form asked) and every entry, all or nothing, and
       run the rules on the entries and the answer.
    Returns (check-in, created). A check-in needs a symptom, or her answer:
    "I have stopped taking them" alone is a check-in worth a nurse's call.
    """
    if not entries and not endocrine_answer:
        raise ValidationError(_("Add at least one symptom."))
    if endocrine_answer and endocrine_answer not in CheckIn.Endocrine.values:
        # full_clean below says so too; here, before anything is read or locked.
        raise ValidationError(_("Unknown answer about hormone tablets."))
    existing = CheckIn.objects.filter(survivor=survivor, submission_token=submission_token).first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    # Her notes are read before the transaction opens: CPU work, kept out of
    # the time her rows (and, when flags follow, her user row) are locked.
    readings = [note_fields(note=data.note, survivor_id=survivor.pk) for data in entries]
    try:
        with transaction.atomic():
            checkin = CheckIn(
                survivor=survivor,
                created_at=now,
                callback_requested=callback_requested,
                submission_token=submission_token,
                endocrine_answer=endocrine_answer,
            )
            checkin.full_clean()
            checkin.save()
            rows = []
            for data, reading in zip(entries, readings, strict=True):
                row = SymptomEntry(checkin=checkin, survivor=survivor, created_at=now, **data.__dict__, **reading)
                row.full_clean(exclude=["checkin"])
                rows.append(row)
            saved = SymptomEntry.objects.bulk_create(rows) if rows else []
            flags_evaluate(survivor=survivor, entries=saved, checkin=checkin, callback_requested=callback_requested)
    except IntegrityError:
        # Two submissions of one form raced; the other one won. Show it.
        return CheckIn.objects.get(survivor=survivor, submission_token=submission_token), False
    log.info("checkin %s saved for user %s with %d entries", checkin.pk, survivor.pk, len(entries))
    return checkin, True


def note_fields(*, note: str, survivor_id: int) -> dict:
    """SymptomEntry's reading and reading_terms for her note (language,
    concepts, context). A note the reader can't read is kept unread, never
    lost: the rules then see the structured fields only, and the failure is
    logged without her words."""
    if not note.strip():
        return {"reading": None, "reading_terms": ""}
    try:
        reading = text.read(note)
    except Exception as error:  # a reader bug must never cost her check-in
        # The type only: an exception's message could quote her words.
        log.error("note of survivor %s could not be read (%s)", survivor_id, type(error).__name__)
        return {"reading": None, "reading_terms": ""}
    return {"reading": reading.as_json(), "reading_terms": text.reading_terms(reading)}


def notes_reread(*, batch: int = 500) -> int:
    """Store today's reading on every note read by an older reader (or
    never). Rules are not re-run: flags stay as they were raised."""
    stale = SymptomEntry.objects.exclude(note="").exclude(reading_terms__startswith=text.CURRENT_TERMS)
    total, after = 0, 0
    while True:
        # By id, so that a note the reader can't read is passed, not retried forever.
        rows = list(stale.filter(id__gt=after).order_by("id").only("id", "survivor_id", "note")[:batch])
        if not rows:
            return total
        for row in rows:
            for name, value in note_fields(note=row.note, survivor_id=row.survivor_id).items():
                setattr(row, name, value)
        SymptomEntry.objects.bulk_update(rows, ["reading", "reading_terms"])
        total += len(rows)
        after = rows[-1].id


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
            flags_evaluate(survivor=survivor, weight=entry)
    except IntegrityError:
        return WeightEntry.objects.get(survivor=survivor, submission_token=submission_token), False
    return entry, True
