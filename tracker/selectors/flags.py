"""Her flags as her own pages show them (open ones, those a check-in raised),
highest tier first, with what the follow-up app and her corrections add.
Callers have found the survivor or the check-in through access.py.
A nurse's flag reads live in followup.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet

from ..models import CheckIn, Flag, FlagEntry, User


class HerFlagFields(TypedDict):
    """What _for_her annotates on each flag (the history page's one
    statement sets the same on the flags it builds)."""

    contacted_at: datetime | None
    withdrawn: bool


class CheckInFlagFields(HerFlagFields):
    matched_here: bool


if TYPE_CHECKING:  # a WithAnnotations[...] can't be made at run time (Python 3.11)
    from django_stubs_ext import WithAnnotations

    HerFlag = WithAnnotations[Flag, HerFlagFields]
    CheckInFlag = WithAnnotations[Flag, CheckInFlagFields]


def _for_her(flags: QuerySet[Flag]) -> QuerySet[HerFlag]:
    """What her pages need of each flag, highest tier first: the headline
    follows the first (templates/tracker/_advice.html), so this order is what
    keeps an emergency from hiding behind a newer routine flag.

    contacted_at: when she told us she contacted her care team. It is the
    follow-up app's row, read here by its relation name in the same query
    (no import: tracker never imports followup).
    withdrawn: she marked everything that raised it entered in error, and no
    real match came after (tracker/services/corrections.py: a nurse will check)."""
    newer = FlagEntry.objects.filter(
        flag=OuterRef("pk"), rule_failed=False, created_at__gt=OuterRef("entered_in_error_at")
    )
    return (
        flags.annotate(
            contacted_at=F("followup__survivor_contacted_at"),
            withdrawn=ExpressionWrapper(
                Q(entered_in_error_at__isnull=False) & ~Exists(newer), output_field=BooleanField()
            ),
        )
        .select_related("rule_version", "rule__current")
        .order_by("tier_rank", "-created_at", "-id")
    )


def flags_open_for_survivor(*, survivor: User) -> list[HerFlag]:
    """Her open flags, for her own page, highest tier first: not those opened
    only because a rule failed (she is given no advice for a rule that did
    not run)."""
    return list(_for_her(Flag.objects.filter(survivor=survivor, status=Flag.Status.OPEN, rule_failed=False)))


def flags_for_checkin(*, checkin: CheckIn) -> list[CheckInFlag]:
    """The open flags this check-in raised or attached to, highest tier first.
    flag.matched_here: a rule really matched one of its entries (False: the
    rule only failed on them, and a nurse reads it; she gets no advice for it)."""
    # Attached to one of its entries, or to the check-in itself (her answer about hormone tablets).
    of_checkin = Q(entry__checkin=checkin) | Q(checkin=checkin)
    matched = FlagEntry.objects.filter(of_checkin, flag=OuterRef("pk"), rule_failed=False)
    # An Exists rather than a join on attachments: one row per flag, no DISTINCT.
    here = FlagEntry.objects.filter(of_checkin, flag=OuterRef("pk"))
    return list(
        _for_her(Flag.objects.filter(Exists(here), status=Flag.Status.OPEN)).annotate(matched_here=Exists(matched))
    )


def flags_since_for_survivor(*, survivor: User, since: datetime) -> list[HerFlag]:
    """Her flags raised since `since`, open or closed, highest tier first:
    what she brings to a visit (tracker/selectors/her_plan.py). Not those
    raised only because a rule failed, as on her own pages."""
    return list(_for_her(Flag.objects.filter(survivor=survivor, created_at__gte=since, rule_failed=False)))
