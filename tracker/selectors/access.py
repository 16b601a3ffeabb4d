"""Who may read which survivor, check-in and entry, and whom a staff member
may know exist. Each get answers 404 alike for "missing" and "not yours", so
an outsider learns nothing from the status code.

Who may see a survivor's health data:
- the survivor herself;
- a nurse who works for the survivor's clinic.
Clinic admins manage accounts and rules; they do not read symptoms.

Her history and charts are in history.py, her flags in flags.py, her
record's export in export.py, the admin's rule pages in rules.py and the
admin's accounts page in accounts.py.
"""

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from ..models import CheckIn, Clinic, Invitation, SymptomEntry, User, WeightEntry


def survivors_visible_to(*, user: User) -> QuerySet[User]:
    """The survivors whose health data this user may read."""
    survivors = User.objects.filter(role=User.Role.SURVIVOR, is_active=True)
    if not user.is_authenticated:
        return survivors.none()
    if user.is_survivor:
        return survivors.filter(pk=user.pk)
    if user.is_nurse:
        return survivors.filter(clinic__in=user.staff_clinics.all())
    return survivors.none()


def survivor_get_for_user(*, user: User, survivor_id: int) -> User:
    survivor = survivors_visible_to(user=user).select_related("clinic").filter(pk=survivor_id).first()
    if survivor is None:
        raise Http404("No such survivor.")
    return survivor


def checkin_get_for_user(*, user: User, checkin_id: int) -> CheckIn:
    checkin = (
        CheckIn.objects.filter(survivor__in=survivors_visible_to(user=user), pk=checkin_id)
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


def staff_clinics(*, user: User) -> QuerySet[Clinic]:
    if not user.is_authenticated or not user.is_clinic_staff:
        return Clinic.objects.none()
    return user.staff_clinics.all()


def clinic_survivor_list(*, user: User) -> QuerySet[User]:
    """Names and enrolment of survivors in the staff member's clinics: the
    account list that nurses and clinic admins both manage."""
    return (
        User.objects.filter(role=User.Role.SURVIVOR, clinic__in=staff_clinics(user=user))
        .select_related("clinic")
        .order_by("full_name")
    )


def people_visible_to_staff(user: User) -> Q:
    """The accounts a staff member may know exist: survivors of her clinics
    (her list above) and the staff she works beside."""
    clinics = staff_clinics(user=user)
    return Q(role=User.Role.SURVIVOR, clinic__in=clinics) | Q(pk__in=User.objects.filter(staff_clinics__in=clinics))


def invitation_list_pending(*, user: User) -> QuerySet[Invitation]:
    return Invitation.objects.filter(clinic__in=staff_clinics(user=user), accepted_at__isnull=True).select_related(
        "clinic", "invited_by"
    )
