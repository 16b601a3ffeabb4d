"""Connection tuning where it measurably pays (bench/README.md).

Worker writes commit synchronously, like every other write: a PostgreSQL
crash once lost the record of an email that had gone out, so it was sent
again with one attempt row for two sends (issue 11).

Prepared statements for the pages people live in: the triage queue (every
nurse's browser reloads it every 30 s), a flag's page and her home page.
Here in tracker (not followup) because both apps use them. Planning the
queue's four-table join took three times its execution (bench/README.md). Django
binds parameters on the client and turns psycopg's statement preparation
off (connection poolers in transaction mode used to lose prepared
statements; PgBouncer 1.21+ keeps them), and switching
OPTIONS["server_side_binding"] on would change every ORM query in the app.
So only these statements bind on the server and are prepared; PostgreSQL
then reuses a generic plan when it costs no more than a fresh one. Their
timestamps load with psycopg's C loader instead of Django's Python one."""

from typing import Any

from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor  # type: ignore[attr-defined]  # not in the stubs
from django.db.backends.utils import CursorWrapper
from psycopg import postgres
from psycopg.pq import Format

_TIMESTAMPTZ_LOADER = postgres.adapters.get_loader(postgres.types["timestamptz"].oid, Format.TEXT)
_PREPARE_ONLY_WHEN_ASKED = 2**31 - 1  # psycopg's automatic threshold (runs before preparing), out of reach


def prepared_cursor() -> CursorWrapper:
    """A Django cursor (query logging, error wrapping, health checks as any
    other) over a psycopg cursor that binds on the server and prepares each
    statement it runs. PostgreSQL only. Use as `with prepared_cursor() as c:`.
    Times come back as aware UTC datetimes, as from Django's own cursors."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    if connection.connection.prepare_threshold is None:
        # Django's "no prepared statements" (None) would refuse prepare=True
        # too. Its own cursors bind on the client and never prepare, so this
        # only lets cursors of this kind prepare.
        connection.connection.prepare_threshold = _PREPARE_ONLY_WHEN_ASKED
    raw = _PreparingCursor(connection.connection)
    if connection.timezone_name == "UTC":
        # Django loads timestamps with a Python subclass of psycopg's loader
        # (it sets Django's tzinfo on each), 5 µs a value; psycopg's own C
        # loader returns the same UTC datetimes when the session is in UTC.
        raw.adapters.register_loader("timestamptz", _TIMESTAMPTZ_LOADER)
    if connection.queries_logged:
        raw.logged = True
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


class _PreparingCursor(ServerBindingCursor):
    logged = False
    _query: Any  # psycopg's statement of the last execute (see execute)

    def execute(self, query, params=None, *, prepare=True, binary=None):
        super().execute(query, params, prepare=prepare, binary=binary)
        if self.logged and self._query is None:
            # psycopg leaves _query unset when it runs a prepared statement,
            # and Django's query log (tests' query counts, DEBUG) reads the
            # statement from there.
            self._query = self._convert_query(query, params)
        return self
