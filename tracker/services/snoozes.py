"""Snoozes: a nurse silences one rule or one symptom for one survivor, for a
while (snooze_create, snooze_end). The rules honour them when they run
(flags.py reads them through the selectors); nothing here evaluates."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from ..models import Rule, Snooze, Symptom, User
from .audit import audit_record


def snooze_create(
    *,
    survivor: User,
    by: User,
    ends_at: dt.datetime,
    reason: str,
    rule: Rule | None = None,
    symptom: Symptom | None = None,
) -> Snooze:
    """Silence one rule or one symptom for one survivor, for at most 30 days.
    An emergency-tier rule can never be snoozed."""
    now = timezone.now()
    errors: dict[str, str] = {}
    if (rule is None) == (symptom is None):
        errors["rule"] = "Choose one rule or one symptom to snooze."
    if rule is not None and rule.current is not None and rule.current.tier == "emergency":
        errors["rule"] = "Emergency rules can't be snoozed: these signs always need action."
    if ends_at <= now:
        errors["ends_at"] = "The snooze must end in the future."
    elif ends_at > now + dt.timedelta(days=30):
        errors["ends_at"] = "A snooze can last at most 30 days."
    if not reason.strip():
        errors["reason"] = "Say why, for example \u201cknown arthritis in the left knee\u201d."
    if errors:
        raise ValidationError(errors)
    snooze = Snooze(
        survivor=survivor, rule=rule, symptom=symptom, ends_at=ends_at, reason=reason.strip(), created_by=by
    )
    snooze.full_clean()
    snooze.save()
    audit_record(actor=by, action="snooze.create", survivor=survivor, target=snooze)
    return snooze


def snooze_end(*, survivor: User, snooze_id: int, by: User) -> None:
    Snooze.objects.filter(pk=snooze_id, survivor=survivor, ended_early_at__isnull=True).update(
        ended_early_at=timezone.now()
    )
    audit_record(actor=by, action="snooze.end", survivor=survivor)
