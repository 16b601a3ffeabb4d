# Indexes for the health figures (/healthz, /metrics): each figure is an index
# probe or an index range, never a table scan. Built CONCURRENTLY on
# PostgreSQL: followup_message and followup_attempt are written by every
# sweep and delivery, and a plain CREATE INDEX would hold those writes for
# the whole build on a large table.

from django.db import migrations, models

import followup.indexes
from followup.migrations._operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("followup", "0003_cadence_bounds")]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="message",
            index=models.Index(
                condition=models.Q(("state__in", ["queued", "sending"])),
                fields=["due_at"],
                name="message_inflight_due",
            ),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="attempt",
            index=followup.indexes.BrinOnPostgres(fields=["at"], name="attempt_at_brin"),
        ),
    ]
