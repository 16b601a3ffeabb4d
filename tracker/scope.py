"""Who sees which survivors and clinics, written once for both apps.

- A survivor sees herself.
- A nurse works for one or more clinics (User.staff_clinics) and reads the
  health data of their survivors.
- A clinic admin works for her clinics too: she manages their people's
  accounts (survivors and staff) and rules, and never reads symptoms.
- A superuser is whatever her role says here; is_superuser opens the
  Django admin, not survivors.
- Anyone else (signed out, no role) sees no one.

A survivor belongs to one clinic (User.clinic); staff belong to theirs
through User.staff_clinics, read only here (tests/tracker/test_scope.py
fails on a use anywhere else). Selectors take their rows from these
functions and add the checks of their page (which role may open it, 404
alike for "missing" and "not yours"). Hand-written SQL takes a staff
member's clinics from STAFF_CLINIC_IDS_SQL.

A nurse's queue and flag pages read the flags of her clinics' survivors by
clinic (clinics_of, STAFF_CLINIC_IDS_SQL), a deactivated survivor's too:
her open flags still need closing. Her health data (survivors_of) is read
only while her account is active.
"""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from .models import Clinic, User

STAFF_ROLES = (User.Role.NURSE, User.Role.CLINIC_ADMIN)

# The table behind User.staff_clinics (staff member, clinic): its names come
# from the model, so a renamed field or table changes the SQL with it.
_StaffClinic = User.staff_clinics.through
_STAFF_CLINIC_COLUMNS = {
    "table": _StaffClinic._meta.db_table,
    "clinic": _StaffClinic._meta.get_field("clinic").column,
    "user": _StaffClinic._meta.get_field("user").column,
}

# The clinic ids of the staff member %(nurse)s, for hand-written statements
# (the queue's and the flag page's): a subquery, so her clinics cost no
# round trip of their own. They use it as ANY(ARRAY(...)), which the planner
# evaluates first (followup/triage/queue.py says why).
STAFF_CLINIC_IDS_SQL = "SELECT {clinic} FROM {table} WHERE {user} = %(nurse)s".format(**_STAFF_CLINIC_COLUMNS)  # noqa: S608 (names from the model)


def clinics_of(user: User) -> QuerySet[Clinic]:
    """The clinics a nurse or clinic admin works for; none for anyone else."""
    if not user.is_authenticated:
        return Clinic.objects.none()
    if not user.is_clinic_staff:
        return Clinic.objects.none()
    return user.staff_clinics.all()


def clinic_ids_of(user: User) -> list[int]:
    """clinics_of as a list of ids (one query), for pages that use them
    more than once or as constants the planner can count."""
    return list(clinics_of(user).values_list("pk", flat=True))


def works_for(user: User, clinic: Clinic) -> bool:
    """Whether a nurse or clinic admin works for this clinic."""
    return clinics_of(user).filter(pk=clinic.pk).exists()


def survivors_in(clinics) -> Q:
    """Survivors of these clinics (Clinic rows, ids or a query of either),
    active or not: the accounts their staff manage."""
    return Q(role=User.Role.SURVIVOR, clinic__in=clinics)


def works_in(clinics, *, user: OuterRef | None = None) -> Exists:
    """Whether a person (an outer query's row unless `user` names an id or a
    column) works for any of these clinics."""
    person = OuterRef("pk") if user is None else user
    return Exists(_StaffClinic.objects.filter(user_id=person, clinic__in=clinics))


def works_outside(clinics, *, user: OuterRef | None = None) -> Exists:
    """Whether a person works for a clinic not among these: her account is
    not theirs alone to change (tracker/selectors/accounts.py)."""
    person = OuterRef("pk") if user is None else user
    theirs = _StaffClinic.objects.filter(user_id=person)
    return Exists(theirs.exclude(clinic__in=clinics))


def clinics_among(clinics, *, to_attr: str) -> Prefetch:
    """Prefetch each staff member's clinics that are among these, as a list
    in `to_attr` (the accounts page shows which of hers they work for)."""
    return Prefetch("staff_clinics", queryset=Clinic.objects.filter(pk__in=clinics), to_attr=to_attr)


def staff_in(clinics) -> Q:
    """Nurses and clinic admins who work for any of these clinics."""
    return Q(role__in=STAFF_ROLES) & Q(works_in(clinics))


def people_in(clinics) -> Q:
    """The people of these clinics: their survivors and their staff."""
    return survivors_in(clinics) | staff_in(clinics)


def people_of(user: User) -> Q:
    """The accounts a nurse or clinic admin may know exist: her clinics'
    survivors and the staff she works beside; no one for anyone else."""
    return people_in(clinics_of(user))


def nurses_of(clinic_id: int) -> QuerySet[User]:
    """The active nurses of a clinic: those who read its survivors' data
    (and are told when a flag of theirs goes unopened)."""
    return User.objects.filter(role=User.Role.NURSE, is_active=True, staff_clinics=clinic_id)


def survivors_of(user: User) -> QuerySet[User]:
    """The active survivors whose health data this person may read."""
    survivors = User.objects.filter(role=User.Role.SURVIVOR, is_active=True)
    if not user.is_authenticated:
        return survivors.none()
    if user.is_survivor:
        return survivors.filter(pk=user.pk)
    if user.is_nurse:
        return survivors.filter(clinic__in=clinics_of(user))
    # A clinic admin manages accounts and rules; she never reads symptoms.
    return survivors.none()
