"""`manage.py check --deploy` stays clean with the production settings and
the environment production requires (issue 13, section 3). Run as its own
process: the production settings module refuses to load without it."""

import os
import secrets
import subprocess
import sys

from tests.integration_helpers import ROOT

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "followup.example.org",
    "DATABASE_URL": "postgres://followup@127.0.0.1:5432/followup",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "TRUSTED_PROXY_COUNT": "1",
    "SITE_URL": "https://followup.example.org",
}


def run_check(**extra_env) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("DJANGO_SETTINGS_MODULE", "DEBUG")}
    env.update(PRODUCTION_ENV, **extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_production_settings():
    result = run_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_would_see_a_weakened_setting():
    # The check is live: HSTS switched off is a warning, and a warning fails it.
    result = run_check(SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr
