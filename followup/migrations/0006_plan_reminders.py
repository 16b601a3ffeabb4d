# Plan reminders (issue 15): Message.plan_item and three plan kinds. The
# column's one index covers only the rows that have an item and is built
# CONCURRENTLY on PostgreSQL (followup_message is written by every check-in,
# sweep and delivery; see 0004), so the migration is not atomic.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from followup.migrations._operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('followup', '0005_flagfollowup_for_every_flag'),
        ('tracker', '0018_follow_up_plan'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='message',
            name='plan_item',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='reminders', to='tracker.planitem'),
        ),
        migrations.AlterField(
            model_name='message',
            name='kind',
            field=models.CharField(choices=[('reminder', 'Contact your care team'), ('checkin', 'Weekly check-in'), ('nudge', 'Check-in nudge'), ('escalation', 'Escalation to nurses'), ('plan_open', 'Follow-up item to book'), ('plan_booked', 'Booked follow-up soon'), ('plan_missed', 'Follow-up item missed')], max_length=12),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name='message',
            index=models.Index(condition=models.Q(('plan_item__isnull', False)), fields=['plan_item'], name='message_plan_item'),
        ),
    ]
