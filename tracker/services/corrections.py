"""Typing mistakes (issue 12, section 1): a weight far from her last one is
asked about before it is saved, and an entry or weight she marks "entered in
error" afterwards is kept for the record (never deleted) while the rules
re-read what stands. Writes as in the other services: keyword-only, typed.

What happens to a flag when what raised it is withdrawn (_flag_withdrawn):
a nurse expects a typo not to sit in her queue, but never to find a flag she
is working on gone from under her, and never to miss an emergency report
that was taken back (a frightened survivor may withdraw a real one). So a
flag left with nothing standing is closed with the outcome "entered in
error" only when no nurse has opened it and it is not an emergency;
otherwise it stays open, marked, for a nurse to confirm with her and
resolve. A flag that still stands on something else keeps its tier: moving
it down the queue, or changing her advice, is a nurse's call.
"""

import datetime as dt
import logging
import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..evaluation.inputs import entry_fact, rule_def, rule_inputs, weight_fact
from ..models import LB_PER_KG, AuditEvent, Flag, FlagEntry, SymptomEntry, User, WeightEntry
from ..rules import engine
from ..rules.facts import History
from .checkins import weight_to_kg
from .flags import flags_evaluate, survivor_lock

log = logging.getLogger(__name__)

# A new weight this far from her last (as a share of it) is asked about when
# the last is this recent; a unit mix-up (the number is her last weight in
# the other unit, within the tolerance) is asked about whatever its age.
WEIGHT_JUMP_SHARE = Decimal("0.10")
WEIGHT_JUMP_DAYS = 14
UNIT_MIXUP_TOLERANCE = Decimal("0.03")


def weight_shown(value: Decimal) -> str:
    """40.0 -> "40", 70.50 -> "70.5": a weight as she would say it."""
    text = f"{value.quantize(Decimal('0.1')):f}"
    return text.removesuffix(".0")


def _spoken(value: Decimal) -> str:
    """A weight as she reads it in her language: "70.5", "70,5" in Spanish."""
    return number_format(Decimal(weight_shown(value)))


def weight_confirmation(*, value: Decimal, unit: str) -> str:
    """What her "Yes, it's right" button sends: the weight it confirms."""
    return f"{weight_shown(value)} {unit}"


def weight_question(*, last: WeightEntry | None, value: Decimal, unit: str, now: dt.datetime, tz: dt.tzinfo) -> str:
    """ "" when the new weight is plausible next to her last one that stands;
    otherwise the question to ask before saving, in her unit and plain words:
    "That's 31 kg less than 3 days ago. Is 40 kg right?"."""
    if last is None:
        return ""
    kg = weight_to_kg(value=value, unit=unit)
    if abs(kg - last.kg) <= last.kg * WEIGHT_JUMP_SHARE:
        return ""
    # A unit mix-up: the number she typed, read in the other unit, is her
    # last weight (154 "kg" that were pounds, 70 "lb" that were kilograms).
    other_kg = value / LB_PER_KG if unit == User.WeightUnit.KG else value
    mixup = abs(other_kg - last.kg) <= last.kg * UNIT_MIXUP_TOLERANCE
    days = (now.astimezone(tz).date() - last.recorded_at.astimezone(tz).date()).days
    if days > WEIGHT_JUMP_DAYS and not mixup:
        return ""
    last_in_unit = last.kg if unit == User.WeightUnit.KG else last.kg * LB_PER_KG
    change = _spoken(abs(value - last_in_unit))
    if days <= 0:
        when = _("earlier today")
    elif days == 1:
        when = _("yesterday")
    else:
        when = ngettext("%(days)d day ago", "%(days)d days ago", days) % {"days": days}
    words = {"change": change, "unit": unit, "when": when, "value": _spoken(value)}
    if value < last_in_unit:
        question = _("That's %(change)s %(unit)s less than %(when)s. Is %(value)s %(unit)s right?") % words
    else:
        question = _("That's %(change)s %(unit)s more than %(when)s. Is %(value)s %(unit)s right?") % words
    if mixup:
        other = "lb" if unit == User.WeightUnit.KG else "kg"
        question += " " + _("If you weighed yourself in %(other)s, choose %(other)s.") % {"other": other}
    return question


def entry_mark_in_error(*, survivor: User, entry: SymptomEntry) -> list[Flag]:
    """She says a symptom entry of hers was a mistake.

    1. Lock her row: a check-in of hers waits, so its rules see this.
    2. Mark the entry (kept, with its note and reading); once only.
    3. Check again every open flag of hers that may rest on it.
    Returns the flags closed or marked for a nurse."""
    with transaction.atomic():
        survivor_lock(survivor)
        now = timezone.now()
        marked = SymptomEntry.objects.filter(pk=entry.pk, survivor=survivor, entered_in_error_at__isnull=True).update(
            entered_in_error_at=now
        )
        if not marked:
            raise ValidationError(_("You have already marked this as entered in error."))
        changed = _flags_reassess(survivor=survivor, since=entry.created_at, now=now)
    log.info("survivor %s: entry %s entered in error, %d flag(s) closed or marked", survivor.pk, entry.pk, len(changed))
    return changed


def weight_mark_in_error(*, survivor: User, weight: WeightEntry) -> list[Flag]:
    """She says a weight of hers was a mistake, and gives no other: as
    entry_mark_in_error."""
    with transaction.atomic():
        survivor_lock(survivor)
        now = timezone.now()
        _weight_mark(survivor=survivor, weight=weight, now=now)
        changed = _flags_reassess(survivor=survivor, since=weight.recorded_at, now=now)
    log.info(
        "survivor %s: weight %s entered in error, %d flag(s) closed or marked", survivor.pk, weight.pk, len(changed)
    )
    return changed


