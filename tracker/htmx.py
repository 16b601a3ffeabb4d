"""Sending a person elsewhere from an htmx request.

A fragment (the queue's 30 s refresh, a preview's progress) answered with a
redirect would put the login or second-step page inside the fragment. htmx
follows `HX-Redirect` with the whole page instead; `next` is the page she
was on (htmx sends it as HX-Current-URL), so she comes back there."""

from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest, HttpResponse


def whole_page_redirect(request: HttpRequest, target: str) -> HttpResponse | None:
    """For an htmx request, a response that sends the whole page to
    `target`?next=<the page she was on>; None for any other request."""
    if not request.headers.get("HX-Request"):
        return None
    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    here = current.path + (f"?{current.query}" if current.query else "") if current.path else "/"
    response = HttpResponse(status=200)
    response["HX-Redirect"] = f"{target}?{urlencode({'next': here})}"
    return response
