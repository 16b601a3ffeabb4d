"""Plan.planned_until (how far every template item of her plan is planned),
with its index, filled for the plans already there from their items."""

from collections import defaultdict

from django.db import migrations, models

CHUNK = 2000


def fill(apps, schema_editor):
    """For each plan, the earliest of its keys' latest window openings: a
    day every template item is certainly planned to (a window opens at the
    latest on the horizon it was generated for). Lower than the real
    horizon, so the sweep's extension visits these plans soon and adds
    what is missing: it adds only windows after each key's last one, so a
    low value costs a visit, never a duplicate. A plan with no template
    items: its start day, for the same reason."""
    Plan = apps.get_model("tracker", "Plan")
    PlanItem = apps.get_model("tracker", "PlanItem")
    latest = defaultdict(dict)
    rows = (
        PlanItem.objects.exclude(key="")
        .values("plan_id", "key")
        .annotate(last=models.Max("opens_on"))
        .values_list("plan_id", "key", "last")
    )
    for plan_id, key, last in rows.iterator(chunk_size=CHUNK):
        latest[plan_id][key] = last
    pending = []
    for plan in Plan.objects.only("id", "started_on").iterator(chunk_size=CHUNK):
        keys = latest.get(plan.id)
        plan.planned_until = min(keys.values()) if keys else plan.started_on
        pending.append(plan)
        if len(pending) >= CHUNK:
            Plan.objects.bulk_update(pending, ["planned_until"])
            pending = []
    Plan.objects.bulk_update(pending, ["planned_until"])


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0019_flag_on_checkin_answer"),
    ]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="planned_until",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="plan",
            index=models.Index(fields=["planned_until", "id"], name="plan_planned_until"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
