"""What survivors report, and the catalog they report from: symptoms and
body sites, a check-in with its symptom entries, and weights. Flags raised
on them are in flags.py."""

from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .people import User

NOTE_MAX_LENGTH = 2000


class Symptom(models.Model):
    class BodySiteRule(models.TextChoices):
        REQUIRED = "required", "Required"
        OPTIONAL = "optional", "Optional"
        NONE = "none", "Not asked"

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=100)
    help_text = models.CharField(max_length=300)
    # Spanish beside English, blank where not yet written (tracker/i18n.py
    # says why plain columns rather than a translation library).
    label_es = models.CharField(max_length=100, blank=True, default="", db_default="")
    help_text_es = models.CharField(max_length=300, blank=True, default="", db_default="")
    body_site = models.CharField(max_length=10, choices=BodySiteRule.choices, default=BodySiteRule.NONE)
    free_text_only = models.BooleanField(default=False, help_text="Described only in the note ('other').")
    sort_order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.label


class BodySite(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=100)
    label_es = models.CharField(max_length=100, blank=True, default="", db_default="")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.label


class CheckIn(models.Model):
    """One sitting: one or more symptom entries, and whether she wants a call."""

    class Endocrine(models.TextChoices):
        """Her weekly answer about her hormone tablets (asked while her plan
        says she takes them; blank otherwise)."""

        TAKEN = "taken", _("I took them as prescribed")
        MISSED_SOME = "missed_some", _("I missed some")
        STOPPED = "stopped", _("I have stopped taking them")

    survivor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="checkins")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    callback_requested = models.BooleanField(default=False)
    endocrine_answer = models.CharField(max_length=12, choices=Endocrine.choices, blank=True)
    # The form's one-time token: a resubmitted form (back button, double
    # click) finds the check-in it already made instead of making another.
    submission_token = models.UUIDField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["survivor", "submission_token"], name="checkin_submission_once"),
        ]
        indexes = [models.Index(fields=["survivor", "-created_at"], name="checkin_survivor_recent")]

    def __str__(self) -> str:
        return f"Check-in {self.pk}"


class SymptomEntry(models.Model):
    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="entries")
    # Denormalised from the check-in so that rules and timelines read one table.
    survivor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="symptom_entries")
    symptom = models.ForeignKey(Symptom, on_delete=models.PROTECT)
    body_site = models.ForeignKey(BodySite, null=True, blank=True, on_delete=models.PROTECT)
    severity = models.PositiveSmallIntegerField(validators=[MinValueValidator(0), MaxValueValidator(10)])
    is_new = models.BooleanField("new, or different from usual")
    is_worse = models.BooleanField("getting worse")
    started_on = models.DateField()
    note = models.TextField(blank=True, validators=[MaxLengthValidator(NOTE_MAX_LENGTH)])
    created_at = models.DateTimeField(default=timezone.now)
    # How the note was read when it was saved (tracker.rules.text.Reading):
    # language, the concepts that count, those set aside and why. Kept so
    # that a nurse sees what the rules saw, history tests can use earlier
    # notes, and rule preview reads no note twice.
    reading = models.JSONField(null=True, blank=True)
    # The same as words SQL can filter on: "v1 bone_pain site:hip new ",
    # the reader's version first (tracker.rules.text.reading_terms).
    reading_terms = models.CharField(max_length=1000, blank=True, default="")
    # She marked it "entered in error" (the wrong symptom, a slip): kept for
    # the record, never deleted; rules and charts read only what stands
    # (tracker/services/corrections.py).
    entered_in_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name_plural = "symptom entries"
        constraints = [
            models.CheckConstraint(condition=models.Q(severity__lte=10), name="severity_0_to_10"),
        ]
        indexes = [models.Index(fields=["survivor", "-created_at"], name="entry_survivor_recent")]

    def __str__(self) -> str:
        return f"{self.symptom_id} ({self.severity}/10)"


class WeightEntry(models.Model):
    # Stored in kg whatever unit she typed; the plausible range is enforced here
    # and in the form, so a typo (0, 1000) never reaches the weight-loss rules.
    MIN_KG = 20
    MAX_KG = 300

    survivor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="weights")
    kg = models.DecimalField(max_digits=5, decimal_places=2)
    recorded_at = models.DateTimeField(default=timezone.now)
    submission_token = models.UUIDField()
    # As on SymptomEntry: a weight she marked entered in error is kept, and
    # her correction (a new row at the same time) points at it.
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    corrects = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrected_by"
    )

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name_plural = "weight entries"
        constraints = [
            models.UniqueConstraint(fields=["survivor", "submission_token"], name="weight_submission_once"),
            models.CheckConstraint(condition=models.Q(kg__gte=20, kg__lte=300), name="weight_plausible_kg"),
        ]
        indexes = [models.Index(fields=["survivor", "-recorded_at"], name="weight_survivor_recent")]

    def __str__(self) -> str:
        return f"{self.kg} kg"
