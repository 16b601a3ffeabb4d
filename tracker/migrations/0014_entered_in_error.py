# Entered in error (issue 12, section 1): a survivor's own symptom entry or
# weight is marked, never deleted; a weight's correction points at the one
# it corrects; a flag left with nothing standing is closed with its own
# outcome, or marked for a nurse (tracker/corrections.py). Nullable columns
# only: rows written in SQL (the check-in's flag insert, the bench) need no
# change.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0013_preview_jobs"),
    ]

    operations = [
        migrations.AddField(
            model_name="flag",
            name="entered_in_error_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="symptomentry",
            name="entered_in_error_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="weightentry",
            name="corrects",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="corrected_by",
                to="tracker.weightentry",
            ),
        ),
        migrations.AddField(
            model_name="weightentry",
            name="entered_in_error_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="flag",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("emergency_care", "Sent to emergency care"),
                    ("appointment", "Appointment booked"),
                    ("tests", "Imaging or tests ordered"),
                    ("self_care", "Self-care advice given"),
                    ("expected", "Expected symptom, no action"),
                    ("false_alarm", "False alarm (rule too broad)"),
                    ("entered_in_error", "Entered in error (she corrected her entry)"),
                ],
                max_length=20,
            ),
        ),
    ]
