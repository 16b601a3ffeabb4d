"""The project's own health: migrations, system checks, deploy checks,
production settings, and the two README commands' shape."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REAL_LOOKING_KEY = "k7#Qz9!vR2@mX4$wL8^tN6&bY1*pD3(fG5)hJ0_sA-eC+uI=oP[yT]rE{wQ}zX|vB"


def manage(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"} | (env or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120
    )


def test_makemigrations_check_passes():
    result = manage("makemigrations", "--check", "--dry-run", env={"DJANGO_SETTINGS_MODULE": "config.settings.test"})
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_passes():
    result = manage("check", "--fail-level", "WARNING", env={"DJANGO_SETTINGS_MODULE": "config.settings.test"})
    assert result.returncode == 0, result.stdout + result.stderr


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": REAL_LOOKING_KEY,
    "ALLOWED_HOSTS": "followup.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "TRUSTED_PROXY_COUNT": "1",
}


def test_deploy_check_passes_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("key", ["", "short", "django-insecure-" + "x" * 60, "a" * 64])
def test_production_refuses_to_start_without_a_real_secret_key(key):
    result = manage("check", env={**PRODUCTION_ENV, "SECRET_KEY": key})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_local_settings_run_on_embedded_defaults(tmp_path):
    code = (
        "import django, os; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE']); print(s.DATABASES['default']['OPTIONS']['init_command']); "
        "print(s.CELERY_BROKER_URL); "
        "print(sorted(v for k, v in s.CELERY_BROKER_TRANSPORT_OPTIONS.items() if 'folder' in k))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    lines = result.stdout.splitlines()
    assert lines[0] == "django.db.backends.sqlite3"
    assert "journal_mode=WAL" in lines[1]
    assert lines[2] == "filesystem://"
    # Every folder of the filesystem broker under var/ (ignored by git): its
    # exchange tables (control_folder) once landed in control/ and were committed.
    folders = eval(lines[3])  # noqa: S307 (our own subprocess's printed list)
    assert len(folders) == 4 and all(Path(f).is_relative_to(ROOT / "var" / "broker") for f in folders), folders


def test_every_requirement_is_pinned_exactly():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            assert "==" in line, line


def test_the_readme_opens_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    first_block = text[text.index("```") : text.index("```", text.index("```") + 3)]
    assert "make run" in first_block and "make test" in first_block


def test_the_audit_trail_stays_append_only_on_sqlite_after_every_migration(tmp_path):
    """`make run` uses SQLite, which rebuilds a table to change a column and
    drops its triggers on the way; the last migration must leave them on."""
    code = (
        "import django, sqlite3; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        f"db = sqlite3.connect({str(tmp_path / 'db.sqlite3')!r})\n"
        'db.execute("INSERT INTO tracker_auditevent (at, action, object_type, object_id) '
        "VALUES ('2026-01-01', 'x', '', '')\")\n"
        "db.commit()\n"
        "for change in ('UPDATE tracker_auditevent SET action = 1', 'DELETE FROM tracker_auditevent'):\n"
        "    try:\n"
        "        db.execute(change)\n"
        "        print('allowed')\n"
        "    except sqlite3.DatabaseError as error:\n"
        "        print(error)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL",)}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.local", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.splitlines() == ["the audit trail is append-only"] * 2, result.stderr[-2000:]


def test_every_transactional_test_restores_the_database_it_found():
    """A transaction=True test without serialized_rollback flushes and lets
    post_migrate write the content types again; the next test that restores
    the serialized database then fails on a duplicate (it happened: the
    preview's real-worker tests after a plan test)."""
    marker = re.compile(r"django_db\(([^)]*)\)")
    found = [
        f"{path.relative_to(ROOT)}: {args}"
        for path in (ROOT / "tests").rglob("*.py")
        for args in marker.findall(path.read_text())
        if "transaction=True" in args and "serialized_rollback=True" not in args
    ]
    assert found == []
