"""The nurse's actions on a flag and on a survivor: opening a flag (it no
longer escalates), claiming and unclaiming it, a note, a contact attempt,
resolving one flag or several of one survivor's at once, and a call from the
call lists. Each writes its event and audit rows; reaching her answers her
call back and closes the flag's loop (reminders/loop.py). The flag itself
changes only through tracker's services (tracker/services/flag_states.py);
the follow-up row read here was written with the flag's reminders
(reminders/schedule.py). The reads are queue.py's and reads.py's."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tracker.models import Flag, User
from tracker.services.audit import audit_record
from tracker.services.flag_states import flag_close, flags_callback_clear, flags_lock_for_update

from ..models import CallLog, FlagEvent, FlagFollowup
from ..reminders.loop import loop_close


def _event(*, flag: Flag, nurse: User, kind: str, result: str = "", text: str = "") -> FlagEvent:
    event = FlagEvent(flag=flag, kind=kind, result=result, text=text.strip(), author=nurse)
    event.full_clean()
    event.save()
    audit_record(actor=nurse, action=f"flag.{kind}", survivor=flag.survivor, target=flag)
    return event


def flag_nurse_contact(*, flag: Flag, nurse: User, result: str = FlagEvent.Result.REACHED, note: str = "") -> int:
    """A contact attempt. Reaching her closes this flag's loop (no more
    reminders) and answers her call back: a call back is about her, not one
    flag, so it is cleared on all her open flags, as a call from the call
    lists clears it (call_log). A message left or no answer clears nothing."""
    with transaction.atomic():
        _event(flag=flag, nurse=nurse, kind=FlagEvent.Kind.CONTACT, result=result, text=note)
        if result != FlagEvent.Result.REACHED:
            return 0
        flags_callback_clear(survivor_id=flag.survivor_id)
        return loop_close(flag=flag, nurse=nurse)


def flag_nurse_resolve(*, flag: Flag, nurse: User, outcome: str, note: str = "") -> int:
    with transaction.atomic():
        flag_close(flag=flag, by=nurse, outcome=outcome)
        _event(flag=flag, nurse=nurse, kind=FlagEvent.Kind.RESOLVE, result="", text=note)
        return loop_close(flag=flag, nurse=nurse)


def flags_nurse_resolve(*, survivor: User, flag_ids: list[int], nurse: User, outcome: str, note: str = "") -> int:
    """Resolve several of one survivor's open flags with one outcome and one
    note: a nurse calls a person, and one call can settle all she reported.

    1. Lock the flags; if one is no longer hers or no longer open (a
       colleague resolved it meanwhile), nothing is written.
    2. Each is resolved as flag_nurse_resolve does: closed with the outcome,
       its own event and audit rows, its reminders stopped.
    All in one transaction. Returns how many flags were resolved."""
    wanted = set(flag_ids)
    if not wanted:
        raise ValidationError({"flags": "Tick at least one flag to resolve."})
    with transaction.atomic():
        flags = flags_lock_for_update(survivor=survivor, flag_ids=wanted)
        if len(flags) != len(wanted) or any(flag.status != Flag.Status.OPEN for flag in flags):
            raise ValidationError({"flags": "One of these flags is no longer open. Look at the list again."})
        for flag in flags:
            flag_nurse_resolve(flag=flag, nurse=nurse, outcome=outcome, note=note)
    return len(flags)


def flag_claim(*, flag: Flag, nurse: User) -> None:
    with transaction.atomic():
        followup = FlagFollowup.objects.select_for_update().get(flag=flag)
        followup.claimed_by, followup.claimed_at = nurse, timezone.now()
        followup.save(update_fields=["claimed_by", "claimed_at"])
        _event(flag=flag, nurse=nurse, kind=FlagEvent.Kind.CLAIM)


def flag_unclaim(*, flag: Flag, nurse: User) -> None:
    with transaction.atomic():
        FlagFollowup.objects.filter(flag=flag).update(claimed_by=None, claimed_at=None)
        _event(flag=flag, nurse=nurse, kind=FlagEvent.Kind.UNCLAIM)


def flag_note_add(*, flag: Flag, nurse: User, text: str) -> FlagEvent:
    if not text.strip():
        raise ValidationError({"text": "Write the note first."})
    return _event(flag=flag, nurse=nurse, kind=FlagEvent.Kind.NOTE, text=text)


def call_log(*, survivor: User, nurse: User, result: str, note: str = "") -> CallLog:
    """A call from the call lists. Reaching her answers her call back on all
    her open flags (as flag_nurse_contact does); a message left does not."""
    call = CallLog(survivor=survivor, nurse=nurse, result=result, note=note.strip())
    call.full_clean()
    with transaction.atomic():
        call.save()
        if result == FlagEvent.Result.REACHED:
            flags_callback_clear(survivor_id=survivor.pk)
        audit_record(actor=nurse, action="call.log", survivor=survivor, target=call)
    return call


def flag_opened(*, flag: Flag, nurse: User, now: dt.datetime | None = None) -> None:
    """A nurse opened the flag: it no longer escalates. The first nurse
    stays "first opened" (the row is written with the flag's reminders)."""
    FlagFollowup.objects.filter(flag=flag, first_opened_at__isnull=True).update(
        first_opened_at=now or timezone.now(), first_opened_by=nurse
    )
