"""The clinic admin's FHIR clients page reads: her clinics' clients only,
404 alike for "missing" and "not yours"; and the survivor whose MRN her
clinic's staff fill, found by email among their survivors only."""

from django.db.models import QuerySet
from django.http import Http404

from tracker import scope
from tracker.models import Clinic, User

from .models import ApiClient


def admin_clinics_of(*, user: User) -> QuerySet[Clinic]:
    """The clinics whose clients she manages: a clinic admin's own."""
    if not user.is_authenticated or not user.is_clinic_admin:
        raise Http404
    return scope.clinics_of(user)


def api_clients_for_admin(*, user: User) -> QuerySet[ApiClient]:
    clinics = admin_clinics_of(user=user)
    return ApiClient.objects.filter(clinic__in=clinics).select_related("clinic").order_by("-is_active", "name", "pk")


def api_client_get_for_admin(*, user: User, client_pk: int) -> ApiClient:
    client = api_clients_for_admin(user=user).filter(pk=client_pk).first()
    if client is None:
        raise Http404
    return client


def survivor_for_staff_by_email(*, user: User, email: str) -> User | None:
    """A survivor of this nurse's or clinic admin's clinics with this email
    (active or not: her MRN may be filled before or after); None for anyone
    else, so the form says the same for "no one" and "not yours"."""
    if not user.is_authenticated or not user.is_clinic_staff:
        raise Http404
    email = email.strip()
    if not email:
        return None
    return (
        User.objects.filter(scope.survivors_in(scope.clinics_of(user)), email__iexact=email)
        .select_related("clinic")
        .first()
    )
