"""A rule preview reads the survivors of the asking admin's clinics only, and
keeps counts only (issue 13, section 4). Previews made before read every
clinic's check-ins and kept a sample of dates and evidence: they are
deleted. A preview saves nothing else; the admin runs it again."""

from django.db import migrations, models


def forget_old_previews(apps, schema_editor):
    apps.get_model("tracker", "PreviewJob").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0016_sessions"),
    ]

    operations = [
        migrations.AddField(
            model_name="previewjob",
            name="clinics",
            field=models.ManyToManyField(blank=True, related_name="+", to="tracker.clinic"),
        ),
        migrations.RunPython(forget_old_previews, migrations.RunPython.noop),
    ]