def weight_correct(*, survivor: User, weight: WeightEntry, value: Decimal, unit: str) -> WeightEntry:
    """She gives the right number for a weight of hers.

    1. Lock her row; mark the old weight entered in error (kept).
    2. Save the right one at the old one's time, pointing at it, and run
       the rules on it as on any weight logged then.
    3. Check again every open flag of hers that may have rested on the old one."""
    with transaction.atomic():
        survivor_lock(survivor)
        now = timezone.now()
        _weight_mark(survivor=survivor, weight=weight, now=now)
        right = WeightEntry(
            survivor=survivor,
            kg=weight_to_kg(value=value, unit=unit),
            recorded_at=weight.recorded_at,
            submission_token=uuid.uuid4(),
            corrects=weight,
        )
        right.full_clean()
        right.save()
        flags_evaluate(survivor=survivor, weight=right)
        changed = _flags_reassess(survivor=survivor, since=weight.recorded_at, now=now)
    log.info(
        "survivor %s: weight %s corrected by %s, %d flag(s) closed or marked",
        survivor.pk,
        weight.pk,
        right.pk,
        len(changed),
    )
    return right


def _weight_mark(*, survivor: User, weight: WeightEntry, now: dt.datetime) -> None:
    marked = WeightEntry.objects.filter(pk=weight.pk, survivor=survivor, entered_in_error_at__isnull=True).update(
        entered_in_error_at=now
    )
    if not marked:
        raise ValidationError(_("You have already corrected or removed this weight."))
    weight.entered_in_error_at = now


def _stands(link: FlagEntry) -> bool:
    if link.checkin_id is not None:
        return True  # her answer about hormone tablets: nothing she can mark entered in error
    row = link.entry if link.entry is not None else link.weight
    assert row is not None  # one of the three (constraint flag_entry_one_event)
    return row.entered_in_error_at is None


def _flags_reassess(*, survivor: User, since: dt.datetime, now: dt.datetime) -> list[Flag]:
    """Her open flags that may have rested on what she withdrew at `since`,
    each checked again on what stands. Rules look back from an event, never
    forward, so only a flag with an attachment at or after `since` can have
    used it (a weight-loss flag raised later by a real weight that a mistaken
    heavy one made look like a loss, too)."""
    recent = FlagEntry.objects.filter(flag=OuterRef("pk"), created_at__gte=since)
    flags = Flag.objects.filter(Exists(recent), survivor=survivor, status=Flag.Status.OPEN).select_related("rule")
    changed = []
    for flag in flags:
        links = list(
            flag.attachments.select_related("entry__symptom", "entry__body_site", "weight", "rule_version__rule")
        )
        if not _still_stands(survivor=survivor, links=links, since=since):
            _flag_withdrawn(survivor=survivor, flag=flag, now=now)
            changed.append(flag)
    return changed


def _still_stands(*, survivor: User, links: list[FlagEntry], since: dt.datetime) -> bool:
    # A rule on her answer about hormone tablets reads no entry or weight:
    # what she withdrew can't be what raised it.
    if any(link.checkin_id is not None and not link.rule_failed for link in links):
        return True
    # What matched before the withdrawn row could not have used it.
    if any(not link.rule_failed and link.created_at < since and _stands(link) for link in links):
        return True
    # A rule that raised on a row that stands can't be run again to know:
    # a nurse reads that row (the flag stays as it was).
    if any(link.rule_failed and _stands(link) for link in links):
        return True
    again = [link for link in links if not link.rule_failed and link.created_at >= since and _stands(link)]
    if not again:
        return False
    try:
        rules = {link.pk: rule_def(link.rule_version) for link in again}
    except Exception as error:  # a stored version that no longer validates: can't tell, keep it
        log.error("flag of survivor %s kept: a rule version can't be loaded (%s)", survivor.pk, type(error).__name__)
        return True
    earliest = min(_event_at(link) for link in again)
    inputs = rule_inputs(survivor=survivor, rules=list(rules.values()), now=earliest)
    for link in again:
        failures: list[engine.Failure] = []
        if link.entry is not None:
            fact = entry_fact(link.entry, survivor=survivor)
            history = History(
                entries=tuple(fact if e.id == fact.id else e for e in inputs.history.entries),
                weights=inputs.history.weights,
            )
            hits = engine.evaluate([rules[link.pk]], history=history, entry=fact, failures=failures)
        else:
            assert link.weight is not None  # constraint flag_entry_one_event (answers returned above)
            hits = engine.evaluate(
                [rules[link.pk]], history=inputs.history, weight=weight_fact(link.weight), failures=failures
            )
        if failures or any(not hit.failed for hit in hits):
            return True
    return False


def _event_at(link: FlagEntry) -> dt.datetime:
    if link.entry is not None:
        return link.entry.created_at
    assert link.weight is not None  # constraint flag_entry_one_event (answers: _still_stands returned)
    return link.weight.recorded_at


def _flag_withdrawn(*, survivor: User, flag: Flag, now: dt.datetime) -> None:
    """Nothing she reported still raises this flag (see the module's words).
    A nurse has it in hand when any staff read or action of it is in the
    audit trail (opening the flag page is one)."""
    in_hand = AuditEvent.objects.filter(
        survivor=survivor, object_type="flag", object_id=str(flag.pk), action__startswith="flag."
    ).exists()
    flag.entered_in_error_at = now
    flag.updated_at = now
    if flag.tier == "emergency" or in_hand:
        flag.save(update_fields=["entered_in_error_at", "updated_at"])
        return
    flag.status = Flag.Status.CLOSED
    flag.outcome = Flag.Outcome.ENTERED_IN_ERROR
    flag.closed_at = now
    flag.save(update_fields=["status", "outcome", "closed_at", "entered_in_error_at", "updated_at"])
