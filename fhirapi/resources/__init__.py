"""Pure builders from this app's rows to FHIR R4B resources (fhir.resources,
validated as they are made), one module per family:

    people.py          patient, practitioner, organization
    questionnaires.py  questionnaire (the SDC check-in form), questionnaire_response
    observations.py    observation_symptom, observation_weight
    flags.py           flag, detected_issue, task
    communications.py  communication_reminder, communication_call, communication_contact
    plans.py           care_plan, service_request
    capability.py      capability_statement
    ids.py             resource ids <-> (kind, pk)
    codes.py           our code systems (under FHIR_CANONICAL_BASE) and the SNOMED CT / LOINC maps

A builder runs no query when its caller loaded what it reads: each module
exports the select_related / prefetch_related it needs (*_SELECT,
*_PREFETCH). Who may read a row is the caller's to decide."""

from .capability import capability_statement
from .communications import (
    CONTACT_SELECT,
    MESSAGE_SELECT,
    communication_call,
    communication_contact,
    communication_reminder,
)
from .flags import FLAG_PREFETCH, FLAG_SELECT, TASK_SELECT, detected_issue, flag, task
from .observations import SYMPTOM_ENTRY_SELECT, WEIGHT_SELECT, observation_symptom, observation_weight
from .people import PATIENT_SELECT, organization, patient, practitioner
from .plans import PLAN_PREFETCH, PLAN_SELECT, SERVICE_REQUEST_SELECT, care_plan, service_request
from .questionnaires import CHECKIN_PREFETCH, questionnaire, questionnaire_response

__all__ = [
    "CHECKIN_PREFETCH",
    "CONTACT_SELECT",
    "FLAG_PREFETCH",
    "FLAG_SELECT",
    "MESSAGE_SELECT",
    "PATIENT_SELECT",
    "PLAN_PREFETCH",
    "PLAN_SELECT",
    "SERVICE_REQUEST_SELECT",
    "SYMPTOM_ENTRY_SELECT",
    "TASK_SELECT",
    "WEIGHT_SELECT",
    "capability_statement",
    "care_plan",
    "communication_call",
    "communication_contact",
    "communication_reminder",
    "detected_issue",
    "flag",
    "observation_symptom",
    "observation_weight",
    "organization",
    "patient",
    "practitioner",
    "questionnaire",
    "questionnaire_response",
    "service_request",
    "task",
]
