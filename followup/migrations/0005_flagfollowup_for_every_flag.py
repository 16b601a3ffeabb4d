# Every flag has its follow-up row (issue 14): a check-in writes it with the
# flag's reminders (followup/reminders/schedule.py), and claims, contacts,
# "first opened" and escalation read it instead of creating it lazily.
# Flags recorded before then may lack one (a flag only a failed rule opened
# always did, and others until a nurse touched them): written here, in one
# statement, whatever the number of flags. ON CONFLICT: a row written
# meanwhile (a check-in during the deploy) is kept as it is. Nothing to undo:
# the rows are what the code before this one wrote lazily.

from django.db import migrations

WRITE_MISSING = """
INSERT INTO followup_flagfollowup (flag_id, escalated_tier)
SELECT f.id, '' FROM tracker_flag f
 WHERE NOT EXISTS (SELECT 1 FROM followup_flagfollowup x WHERE x.flag_id = f.id)
ON CONFLICT (flag_id) DO NOTHING
"""


class Migration(migrations.Migration):
    dependencies = [("followup", "0004_health_index")]

    operations = [migrations.RunSQL(WRITE_MISSING, migrations.RunSQL.noop, elidable=True)]
