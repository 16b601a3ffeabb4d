"""/metrics for operators: the health figures (followup/health.py) in the
Prometheus text format, behind a bearer token.

The values are read from PostgreSQL at each scrape by a custom Collector,
not counted in process memory: gunicorn and Celery run many processes, and a
scrape reaches one of them, so in-process counters would each tell part of
the story (prometheus-client's multiprocess mode only merges what this
process's siblings counted, and a worker that fails silently counts nothing).
For the same reason the registry is our own: the default one adds this one
process's CPU, memory and GC figures, which differ from scrape to scrape."""

import math
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from . import health


class DeliveryCollector:
    """Reads every figure at scrape time. When the database does not answer,
    says so (followup_database_up 0) instead of failing the scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        try:
            oldest = health.oldest_due_unsent_seconds(now=now)
            beat = health.last_sweep()
            due = health.messages_due_by_state(now=now)
            attempts = {name: health.attempts_by_outcome(since=now - span) for name, span in health.WINDOWS.items()}
            overdue = health.flags_past_review(now=now)
        except DatabaseError:
            yield GaugeMetricFamily("followup_database_up", "1 if the database answered this scrape, else 0.", 0)
            return
        yield GaugeMetricFamily("followup_database_up", "1 if the database answered this scrape, else 0.", 1)
        yield GaugeMetricFamily(
            "followup_oldest_due_unsent_seconds",
            "How long the longest-waiting due message has gone unsent (pending, queued or sending); 0 if none.",
            oldest,
        )
        # +Inf when no sweep ever completed, so a "lag > N" alert fires.
        lag = math.inf if beat is None else max(0.0, (now - beat).total_seconds())
        yield GaugeMetricFamily(
            "followup_sweep_lag_seconds", "Seconds since the start of the last sweep that completed.", lag
        )
        by_state = GaugeMetricFamily(
            "followup_messages_due_unsent", "Due messages not yet sent, by state.", labels=["state"]
        )
        for state, count in due.items():
            by_state.add_metric([state], count)
        yield by_state
        for window, counts in attempts.items():
            family = GaugeMetricFamily(
                f"followup_delivery_attempts_{window}",
                f"Delivery attempts in the {window.replace('_', ' ')}, by channel and outcome.",
                labels=["channel", "outcome"],
            )
            for (channel, outcome), count in counts.items():
                family.add_metric([channel, outcome], count)
            yield family
        flags = GaugeMetricFamily(
            "followup_flags_past_review", "Open flags past their review deadline, by tier.", labels=["tier"]
        )
        for tier, count in overdue.items():
            flags.add_metric([tier], count)
        yield flags


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(DeliveryCollector())


def _authorized(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # Constant time, so the answer's timing does not tell how much of a guess was right.
    return scheme.lower() == "bearer" and constant_time_compare(given.strip(), token)


@login_not_required  # a bearer token, not a session: Prometheus has no login
@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """404 unless METRICS_TOKEN is set (nothing to find); 401 without it."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    if not _authorized(request, token):
        response = HttpResponse("A bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
