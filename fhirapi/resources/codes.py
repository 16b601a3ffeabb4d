"""The code systems the FHIR resources speak: ours, as canonical URIs under
one setting (FHIR_CANONICAL_BASE), and the standard ones we map to.

Our codes are the app's own stable codes (the symptom catalog's, body
sites', rule slugs, ...): never renamed (tracker/catalog.py says so), so a
chart that stored them keeps them. SNOMED CT codes are given beside ours only
where the concept is certain; a catalog code without one goes out with ours
alone, which FHIR allows (a CodeableConcept may carry any system)."""

from __future__ import annotations

from django.conf import settings

# Our systems, as paths under FHIR_CANONICAL_BASE.
SYMPTOM = "CodeSystem/symptom"
BODY_SITE = "CodeSystem/body-site"
RULE = "CodeSystem/rule"
SYMPTOM_ATTRIBUTE = "CodeSystem/symptom-attribute"  # severity, new, worse, started
FLAG_OUTCOME = "CodeSystem/flag-outcome"
TASK_OUTPUT = "CodeSystem/task-output"
TIER = "CodeSystem/tier"
MESSAGE_KIND = "CodeSystem/message-kind"
CONTACT_RESULT = "CodeSystem/contact-result"
ENDOCRINE_ANSWER = "CodeSystem/endocrine-answer"
PLAN_ITEM_KIND = "CodeSystem/plan-item-kind"
PLAN_ITEM_STATE = "CodeSystem/plan-item-state"
# Identifier systems (not code systems): our own ids for people and clinics.
SURVIVOR_ID = "CodeSystem/survivor"
PRACTITIONER_ID = "CodeSystem/practitioner"
CLINIC_ID = "CodeSystem/clinic"
# An extension of ours: a plan item's own state (ServiceRequest.status is coarser).
PLAN_ITEM_STATE_EXTENSION = "StructureDefinition/plan-item-state"
# An extension of ours: a call's result, coded (Communication has no element for it).
CONTACT_RESULT_EXTENSION = "StructureDefinition/contact-result"
QUESTIONNAIRE = "Questionnaire/checkin"

# Standard systems.
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
BCP47 = "urn:ietf:bcp:47"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
PARTICIPATION_MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
RESTFUL_SECURITY = "http://terminology.hl7.org/CodeSystem/restful-security-service"
SDC_QUESTIONNAIRE = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire"
BODY_WEIGHT_PROFILE = "http://hl7.org/fhir/StructureDefinition/bodyweight"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"

BODY_WEIGHT_LOINC = ("29463-7", "Body weight")

# Catalog symptom code -> (SNOMED CT concept id, display). Only certain
# concepts; left out on purpose: numbness, trouble_walking,
# bladder_bowel_control, thirst (no single concept says what she means)
# and other (free text).
SYMPTOM_SNOMED: dict[str, tuple[str, str]] = {
    "pain": ("22253000", "Pain"),
    "headache": ("25064002", "Headache"),
    "fracture": ("125605004", "Fracture of bone"),
    "weakness": ("26544005", "Muscle weakness"),
    "seizure": ("91175000", "Seizure"),
    "dizziness": ("404640003", "Dizziness"),
    "nausea": ("422587007", "Nausea"),
    "vomiting": ("422400008", "Vomiting"),
    "jaundice": ("18165001", "Jaundice"),
    "cough": ("49727002", "Cough"),
    "shortness_of_breath": ("267036007", "Dyspnea"),
    "fatigue": ("84229001", "Fatigue"),
    "appetite_loss": ("79890006", "Loss of appetite"),
    "confusion": ("286933003", "Confusional state"),
}

# Body site code -> SNOMED CT body structure. Left out: upper_back,
# lower_back, hip, pelvis, ribs (the catalog's words span several
# structures) and other.
BODY_SITE_SNOMED: dict[str, tuple[str, str]] = {
    "head": ("69536005", "Head structure"),
    "neck": ("45048000", "Neck structure"),
    "chest": ("51185008", "Thoracic structure"),
    "abdomen": ("113345001", "Abdominal structure"),
    "shoulder": ("16982005", "Shoulder region structure"),
    "arm": ("53120007", "Upper limb structure"),
    "hand": ("85562004", "Hand structure"),
    "leg": ("61685007", "Lower limb structure"),
    "knee": ("72696002", "Knee region structure"),
    "foot": ("56459004", "Foot structure"),
}

# Plan item kind -> SNOMED CT procedure; imaging, blood tests and others go
# out with our code and their words only.
PLAN_ITEM_SNOMED: dict[str, tuple[str, str]] = {
    "visit": ("185389009", "Follow-up visit"),
    "mammogram": ("71651007", "Mammography"),
}

# Tier -> DetectedIssue.severity (high | moderate | low).
TIER_SEVERITY = {"emergency": "high", "urgent": "moderate", "routine": "low"}
# Tier -> Task.priority (routine | urgent | asap | stat).
TIER_PRIORITY = {"emergency": "stat", "urgent": "urgent", "routine": "routine"}


def canonical(path: str) -> str:
    """One of our canonical URIs: FHIR_CANONICAL_BASE + "/" + path. Read at
    call time, so a changed setting (tests, a deployment) is followed."""
    return f"{settings.FHIR_CANONICAL_BASE.rstrip('/')}/{path}"


def coding(path: str, code: str, display: str | None = None) -> dict:
    """A Coding in one of our systems."""
    return _coding(canonical(path), code, display)


def _coding(system: str, code: str, display: str | None) -> dict:
    return {"system": system, "code": code, **({"display": display} if display else {})}


def symptom_concept(code: str, label: str) -> dict:
    """A symptom as a CodeableConcept: our code, SNOMED CT where mapped."""
    codings = [coding(SYMPTOM, code, label)]
    if code in SYMPTOM_SNOMED:
        codings.append(_coding(SNOMED, *SYMPTOM_SNOMED[code]))
    return {"coding": codings, "text": label}


def body_site_concept(code: str, label: str) -> dict:
    codings = [coding(BODY_SITE, code, label)]
    if code in BODY_SITE_SNOMED:
        codings.append(_coding(SNOMED, *BODY_SITE_SNOMED[code]))
    return {"coding": codings, "text": label}


def plan_item_concept(kind: str, words: str) -> dict:
    codings = [coding(PLAN_ITEM_KIND, kind)]
    if kind in PLAN_ITEM_SNOMED:
        codings.append(_coding(SNOMED, *PLAN_ITEM_SNOMED[kind]))
    return {"coding": codings, "text": words}


def body_weight_concept() -> dict:
    code, display = BODY_WEIGHT_LOINC
    return {"coding": [_coding(LOINC, code, display)], "text": display}


def observation_category(code: str, display: str) -> dict:
    return {"coding": [_coding(OBSERVATION_CATEGORY, code, display)]}


def participation_mode(code: str, display: str) -> dict:
    return {"coding": [_coding(PARTICIPATION_MODE, code, display)]}
