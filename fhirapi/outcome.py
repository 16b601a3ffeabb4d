"""Errors as FHIR answers them: an OperationOutcome with the HTTP status.
Views raise FhirError; the API's handler writes it (fhirapi/api.py)."""

from typing import Any

# FHIR's issue type per HTTP status we answer with.
_ISSUE_CODE = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 406: "not-supported", 429: "throttled"}


class FhirError(Exception):
    def __init__(self, status: int, diagnostics: str, *, code: str = "") -> None:
        super().__init__(diagnostics)
        self.status = status
        self.diagnostics = diagnostics
        self.code = code or _ISSUE_CODE.get(status, "processing")


def operation_outcome(error: FhirError) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": error.code, "diagnostics": error.diagnostics}],
    }
