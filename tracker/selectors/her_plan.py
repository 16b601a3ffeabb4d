"""Her follow-up plan as her own pages show it (issue 15): what is next,
what is booked, what is overdue and what is done, and the "bring to your
visit" summary of what she reported since her last visit.

Hers alone: every read here is asked by the survivor about herself (the
views are survivor_required; plan_item_get_for_owner answers 404 for an
item that is not hers). A nurse's reads of her plan are staff reads,
audited, in tracker/selectors/plans.py.

Dates: an item's window is calendar dates in her time zone; "today" is
her today (tracker/plans/calendar.py local_date), never the server's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.http import Http404
from django.utils import timezone

from ..i18n import localized
from ..models import Plan, PlanItem, PlanTemplate, User
from ..plans import calendar
from ..plans.spec import Label, Template, Window
from ..timezones import her_zone
from .flags import flags_since_for_survivor
from .history import symptom_timeline, weight_list
from .plans import item_words, template_or_none

if TYPE_CHECKING:
    from .flags import HerFlag

# What her page lists: done and "not needed" items of the past year (a few),
# overdue ones however old (each still asks her to call), bounded.
RECENT_DAYS = 365
RECENT_DONE = 5
MAX_OVERDUE = 10
# With no visit done yet, the summary covers her last 90 days (her home page's span).
SUMMARY_DAYS = 90


@dataclass(frozen=True)
class HerItem:
    item: PlanItem
    label: Label
    # Past its window (and its booked day, if booked), not done: missed,
    # whether or not the sweep has marked it yet.
    overdue: bool
    # Its window is open: she can book it now.
    open_now: bool
    # Booked for a day that has passed (her care team marks it done).
    booking_passed: bool


@dataclass(frozen=True)
class TemplateWords:
    name: Label
    source: str
    source_note: Label


@dataclass(frozen=True)
class HerPlan:
    plan: Plan
    template: TemplateWords
    today: dt.date
    overdue: list[HerItem]
    booked: list[HerItem]
    upcoming: list[HerItem]
    done: list[HerItem]
    not_needed: list[HerItem]


def template_words(template: PlanTemplate, spec: Template | None) -> TemplateWords:
    """The template's name, source and source note: a shipped one's from the
    code (in her language, `spec`: template_or_none), a clinic's own from its row."""
    if spec is not None:
        return TemplateWords(name=spec.name, source=spec.source, source_note=spec.source_note)
    return TemplateWords(name=template.name, source=template.source, source_note=template.source_note)


def _her_item(item: PlanItem, template: Template | None, *, today: dt.date, tz: ZoneInfo) -> HerItem:
    window = Window(item.opens_on, item.due_by)
    is_open = item.state in PlanItem.OPEN_STATES
    overdue = item.state == PlanItem.State.MISSED or (
        is_open and calendar.is_missed(window, booked_at=item.booked_at, today=today, tz=tz)
    )
    passed = (
        item.state == PlanItem.State.BOOKED
        and item.booked_at is not None
        and calendar.local_date(item.booked_at, tz) < today
    )
    return HerItem(
        item=item,
        label=item_words(item, template),
        overdue=overdue,
        open_now=is_open and today in window,
        booking_passed=passed,
    )


def plan_for_survivor(*, survivor: User) -> HerPlan | None:
    """Her plan, its items sorted into what her page shows; None when her
    care team has not started one. One query for the plan and template,
    one for the items."""
    plan = Plan.objects.select_related("template").filter(survivor=survivor).first()
    if plan is None:
        return None
    tz = her_zone(survivor)
    today = calendar.local_date(timezone.now(), tz)
    spec = template_or_none(plan.template)
    items = [_her_item(item, spec, today=today, tz=tz) for item in plan.items.order_by("opens_on", "id")]
    recent = today - dt.timedelta(days=RECENT_DAYS)
    done = sorted(
        (h for h in items if h.item.state == PlanItem.State.DONE and h.item.done_on and h.item.done_on >= recent),
        key=lambda h: (h.item.done_on, h.item.pk),
        reverse=True,
    )
    overdue = [h for h in items if h.overdue]
    return HerPlan(
        plan=plan,
        template=template_words(plan.template, spec),
        today=today,
        overdue=overdue[:MAX_OVERDUE],
        booked=sorted(
            (h for h in items if h.item.state == PlanItem.State.BOOKED and not h.overdue),
            key=lambda h: (h.item.booked_at, h.item.pk),
        ),
        upcoming=[h for h in items if h.item.state == PlanItem.State.DUE and not h.overdue],
        done=done[:RECENT_DONE],
        not_needed=[h for h in items if h.item.state == PlanItem.State.NOT_NEEDED and h.item.due_by >= recent][
            :RECENT_DONE
        ],
    )


