"""The audit trail is append-only: PostgreSQL refuses UPDATE and DELETE on it,
whatever the application does. (SQLite, used only for `make run` on a laptop,
gets the same guard as triggers of its own.)

TRUNCATE is left to the database owner (it is how test runs and a restore
empty tables); the application never issues it."""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION tracker_audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tracker_auditevent_append_only
    BEFORE UPDATE OR DELETE ON tracker_auditevent
    FOR EACH ROW EXECUTE FUNCTION tracker_audit_refuse_change();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS tracker_auditevent_append_only ON tracker_auditevent;
DROP FUNCTION IF EXISTS tracker_audit_refuse_change();
"""
SQLITE_FORWARD = [
    "CREATE TRIGGER tracker_auditevent_no_update BEFORE UPDATE ON tracker_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
    "CREATE TRIGGER tracker_auditevent_no_delete BEFORE DELETE ON tracker_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS tracker_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS tracker_auditevent_no_delete;",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)
    elif schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("tracker", "0002_load_catalog")]
    operations = [migrations.RunPython(forward, backward)]
