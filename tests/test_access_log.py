"""Access logs hold no invite or reset token and no name or email typed into
a filter (issue 13, section 3): the app keeps them out of URLs (the invite
link traded for the session on its first visit, the audit filter by POST),
and the logs redact what comes anyway (a first visit, an old bookmark):
gunicorn's access log, run here as the Procfile runs it, and Django's own
request logs."""

import http.client
import logging
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from config.access_log import RedactingFilter, redact
from tests import integration_helpers
from tests.factories import InvitationFactory
from tests.faults import free_port
from tests.integration_helpers import ROOT, wait_for
from tracker.tokens import invite_token_make

SECRET = "Zq7-secret-token-Xy9"
NAME = "Beatrix Brookside"


def secret_kwargs(resolver=None, prefix=""):
    """(URL name, {kwarg: a secret}) for every route whose parts are secrets."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from secret_kwargs(entry, prefix + (f"{entry.namespace}:" if entry.namespace else ""))
        elif isinstance(entry, URLPattern):
            names = set(getattr(entry.pattern, "converters", {})) | set(entry.pattern.regex.groupindex)
            secret = names & {"token", "uidb64"}
            if secret:
                yield prefix + entry.name, {name: f"{SECRET}{name}" for name in names}


def test_every_route_with_a_token_in_its_path_is_redacted():
    routes = dict(secret_kwargs())
    assert {"invite_accept", "password_reset_confirm"} <= set(routes)
    for name, kwargs in routes.items():
        url = reverse(name, kwargs=kwargs)
        line = f'127.0.0.1 - - [x] "GET {url}?survivor={NAME.replace(" ", "+")} HTTP/1.1" 200 10 "-" "ua"'
        assert SECRET not in redact(line), name
        assert "Beatrix" not in redact(line)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /admin-pages/audit/?survivor=Beatrix&page=2 HTTP/1.1", "GET /admin-pages/audit/ HTTP/1.1"),
        ("https://example.org/invite/abc:def/?x=1", "https://example.org/invite/[redacted]/"),
        ("/accounts/login/?next=/staff/survivors/%3Fq%3DBeatrix", "/accounts/login/"),
        ("GET /invite/ HTTP/1.1", "GET /invite/ HTTP/1.1"),
        ("/accounts/reset/done/", "/accounts/reset/done/"),
        ("Not Found: /staff/flags/12/", "Not Found: /staff/flags/12/"),
        ("why? because", "why? because"),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


# ------------------------------------------------------------------ the app keeps them out of URLs


def test_the_invite_link_trades_its_token_for_the_session_on_the_first_visit(client, clinic):
    invitation = InvitationFactory(clinic=clinic, full_name="Rita Reyes")
    token = invite_token_make(nonce=str(invitation.nonce))
    first = client.get(reverse("invite_accept", args=[token]))
    assert first.status_code == 302 and first["Location"] == reverse("invite_page") == "/invite/"
    page = client.get(first["Location"])
    assert page.status_code == 200 and "Welcome, Rita Reyes" in page.content.decode()
    assert token not in page.content.decode()  # the form posts to /invite/, not to the link
    assert 'method="post"' in page.content.decode() and "action=" not in page.content.decode().split("<form")[-1][:80]


def test_the_invite_page_without_a_link_first_asks_her_to_open_it(client):
    response = client.get(reverse("invite_page"))
    assert response.status_code == 400
    assert "open the invitation link in your email again" in response.content.decode()


def test_the_audit_filter_goes_by_post_and_its_url_carries_no_name(client, clinic_admin):
    client.force_login(clinic_admin)
    page = client.get(reverse("audit_trail")).content.decode()
    assert re.search(r'<form method="post"[^>]*>\s*<input type="hidden" name="csrfmiddlewaretoken"', page)
    response = client.post(reverse("audit_trail"), {"survivor": NAME, "staff": "nora@example.org"})
    assert response.status_code == 302 and response["Location"] == reverse("audit_trail")
    page = client.get(response["Location"])
    assert page.context["form"].cleaned_data["survivor"] == NAME  # kept in her session
    assert "Beatrix" not in "".join(re.findall(r'href="([^"]*)"', page.content.decode()))
    # A name in the URL (an old bookmark) filters nothing.
    client.post(reverse("audit_trail"), {"clear": "1"})
    assert not client.get(reverse("audit_trail") + "?survivor=Nobody").context["form"].is_bound


# ------------------------------------------------------------------ Django's request logs


def test_djangos_request_log_redacts_the_path(client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get(f"/invite/{SECRET}/")  # a forged token: "Bad Request: /invite/..."
    assert any("/invite/[redacted]/" in r.getMessage() for r in caplog.records)
    assert SECRET not in caplog.text


def test_runservers_request_lines_are_redacted():
    logger = logging.getLogger("django.server")
    assert any(isinstance(f, RedactingFilter) for f in logger.filters)
    seen = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    keep = Keep()
    logger.addHandler(keep)
    try:
        logger.info('"%s" %s %s', f"GET /accounts/reset/MQ/{SECRET}/?email=b%40example.org HTTP/1.1", "200", "10")
    finally:
        logger.removeHandler(keep)
    assert seen == ['"GET /accounts/reset/[redacted]/[redacted]/ HTTP/1.1" 200 10']


# ------------------------------------------------------------------ gunicorn, as the Procfile runs it


def procfile_web_command(port: int, access_log: Path) -> list[str]:
    [line] = [line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")]
    args = shlex.split(line.removeprefix("web:").replace("${PORT:-8000}", str(port)))
    assert args[0] == "gunicorn"
    args = [sys.executable, "-m", "gunicorn", *args[1:]]
    args[args.index("--workers") + 1] = "1"
    args[args.index("--bind") + 1] = f"127.0.0.1:{port}"
    args[args.index("--access-logfile") + 1] = str(access_log)
    return args


def get(port: int, path: str, headers: dict | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # gunicorn writes her session row: flushed after
def test_gunicorns_access_log_holds_no_token_and_no_typed_name(tmp_path):
    port, access_log = free_port(), tmp_path / "access.log"
    token = invite_token_make(nonce="0b5e1b0c-53c2-4a43-9a38-3f3a4cf9f3c1")  # signed, for no invitation
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": integration_helpers.test_database_url(),  # imported as a module: pytest would collect test_*
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen(procfile_web_command(port, access_log), cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: _answers(port), timeout=30)
        assert get(port, f"/invite/{token}/") == 302
        # The page after the link: the browser names the link as its Referer.
        assert get(port, "/invite/", {"Referer": f"http://127.0.0.1:{port}/invite/{token}/"}) == 400
        get(port, f"/accounts/reset/MQ/{SECRET}/")
        get(port, "/admin-pages/audit/?survivor=Beatrix+Brookside&staff=nora%40example.org")
        get(port, "/staff/survivors/?q=Beatrix")
        wait_for(lambda: access_log.read_text().count("\n") >= 6, timeout=10)
    finally:
        server.terminate()
        server.wait(timeout=20)
    log = access_log.read_text()
    assert "/invite/[redacted]/" in log and "/accounts/reset/[redacted]/[redacted]/" in log
    for secret in (token, token.split(":")[0], SECRET, "Beatrix", "nora", "survivor="):
        assert secret not in log, secret


def _answers(port: int) -> bool:
    try:
        get(port, "/healthz")
    except OSError:
        time.sleep(0.2)
        return False
    return True
