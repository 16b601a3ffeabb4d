"""What happens after a flag: the messages that are due (one row per logical
message and channel, in PostgreSQL: the source of truth), every delivery
attempt, survivors' contact preferences, clinics' reminder cadence, and each
flag's follow-up state (contact confirmed, first opened by a nurse, overdue)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from tracker.models import Clinic, Flag, PlanItem, Tier

from .indexes import BrinOnPostgres


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message (SMS)"
    IN_APP = "in_app", "In the app"


class Preferences(models.Model):
    """How a survivor wants to hear from us. Her time zone lives on her user."""

    WEEKDAYS = [
        (0, "Monday"),
        (1, "Tuesday"),
        (2, "Wednesday"),
        (3, "Thursday"),
        (4, "Friday"),
        (5, "Saturday"),
        (6, "Sunday"),
    ]

    survivor = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences")
    email_on = models.BooleanField("Email", default=True)
    sms_on = models.BooleanField("Text message (SMS)", default=False)
    in_app_on = models.BooleanField("In the app", default=True)
    phone = models.CharField("Mobile number for texts", max_length=32, blank=True)
    checkin_weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS, default=0)
    checkin_hour = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(8), MaxValueValidator(20)], help_text="Between 8:00 and 20:00."
    )
    # Set when a channel fails for good (a bouncing address): that channel
    # stops and she goes on the nurses' call list until someone fixes it.
    email_failed_at = models.DateTimeField(null=True, blank=True)
    sms_failed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Preferences of {self.survivor_id}"

    def channel_on(self, channel: str) -> bool:
        if channel == Channel.EMAIL:
            return self.email_on and self.email_failed_at is None
        if channel == Channel.SMS:
            return self.sms_on and bool(self.phone) and self.sms_failed_at is None
        return self.in_app_on


# A cadence's clinical range: the first reminder within a week, then one
# every 30 minutes to every 30 days, at most 20. Outside it a reminder is no
# reminder, and a huge interval once overflowed the date of a clinic's
# reminders and failed its flag-raising check-ins. Held by the database too:
# the reminder scheduler reads these columns in SQL.
CADENCE_MAX_FIRST_AFTER = 7 * 24 * 60
CADENCE_MIN_EVERY, CADENCE_MAX_EVERY = 30, 30 * 24 * 60
CADENCE_MIN_COUNT, CADENCE_MAX_COUNT = 1, 20


class Cadence(models.Model):
    """A clinic's reminder cadence for one tier (defaults in followup/cadence.py)."""

    MAX_FIRST_AFTER = CADENCE_MAX_FIRST_AFTER
    MIN_EVERY, MAX_EVERY = CADENCE_MIN_EVERY, CADENCE_MAX_EVERY
    MIN_COUNT, MAX_COUNT = CADENCE_MIN_COUNT, CADENCE_MAX_COUNT

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="cadences")
    tier = models.CharField(max_length=10, choices=Tier.choices)
    first_after_minutes = models.PositiveIntegerField(
        validators=[MaxValueValidator(CADENCE_MAX_FIRST_AFTER, "At most 7 days (10,080 minutes).")]
    )
    every_minutes = models.PositiveIntegerField(
        validators=[
            MinValueValidator(CADENCE_MIN_EVERY, "At least 30 minutes."),
            MaxValueValidator(CADENCE_MAX_EVERY, "At most 30 days (43,200 minutes)."),
        ]
    )
    max_count = models.PositiveSmallIntegerField(
        validators=[
            MinValueValidator(CADENCE_MIN_COUNT, "At least 1 reminder."),
            MaxValueValidator(CADENCE_MAX_COUNT, "At most 20 reminders."),
        ]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "tier"], name="cadence_per_clinic_tier"),
            models.CheckConstraint(
                condition=models.Q(first_after_minutes__lte=CADENCE_MAX_FIRST_AFTER), name="cadence_first_in_range"
            ),
            models.CheckConstraint(
                condition=models.Q(every_minutes__gte=CADENCE_MIN_EVERY, every_minutes__lte=CADENCE_MAX_EVERY),
                name="cadence_every_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(max_count__gte=CADENCE_MIN_COUNT, max_count__lte=CADENCE_MAX_COUNT),
                name="cadence_count_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinic_id} {self.tier}"


class FlagFollowup(models.Model):
    """Follow-up state of one flag. Reminders run until the loop is closed:
    she confirms contact, a nurse records contact, or the flag is closed."""

    flag = models.OneToOneField(Flag, on_delete=models.CASCADE, related_name="followup")
    survivor_contacted_at = models.DateTimeField(null=True, blank=True)
    nurse_contacted_at = models.DateTimeField(null=True, blank=True)
    first_opened_at = models.DateTimeField(null=True, blank=True)
    first_opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    overdue_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="claimed_flags"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The tier whose review deadline last escalated: once per breach.
    escalated_tier = models.CharField(max_length=10, blank=True)

    def __str__(self) -> str:
        return f"Follow-up of flag {self.flag_id}"


class Message(models.Model):
    """One logical message on one channel. The dedupe key makes a second
    row for the same message impossible; the state machine makes a second
    send impossible in the normal course:

        pending --sweep--> queued --task--> sending --> sent
                                                   \\--> pending (transient error, later)
                                                   \\--> failed (permanent, or too many tries)
        pending/queued --> cancelled (loop closed, channel off, checked in)
    """

    class Kind(models.TextChoices):
        REMINDER = "reminder", "Contact your care team"
        CHECKIN = "checkin", "Weekly check-in"
        NUDGE = "nudge", "Check-in nudge"
        ESCALATION = "escalation", "Escalation to nurses"
        # Her follow-up plan (followup/reminders/plan.py): an item's window
        # opens, a booked visit is a few days away, an item was missed.
        PLAN_OPEN = "plan_open", "Follow-up item to book"
        PLAN_BOOKED = "plan_booked", "Booked follow-up soon"
        PLAN_MISSED = "plan_missed", "Follow-up item missed"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # Who receives it: the survivor, or a nurse for escalations.
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages")
    # Whose care it concerns (for the call list and the admin page).
    survivor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="messages")
    flag = models.ForeignKey(Flag, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    # The plan item a plan reminder is about (its kind says which moment).
    # Indexed by message_plan_item only: a full index would hold a NULL for
    # every other message and grow with every check-in's rows.
    plan_item = models.ForeignKey(
        PlanItem, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders", db_index=False
    )
    sequence = models.PositiveSmallIntegerField(default=0)
    iso_week = models.CharField(max_length=8, blank=True)
    dedupe_key = models.CharField(max_length=120, unique=True)
    urgent = models.BooleanField(default=False, help_text="Emergency: sent even in quiet hours.")
    due_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    state_changed_at = models.DateTimeField(default=timezone.now)
    tries = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True, help_text="In-app notice closed by the survivor.")
    created_at = models.DateTimeField(default=timezone.now)

    # Not a column: her notices carry their flag's tier as it is now
    # (followup/context_processors.py); declared for the type checker only.
    emergency: bool

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            # The sweep's claim: due pending rows, oldest first.
            models.Index(fields=["due_at"], name="message_pending_due", condition=models.Q(state="pending")),
            models.Index(
                fields=["state_changed_at"],
                name="message_inflight",
                condition=models.Q(state__in=["queued", "sending"]),
            ),
            # /healthz and /metrics: the oldest due message a worker has not
            # finished (message_pending_due answers for the pending ones).
            models.Index(
                fields=["due_at"],
                name="message_inflight_due",
                condition=models.Q(state__in=["queued", "sending"]),
            ),
            models.Index(fields=["flag", "state"], name="message_flag_state"),
            # An item's reminders: the plan receiver's cancel (a few rows an
            # item), and the cascade when an item is deleted.
            models.Index(fields=["plan_item"], name="message_plan_item", condition=models.Q(plan_item__isnull=False)),
            models.Index(fields=["clinic", "state", "-due_at"], name="message_clinic_state"),
        ]

    def __str__(self) -> str:
        return self.dedupe_key


