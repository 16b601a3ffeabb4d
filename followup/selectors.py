"""Reads of the follow-up app that depend on who asks. 404 alike for
"missing" and "not yours"."""

import datetime as dt
import functools
import operator
from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone

from tracker import selectors as tracker_selectors
from tracker.models import TIER_RANK, CheckIn, Clinic, Flag, User

from . import cadence
from .models import Message, Preferences


def flag_get_for_survivor(*, user: User, flag_id: int) -> Flag:
    flag = (
        Flag.objects.filter(pk=flag_id, survivor=user, survivor__role=User.Role.SURVIVOR)
        .select_related("rule_version", "survivor__clinic")
        .first()
    )
    if flag is None or not user.is_survivor:
        raise Http404
    return flag


def flag_get_for_nurse(*, user: User, flag_id: int) -> Flag:
    if not user.is_authenticated or not user.is_nurse:
        raise Http404
    flag = (
        Flag.objects.filter(pk=flag_id, survivor__clinic__in=user.staff_clinics.all())
        .select_related("rule_version", "rule", "survivor__clinic", "survivor__preferences", "followup__claimed_by")
        .first()
    )
    if flag is None:
        raise Http404
    return flag


def admin_clinics(*, user: User) -> QuerySet[Clinic]:
    if not user.is_authenticated or not user.is_clinic_admin:
        raise Http404
    return user.staff_clinics.all()


def messages_for_admin(*, user: User, state: str | None) -> QuerySet[Message]:
    rows = Message.objects.filter(clinic__in=admin_clinics(user=user)).select_related("recipient", "clinic")
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-due_at", "-id")


def message_get_for_admin(*, user: User, message_id: int) -> Message:
    message = Message.objects.filter(pk=message_id, clinic__in=admin_clinics(user=user)).first()
    if message is None:
        raise Http404
    return message


def notices_for(*, survivor: User, limit: int = 5) -> list[Message]:
    """Her in-app notices not yet closed, newest first."""
    return list(
        Message.objects.filter(
            recipient=survivor, channel="in_app", state=Message.State.SENT, dismissed_at__isnull=True
        )
        .select_related("clinic")
        .order_by("-sent_at")[:limit]
    )


def _clinic_survivors(user: User) -> QuerySet[User]:
    if not user.is_authenticated or not user.is_nurse:
        return User.objects.none()
    return User.objects.filter(role=User.Role.SURVIVOR, is_active=True, clinic__in=user.staff_clinics.all())


def call_list_no_recent_checkin(*, user: User, now: dt.datetime | None = None) -> QuerySet[User]:
    """Survivors of her clinics with no check-in for 5 days or more."""
    now = now or timezone.now()
    recent = CheckIn.objects.filter(survivor=OuterRef("pk"), created_at__gte=now - cadence.NO_CHECKIN_CALL_LIST)
    return (
        _clinic_survivors(user)
        .exclude(Exists(recent))
        .annotate(last_checkin=Max("checkins__created_at"))
        .order_by("last_checkin", "full_name")
    )


def call_list_bounced(*, user: User) -> QuerySet[User]:
    """Survivors whose email or texts failed for good: someone must call."""
    failed = Preferences.objects.filter(survivor=OuterRef("pk")).filter(
        Q(email_failed_at__isnull=False) | Q(sms_failed_at__isnull=False)
    )
    return _clinic_survivors(user).filter(Exists(failed)).order_by("full_name")


# ------------------------------------------------------------------ triage queue

QUEUE_PAGE_SIZE = 25


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One queue row, ready to print. Every nurse's open queue reloads every
    30 s, so rows come from one plain-values query and carry their strings
    already made (bench/README.md, issue 5); no model objects per row."""

    pk: int
    survivor_id: int
    survivor_name: str
    tier: str
    summary: str
    age: str
    due: str
    overdue: bool
    callback_wanted: bool
    claimed_by: str


def flag_queue(
    *,
    user: User,
    tier: str = "",
    rule: str = "",
    mine: bool = False,
    unclaimed: bool = False,
    overdue: bool = False,
    now: dt.datetime | None = None,
) -> QuerySet:
    """Open flags of her clinics: emergency first, then the least time left
    before the review deadline (overdue first), as plain values.

    Reads in the order of the flag_open_queue index (tier_rank, review_by,
    id): the tier filter is a tier_rank prefix of it, the rule filter a rule
    id from the cached rule list. Her clinic ids go in as constants, so the
    planner knows how many survivors match (a subquery made it guess a few
    and sort every open flag)."""
    if not user.is_authenticated or not user.is_nurse:
        raise Http404
    now = now or timezone.now()
    clinic_ids = list(user.staff_clinics.values_list("pk", flat=True))
    rows = Flag.objects.filter(status=Flag.Status.OPEN, survivor__clinic_id__in=clinic_ids)
    if tier:
        rows = rows.filter(tier_rank=TIER_RANK[tier])
    if rule:
        rule_id = queue_rule_id(rule)
        rows = rows.filter(rule_id=rule_id) if rule_id else rows.none()
    if mine:
        rows = rows.filter(followup__claimed_by=user)
    if unclaimed:
        rows = rows.filter(followup__claimed_by__isnull=True)
    if overdue:
        rows = rows.filter(review_by__lt=now)
    return rows.order_by("tier_rank", "review_by", "id").values_list(
        "pk",
        "survivor_id",
        "survivor__full_name",
        "tier",
        "evidence",
        "created_at",
        "review_by",
        "callback_wanted",
        "followup__claimed_by__full_name",
    )


@dataclass
class QueuePage:
    """A page without a count of every open flag (that count cost more than
    the page itself on 50,000 flags): previous/next only."""

    flags: list[QueueRow]
    number: int
    has_previous: bool
    has_next: bool

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def queue_page(rows: QuerySet, number: str | None, *, now: dt.datetime | None = None) -> QueuePage:
    """One page of flag_queue's rows (followup.services.queue_page_read is
    the view's way in: it also writes the audit row)."""
    page = queue_page_number(number)
    start = (page - 1) * QUEUE_PAGE_SIZE
    return queue_page_from_values(list(rows[start : start + QUEUE_PAGE_SIZE + 1]), page, now=now)


