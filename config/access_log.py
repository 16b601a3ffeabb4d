"""Access logs without secrets or names (issue 13, section 3).

What a URL may carry that a log must not: the invite token
(/invite/<token>/), the password reset's user and token
(/accounts/reset/<uidb64>/<token>/), and whatever a query string holds (a
name typed into a search, a single sign-on code, a `next` that quotes
another URL's query). The app keeps tokens out of URLs after the first
visit and sends typed names by POST; these logs are the second line, for the
first visit and for links and bookmarks made before.

One function, `redact`, used by:
- `RedactingGunicornLogger`: gunicorn's access log (gunicorn.conf.py at the
  project's root, which gunicorn reads from the directory it starts in);
- `RedactingFilter`: Django's own `django.request` ("Not Found: /invite/...")
  and `django.server` (runserver's request lines), config/settings/base.py.
"""

import logging
import re

from gunicorn.glogging import Logger as GunicornLogger

REDACTED = "[redacted]"
_SEGMENT = r"[^/?#\s\"']+"
# (pattern, replacement): the path segments that are secrets. A test
# (tests/test_access_log.py) builds these URLs with reverse(), so a route
# that moves without this list following it fails there.
_SECRET_SEGMENTS = [
    (re.compile(rf"(/invite/){_SEGMENT}"), rf"\g<1>{REDACTED}"),
    (re.compile(rf"(/accounts/reset/){_SEGMENT}/{_SEGMENT}"), rf"\g<1>{REDACTED}/{REDACTED}"),
]
# A query string after a path or a full URL: dropped, not redacted piecemeal
# (no list of harmless parameters to keep up to date).
_QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")
# gunicorn atoms that are a bare query string (no "?" to find).
_BARE_QUERY_ATOMS = frozenset({"q", "{query_string}e"})


def redact(text: str) -> str:
    """The text with secret path segments replaced and query strings gone."""
    if "/" not in text and "?" not in text:
        return text
    for pattern, replacement in _SECRET_SEGMENTS:
        text = pattern.sub(replacement, text)
    return _QUERY.sub(r"\g<1>", text)


class RedactingGunicornLogger(GunicornLogger):
    """gunicorn's logger with every text atom of an access log line
    redacted: the request line, the path, the referrer (the page after an
    invite link names it), a redirect's Location, the environment."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if key in _BARE_QUERY_ATOMS:
                atoms[key] = ""
            elif isinstance(value, str):
                atoms[key] = redact(value)
        return atoms


class RedactingFilter(logging.Filter):
    """For log records that quote a request's path or request line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
