"""The SMART scopes a backend client may hold and ask for, written once:
the registration form offers them, the token endpoint grants them, and
the API checks each read against them (fhirapi/auth.py: scope_allows).

Only reads, only `system/` (a system acting for itself, not for a user or a
patient). A client is registered with SMART v1 names (`system/Flag.read`,
`system/*.read`); a request may use them or their SMART v2 form
(`system/Flag.rs`: read and search), which grants the same."""

import re

# The resource types the interface serves (fhirapi/resources/).
RESOURCE_TYPES = (
    "Patient",
    "Practitioner",
    "Organization",
    "Questionnaire",
    "QuestionnaireResponse",
    "Observation",
    "Flag",
    "DetectedIssue",
    "Task",
    "Communication",
    "CarePlan",
    "ServiceRequest",
)
ALL_TYPES = "*"
# What a clinic admin may allow a client: one scope per type, or all of them.
REGISTRABLE_SCOPES = (*(f"system/{kind}.read" for kind in RESOURCE_TYPES), "system/*.read")

_SCOPE = re.compile(r"system/(?P<kind>\*|[A-Za-z]{1,40})\.(?P<access>read|rs)")


def scope_type(scope: str) -> str | None:
    """The resource type a read scope names ("*" for all), or None for a
    scope that is not one of ours (another context, a write, an unknown type)."""
    match = _SCOPE.fullmatch(scope)
    if match is None:
        return None
    kind = match.group("kind")
    if kind != ALL_TYPES and kind not in RESOURCE_TYPES:
        return None
    return kind


def scopes_allow(scopes: list[str], resource_type: str) -> bool:
    """Whether these scopes let a client read this resource type."""
    if resource_type not in RESOURCE_TYPES:
        return False
    return any(scope_type(scope) in (ALL_TYPES, resource_type) for scope in scopes)
