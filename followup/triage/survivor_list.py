"""The survivors page of a nurse: each survivor of her clinics with her
open flags (highest tier first), her last check-in and whether she is
overdue for her weekly check-in; search by name. Survivors with an open
flag come first, the highest tier first: nothing she reported waits
behind a name further down the alphabet."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, OuterRef, Subquery
from django.utils import timezone

from tracker.access import Refused
from tracker.models import CheckIn, Flag, Tier, User
from tracker.services.audit import audit_record_list

from .. import cadence
from ..models import Preferences
from . import reads
from .rows import span

SURVIVORS_PAGE_SIZE = 50
_TIER_BY_RANK = {0: Tier.EMERGENCY, 1: Tier.URGENT, 2: Tier.ROUTINE}
# She is overdue once her weekly check-in time and the nudge after it have
# passed (followup.cadence: the app itself nudges her then) with no check-in
# for that week. A check-in counts for the nearest weekly time: up to half a
# week early counts for the coming one.
OVERDUE_AFTER = cadence.NUDGE_AFTER
EARLY_ALLOWED = dt.timedelta(days=3, hours=12)


@dataclass(frozen=True)
class SurvivorRow:
    pk: int
    name: str
    language: str  # the language she reads, shown next to her name
    top_tier: str  # "" when no flag is open
    top_flag_id: int | None
    open_count: int
    last_checkin: dt.datetime | None
    last_checkin_ago: str  # "3 d 4 h" or ""
    overdue: bool


def last_weekly_checkin_due(*, prefs: Preferences, time_zone: str, now: dt.datetime) -> dt.datetime:
    """The latest of her weekly check-in times (her weekday and hour, in her
    own zone) that is not after `now`."""
    tz = zoneinfo.ZoneInfo(time_zone)
    local = now.astimezone(tz)
    monday = local.date() - dt.timedelta(days=local.weekday())
    for week in (0, -1):
        day = monday + dt.timedelta(days=7 * week + prefs.checkin_weekday)
        at = dt.datetime.combine(day, dt.time(prefs.checkin_hour), tzinfo=tz).astimezone(dt.UTC)
        if at <= now:
            return at
    raise AssertionError("unreachable: last week's time is always past")


def is_overdue(
    *, prefs: Preferences, time_zone: str, joined: dt.datetime, last_checkin: dt.datetime | None, now: dt.datetime
) -> bool:
    """No check-in for her latest weekly time that is more than
    OVERDUE_AFTER past (none since EARLY_ALLOWED before it), and she had
    joined before then."""
    due = last_weekly_checkin_due(prefs=prefs, time_zone=time_zone, now=now - OVERDUE_AFTER)
    if joined > due:
        return False
    return last_checkin is None or last_checkin < due - EARLY_ALLOWED


def survivor_list(*, user: User, query: str = ""):
    """Her clinics' active survivors (404 for anyone but a nurse), with
    their highest open flag, open flag count and last check-in."""
    if not user.is_authenticated or not user.is_nurse:
        raise Refused
    open_flags = Flag.objects.filter(survivor=OuterRef("pk"), status=Flag.Status.OPEN)
    top = open_flags.order_by("tier_rank", F("review_by").asc(nulls_last=True), "id")
    count = open_flags.order_by().values("survivor").annotate(n=Count("id")).values("n")
    last = CheckIn.objects.filter(survivor=OuterRef("pk")).order_by("-created_at").values("created_at")[:1]
    rows = reads.clinic_survivors(user)
    if query:
        rows = rows.filter(full_name__icontains=query)
    return (
        rows.annotate(
            top_rank=Subquery(top.values("tier_rank")[:1]),
            top_flag=Subquery(top.values("pk")[:1]),
            open_count=Subquery(count),
            last_checkin=Subquery(last),
        )
        .select_related("preferences")
        .order_by(F("top_rank").asc(nulls_last=True), "full_name", "pk")
    )


def survivor_list_read(*, nurse: User, query: str = "", number: str | None = None, now=None) -> Page:
    """One page of survivor_list, its rows ready to print, and the audit
    row naming the survivors it lists."""
    now = now or timezone.now()
    page = Paginator(survivor_list(user=nurse, query=query), SURVIVORS_PAGE_SIZE).get_page(number)
    rows = []
    for survivor in page.object_list:
        prefs = getattr(survivor, "preferences", None) or Preferences(survivor=survivor)
        rows.append(
            SurvivorRow(
                pk=survivor.pk,
                name=survivor.full_name,
                language=survivor.language,
                top_tier=_TIER_BY_RANK.get(survivor.top_rank, ""),
                top_flag_id=survivor.top_flag,
                open_count=survivor.open_count or 0,
                last_checkin=survivor.last_checkin,
                last_checkin_ago=span(now - survivor.last_checkin) if survivor.last_checkin else "",
                overdue=is_overdue(
                    prefs=prefs,
                    time_zone=survivor.time_zone,
                    joined=survivor.date_joined,
                    last_checkin=survivor.last_checkin,
                    now=now,
                ),
            )
        )
    page.object_list = rows
    audit_record_list(actor=nurse, action="survivor_list.view", survivor_ids=[row.pk for row in rows])
    return page
