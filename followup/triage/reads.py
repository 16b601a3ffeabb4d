"""The nurse's reads that depend on who asks (404 alike for "missing" and
"not yours"): a flag of her clinics, her clinics' survivors and one of them,
the call lists (no recent check-in, email or texts failed for good, call
back wanted; follow-up overdue is plan_reads.py's), the snooze form's symptoms and a survivor's snoozes, and the
clinic's dashboard figures. The queue is queue.py's; the flag page and the
survivors page are flag_page.py's and survivor_list.py's; a clinic admin's
reads are followup/admin_actions.py's."""

from __future__ import annotations

import datetime as dt
import time

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.http import Http404
from django.utils import timezone

from tracker import scope
from tracker.access import Refused
from tracker.evaluation.inputs import rule_choices
from tracker.models import CheckIn, Flag, Snooze, Symptom, User
from tracker.rules.tiers import HIGHEST_FIRST

from .. import cadence
from ..models import CallLog, FlagEvent, Preferences
from .rows import span


def flag_get_for_nurse(*, user: User, flag_id: int) -> Flag:
    if not user.is_authenticated or not user.is_nurse:
        raise Refused
    flag = (
        Flag.objects.filter(pk=flag_id, survivor__clinic__in=scope.clinics_of(user))
        .select_related("rule_version", "rule", "survivor__clinic", "survivor__preferences", "followup__claimed_by")
        .first()
    )
    if flag is None:
        raise Http404
    return flag


def clinic_survivors(user: User) -> QuerySet[User]:
    """The active survivors of her clinics; none for anyone but a nurse."""
    if not user.is_authenticated or not user.is_nurse:
        return User.objects.none()
    return scope.survivors_of(user)


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
    (followup.triage.actions: call_log, flag_nurse_contact). A check-in that raised
    no flag counts too: a call back is about her, not a flag."""
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
    return list(
        Snooze.objects.filter(survivor=survivor, ended_early_at__isnull=True, ends_at__gt=timezone.now())
        .select_related("rule__current", "symptom", "created_by")
        .order_by("ends_at")
    )


# ------------------------------------------------------------------ dashboard
# (the audit trail's reads: followup/audit_trail.py)


def dashboard(*, user: User, periods=(30, 90), now: dt.datetime | None = None) -> dict[int, dict]:
    """The clinic's figures for each period (days): six queries for all
    periods together, whatever the number of flags or plans."""
    now = now or timezone.now()
    clinics = list(scope.clinics_of(user))
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
    rules = {rule.id: rule for rule in rule_choices()}
    # 5. Her follow-up plans (issue 15): two more queries. plan_reads uses
    # this module's clinic_survivors, so it is imported here, not above.
    from .plan_reads import plan_figures

    plans = plan_figures(user=user, since=since, now=now)
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
            **plans[days],
        }
    return figures
