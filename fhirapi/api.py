"""The FHIR R4 endpoints (django-ninja) under /fhir/R4/:

- `GET metadata`: the CapabilityStatement, public;
- `GET {type}/{id}`: one resource;
- `GET {type}?patient=&_lastUpdated=&_count=`: a searchset Bundle, paged by
  Bundle.link "next" (fhirapi/search.py).

Every other request needs a SMART Backend Services access token
(fhirapi/auth.py) whose scopes cover the type; a client reads only its own
clinic's survivors (fhirapi/types.py scopes every queryset), and every read
is one audit row naming the client (AuditEvent.via). Answers are
application/fhir+json; errors are OperationOutcomes."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.renderers import BaseRenderer

from tracker.security.events import security_event_record
from tracker.services.audit import audit_record_system

from .auth import SmartBearer, scope_allows
from .outcome import FhirError, operation_outcome
from .resources import capability_statement, ids
from .resources.common import instant
from .search import parse_query, search
from .types import SEARCHABLE, TYPES, read_row

MEDIA_TYPE = "application/fhir+json"


class FhirRenderer(BaseRenderer):
    media_type = MEDIA_TYPE
    charset = "utf-8"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> str:
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


api = NinjaAPI(
    title="Follow-up FHIR R4",
    urls_namespace="fhir",
    renderer=FhirRenderer(),
    auth=SmartBearer(),
    docs_url=None,
    openapi_url=None,
)


@api.exception_handler(FhirError)
def _fhir_error(request: HttpRequest, error: FhirError) -> HttpResponse:
    client = getattr(request, "auth", None)
    if error.status in (403, 404) and client is not None:
        # A system refused a resource (another clinic's id, a scope it lacks):
        # a security event in the log, with the client, never the data.
        security_event_record(
            request=request,
            action="security.fhir_refused",
            account=None,
            detail=f"client={client.client_id} status={error.status}",
        )
    return api.create_response(request, operation_outcome(error), status=error.status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, error: Exception) -> HttpResponse:
    response = _fhir_error(request, FhirError(401, "A valid bearer access token is required (SMART Backend Services)."))
    response["WWW-Authenticate"] = 'Bearer realm="fhir"'
    return response


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir/R4").rstrip("/")


@api.get("/metadata", auth=None, url_name="fhir_metadata")
def metadata(request: HttpRequest) -> dict[str, Any]:
    return capability_statement(base_url(request), SEARCHABLE)


def _client_for(request: HttpRequest, resource_type: str) -> Any:
    if resource_type not in TYPES:
        raise FhirError(404, f"Unknown or unsupported resource type {resource_type[:60]!r}.", code="not-supported")
    client = request.auth  # type: ignore[attr-defined]  # set by SmartBearer
    if not scope_allows(client.granted_scopes, resource_type):
        raise FhirError(403, f"The access token's scopes do not include system/{resource_type}.read.")
    return client


def _via(client: Any) -> str:
    return f"fhir:{client.client_id}"


@api.get("/{resource_type}", url_name="fhir_search")
def search_type(request: HttpRequest, resource_type: str) -> dict[str, Any]:
    client = _client_for(request, resource_type)
    spec = TYPES[resource_type]
    query = parse_query(request.GET, patient_allowed=spec.patient_search)
    base = base_url(request)
    if spec.single is not None:  # the Questionnaire: one, the same for everyone
        resource = spec.single()
        audit_record_system(via=_via(client), action="fhir.search", object_type=resource_type)
        entry = {
            "fullUrl": f"{base}/{resource_type}/{resource['id']}",
            "resource": resource,
            "search": {"mode": "match"},
        }
        return _bundle(request, [entry], [])
    rows, next_cursor = search(spec.sources, client, query)
    entries = []
    survivors: set[int] = set()
    for source, row in rows:
        resource = source.build(row)
        resource["meta"] = {**resource.get("meta", {}), "lastUpdated": instant(row.fhir_updated)}  # type: ignore[attr-defined]
        entries.append(_entry(base, resource_type, resource))
        survivor = source.survivor_id(row)
        if survivor is not None:
            survivors.add(survivor)
    audit_record_system(via=_via(client), action="fhir.search", object_type=resource_type, survivor_ids=survivors)
    links = []
    if next_cursor:
        params = [(k, v) for k, values in request.GET.lists() if k != "_cursor" for v in values]
        query_string = urlencode([*params, ("_cursor", next_cursor)])
        links.append({"relation": "next", "url": f"{base}/{resource_type}?{query_string}"})
    return _bundle(request, entries, links)


def _entry(base: str, resource_type: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"{base}/{resource_type}/{resource['id']}", "resource": resource, "search": {"mode": "match"}}


def _bundle(request: HttpRequest, entries: list[dict[str, Any]], links: list[dict[str, str]]) -> dict[str, Any]:
    self_link = {"relation": "self", "url": request.build_absolute_uri()}
    return {"resourceType": "Bundle", "type": "searchset", "link": [self_link, *links], "entry": entries}


@api.get("/{resource_type}/{resource_id}", url_name="fhir_read")
def read(request: HttpRequest, resource_type: str, resource_id: str) -> dict[str, Any]:
    client = _client_for(request, resource_type)
    spec = TYPES[resource_type]
    if spec.single is not None:
        if resource_id != ids.QUESTIONNAIRE_ID:
            raise FhirError(404, f"{resource_type}/{resource_id[:40]} is not here.")
        audit_record_system(via=_via(client), action="fhir.read", object_type=resource_type, object_id=resource_id)
        return spec.single()
    source, row = read_row(spec, resource_type, client, resource_id)
    resource = source.build(row)
    resource["meta"] = {**resource.get("meta", {}), "lastUpdated": instant(row.fhir_updated)}
    survivor = source.survivor_id(row)
    audit_record_system(
        via=_via(client),
        action="fhir.read",
        object_type=resource_type,
        object_id=str(resource["id"]),
        survivor_ids=[survivor] if survivor is not None else [],
    )
    return resource
