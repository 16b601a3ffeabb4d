"""The CapabilityStatement: what the server reads and searches, and how a
system gets in (SMART Backend Services: a token from the token endpoint)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import codes
from .common import resource

# What the endpoint speaks: R4 (4.0.1), as its path says and R4 clients check.
# The resources are built and tested with fhir.resources' R4B models (4.3, the
# R4 technical correction: the only FHIR package on pydantic 2, which spaCy
# shares); nothing these builders write is new in R4B.
FHIR_VERSION = "4.0.1"
# When what the statement says last changed: move it with the statement.
PUBLISHED = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
# Search parameter name -> its FHIR type; a name not listed is a token.
PARAM_TYPES = {
    "patient": "reference",
    "subject": "reference",
    "_id": "token",
    "_lastUpdated": "date",
    "_count": "number",
    "status": "token",
    "code": "token",
    "category": "token",
    "date": "date",
}
PARAM_DOCS = {
    "patient": "Her resources: Patient/<id>, or <id>",
    "_lastUpdated": "ge<instant> and/or le<instant>",
    "_count": "Page size (paging by Bundle.link)",
}
# Profiles a type's resources claim (the rest are base R4B).
SUPPORTED_PROFILES = {
    "Questionnaire": [codes.SDC_QUESTIONNAIRE],
    "Observation": [codes.BODY_WEIGHT_PROFILE],
}


def capability_statement(
    base_url: str,
    searchable: dict[str, list[str]],
    *,
    token_url: str | None = None,
    date: dt.datetime = PUBLISHED,
) -> dict[str, Any]:
    """`searchable`: resource type -> its search parameters (an empty list:
    read only). `token_url`: the SMART token endpoint (default:
    <base_url>/auth/token)."""
    base_url = base_url.rstrip("/")
    resources = []
    for resource_type in sorted(searchable):
        params = searchable[resource_type]
        entry: dict[str, Any] = {
            "type": resource_type,
            "interaction": [{"code": "read"}, *([{"code": "search-type"}] if params else [])],
        }
        if params:
            entry["searchParam"] = [_param(name) for name in params]
        if resource_type in SUPPORTED_PROFILES:
            entry["supportedProfile"] = SUPPORTED_PROFILES[resource_type]
        resources.append(entry)
    security = {
        "extension": [
            {
                "url": codes.OAUTH_URIS,
                "extension": [{"url": "token", "valueUri": token_url or f"{base_url}/auth/token"}],
            }
        ],
        "service": [
            {
                "coding": [{"system": codes.RESTFUL_SECURITY, "code": "SMART-on-FHIR", "display": "SMART-on-FHIR"}],
                "text": "SMART Backend Services: OAuth 2 client credentials with a signed JWT assertion",
            }
        ],
        "description": "A system registered by a clinic reads its survivors, with system/<Type>.read scopes.",
    }
    return resource(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": date,
            "publisher": "Follow-up",
            "kind": "instance",
            "software": {"name": "Follow-up"},
            "implementation": {"description": "Follow-up FHIR interface", "url": base_url},
            "fhirVersion": FHIR_VERSION,
            "format": ["json"],
            "rest": [{"mode": "server", "security": security, "resource": resources}],
        }
    )


def _param(name: str) -> dict[str, str]:
    param = {"name": name, "type": PARAM_TYPES.get(name, "token")}
    if name in PARAM_DOCS:
        param["documentation"] = PARAM_DOCS[name]
    return param
