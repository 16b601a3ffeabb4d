from django.db import migrations


def load(apps, schema_editor):
    from tracker.catalog import load_catalog

    load_catalog(apps.get_model("tracker", "Symptom"), apps.get_model("tracker", "BodySite"))


class Migration(migrations.Migration):
    dependencies = [("tracker", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
