"""Role checks for views, written once. A page a role may not use answers 404,
like a missing page, so an outsider learns nothing from the status code.
(Which rows a person may see is the selectors' job; this is only the door.)"""

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar, cast

from django.http import Http404, HttpRequest

from tracker.models.people import User

P = ParamSpec("P")
R = TypeVar("R")


class AuthenticatedHttpRequest(HttpRequest):
    """The request a view behind the login sees: LoginRequiredMiddleware lets
    no anonymous visitor past a view not marked login_not_required, so
    `request.user` is our User. Views annotate their request with this
    instead of narrowing `request.user` each time (django-stubs' pattern);
    it is only a type, never instantiated."""

    user: User


class Refused(Http404):
    """A page refused to this person's role: answered 404 like a missing
    page, and kept as a security event (tracker/security/middleware.py).
    Selectors raise it for their role checks too; "no such row, or not
    yours" stays a plain Http404."""


def role_required(
    attribute: str,
) -> Callable[[Callable[Concatenate[AuthenticatedHttpRequest, P], R]], Callable[Concatenate[HttpRequest, P], R]]:
    """@role_required("is_survivor"), "is_nurse", "is_clinic_admin", "is_clinic_staff".
    The view it wraps takes an AuthenticatedHttpRequest; the URL resolver
    hands the wrapper a plain HttpRequest."""

    def decorator(
        view: Callable[Concatenate[AuthenticatedHttpRequest, P], R],
    ) -> Callable[Concatenate[HttpRequest, P], R]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> R:
            if not getattr(request.user, attribute, False):
                raise Refused
            # The one narrowing: only a signed-in User has a role (an
            # AnonymousUser has none of these attributes).
            return view(cast(AuthenticatedHttpRequest, request), *args, **kwargs)

        # kept by later @wraps; tests/tracker/test_permissions.py reads it
        # (through __dict__: mypy knows no attributes on a function)
        wrapped.__dict__["role_required"] = attribute
        return wrapped

    return decorator


survivor_required = role_required("is_survivor")
nurse_required = role_required("is_nurse")
clinic_staff_required = role_required("is_clinic_staff")
clinic_admin_required = role_required("is_clinic_admin")
# Pages of one survivor's health data that she and her nurses both open (a
# check-in, her history, her record as CSV): which survivor is the selector's.
health_reader_required = role_required("reads_health_data")
