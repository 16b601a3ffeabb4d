"""The audit trail a clinic admin reads: scoped to her own clinics, rows and
names alike (issue 13, section 4). A nurse who works for two clinics reads
survivors of both; the admin of one sees what she did with that clinic's
survivors, and no name, row or count from the other.

Which rows:
1. reads of, and actions on, one survivor of her clinics;
2. pages that listed many survivors (the queue, the call lists), when they
   listed at least one of hers; only those are named;
3. her clinics' staff's actions about no survivor (rules, cadence,
   invitations), but not an invitation or a cadence of another clinic.
"""

import functools
import operator

from django.db import connection
from django.db.models import BooleanField, CharField, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from tracker import scope
from tracker.models import AuditEvent, Invitation, User

from .admin_actions import admin_clinics
from .models import Cadence

AUDIT_LISTED_MATCHES = 200  # survivors a name search looks for in pages that listed many


def audit_for_admin(*, user: User, survivor: str = "", staff: str = "", day_from=None, day_to=None) -> QuerySet:
    clinic_ids = list(admin_clinics(user=user).values_list("pk", flat=True))
    ours = User.objects.filter(clinic_id__in=clinic_ids)
    by_our_staff = scope.works_in(clinic_ids, user=OuterRef("actor_id"))
    about_no_survivor = Q(survivor__isnull=True, survivors__isnull=True) & ~_another_clinics_object(clinic_ids)
    rows = (
        AuditEvent.objects.filter(
            Q(survivor__in=ours)
            | (Q(survivors__isnull=False) & by_our_staff & _lists_any_of_clinics(clinic_ids))
            # A system's searches through the FHIR interface (no person acts):
            # the pages that listed her clinics' survivors.
            | (Q(via__startswith="fhir:", survivors__isnull=False) & _lists_any_of_clinics(clinic_ids))
            | (about_no_survivor & by_our_staff)
        )
        .exclude(
            # Failed sign-ins, lockouts and refusals are not something she did with
            # survivor data: they have their own page (/admin-pages/security/).
            action__startswith="security."
        )
        .select_related("actor", "survivor")
    )
    if survivor:
        named = ours.filter(Q(full_name__icontains=survivor) | Q(email__iexact=survivor))
        listed = list(named.values_list("pk", flat=True)[:AUDIT_LISTED_MATCHES])
        rows = rows.filter(Q(survivor__in=named) | _listing_any(listed))
    if staff:
        rows = rows.filter(Q(actor__full_name__icontains=staff) | Q(actor__email__iexact=staff))
    if day_from:
        rows = rows.filter(at__date__gte=day_from)
    if day_to:
        rows = rows.filter(at__date__lte=day_to)
    return rows.order_by("-at", "-id")


def _another_clinics_object(clinic_ids: list[int]) -> Q:
    """Rows whose object belongs to a clinic: an invitation or a cadence
    not of these clinics."""
    ours = {
        "invitation": Invitation.objects.filter(clinic_id__in=clinic_ids),
        "cadence": Cadence.objects.filter(clinic_id__in=clinic_ids),
    }
    return functools.reduce(
        operator.or_,
        (
            Q(object_type=kind) & ~Q(object_id__in=rows.annotate(key=Cast("pk", CharField())).values("key"))
            for kind, rows in ours.items()
        ),
    )


def _lists_any_of_clinics(clinic_ids: list[int]) -> Q:
    """Rows of pages that listed at least one survivor of these clinics,
    checked row by row (only the rows of her staff's listing pages)."""
    if not clinic_ids:
        return Q(pk__in=[])
    marks = ", ".join(["%s"] * len(clinic_ids))
    if connection.vendor == "postgresql":
        each = "jsonb_array_elements_text(tracker_auditevent.survivors) AS listed(id)"
        join = "u.id = listed.id::bigint"
    else:
        each = "json_each(tracker_auditevent.survivors) AS listed"
        join = "u.id = listed.value"
    sql = f"EXISTS (SELECT 1 FROM {each} JOIN tracker_user u ON {join} WHERE u.clinic_id IN ({marks}))"  # noqa: S608 (placeholders only)
    return Q(RawSQL(sql, clinic_ids, output_field=BooleanField()))  # noqa: S611 (the ids are parameters)


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


def audit_listed_names(events, *, user: User) -> None:
    """Sets `listed` on each row of a page that listed many survivors: the
    names, in order, of those in her clinics only (one query for the whole
    page). The others are neither named nor counted."""
    ids = {pk for event in events for pk in event.survivors or ()}
    clinics = admin_clinics(user=user)
    names = dict(User.objects.filter(pk__in=ids, clinic__in=clinics).values_list("pk", "full_name")) if ids else {}
    for event in events:
        event.listed = sorted(names[pk] for pk in event.survivors or () if pk in names)
