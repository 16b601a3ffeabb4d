# A check-in is never lost to the rules (issue 11, section 5).
#
# - Flag.rule_failed / FlagEntry.rule_failed: a rule that raised on her entry
#   files a flag for a nurse to review instead of costing the check-in.
#   Database defaults as well, so rows written in SQL need not name them.
# - RuleVersion.condition reads a stored tree too deep to walk back as text
#   (tracker.models.ConditionField): no SQL change.
# - A rule slug that no page can link to (saved by an import before slugs
#   were checked) broke the rules page for every admin: each is renamed to
#   a valid, unique one, logged.

import logging
import re

from django.db import migrations, models
from django.utils.text import slugify

import tracker.models

log = logging.getLogger(__name__)

# What the rules pages' URLs accept (<slug:slug>), and the model's length.
LINKABLE = re.compile(r"[-a-zA-Z0-9_]{1,80}\Z")


def rename_unlinkable_slugs(apps, schema_editor):
    Rule = apps.get_model("tracker", "Rule")
    taken = set(Rule.objects.values_list("slug", flat=True))
    for rule in Rule.objects.order_by("id"):
        if LINKABLE.match(rule.slug):
            continue
        base = (slugify(rule.slug)[:60].strip("-") or "rule") + f"-{rule.pk}"
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        Rule.objects.filter(pk=rule.pk).update(slug=slug)
        log.warning("rule %s had a slug no page could link to; renamed to %s", rule.pk, slug)


class Migration(migrations.Migration):
    dependencies = [("tracker", "0011_note_reading")]

    operations = [
        migrations.AddField(
            model_name="flag",
            name="rule_failed",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name="flagentry",
            name="rule_failed",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AlterField(
            model_name="ruleversion",
            name="condition",
            field=tracker.models.ConditionField(),
        ),
        migrations.RunPython(rename_unlinkable_slugs, migrations.RunPython.noop),
    ]
