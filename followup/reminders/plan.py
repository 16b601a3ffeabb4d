"""Her follow-up plan's reminders: "time to book" when an item's window
opens, "your visit is in a few days" before a booked date, and "missed"
once when the sweep finds an item missed. Rows in followup_message like
every other reminder, written (and the ones that no longer apply cancelled)
in the transaction that changed the items, when tracker sends
plan_items_changed; the sweep claims them and delivery sends them, so no
timer waits in the broker.

The dedupe keys name the moment, so a second signal for the same item and
state writes nothing, and a moved window or a new booking is a new key:
    plan:<item>:open:<opens_on>:<channel>
    plan:<item>:booked:<booked_at, ISO, UTC>:<channel>
    plan:<item>:missed:<channel>          (once, whatever happens after)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.utils import timezone

from tracker.models import Plan, PlanItem, User
from tracker.plans.calendar import booked_reminder_at, local_date, window_reminder_at

from ..models import Message, Preferences
from .preferences import quiet_until
from .schedule import ALL_CHANNELS

# Her reminders go at 09:00 where she lives; a booking, three days before.
REMIND_HOUR = 9
BOOKED_DAYS_BEFORE = 3
LIVE = (Message.State.PENDING, Message.State.QUEUED)


def plan_items_changed_receiver(sender, *, plan: Plan, items: Iterable[PlanItem], **kwargs) -> None:
    """tracker.signals.plan_items_changed, inside the transaction that
    changed the items: their reminder rows commit or roll back with them."""
    plan_reminders_write(plan=plan, items=list(items))


def plan_reminders_write(*, plan: Plan, items: list[PlanItem], now: dt.datetime | None = None) -> int:
    """Write the reminders each item is due now that it has changed, and
    cancel its pending ones that no longer apply. Returns how many rows it
    wanted (already there or new: the unique keys decide).

    1. Her channels (Preferences.channel_on, the defaults if she never saved
       any) and her time zone, read once.
    2. Per item, the moment it is at (wanted): window open and not booked,
       booked and the day ahead, missed. An item done or not needed wants none.
    3. Rows for the wanted keys (ignore_conflicts: a second signal writes
       nothing); a wanted row cancelled earlier (moved away and back) goes
       back to pending; every other pending or queued row of these items is
       cancelled (moved, booked, done, dropped, a channel she turned off)."""
    if not items:
        return 0
    now = now or timezone.now()
    survivor = User.objects.select_related("preferences").get(pk=plan.survivor_id)
    prefs = getattr(survivor, "preferences", None) or Preferences(survivor=survivor)
    channels = [channel for channel in ALL_CHANNELS if prefs.channel_on(channel)]
    clinic_id = survivor.clinic_id
    assert clinic_id is not None  # a survivor has a clinic (constraint survivor_has_clinic)
    wanted: dict[str, Message] = {}
    for item in items:
        moment = _moment(item, time_zone=survivor.time_zone, now=now)
        if moment is None:
            continue
        kind, key, due_at = moment
        for channel in channels:
            dedupe_key = f"{key}:{channel}"
            wanted[dedupe_key] = Message(
                kind=kind,
                channel=channel,
                recipient_id=survivor.pk,
                survivor_id=survivor.pk,
                clinic_id=clinic_id,
                plan_item_id=item.pk,
                dedupe_key=dedupe_key,
                due_at=due_at,
                state_changed_at=now,
                created_at=now,
            )
    ids = [item.pk for item in items]
    Message.objects.filter(plan_item_id__in=ids, state__in=LIVE).exclude(dedupe_key__in=list(wanted)).update(
        state=Message.State.CANCELLED, state_changed_at=now
    )
    if not wanted:
        return 0
    revived = Message.objects.filter(
        dedupe_key__in=list(wanted), state=Message.State.CANCELLED, sent_at__isnull=True
    ).values_list("pk", "dedupe_key")
    for pk, dedupe_key in revived:
        Message.objects.filter(pk=pk, state=Message.State.CANCELLED).update(
            state=Message.State.PENDING, due_at=wanted[dedupe_key].due_at, state_changed_at=now
        )
    Message.objects.bulk_create(list(wanted.values()), ignore_conflicts=True)
    return len(wanted)


def _moment(item: PlanItem, *, time_zone: str, now: dt.datetime) -> tuple[str, str, dt.datetime] | None:
    """(kind, key without channel, due_at) of the reminder this item is at,
    or None. A reminder whose time has passed while it still applies (a
    plan started inside an open window, a booking made the day before, a
    missed item) is due at once, or when her quiet hours end."""
    tz = ZoneInfo(time_zone)
    at_once = quiet_until(time_zone, now) or now
    if item.state == PlanItem.State.MISSED:
        # Due when the sweep found it (its `now`), so that the same sweep's
        # claim, a moment later on the clock, sends it.
        found = min(item.missed_at or now, now)
        return Message.Kind.PLAN_MISSED, f"plan:{item.pk}:missed", quiet_until(time_zone, found) or found
    if item.state == PlanItem.State.BOOKED and item.booked_at is not None:
        if item.booked_at <= now:
            return None  # the sweep marks it done or missed
        due = booked_reminder_at(item.booked_at, tz=tz, days_before=BOOKED_DAYS_BEFORE, hour=REMIND_HOUR)
        key = f"plan:{item.pk}:booked:{item.booked_at.astimezone(dt.UTC).isoformat()}"
        return Message.Kind.PLAN_BOOKED, key, at_once if due <= now else due
    if item.state == PlanItem.State.DUE:
        if local_date(now, tz) > item.due_by:
            return None  # closed: the sweep marks it missed, which reminds her
        due = window_reminder_at(item.opens_on, tz, REMIND_HOUR)
        key = f"plan:{item.pk}:open:{item.opens_on.isoformat()}"
        return Message.Kind.PLAN_OPEN, key, at_once if due <= now else due
    return None