QUEUE_LAST_PAGE = 100_000  # 2.5 million open flags; beyond it OFFSET would overflow


def queue_page_number(number: str | None) -> int:
    try:
        return min(max(1, int(number or 1)), QUEUE_LAST_PAGE)
    except ValueError:
        return 1


def queue_page_from_values(values: list[tuple], page: int, *, now: dt.datetime | None = None) -> QueuePage:
    """values: up to one more row than a page, in flag_queue's columns."""
    now = now or timezone.now()
    flags = [_queue_row(v, now) for v in values[:QUEUE_PAGE_SIZE]]
    return QueuePage(flags=flags, number=page, has_previous=page > 1, has_next=len(values) > QUEUE_PAGE_SIZE)


def queue_rule_id(slug: str) -> int | None:
    return next((r.id for r in tracker_selectors.rule_choices() if r.slug == slug), None)


def _span(delta: dt.timedelta) -> str:
    """ "3 d 4 h", "5 h 20 min", "12 min": compact for a table column.
    Django's timesince spells out "3 days, 4 hours" through calendar maths
    and translation lookups at ~40 µs a call, 50 calls a page."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def _queue_row(values: tuple, now: dt.datetime) -> QueueRow:
    pk, survivor_id, name, tier, evidence, created_at, review_by, callback_wanted, claimed_by = values
    overdue = review_by < now
    return QueueRow(
        pk=pk,
        survivor_id=survivor_id,
        survivor_name=name,
        tier=tier,
        summary=evidence if len(evidence) <= 90 else evidence[:89] + "…",
        age=_span(now - created_at),
        due=f"Overdue by {_span(now - review_by)}" if overdue else f"in {_span(review_by - now)}",
        overdue=overdue,
        callback_wanted=callback_wanted,
        claimed_by=claimed_by or "",
    )


def survivor_for_nurse(*, user: User, survivor_id: int) -> User:
    survivor = _clinic_survivors(user).filter(pk=survivor_id).first()
    if survivor is None:
        raise Http404
    return survivor


def call_list_callback(*, user: User) -> QuerySet[User]:
    """Survivors who asked for a call back and have had no logged call since."""
    from .models import CallLog

    called_since = CallLog.objects.filter(survivor=OuterRef("survivor"), at__gte=OuterRef("created_at"))
    asked = CheckIn.objects.filter(survivor=OuterRef("pk"), callback_requested=True).exclude(Exists(called_since))
    return _clinic_survivors(user).filter(Exists(asked)).order_by("full_name")


def snoozes_for(*, survivor: User):
    from tracker.models import Snooze

    return list(
        Snooze.objects.filter(survivor=survivor, ended_early_at__isnull=True, ends_at__gt=timezone.now())
        .select_related("rule__current", "symptom", "created_by")
        .order_by("ends_at")
    )


# ------------------------------------------------------------------ audit and dashboard


def audit_for_admin(*, user: User, survivor: str = "", staff: str = "", day_from=None, day_to=None):
    """Audit rows about her clinics' survivors, or by her clinics' staff."""
    from tracker.models import AuditEvent

    clinics = admin_clinics(user=user)
    rows = (
        AuditEvent.objects.filter(Q(survivor__clinic__in=clinics) | Q(actor__staff_clinics__in=clinics))
        .select_related("actor", "survivor")
        .distinct()
    )
    if survivor:
        named = Q(full_name__icontains=survivor) | Q(email__iexact=survivor)
        listed = User.objects.filter(named, role=User.Role.SURVIVOR).values_list("pk", flat=True)[:AUDIT_LISTED_MATCHES]
        rows = rows.filter(Q(survivor__in=User.objects.filter(named)) | _listing_any(list(listed)))
    if staff:
        rows = rows.filter(Q(actor__full_name__icontains=staff) | Q(actor__email__iexact=staff))
    if day_from:
        rows = rows.filter(at__date__gte=day_from)
    if day_to:
        rows = rows.filter(at__date__lte=day_to)
    return rows.order_by("-at", "-id")


AUDIT_LISTED_MATCHES = 200  # survivors a name search looks for in pages that listed many


def _listing_any(survivor_ids: list[int]) -> Q:
    """Audit rows of pages that listed any of these survivors (their
    `survivors` list). Django has no JSON containment lookup on SQLite
    (`make run`), so SQLite asks json_each."""
    if not survivor_ids:
        return Q(pk__in=[])
    if connection.vendor == "postgresql":
        return functools.reduce(operator.or_, (Q(survivors__contains=[pk]) for pk in survivor_ids))
    marks = ", ".join(["%s"] * len(survivor_ids))
    sql = f"SELECT e.id FROM tracker_auditevent e, json_each(e.survivors) j WHERE j.value IN ({marks})"  # noqa: S608 (placeholders only)
    return Q(pk__in=RawSQL(sql, survivor_ids))  # noqa: S611 (the ids are parameters)


def audit_listed_names(events) -> None:
    """Sets `listed` (names, in order) on each row of a page that listed many
    survivors: one query for the whole page."""
    ids = {pk for event in events for pk in event.survivors or ()}
    names = dict(User.objects.filter(pk__in=ids).values_list("pk", "full_name")) if ids else {}
    for event in events:
        event.listed = sorted(names.get(pk, f"#{pk}") for pk in event.survivors or ())


def dashboard(*, user: User, periods=(30, 90), now: dt.datetime | None = None) -> dict[int, dict]:
    """The clinic's figures for each period (days): four queries for all
    periods together, whatever the number of flags."""
    from django.db.models import Count, DurationField, ExpressionWrapper, Min

    now = now or timezone.now()
    clinics = list(admin_clinics(user=user)) if user.is_clinic_admin else list(user.staff_clinics.all())
    mine = Flag.objects.filter(survivor__clinic__in=clinics)
    since = {days: now - dt.timedelta(days=days) for days in periods}
    oldest = min(since.values())
    # 1. Now: open flags by tier, and overdue.
    open_now = mine.filter(status=Flag.Status.OPEN).aggregate(
        **{tier: Count("id", filter=Q(tier=tier)) for tier in ("emergency", "urgent", "routine")},
        overdue=Count("id", filter=Q(review_by__lt=now)),
    )
    # 2. Per period: flags raised, closed within 48 hours.
    within_48h = Q(closed_at__isnull=False, closed_at__lte=F("created_at") + Value(dt.timedelta(hours=48)))
    totals = mine.filter(created_at__gte=oldest).aggregate(
        **{f"raised_{d}": Count("id", filter=Q(created_at__gte=s)) for d, s in since.items()},
        **{f"closed_{d}": Count("id", filter=Q(created_at__gte=s) & within_48h) for d, s in since.items()},
    )
    # 3. Per rule and period: fired, confirmed, dismissed.
    confirmed, dismissed = Q(outcome__in=Flag.CONFIRMED_OUTCOMES), Q(outcome__in=Flag.DISMISSED_OUTCOMES)
    rule_rows = list(
        mine.filter(created_at__gte=oldest)
        .values("rule__slug")
        .annotate(
            **{f"fired_{d}": Count("id", filter=Q(created_at__gte=s)) for d, s in since.items()},
            **{f"confirmed_{d}": Count("id", filter=Q(created_at__gte=s) & confirmed) for d, s in since.items()},
            **{f"dismissed_{d}": Count("id", filter=Q(created_at__gte=s) & dismissed) for d, s in since.items()},
        )
    )
    # 4. Time to first nurse action: only flags that have one (inner join).
    waits = list(
        mine.filter(created_at__gte=oldest, events__isnull=False)
        .annotate(first=Min("events__at"))
        .annotate(wait=ExpressionWrapper(F("first") - F("created_at"), output_field=DurationField()))
        .values_list("created_at", "wait")
    )
    figures = {}
    for days, start in since.items():
        period_waits = sorted(w for created, w in waits if created >= start)
        raised = totals[f"raised_{days}"]
        per_rule = []
        for row in rule_rows:
            fired = row[f"fired_{days}"]
            if not fired:
                continue
            c, d = row[f"confirmed_{days}"], row[f"dismissed_{days}"]
            per_rule.append(
                {
                    "rule__slug": row["rule__slug"],
                    "fired": fired,
                    "confirmed": c,
                    "dismissed": d,
                    "share_confirmed": round(100 * c / (c + d)) if c + d else None,
                }
            )
        per_rule.sort(key=lambda r: (-r["fired"], r["rule__slug"]))
        figures[days] = {
            "days": days,
            "open_by_tier": {tier: open_now[tier] for tier in ("emergency", "urgent", "routine")},
            "median_first_action": period_waits[len(period_waits) // 2] if period_waits else None,
            "flags": raised,
            "closed_within_48h": round(100 * totals[f"closed_{days}"] / raised) if raised else None,
            "overdue_now": open_now["overdue"],
            "per_rule": per_rule,
        }
    return figures
