"""The rules as stored: the tier, a rule with its immutable versions and
its on/off switches, the condition field, a nurse's snooze of a rule or
symptom for one survivor, and an admin's preview job. The pure engine that
evaluates them is tracker/rules/; the flags they raise are in flags.py."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..rules import limits
from .people import Clinic, User
from .reports import BodySite, Symptom


class Tier(models.TextChoices):
    # Her advice shows the tier's label (templates/tracker/_advice.html); staff read English.
    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", _("Emergency")


class Rule(models.Model):
    """A red-flag rule. Its content lives in immutable versions; `current`
    is the version that evaluates new entries."""

    slug = models.SlugField(max_length=80, unique=True)
    is_active = models.BooleanField(default=True)
    current = models.OneToOneField(
        "RuleVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="current_of"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Bumped by every save and switch: processes compare it to know when
    # their cached copy of the active rules is stale (selectors.rule_defs_active).
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class RuleSwitch(models.Model):
    """A rule switched off or on: who, when and why (switching off asks why).
    Kept beside the versions as the rule's history; never updated."""

    REASON_MAX_LENGTH = 300

    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="switches")
    is_active = models.BooleanField()
    reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rule", "-at", "-id"]

    def __str__(self) -> str:
        return f"{self.rule_id} {'on' if self.is_active else 'off'} {self.at:%Y-%m-%d %H:%M}"


class ConditionField(models.JSONField):
    """A rule's condition as stored. A row saved before conditions were
    bounded may nest too deeply for Python to decode or walk: it is read back
    as its raw text (as Django reads text that isn't JSON), which validation
    refuses and no walker descends, so that one such row can't take the
    rules pages or any check-in down."""

    def from_db_value(self, value, expression, connection):
        try:
            decoded = super().from_db_value(value, expression, connection)
        except RecursionError:
            return value
        return value if limits.json_depth_exceeds(decoded) else decoded


class RuleVersion(models.Model):
    """One saved state of a rule. Never updated: every save makes a new row,
    and flags point at the row that fired."""

    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    tier = models.CharField(max_length=10, choices=Tier.choices)
    condition = ConditionField()
    advice = models.TextField(help_text="Shown to the survivor, in plain words.")
    # Her advice in Spanish, kept with the version it belongs to; blank means
    # not yet written: she then reads the English and the rules page lists
    # the rule as missing its Spanish (tracker/i18n.py).
    advice_es = models.TextField(blank=True, default="", db_default="", help_text="The same advice in Spanish.")
    nurse_note = models.TextField(blank=True)
    source = models.TextField(help_text="Article section, and the guideline that sets the urgency.")
    # Null for the shipped defaults: load_default_rules may refresh only those.
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    change_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["rule", "-number"]
        constraints = [models.UniqueConstraint(fields=["rule", "number"], name="rule_version_number_unique")]

    def __str__(self) -> str:
        return f"{self.rule.slug} v{self.number}"


class Snooze(models.Model):
    """A nurse silences one rule, or one symptom, for one survivor until a
    date. Entries are still recorded; they just raise no flag. Emergency-tier
    rules ignore snoozes."""

    survivor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="snoozes")
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.CASCADE)
    symptom = models.ForeignKey(Symptom, null=True, blank=True, on_delete=models.CASCADE)
    reason = models.CharField(max_length=300)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    ended_early_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rule__isnull=False, symptom__isnull=True)
                | models.Q(rule__isnull=True, symptom__isnull=False),
                name="snooze_rule_xor_symptom",
            )
        ]
        indexes = [models.Index(fields=["survivor", "ends_at"], name="snooze_survivor_active")]

    def __str__(self) -> str:
        return f"Snooze {self.pk}"


class PreviewJob(models.Model):
    """A rule preview an admin asked for, run by a worker (tracker/tasks.py)
    so that its cost is never a web worker's. It reads the survivors of the
    clinics she worked for when she asked (`clinics`), and its result keeps
    only what the page shows: counts, and matches counted by symptom, body
    site and tier (tracker/evaluation/preview.py)."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (State.QUEUED, State.RUNNING)

    requested_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="preview_jobs")
    # Null for a rule not saved yet (a preview from the "new rule" page).
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.CASCADE, related_name="preview_jobs")
    # The version the draft is compared with, as it was when she asked.
    compare_with = models.ForeignKey(RuleVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The clinics whose survivors it reads: the asking admin's, as they were.
    clinics = models.ManyToManyField(Clinic, blank=True, related_name="+")
    condition = models.JSONField()
    tier = models.CharField(max_length=10, choices=Tier.choices)
    days = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(365)])
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    # Survivors checked so far, of `total`; written after every chunk.
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    # Last sign of life from the worker: a running job silent for long is stale.
    progress_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["requested_by", "rule", "-created_at"], name="preview_job_mine"),
            models.Index(
                fields=["state"], name="preview_job_active", condition=models.Q(state__in=["queued", "running"])
            ),
        ]

    def __str__(self) -> str:
        return f"PreviewJob {self.pk} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, self.done * 100 // self.total)

    @property
    def progress_label(self) -> str:
        if self.state == self.State.QUEUED:
            return "Waiting for a worker to start it\u2026"
        if self.total is None:
            return "Starting\u2026"
        return f"{self.percent}%: checked the check-ins of {self.done:,} of {self.total:,} survivors"

    @property
    def bar_class(self) -> str:
        """The nearest of Bootstrap's widths, for pages without script (the
        CSP allows no style attribute; static/js/preview-job.js sets the
        exact width)."""
        return {0: "", 1: "w-25", 2: "w-50", 3: "w-75", 4: "w-100"}[self.percent // 25]

    @property
    def by_symptom(self) -> list[dict]:
        """The result's matches by symptom, body site and tier, with labels,
        for the page: the draft's first, then the current version's."""
        labels = {
            **dict(Symptom.objects.values_list("code", "label")),
            "weight": "Weight",
            "endocrine": "Hormone tablets (her weekly answer)",
        }
        sites = dict(BodySite.objects.values_list("code", "label"))
        tiers = dict(Tier.choices)
        return [
            {
                **row,
                "symptom_label": labels.get(row["symptom"], row["symptom"]),
                "body_site_label": sites.get(row["body_site"], ""),
                "tier_label": tiers.get(row["tier"], row["tier"]),
            }
            for row in (self.result or {}).get("by_symptom", [])
        ]
