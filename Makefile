# The two commands: `make run` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)

.PHONY: install messages run test test-sqlite lint bench migrate seed clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# Test-only JavaScript (axe-core for the accessibility tests), pinned in
# package-lock.json; installed again whenever the lock changes.
NODE_STAMP := node_modules/.installed-$(shell sha1sum package-lock.json | cut -c1-12)

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "Installing Debian's nodejs and npm for the browser tests"; \
		apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; }
	npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

# Her pages in Spanish: the catalog compiled from locale/es/.../django.po
# (the .mo is built, not committed). gettext's msgfmt does the compiling.
MO := locale/es/LC_MESSAGES/django.mo

$(MO): locale/es/LC_MESSAGES/django.po $(STAMP)
	@command -v msgfmt >/dev/null || { echo "Installing Debian's gettext for the translations"; \
		apt-get update -qq && apt-get install -y -qq gettext >/dev/null; }
	$(PY) manage.py compilemessages --locale es --ignore .venv --ignore node_modules

install: $(STAMP) $(MO)

# After marking strings: refresh the Spanish catalog, then translate what it
# lists as new (an empty msgstr) and clear every "fuzzy" (tests/test_translations.py).
messages: install
	$(PY) manage.py makemessages --locale es --no-obsolete --add-location file \
		--ignore .venv --ignore node_modules --ignore var --ignore bench --ignore tests

migrate: install
	mkdir -p var/broker/processed
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_catalog
	$(PY) manage.py load_default_rules
	$(PY) manage.py seed_demo

# Web, Celery worker and beat together (honcho); Ctrl-C stops all three.
run: seed
	@echo "Open http://127.0.0.1:8000/ and log in with a demo account above."
	$(VENV)/bin/honcho --procfile Procfile.dev start

# The whole suite against the real PostgreSQL and Redis on 127.0.0.1.
test: install $(NODE_STAMP)
	@test -x /usr/bin/chromium || { echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest
	$(MAKE) test-sqlite

# The other database's code paths: where a service chooses its SQL by
# connection.vendor (claim, record-sent, her lock, scheduling, the queue and
# the audit trail's reads, her history page, her plan's sweep steps), the same tests again on SQLite,
# the database `make run` uses. Quick: a few hundred tests, in memory.
SQLITE_TESTS := tests/followup/test_delivery.py tests/followup/test_schedule.py tests/followup/test_reminders.py \
	tests/followup/test_triage.py tests/followup/test_outsiders.py tests/tracker/test_flags.py \
	tests/tracker/test_checkin.py tests/tracker/test_history_page.py \
	tests/tracker/test_plans.py tests/tracker/test_plan_horizon.py tests/tracker/test_checkin_endocrine.py \
	tests/followup/test_plan_reminders.py tests/followup/test_plan_overdue.py tests/followup/test_survivor_language.py \
	tests/fhirapi/test_api.py

test-sqlite: install
	DATABASE_URL=sqlite:///var/test-sqlite.sqlite3 $(VENV)/bin/pytest -q -m "not postgresql" $(SQLITE_TESTS)

# mypy reads its configuration (apps, django-stubs, settings) from pyproject.toml.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: install
	$(PY) bench/run.py

clean:
	rm -rf var .pytest_cache
