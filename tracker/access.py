"""Role checks for views, written once. A page a role may not use answers 404,
like a missing page, so an outsider learns nothing from the status code.
(Which rows a person may see is the selectors' job; this is only the door.)"""

from functools import wraps

from django.http import Http404


class Refused(Http404):
    """A page refused to this person's role: answered 404 like a missing
    page, and kept as a security event (tracker/security/middleware.py).
    Selectors raise it for their role checks too; "no such row, or not
    yours" stays a plain Http404."""


def role_required(attribute: str):
    """@role_required("is_survivor"), "is_nurse", "is_clinic_admin", "is_clinic_staff"."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not getattr(request.user, attribute, False):
                raise Refused
            return view(request, *args, **kwargs)

        wrapped.role_required = attribute  # kept by later @wraps; tests/tracker/test_permissions.py reads it
        return wrapped

    return decorator


survivor_required = role_required("is_survivor")
nurse_required = role_required("is_nurse")
clinic_staff_required = role_required("is_clinic_staff")
clinic_admin_required = role_required("is_clinic_admin")
# Pages of one survivor's health data that she and her nurses both open (a
# check-in, her history, her record as CSV): which survivor is the selector's.
health_reader_required = role_required("reads_health_data")
