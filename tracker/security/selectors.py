"""Security events a clinic admin may see: those about accounts of her own
clinics (their survivors, and staff who work for any of them)."""

import datetime as dt

from django.db.models import QuerySet
from django.http import Http404

from tracker import scope
from tracker.models import AuditEvent, User

from .events import ACTIONS


def security_events_for_admin(
    *, user: User, action: str = "", day_from: dt.date | None = None, day_to: dt.date | None = None
) -> QuerySet[AuditEvent]:
    if not user.is_authenticated or not user.is_clinic_admin:
        raise Http404
    accounts = User.objects.filter(scope.people_of(user)).values("pk")
    rows = AuditEvent.objects.filter(action__in=[action] if action else ACTIONS, actor__in=accounts)
    if day_from:
        rows = rows.filter(at__date__gte=day_from)
    if day_to:
        rows = rows.filter(at__date__lte=day_to)
    return rows.select_related("actor").order_by("-at", "-id")
