"""/fhir/R4/: the token endpoint and SMART discovery (auth_urls), then the
API. A system has no session: Django's LoginRequiredMiddleware must let the
API's views through (a bearer token is checked by the API itself). Whatever
else a system asks under /fhir/R4/ (another method, another path) is
answered as FHIR answers, with an OperationOutcome."""

import functools
from collections.abc import Callable

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path, re_path

from .api import FhirRenderer, api
from .outcome import FhirError, operation_outcome


def _answer(request: HttpRequest, error: FhirError) -> HttpResponse:
    body = FhirRenderer().render(request, operation_outcome(error), response_status=error.status)
    return HttpResponse(body, status=error.status, content_type=f"{FhirRenderer.media_type}; charset=utf-8")


def _read_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)  # keeps csrf_exempt and the rest
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405:
            answer = _answer(request, FhirError(405, "This interface is read-only: GET only.", code="not-supported"))
            answer["Allow"] = response.get("Allow", "GET")
            return answer
        return response

    wrapped.login_required = False  # type: ignore[attr-defined]  # as login_not_required does
    return wrapped


@login_not_required
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return _answer(request, FhirError(404, "Nothing here: see /fhir/R4/metadata for what this server supports."))


def _api_patterns() -> list[URLPattern | URLResolver]:
    patterns, _, _ = api.urls
    out: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if not isinstance(pattern, URLPattern) or pattern.name == "api-root":
            continue  # ninja's root raises Django's HTML 404: not_found answers it
        out.append(path(str(pattern.pattern), _read_only(pattern.callback), name=pattern.name or ""))
    return out


urlpatterns = [
    path("", include("fhirapi.auth_urls")),
    path("", include((_api_patterns(), "fhir"), namespace="fhir")),
    re_path(r"^(?P<rest>.*)$", not_found, name="fhir_not_found"),
]
