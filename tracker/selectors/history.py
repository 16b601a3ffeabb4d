"""Her history as her pages and a nurse's show it: recent check-ins, the
symptom timeline, her weights, and the charts' data. No permission check
here: callers have found the survivor through access.survivor_get_for_user
or the session. Her flags are in flags.py; a nurse's full history page
reads in one statement (tracker/history_page.py).
"""

import datetime as dt

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone, translation

from ..i18n import localized
from ..models import CheckIn, Plan, SymptomEntry, User, WeightEntry
from .access import symptom_entries


def checkin_list_recent(*, survivor: User, limit: int = 10) -> list[CheckIn]:
    """The survivor's latest check-ins with their entries. Callers have
    already checked access through survivor_get_for_user or the session."""
    return list(
        CheckIn.objects.filter(survivor=survivor)
        .prefetch_related(Prefetch("entries", queryset=symptom_entries()))
        .order_by("-created_at")[:limit]
    )


def endocrine_asked(*, survivor: User) -> bool:
    """Whether her check-in asks about her hormone tablets: her plan says she
    takes them (Plan.takes_endocrine, the one statement of it). No plan, no
    start date, or an end date: not asked."""
    plan = Plan.objects.filter(survivor=survivor).only("id", "endocrine_start_on", "endocrine_end_on").first()
    return plan is not None and plan.takes_endocrine


# The charts and their lists show what stands: an entry or a weight she
# marked entered in error is left out (her check-ins list it, marked, and
# the weight page lists her weights with their corrections).
def symptom_timeline(*, survivor: User, since) -> list[SymptomEntry]:
    return list(
        symptom_entries()
        .filter(survivor=survivor, created_at__gte=since, entered_in_error_at__isnull=True)
        .order_by("created_at", "id")
    )


def weight_list(*, survivor: User, since) -> list[WeightEntry]:
    return list(
        WeightEntry.objects.filter(
            survivor=survivor, recorded_at__gte=since, entered_in_error_at__isnull=True
        ).order_by("recorded_at", "id")
    )


def weights_recent_for_owner(*, survivor: User, limit: int = 10) -> list[WeightEntry]:
    """Her latest weights, those she marked entered in error too (kept, and
    shown marked, with what corrected them), for her weight page."""
    return list(
        WeightEntry.objects.filter(survivor=survivor)
        .select_related("corrected_by")
        .order_by("-recorded_at", "-id")[:limit]
    )


def weight_last_standing(*, survivor: User) -> WeightEntry | None:
    """Her latest weight that stands, to judge a new one against."""
    return (
        WeightEntry.objects.filter(survivor=survivor, entered_in_error_at__isnull=True)
        .order_by("-recorded_at", "-id")
        .first()
    )


# The weight axis spans at least this much around her values, so that 0.2 kg
# of scale noise doesn't fill the chart from top to bottom like a real loss.
WEIGHT_AXIS_MIN_SPAN = {"kg": 5, "lb": 10}


def chart_data(*, survivor: User, days: int, tz, symptoms: list[dict], weights: list[dict]) -> dict:
    """The charts' data (static/js/history-charts.js) and their tables, from
    her points over `days`. Points carry their real time (aware datetimes:
    ISO 8601 in the page's JSON) for a true time axis; the zone and locale
    say how the axis shows them. Severity is the point's height (0 to 10),
    the symptom its series (colour, shape and the legend): never the size of
    a dot."""
    now = timezone.now()
    return {
        "since": now - dt.timedelta(days=days),
        "until": now,
        "time_zone": getattr(tz, "key", "UTC"),
        "locale": translation.get_language() or settings.LANGUAGE_CODE,
        "weight_unit": survivor.weight_unit,
        "weight_min_span": WEIGHT_AXIS_MIN_SPAN.get(survivor.weight_unit, 5),
        "weights": weights,
        "symptoms": symptoms,
    }


def chart_points(*, survivor: User, since) -> tuple[list[dict], list[dict]]:
    """Her symptom and weight points since `since` (what stands), for
    chart_data (two queries)."""
    shown = survivor.weight_shown
    symptoms = [
        {
            "x": e.created_at,
            "y": e.severity,
            "symptom": localized(e.symptom, "label"),
            "site": localized(e.body_site, "label") if e.body_site else "",
        }
        for e in symptom_timeline(survivor=survivor, since=since)
    ]
    weights = [{"x": w.recorded_at, "y": float(shown(w.kg))} for w in weight_list(survivor=survivor, since=since)]
    return symptoms, weights


def history_chart(*, survivor: User, days: int, tz) -> dict:
    """Her charts' data over `days`. Her own pages read the same points in
    one statement with the rest of the page (tracker/history_page.py)."""
    symptoms, weights = chart_points(survivor=survivor, since=timezone.now() - dt.timedelta(days=days))
    return chart_data(survivor=survivor, days=days, tz=tz, symptoms=symptoms, weights=weights)
