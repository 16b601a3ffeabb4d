"""SQLite only (`make run`): put back the audit trail's append-only triggers.

SQLite changes a column by copying the table into a new one, and the copy
keeps no triggers: 0007 (foreign key constraints dropped) and 0009 (the
`survivors` column, with its JSON check) both did that, so the guard of 0003
was gone. PostgreSQL alters the table in place and keeps its trigger.
tests/test_project.py migrates a fresh SQLite file and tries both changes."""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE TRIGGER IF NOT EXISTS tracker_auditevent_no_update BEFORE UPDATE ON tracker_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
    "CREATE TRIGGER IF NOT EXISTS tracker_auditevent_no_delete BEFORE DELETE ON tracker_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_FORWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("tracker", "0009_audit_listed_survivors")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
