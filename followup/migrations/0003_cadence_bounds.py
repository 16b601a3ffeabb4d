# A clinic's reminder cadence within its clinical range (issue 11, section
# 5): a huge interval overflowed the date of that clinic's reminders and
# failed its flag-raising check-ins. A row saved before the bounds is
# clamped into range (and logged) before the database is told to hold them.
# (This file's name and parent were set by the health work, whose 0004
# depends on it.)

import logging

import django.core.validators
from django.db import migrations, models

log = logging.getLogger(__name__)

MAX_FIRST_AFTER = 7 * 24 * 60
MIN_EVERY, MAX_EVERY = 30, 30 * 24 * 60
MIN_COUNT, MAX_COUNT = 1, 20


def clamp_out_of_range(apps, schema_editor):
    Cadence = apps.get_model("followup", "Cadence")
    for row in Cadence.objects.all():
        first = min(row.first_after_minutes, MAX_FIRST_AFTER)
        every = min(max(row.every_minutes, MIN_EVERY), MAX_EVERY)
        count = min(max(row.max_count, MIN_COUNT), MAX_COUNT)
        if (first, every, count) != (row.first_after_minutes, row.every_minutes, row.max_count):
            log.warning(
                "cadence %s (clinic %s, %s) was out of range: %s/%s/%s minutes/minutes/count, now %s/%s/%s",
                row.pk,
                row.clinic_id,
                row.tier,
                row.first_after_minutes,
                row.every_minutes,
                row.max_count,
                first,
                every,
                count,
            )
            Cadence.objects.filter(pk=row.pk).update(first_after_minutes=first, every_minutes=every, max_count=count)


class Migration(migrations.Migration):
    dependencies = [("followup", "0002_triage")]

    operations = [
        migrations.RunPython(clamp_out_of_range, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="cadence",
            name="every_minutes",
            field=models.PositiveIntegerField(
                validators=[
                    django.core.validators.MinValueValidator(30, "At least 30 minutes."),
                    django.core.validators.MaxValueValidator(43200, "At most 30 days (43,200 minutes)."),
                ]
            ),
        ),
        migrations.AlterField(
            model_name="cadence",
            name="first_after_minutes",
            field=models.PositiveIntegerField(
                validators=[django.core.validators.MaxValueValidator(10080, "At most 7 days (10,080 minutes).")]
            ),
        ),
        migrations.AlterField(
            model_name="cadence",
            name="max_count",
            field=models.PositiveSmallIntegerField(
                validators=[
                    django.core.validators.MinValueValidator(1, "At least 1 reminder."),
                    django.core.validators.MaxValueValidator(20, "At most 20 reminders."),
                ]
            ),
        ),
        migrations.AddConstraint(
            model_name="cadence",
            constraint=models.CheckConstraint(
                condition=models.Q(("first_after_minutes__lte", 10080)), name="cadence_first_in_range"
            ),
        ),
        migrations.AddConstraint(
            model_name="cadence",
            constraint=models.CheckConstraint(
                condition=models.Q(("every_minutes__gte", 30), ("every_minutes__lte", 43200)),
                name="cadence_every_in_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="cadence",
            constraint=models.CheckConstraint(
                condition=models.Q(("max_count__gte", 1), ("max_count__lte", 20)), name="cadence_count_in_range"
            ),
        ),
    ]
