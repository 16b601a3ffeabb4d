"""The clinic admin's accounts page: the people of her own clinics (their
survivors, nurses and clinic admins), never anyone else's, and never
health data. 404 alike for "missing", "not yours" and "not yours to change"."""

from django.db.models import Q, QuerySet
from django.http import Http404

from .. import scope
from ..models import User

SEARCH_MAX_LENGTH = 100


def _admin_clinic_ids(user: User) -> list[int]:
    if not user.is_authenticated or not user.is_clinic_admin:
        raise Http404
    return scope.clinic_ids_of(user)


def accounts_for_admin(*, user: User, query: str = "") -> QuerySet[User]:
    """Her clinics' survivors and staff by name, each with `shared_clinics`
    (the clinics of hers they belong to) and `elsewhere` (staff who also work
    for a clinic that is not hers: their account is not hers alone to change)."""
    clinic_ids = _admin_clinic_ids(user)
    rows = (
        User.objects.filter(scope.people_in(clinic_ids))
        .annotate(elsewhere=scope.works_outside(clinic_ids))
        .select_related("clinic")
        .prefetch_related(scope.clinics_among(clinic_ids, to_attr="shared_clinics"))
        .only(
            "pk", "full_name", "email", "role", "is_active", "is_superuser", "last_login", "clinic_id", "clinic__name"
        )
    )
    query = query.strip()[:SEARCH_MAX_LENGTH]
    if query:
        rows = rows.filter(Q(full_name__icontains=query) | Q(email__iexact=query))
    return rows.order_by("full_name", "pk")


def may_change(*, user: User, account: User) -> bool:
    """Not herself (she would lock herself out), not a superuser, and not
    staff who also work for another clinic."""
    return account.pk != user.pk and not account.is_superuser and not getattr(account, "elsewhere", True)


def account_get_for_admin(*, user: User, account_id: int) -> User:
    """An account of her clinics that she may deactivate or re-activate."""
    account = accounts_for_admin(user=user).filter(pk=account_id).first()
    if account is None or not may_change(user=user, account=account):
        raise Http404
    return account
