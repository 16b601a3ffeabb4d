"""Flags: what a rule raised for one survivor, with its tier, status and
review deadline, and the entries and weights attached to it. Acting on a
flag (triage, reminders) is followup's."""

from django.db import models
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from ..rules.engine import split_evidence
from ..rules.tiers import QUEUE_RANK, REVIEW_WINDOW
from .people import User
from .reports import CheckIn, SymptomEntry, WeightEntry
from .rules import Rule, RuleVersion, Tier


class Flag(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Outcome(models.TextChoices):
        # Recorded by nurses (triage, issue 5); "confirmed" and "dismissed"
        # counts on the rules page are derived from these.
        EMERGENCY_CARE = "emergency_care", "Sent to emergency care"
        APPOINTMENT = "appointment", "Appointment booked"
        TESTS = "tests", "Imaging or tests ordered"
        SELF_CARE = "self_care", "Self-care advice given"
        EXPECTED = "expected", "Expected symptom, no action"
        FALSE_ALARM = "false_alarm", "False alarm (rule too broad)"
        # She marked what raised it as entered in error (tracker/services/corrections.py):
        # neither confirmed nor dismissed, so it counts for no rule's record.
        ENTERED_IN_ERROR = "entered_in_error", "Entered in error (she corrected her entry)"

    CONFIRMED_OUTCOMES = (Outcome.EMERGENCY_CARE, Outcome.APPOINTMENT, Outcome.TESTS)
    DISMISSED_OUTCOMES = (Outcome.EXPECTED, Outcome.FALSE_ALARM)

    survivor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="flags")
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="flags")
    # The exact version that first fired; every later attachment records its own.
    rule_version = models.ForeignKey(RuleVersion, on_delete=models.PROTECT, related_name="flags")
    tier = models.CharField(max_length=10, choices=Tier.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # Kept with the tier so the triage queue reads in index order.
    tier_rank = models.PositiveSmallIntegerField(default=2)
    review_by = models.DateTimeField(null=True)
    evidence = models.TextField(help_text="What matched, in words a nurse can read.")
    # She ticked "please call me" in a check-in behind this flag; cleared when
    # a nurse reaches her. Kept on the flag so that the queue reads no check-ins.
    callback_wanted = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    # Opened because its rule raised on her entry and did not run, not
    # because it matched: a nurse reads the check-in; she is shown no advice
    # and sent no reminders for it (tracker.services.flags._review_tier). Its first
    # real match clears it. After every other field services reads: it
    # reads flags in field order. A database default, for rows written in SQL.
    rule_failed = models.BooleanField(default=False, db_default=False)
    # She marked everything that raised it as entered in error: closed then
    # with that outcome, or, if a nurse has it in hand or it is an emergency,
    # left open for a nurse to confirm with her (tracker/services/corrections.py). A
    # later real match makes it stand again (see selectors.flags_open_for_survivor).
    entered_in_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["survivor", "rule"], condition=models.Q(status="open"), name="one_open_flag_per_survivor_rule"
            )
        ]
        indexes = [
            models.Index(fields=["survivor", "status"], name="flag_survivor_status"),
            # A flag's last change, in the order a chart system pulls them
            # (the FHIR interface's _lastUpdated search, fhirapi/types.py:
            # the same expression, so PostgreSQL reads this index in order).
            models.Index(
                Greatest("created_at", Coalesce("updated_at", "created_at"), Coalesce("closed_at", "created_at")),
                "id",
                name="flag_last_changed",
            ),
            models.Index(fields=["rule", "created_at"], name="flag_rule_created"),
            models.Index(
                fields=["tier_rank", "review_by", "id"], name="flag_open_queue", condition=models.Q(status="open")
            ),
            # The queue filtered by rule: one rule is a few percent of the
            # open flags, which flag_open_queue would walk nearly all of.
            models.Index(
                fields=["rule", "tier_rank", "review_by", "id"],
                name="flag_open_queue_rule",
                condition=models.Q(status="open"),
            ),
        ]

    def __str__(self) -> str:
        return f"Flag {self.pk} ({self.tier})"

    def save(self, *args, **kwargs):
        if self.review_by is None:  # created without set_tier (admin, shell, tests)
            self.set_tier(self.tier)
        super().save(*args, **kwargs)

    @property
    def evidence_parts(self) -> tuple[list[str], list[str]]:
        return split_evidence(self.evidence)

    def set_tier(self, tier: str) -> None:
        """Tier, queue rank and review deadline move together."""
        self.tier = tier
        self.tier_rank = QUEUE_RANK[tier]
        self.review_by = self.created_at + REVIEW_WINDOW[tier]


class FlagEntry(models.Model):
    """What attached to a flag: a symptom entry, a weight or a check-in (its
    answer about her hormone tablets: tracker/rules/facts.Answer), the
    version that matched it, and the survivor's own words that matched."""

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="attachments")
    entry = models.ForeignKey(SymptomEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="flag_links")
    weight = models.ForeignKey(WeightEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="flag_links")
    # Set only for a rule on her answer about hormone tablets: a check-in may
    # hold that answer and no symptom entry to attach to.
    checkin = models.ForeignKey(CheckIn, null=True, blank=True, on_delete=models.CASCADE, related_name="flag_links")
    rule_version = models.ForeignKey(RuleVersion, on_delete=models.PROTECT, related_name="+")
    tier = models.CharField(max_length=10, choices=Tier.choices)
    evidence = models.TextField()
    matched_text = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The rule raised on this entry and did not run: not a match (see Flag.rule_failed).
    rule_failed = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(entry__isnull=False, weight__isnull=True, checkin__isnull=True)
                | models.Q(entry__isnull=True, weight__isnull=False, checkin__isnull=True)
                | models.Q(entry__isnull=True, weight__isnull=True, checkin__isnull=False),
                name="flag_entry_one_event",
            )
        ]

    def __str__(self) -> str:
        return f"FlagEntry {self.pk}"

    @property
    def evidence_parts(self) -> tuple[list[str], list[str]]:
        return split_evidence(self.evidence)
