"""Reads of the follow-up app that depend on who asks. 404 alike for
"missing" and "not yours"."""

import datetime as dt
import operator
import time
from dataclasses import dataclass

from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Value
from django.http import Http404
from django.utils import timezone

from tracker import selectors as tracker_selectors
from tracker.access import Refused
from tracker.models import CheckIn, Clinic, Flag, Symptom, User
from tracker.rules.tiers import HIGHEST_FIRST, QUEUE_RANK

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
        raise Refused
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
        raise Refused
    return user.staff_clinics.all()


def messages_for_admin(*, user: User, state: str | None) -> QuerySet[Message]:
    rows = Message.objects.filter(clinic__in=admin_clinics(user=user)).select_related("recipient", "clinic")
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-due_at", "-id")


MESSAGE_COUNT_DAYS = 7


def message_counts_for_admin(*, user: User, now: dt.datetime | None = None) -> list[dict]:
    """Her clinics' messages due in the last week, counted by kind and
    state: the only place the admin sees kinds, and it names no one (the
    list by name shows no kind: a reminder names a survivor with an open
    flag). One row a kind: {"kind": label, "counts": [n for each state]}."""
    from django.db.models import Count

    since = (now or timezone.now()) - dt.timedelta(days=MESSAGE_COUNT_DAYS)
    counts = (
        Message.objects.filter(clinic__in=admin_clinics(user=user), due_at__gte=since)
        .values_list("kind", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    found = {(kind, state): n for kind, state, n in counts}
    return [
        {"kind": label, "counts": [found.get((kind, state), 0) for state in Message.State.values]}
        for kind, label in Message.Kind.choices
    ]


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


def clinic_survivors(user: User) -> QuerySet[User]:
    """The active survivors of her clinics; none for anyone but a nurse."""
    if not user.is_authenticated or not user.is_nurse:
        return User.objects.none()
    return User.objects.filter(role=User.Role.SURVIVOR, is_active=True, clinic__in=user.staff_clinics.all())


def call_list_no_recent_checkin(*, user: User, now: dt.datetime | None = None) -> QuerySet[User]:
    """Survivors of her clinics with no check-in for 5 days or more."""
    now = now or timezone.now()
    recent = CheckIn.objects.filter(survivor=OuterRef("pk"), created_at__gte=now - cadence.NO_CHECKIN_CALL_LIST)
    return (
        clinic_survivors(user)
        .exclude(Exists(recent))
        .annotate(last_checkin=Max("checkins__created_at"))
        .order_by("last_checkin", "full_name")
    )


def call_list_bounced(*, user: User) -> QuerySet[User]:
    """Survivors whose email or texts failed for good: someone must call."""
    failed = Preferences.objects.filter(survivor=OuterRef("pk")).filter(
        Q(email_failed_at__isnull=False) | Q(sms_failed_at__isnull=False)
    )
    return clinic_survivors(user).filter(Exists(failed)).order_by("full_name")


# ------------------------------------------------------------------ triage queue

QUEUE_PAGE_SIZE = 25  # survivors a page


@dataclass(frozen=True, slots=True)
class QueueFlag:
    """One open flag, ready to print. Every nurse's open queue reloads every
    30 s, so flags come from one plain-values query and carry their strings
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
    contacted_at: dt.datetime | None  # she said she contacted her care team


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One survivor in the queue: a nurse calls a person, not a rule. Her
    open flags, highest tier first (then the nearest deadline): the first
    one is what the row leads with, whatever the filters matched."""

    survivor_id: int
    survivor_name: str
    flags: tuple[QueueFlag, ...]
    contacted: str  # "2 Jun 11:05": when she last said she contacted her care team, or ""

    @property
    def top(self) -> QueueFlag:
        return self.flags[0]

    @property
    def others(self) -> tuple[QueueFlag, ...]:
        return self.flags[1:]

    @property
    def pk(self) -> int:
        return self.flags[0].pk

    @property
    def tier(self) -> str:
        return self.flags[0].tier

    @property
    def overdue(self) -> bool:
        return any(f.overdue for f in self.flags)

    @property
    def callback_wanted(self) -> bool:
        return any(f.callback_wanted for f in self.flags)


# PostgreSQL's order for an ascending index (a flag without a deadline last).
QUEUE_ORDER = ("tier_rank", F("review_by").asc(nulls_last=True), "id")

# The columns of one queue flag, in both the ORM definition and the SQL.
QUEUE_COLUMNS = (
    "pk",
    "survivor_id",
    "survivor__full_name",
    "tier",
    "evidence",
    "created_at",
    "review_by",
    "callback_wanted",
    "followup__claimed_by__full_name",
    "followup__survivor_contacted_at",
)


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
    """The open flags of her clinics that match the filters, in queue order:
    emergency first, then the least time left before the review deadline
    (overdue first), as (flag id, survivor id). A survivor's place in the
    queue is her first flag here (queue_page groups them): unfiltered, her
    highest tier and nearest deadline.

    This is the definition; on PostgreSQL followup.services._QUEUE_SQL reads
    a page in one statement, and a test holds the two to the same rows. It
    reads in the order of the flag_open_queue index (tier_rank, review_by,
    id): the tier filter is a tier_rank prefix of it, the rule filter a rule
    id from the cached rule list. Her clinic ids go in as constants, so the
    planner knows how many survivors match (a subquery made it guess a few
    and sort every open flag)."""
    if not user.is_authenticated or not user.is_nurse:
        raise Refused
    now = now or timezone.now()
    clinic_ids = list(user.staff_clinics.values_list("pk", flat=True))
    rows = Flag.objects.filter(status=Flag.Status.OPEN, survivor__clinic_id__in=clinic_ids)
    if tier:
        rows = rows.filter(tier_rank=QUEUE_RANK[tier])
    if rule:
        rule_id = queue_rule_id(rule)
        rows = rows.filter(rule_id=rule_id) if rule_id else rows.none()
    if mine:
        rows = rows.filter(followup__claimed_by=user)
    if unclaimed:
        rows = rows.filter(followup__claimed_by__isnull=True)
    if overdue:
        rows = rows.filter(review_by__lt=now)
    return rows.order_by(*QUEUE_ORDER).values_list("pk", "survivor_id")


@dataclass
class QueuePage:
    """A page of survivors without a count of every open flag (that count
    cost more than the page itself on 50,000 flags): previous/next only."""

    rows: list[QueueRow]
    number: int
    has_previous: bool
    has_next: bool

    @property
    def flags(self) -> list[QueueFlag]:
        """Every flag the page shows, row by row."""
        return [flag for row in self.rows for flag in row.flags]

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
    """One page of survivors from flag_queue's flags: each survivor at her
    first flag there, with all her open flags (followup.services.queue_page_read
    is the view's way in: it also writes the audit row)."""
    page = queue_page_number(number)
    start = (page - 1) * QUEUE_PAGE_SIZE
    order: list[int] = []
    seen: set[int] = set()
    for _, survivor_id in rows.iterator():
        if survivor_id not in seen:
            seen.add(survivor_id)
            order.append(survivor_id)
            if len(order) > start + QUEUE_PAGE_SIZE:
                break
    shown = order[start:]
    place = {survivor_id: k for k, survivor_id in enumerate(shown)}
    flags = Flag.objects.filter(status=Flag.Status.OPEN, survivor_id__in=shown).order_by(*QUEUE_ORDER)
    values = sorted(((place[v[1]], *v) for v in flags.values_list(*QUEUE_COLUMNS)), key=operator.itemgetter(0))
    return queue_page_from_values(values, page, now=now)


QUEUE_LAST_PAGE = 100_000  # 2.5 million survivors in a queue; beyond it OFFSET would overflow


def queue_page_number(number: str | None) -> int:
    try:
        return min(max(1, int(number or 1)), QUEUE_LAST_PAGE)
    except ValueError:
        return 1


def queue_page_from_values(values: list[tuple], page: int, *, now: dt.datetime | None = None) -> QueuePage:
    """values: (the survivor's place on the page, *QUEUE_COLUMNS) for the
    open flags of up to one more survivor than a page, by place then in queue
    order."""
    now = now or timezone.now()
    grouped: list[list[QueueFlag]] = []
    last = None
    for row in values:
        if row[0] != last:
            if len(grouped) == QUEUE_PAGE_SIZE:
                break
            grouped.append([])
            last = row[0]
        grouped[-1].append(_queue_flag(row, now))
    rows = [
        QueueRow(flags[0].survivor_id, flags[0].survivor_name, tuple(flags), _contacted(flags)) for flags in grouped
    ]
    has_next = bool(values) and values[-1][0] >= QUEUE_PAGE_SIZE
    return QueuePage(rows=rows, number=page, has_previous=page > 1, has_next=has_next)


def queue_rule_id(slug: str) -> int | None:
    return next((r.id for r in tracker_selectors.rule_choices() if r.slug == slug), None)


def span(delta: dt.timedelta) -> str:
    """ "2 d 4 h", "3 h 5 min", "12 min": compact, for a table column.
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


def _queue_flag(row: tuple, now: dt.datetime) -> QueueFlag:
    # Positional and unpacked once: 75 of these a page, every 30 s per nurse.
    _, pk, survivor_id, name, tier, evidence, created_at, review_by, callback_wanted, claimed_by, contacted_at = row
    if review_by is None:
        overdue, due = False, "no deadline"
    elif review_by < now:
        overdue, due = True, f"Overdue by {span(now - review_by)}"
    else:
        overdue, due = False, f"in {span(review_by - now)}"
    summary = evidence if len(evidence) <= 90 else evidence[:89] + "…"
    return QueueFlag(
        pk, survivor_id, name, tier, summary, span(now - created_at), due, overdue, callback_wanted, claimed_by or "",
        contacted_at,
    )  # fmt: skip


def _contacted(flags: list[QueueFlag]) -> str:
    """When she last said she contacted her care team about an open flag,
    in the nurse's time zone."""
    latest = max((f.contacted_at for f in flags if f.contacted_at), default=None)
    if latest is None:
        return ""
    local = timezone.localtime(latest)
    return f"{local.day} {local:%b %H:%M}"


def queue_next(*, user: User, after: int | None = None) -> int | None:
    """ "Next in queue": the flag her queue leads with for the first survivor
    other than `after` (the one she has just worked on). In queue order a
    survivor's first flag is her highest, so it is the first flag not hers.
    Nothing is shown here (the flag page she lands on is audited)."""
    rows = flag_queue(user=user)
    if after is not None:
        rows = rows.exclude(survivor_id=after)
    first = rows.first()
    return None if first is None else first[0]


_SYMPTOMS: dict[str, tuple[float, list[tuple[str, str]]]] = {}
SYMPTOMS_RECHECK_SECONDS = 60.0


def symptom_choices() -> list[tuple[str, str]]:
    """The active symptoms (code, label) for the snooze form, read at most
    once a minute per process: the catalog changes with a deploy, and the
    flag page read it on every view."""
    cached = _SYMPTOMS.get("choices")
    now = time.monotonic()
    if cached is None or now - cached[0] > SYMPTOMS_RECHECK_SECONDS:
        rows = list(Symptom.objects.filter(is_active=True).order_by("sort_order", "code").values_list("code", "label"))
        cached = _SYMPTOMS["choices"] = (now, rows)
    return cached[1]


def survivor_for_nurse(*, user: User, survivor_id: int) -> User:
    survivor = clinic_survivors(user).filter(pk=survivor_id).first()
    if survivor is None:
        raise Http404
    return survivor


def call_list_callback(*, user: User) -> QuerySet[User]:
    """Survivors who asked for a call back that nobody has answered: no nurse
    has reached her since, from this list or from a flag page (a message
    left or no answer is no answer), as Flag.callback_wanted is cleared
    (followup.services: call_log, flag_nurse_contact). A check-in that raised
    no flag counts too: a call back is about her, not a flag."""
    from .models import CallLog, FlagEvent

    reached = FlagEvent.Result.REACHED
    called = CallLog.objects.filter(survivor=OuterRef("survivor"), at__gte=OuterRef("created_at"), result=reached)
    contacted = FlagEvent.objects.filter(
        flag__survivor=OuterRef("survivor"), kind=FlagEvent.Kind.CONTACT, result=reached, at__gte=OuterRef("created_at")
    )
    asked = (
        CheckIn.objects.filter(survivor=OuterRef("pk"), callback_requested=True)
        .exclude(Exists(called))
        .exclude(Exists(contacted))
    )
    return clinic_survivors(user).filter(Exists(asked)).order_by("full_name")


def snoozes_for(*, survivor: User):
    from tracker.models import Snooze

    return list(
        Snooze.objects.filter(survivor=survivor, ended_early_at__isnull=True, ends_at__gt=timezone.now())
        .select_related("rule__current", "symptom", "created_by")
        .order_by("ends_at")
    )


# ------------------------------------------------------------------ dashboard
# (the audit trail's reads: followup/audit_trail.py)


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
        **{tier: Count("id", filter=Q(tier=tier)) for tier in HIGHEST_FIRST},
        overdue=Count("id", filter=Q(review_by__lt=now)),
    )
    # 2. Per period: flags raised, closed within 48 hours.
    within_48h = Q(closed_at__isnull=False, closed_at__lte=F("created_at") + Value(dt.timedelta(hours=48)))
    totals = mine.filter(created_at__gte=oldest).aggregate(
        **{f"raised_{d}": Count("id", filter=Q(created_at__gte=s)) for d, s in since.items()},
        **{f"closed_{d}": Count("id", filter=Q(created_at__gte=s) & within_48h) for d, s in since.items()},
    )
    # 3. Per rule and period: fired, confirmed, dismissed; by rule id, the
    # rules' slugs and names from the per-process rule list (a join to the
    # rule and its version for every flag grew with the flags: bench/README.md).
    confirmed, dismissed = Q(outcome__in=Flag.CONFIRMED_OUTCOMES), Q(outcome__in=Flag.DISMISSED_OUTCOMES)
    rule_rows = list(
        mine.filter(created_at__gte=oldest)
        .values("rule_id")
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
    rules = {rule.id: rule for rule in tracker_selectors.rule_choices()}
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
                    "rule__slug": rules[row["rule_id"]].slug,
                    "name": rules[row["rule_id"]].name,
                    "fired": fired,
                    "confirmed": c,
                    "dismissed": d,
                    "share_confirmed": round(100 * c / (c + d)) if c + d else None,
                }
            )
        per_rule.sort(key=lambda r: (-r["fired"], r["name"], r["rule__slug"]))
        median = period_waits[len(period_waits) // 2] if period_waits else None
        figures[days] = {
            "days": days,
            "open_by_tier": {tier: open_now[tier] for tier in HIGHEST_FIRST},
            "median_first_action": median,
            # "12 min", "3 h 5 min", "2 d 4 h": a timedelta printed "0:12:31.207" before.
            "median_first_action_words": span(median) if median is not None else "",
            "flags": raised,
            "closed_within_48h": round(100 * totals[f"closed_{days}"] / raised) if raised else None,
            "overdue_now": open_now["overdue"],
            "per_rule": per_rule,
        }
    return figures
