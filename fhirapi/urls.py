"""/fhir/R4/: the token endpoint and SMART discovery (auth_urls), then the
API. A system has no session: Django's LoginRequiredMiddleware must let the
API's views through (a bearer token is checked by the API itself)."""

from django.urls import URLPattern, URLResolver, include, path

from .api import api


def _open_to_systems(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback.login_required = False  # type: ignore[attr-defined]  # as login_not_required does
        else:
            _open_to_systems(pattern.url_patterns)
    return patterns


_api_patterns, _app_name, _namespace = api.urls

urlpatterns = [
    path("", include("fhirapi.auth_urls")),
    path("", include((_open_to_systems(list(_api_patterns)), _app_name), namespace=_namespace)),
]
