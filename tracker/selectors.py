"""Every read that depends on who asks. Each answers 404 alike for "missing"
and "not yours", so an outsider learns nothing from the status code.

Who may see a survivor's health data:
- the survivor herself;
- a nurse who works for the survivor's clinic.
Clinic admins manage accounts and rules; they do not read symptoms.
"""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from .models import CheckIn, Clinic, Invitation, SymptomEntry, User, WeightEntry


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
        .prefetch_related(Prefetch("entries", queryset=_entries()))
        .first()
    )
    if checkin is None:
        raise Http404("No such check-in.")
    return checkin


def _entries() -> QuerySet[SymptomEntry]:
    return SymptomEntry.objects.select_related("symptom", "body_site").order_by("id")


def checkin_list_recent(*, survivor: User, limit: int = 10) -> list[CheckIn]:
    """The survivor's latest check-ins with their entries. Callers have
    already checked access through survivor_get_for_user or the session."""
    return list(
        CheckIn.objects.filter(survivor=survivor)
        .prefetch_related(Prefetch("entries", queryset=_entries()))
        .order_by("-created_at")[:limit]
    )


def symptom_timeline(*, survivor: User, since) -> list[SymptomEntry]:
    return list(_entries().filter(survivor=survivor, created_at__gte=since).order_by("created_at"))


def weight_list(*, survivor: User, since) -> list[WeightEntry]:
    return list(WeightEntry.objects.filter(survivor=survivor, recorded_at__gte=since).order_by("recorded_at"))


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


def invitation_list_pending(*, user: User) -> QuerySet[Invitation]:
    return Invitation.objects.filter(clinic__in=staff_clinics(user=user), accepted_at__isnull=True).select_related(
        "clinic", "invited_by"
    )
