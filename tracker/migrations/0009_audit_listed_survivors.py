"""One audit row per page that lists many survivors (a triage queue page, the
call lists), naming them all, instead of one row per survivor shown: a nurse's
queue reloads every 30 s, and 25 rows a reload made the audit trail grow by
about 24,000 rows a nurse a day and cost the queue a fifth of its speed
(bench/README.md, issue 5). Rows written before keep their one survivor each.

The GIN index (PostgreSQL only, like the trigger of 0003) serves "rows that
listed her" (`survivors @> '[id]'`) in the audit browser."""

from django.db import migrations, models

PG_FORWARD = "CREATE INDEX audit_listed_survivors ON tracker_auditevent USING gin (survivors jsonb_path_ops);"
PG_BACKWARD = "DROP INDEX IF EXISTS audit_listed_survivors;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("tracker", "0008_flag_open_queue_rule")]

    operations = [
        # Nullable and without a default, so SQLite adds the column in place
        # instead of copying the table (which would drop its append-only
        # triggers) and PostgreSQL touches no row (the trigger refuses updates).
        migrations.AddField(
            model_name="auditevent",
            name="survivors",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.RunPython(forward, backward),
    ]
