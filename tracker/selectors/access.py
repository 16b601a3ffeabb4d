"""Who may read which survivor, check-in and entry, and whom a staff member
may know exist. Each get answers 404 alike for "missing" and "not yours", so
an outsider learns nothing from the status code.

Who may see which survivor is tracker/scope.py's: the survivor herself, and
a nurse of her clinic; clinic admins manage accounts and rules and never
read symptoms.

Her history and charts are in history.py, her flags in flags.py, her
record's export in export.py, the admin's rule pages in rules.py and the
admin's accounts page in accounts.py.
"""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from .. import scope
from ..models import CheckIn, Invitation, SymptomEntry, User, WeightEntry


def survivor_get_for_user(*, user: User, survivor_id: int) -> User:
    survivor = scope.survivors_of(user).select_related("clinic").filter(pk=survivor_id).first()
    if survivor is None:
        raise Http404("No such survivor.")
    return survivor


def checkin_get_for_user(*, user: User, checkin_id: int) -> CheckIn:
    checkin = (
        CheckIn.objects.filter(survivor__in=scope.survivors_of(user), pk=checkin_id)
        .select_related("survivor__clinic")
        .prefetch_related(Prefetch("entries", queryset=symptom_entries()))
        .first()
    )
    if checkin is None:
        raise Http404("No such check-in.")
    return checkin


def symptom_entries() -> QuerySet[SymptomEntry]:
    """Symptom entries with their symptom and body site, in id order: every
    read of her entries starts here (history.py and export.py too)."""
    return SymptomEntry.objects.select_related("symptom", "body_site").order_by("id")


def entry_get_for_owner(*, user: User, entry_id: int) -> SymptomEntry:
    """One of her own symptom entries, for her to mark entered in error:
    404 for anyone else's, a nurse's included (a nurse never withdraws what
    a survivor reported)."""
    if not user.is_authenticated or not user.is_survivor:
        raise Http404("No such entry.")
    entry = symptom_entries().filter(pk=entry_id, survivor=user).select_related("checkin").first()
    if entry is None:
        raise Http404("No such entry.")
    return entry


def weight_get_for_owner(*, user: User, weight_id: int) -> WeightEntry:
    """One of her own weights, as entry_get_for_owner."""
    if not user.is_authenticated or not user.is_survivor:
        raise Http404("No such weight.")
    weight = WeightEntry.objects.filter(pk=weight_id, survivor=user).select_related("corrected_by").first()
    if weight is None:
        raise Http404("No such weight.")
    return weight


def clinic_survivor_list(*, user: User) -> QuerySet[User]:
    """Names and enrolment of survivors in the staff member's clinics: the
    account list that nurses and clinic admins both manage."""
    return (
        User.objects.filter(scope.survivors_in(scope.clinics_of(user))).select_related("clinic").order_by("full_name")
    )


def invitation_list_pending(*, user: User) -> QuerySet[Invitation]:
    return Invitation.objects.filter(clinic__in=scope.clinics_of(user), accepted_at__isnull=True).select_related(
        "clinic", "invited_by"
    )