def plan_item_get_for_owner(*, user: User, item_id: int) -> PlanItem:
    """One item of her own plan: 404 for anyone else's, a nurse's reading
    included (her pages are hers; a nurse reads the plan on her own pages)."""
    if not user.is_authenticated or not user.is_survivor:
        raise Http404("No such item.")
    item = PlanItem.objects.select_related("plan__template").filter(pk=item_id, plan__survivor=user).first()
    if item is None:
        raise Http404("No such item.")
    return item


# ---------------------------------------------------------------- her visit


@dataclass(frozen=True)
class SymptomLine:
    """One symptom over the summary's span: how often, how bad at worst, when last."""

    label: str
    times: int
    worst: int
    last_at: dt.datetime


@dataclass(frozen=True)
class WeightTrend:
    first: Decimal
    first_at: dt.datetime
    last: Decimal
    last_at: dt.datetime
    change: Decimal
    count: int
    unit: str

    @property
    def size(self) -> Decimal:
        # "Down 1.8 kg": the words carry the direction.
        return abs(self.change)


@dataclass(frozen=True)
class VisitSummary:
    item: HerItem
    since: dt.date
    since_last_visit: bool
    symptoms: list[SymptomLine]
    flags: list[HerFlag]
    weights: WeightTrend | None


def visit_summary(*, survivor: User, item: PlanItem) -> VisitSummary:
    """What she brings to a visit: her symptoms, flags and weight since her
    last visit done (any item of her plan done), or her last 90 days when
    none is. `item` came from plan_item_get_for_owner (hers).

    Reuses her history's reads (history.py: what stands, entries marked
    entered in error left out; flags.py: as her pages show them)."""
    if item.plan.survivor_id != survivor.pk:
        raise Http404("No such item.")
    tz = her_zone(survivor)
    today = calendar.local_date(timezone.now(), tz)
    last_done = (
        PlanItem.objects.filter(plan__survivor=survivor, state=PlanItem.State.DONE, done_on__lte=today)
        .order_by("-done_on")
        .values_list("done_on", flat=True)
        .first()
    )
    since_day = last_done or today - dt.timedelta(days=SUMMARY_DAYS)
    since = calendar.at_local_hour(since_day, tz, 0)
    return VisitSummary(
        item=_her_item(item, template_or_none(item.plan.template), today=today, tz=tz),
        since=since_day,
        since_last_visit=last_done is not None,
        symptoms=_symptom_lines(symptom_timeline(survivor=survivor, since=since)),
        flags=[flag for flag in flags_since_for_survivor(survivor=survivor, since=since) if not flag.withdrawn],
        weights=_weight_trend(survivor, since),
    )


def _symptom_lines(entries: Iterable) -> list[SymptomLine]:
    # One line per symptom keeps the page to one printed sheet however often
    # she checked in; the most recent first.
    lines: dict[int, SymptomLine] = {}
    for entry in entries:
        seen = lines.get(entry.symptom_id)
        if seen is None:
            lines[entry.symptom_id] = SymptomLine(
                label=localized(entry.symptom, "label"), times=1, worst=entry.severity, last_at=entry.created_at
            )
        else:
            lines[entry.symptom_id] = SymptomLine(
                label=seen.label,
                times=seen.times + 1,
                worst=max(seen.worst, entry.severity),
                last_at=max(seen.last_at, entry.created_at),
            )
    return sorted(lines.values(), key=lambda line: line.last_at, reverse=True)


def _weight_trend(survivor: User, since: dt.datetime) -> WeightTrend | None:
    weights = weight_list(survivor=survivor, since=since)
    if not weights:
        return None
    first, last = weights[0], weights[-1]
    shown = survivor.weight_shown
    return WeightTrend(
        first=shown(first.kg),
        first_at=first.recorded_at,
        last=shown(last.kg),
        last_at=last.recorded_at,
        change=shown(last.kg) - shown(first.kg),
        count=len(weights),
        unit=survivor.weight_unit,
    )
