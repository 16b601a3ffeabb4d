"""People and clinics: the survivor as Patient, a nurse as Practitioner, a
clinic as Organization."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language_info

from tracker.models import Clinic, User

from . import codes, ids
from .common import latest, meta, resource

# patient(user) reads her clinic (its MRN system): User.objects.select_related(*PATIENT_SELECT).
PATIENT_SELECT = ("clinic",)
MRN_DISPLAY = "Medical record number"

# The app stores no "changed at" on a person or a clinic: their resources
# carry the row's creation, the best the database knows.


def patient(user: User) -> dict[str, Any]:
    identifiers = []
    clinic = user.clinic
    if user.mrn and clinic is not None and clinic.mrn_system:
        identifiers.append(
            {
                "use": "usual",
                "type": {"coding": [{"system": codes.IDENTIFIER_TYPE, "code": "MR", "display": MRN_DISPLAY}]},
                "system": clinic.mrn_system,
                "value": user.mrn,
            }
        )
    identifiers.append({"use": "secondary", "system": codes.canonical(codes.SURVIVOR_ID), "value": str(user.pk)})
    data = {
        "resourceType": "Patient",
        "id": ids.make("patient", user.pk),
        "meta": meta(latest(user.date_joined)),
        "identifier": identifiers,
        "active": user.is_active,
        "communication": [
            {
                "language": {
                    "coding": [{"system": codes.BCP47, "code": user.language, "display": _language(user.language)}]
                },
                "preferred": True,
            }
        ],
    }
    if user.full_name:  # never her email in its place
        data["name"] = [{"use": "official", "text": user.full_name}]
    if user.date_of_birth:
        data["birthDate"] = user.date_of_birth
    if user.clinic_id:
        data["managingOrganization"] = ids.ref("organization", user.clinic_id)
    return resource(data)


def practitioner(user: User) -> dict[str, Any]:
    """A nurse (or clinic admin) by name: her work email is hers to give,
    not ours, so it stays out."""
    data = {
        "resourceType": "Practitioner",
        "id": ids.make("practitioner", user.pk),
        "meta": meta(latest(user.date_joined)),
        "identifier": [{"system": codes.canonical(codes.PRACTITIONER_ID), "value": str(user.pk)}],
        "active": user.is_active,
    }
    if user.full_name:
        data["name"] = [{"text": user.full_name}]
    return resource(data)


def organization(clinic: Clinic) -> dict[str, Any]:
    data = {
        "resourceType": "Organization",
        "id": ids.make("organization", clinic.pk),
        "meta": meta(latest(clinic.created_at)),
        "identifier": [{"system": codes.canonical(codes.CLINIC_ID), "value": str(clinic.pk)}],
        "active": True,
        "name": clinic.name,
    }
    if clinic.care_team_phone:
        data["telecom"] = [{"system": "phone", "value": clinic.care_team_phone, "use": "work"}]
    return resource(data)


def _language(code: str) -> str:
    try:
        return str(get_language_info(code)["name"])  # English: "Spanish", not "Español"
    except KeyError:
        return code
