"""Her reminder preferences: the channels she wants, her phone, the weekday
and hour of her weekly check-in, and what follows from them: when her quiet
hours (21:00-08:00 in her own time zone) end, and when her next weekly
check-in falls. Writing reminder rows is schedule.py's; sending them is
delivery.py's."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone

from tracker.models import User

from .. import cadence
from ..models import Message, Preferences


def preferences_for(survivor: User) -> Preferences:
    prefs, _ = Preferences.objects.get_or_create(survivor=survivor)
    return prefs


def preferences_update(*, survivor: User, data: dict) -> Preferences:
    prefs = preferences_for(survivor)
    fields = ["email_on", "sms_on", "in_app_on", "phone", "checkin_weekday", "checkin_hour"]
    for name in fields:
        setattr(prefs, name, data[name])
    if prefs.email_on and prefs.email_failed_at and data.get("email_fixed"):
        prefs.email_failed_at = None
        fields.append("email_failed_at")
    prefs.full_clean()
    prefs.save(update_fields=fields)
    # A new weekday or hour applies from the next scheduled check-in.
    Message.objects.filter(
        recipient=survivor,
        kind__in=[Message.Kind.CHECKIN, Message.Kind.NUDGE],
        state=Message.State.PENDING,
        due_at__gt=timezone.now(),
    ).update(state=Message.State.CANCELLED, state_changed_at=timezone.now())
    return prefs


def quiet_until(time_zone: str, now: dt.datetime) -> dt.datetime | None:
    """When quiet hours (21:00-08:00 in her zone) end, or None outside them.
    zoneinfo does the arithmetic, so DST changes land on 08:00 local."""
    tz = zoneinfo.ZoneInfo(time_zone)
    local = now.astimezone(tz)
    if cadence.QUIET_END_HOUR <= local.hour < cadence.QUIET_START_HOUR:
        return None
    day = local.date() if local.hour < cadence.QUIET_END_HOUR else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(cadence.QUIET_END_HOUR), tzinfo=tz).astimezone(dt.UTC)


def next_checkin_at(*, prefs: Preferences, time_zone: str, now: dt.datetime) -> dt.datetime:
    """Her chosen weekday and hour, this week if still ahead, else next week."""
    tz = zoneinfo.ZoneInfo(time_zone)
    local_today = now.astimezone(tz).date()
    monday = local_today - dt.timedelta(days=local_today.weekday())
    for week in (0, 1):
        day = monday + dt.timedelta(days=7 * week + prefs.checkin_weekday)
        at = dt.datetime.combine(day, dt.time(prefs.checkin_hour), tzinfo=tz).astimezone(dt.UTC)
        if at >= now:
            return at
    raise AssertionError("unreachable: next week is always ahead")
