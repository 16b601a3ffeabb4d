"""Every 403 the site answers (a refused CSRF check, PermissionDenied in a
view or the Django admin) is a security event, and so is a page refused to
a role (tracker.access.Refused, answered 404 on purpose)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from tracker.access import Refused

from . import events


class SecurityEventMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 403:
            events.access_denied(request=request, reason="forbidden")
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, Refused):
            events.access_denied(request=request, reason="role")
        # Django goes on to answer 404 (or whatever the exception means).