class Attempt(models.Model):
    """Every try to deliver a message: when, how, what came of it, how long."""

    class Outcome(models.TextChoices):
        SENT = "sent", "Sent"
        TRANSIENT = "transient", "Failed, will retry"
        PERMANENT = "permanent", "Failed for good"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    duration_ms = models.PositiveIntegerField()
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]
        # /metrics counts outcomes over the last hour and day at every scrape:
        # the table's tail, found by this index, not the whole table.
        indexes = [BrinOnPostgres(fields=["at"], name="attempt_at_brin")]

    def __str__(self) -> str:
        return f"{self.message_id} {self.outcome}"


class Heartbeat(models.Model):
    """When periodic jobs last ran, for /healthz."""

    name = models.CharField(max_length=40, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.at:%H:%M:%S}"


class FlagEvent(models.Model):
    """Every nurse action on a flag, with who and when: claim, unclaim, note,
    contact attempt, resolution, snooze. Append-only in practice; the audit
    trail (tracker.AuditEvent) records the same actions for compliance."""

    class Kind(models.TextChoices):
        CLAIM = "claim", "Claimed"
        UNCLAIM = "unclaim", "Unclaimed"
        NOTE = "note", "Note"
        CONTACT = "contact", "Contact attempt"
        RESOLVE = "resolve", "Resolved"

    class Result(models.TextChoices):
        REACHED = "reached", "Reached her"
        NO_ANSWER = "no_answer", "No answer"
        LEFT_MESSAGE = "left_message", "Left a message"

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    result = models.CharField(max_length=15, choices=Result.choices, blank=True)
    text = models.TextField(blank=True, max_length=2000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on flag {self.flag_id}"


class CallLog(models.Model):
    """A call from the call lists (no recent check-in, bounced, call back)."""

    survivor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calls")
    nurse = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(max_length=15, choices=FlagEvent.Result.choices)
    note = models.TextField(blank=True, max_length=2000)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"Call to {self.survivor_id}"
