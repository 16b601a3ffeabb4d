"""Closing the loop: she says she contacted her care team, or a nurse
reached her, or the flag was closed, and the flag's reminders stop
(loop_close). The survivor's side of it lives here too: the read of her own
flag for the "I contacted my care team" page and her confirming it. The
nurse's actions that close it are followup/triage/actions.py's."""

from __future__ import annotations

import logging

from django.http import Http404
from django.utils import timezone

from tracker.models import Flag, User

from ..models import FlagFollowup, Message

log = logging.getLogger(__name__)


OPEN_STATES = [Message.State.PENDING, Message.State.QUEUED]


def flag_get_for_survivor(*, user: User, flag_id: int) -> Flag:
    flag = (
        Flag.objects.filter(pk=flag_id, survivor=user, survivor__role=User.Role.SURVIVOR)
        .select_related("rule_version", "survivor__clinic")
        .first()
    )
    if flag is None or not user.is_survivor:
        raise Http404
    return flag


def loop_close(*, flag: Flag, by_survivor: bool = False, nurse: User | None = None) -> int:
    """She contacted her care team, or a nurse reached her, or the flag was
    closed: no more reminders. A send already in flight may finish; nothing
    is claimed afterwards. Returns how many messages were cancelled."""
    now = timezone.now()
    followup = FlagFollowup.objects.get(flag=flag)  # written with the flag's reminders (schedule.py)
    if by_survivor and followup.survivor_contacted_at is None:
        followup.survivor_contacted_at = now
        followup.save(update_fields=["survivor_contacted_at"])
    if nurse is not None and followup.nurse_contacted_at is None:
        followup.nurse_contacted_at = now
        followup.save(update_fields=["nurse_contacted_at"])
    return Message.objects.filter(flag=flag, kind=Message.Kind.REMINDER, state__in=OPEN_STATES).update(
        state=Message.State.CANCELLED, state_changed_at=now
    )


def flag_survivor_confirm_contact(*, flag: Flag, survivor: User) -> int:
    cancelled = loop_close(flag=flag, by_survivor=True)
    log.info("flag %s: survivor confirmed contact, %d reminders cancelled", flag.pk, cancelled)
    return cancelled
