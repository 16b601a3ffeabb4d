"""Clinics, people, the symptom catalog and what survivors report.

Fields, constraints and small properties only: every write goes through
tracker/services.py, every permission-checked read through tracker/selectors.py.
"""

import uuid
import zoneinfo
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .rules.tiers import QUEUE_RANK, REVIEW_WINDOW

NOTE_MAX_LENGTH = 2000
LB_PER_KG = Decimal("2.20462262185")
TIME_ZONE_CHOICES = sorted((tz, tz.replace("_", " ")) for tz in zoneinfo.available_timezones() if "/" in tz)


class Clinic(models.Model):
    name = models.CharField(max_length=200, unique=True)
    care_team_phone = models.CharField(
        "care team phone", max_length=40, help_text="Shown to this clinic's survivors on every page."
    )
    emergency_number = models.CharField(max_length=20, default="911")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", User.Role.CLINIC_ADMIN)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Email is the login. One model for every role: the role decides which
    pages and which survivors a person may see (see selectors.py)."""

    class Role(models.TextChoices):
        SURVIVOR = "survivor", "Survivor"
        NURSE = "nurse", "Nurse"
        CLINIC_ADMIN = "clinic_admin", "Clinic admin"

    class WeightUnit(models.TextChoices):
        KG = "kg", "Kilograms (kg)"
        LB = "lb", "Pounds (lb)"

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.SURVIVOR)
    # A survivor belongs to exactly one clinic; staff may work for several.
    clinic = models.ForeignKey(Clinic, null=True, blank=True, on_delete=models.PROTECT, related_name="survivors")
    staff_clinics = models.ManyToManyField(Clinic, blank=True, related_name="staff")
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="America/New_York")
    weight_unit = models.CharField(max_length=2, choices=WeightUnit.choices, default=WeightUnit.KG)
    date_of_birth = models.DateField(null=True, blank=True)
    enrolled_on = models.DateField(null=True, blank=True, help_text="The day the survivor joined.")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField("Django admin access", default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Mixed into every session's auth hash (below): a new stamp ends all her
    # sessions for good (tracker/sessions.py: sessions_end). Django's own hash
    # only covers the password, so a session refused while she was
    # deactivated came back when she was re-activated. Empty until the
    # first time her sessions are ended: sessions from before this field
    # existed stay valid.
    session_stamp = models.CharField(max_length=32, blank=True, default="", editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    # Nothing but the email and password: `createsuperuser --noinput` then
    # works with DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD alone
    # (a name can be added in the admin; the app shows the email meanwhile).
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(
                condition=~models.Q(role="survivor") | models.Q(clinic__isnull=False),
                name="survivor_has_clinic",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def _get_session_auth_hash(self, secret=None) -> str:
        # Django's one place for the session hash (get_session_auth_hash and
        # its SECRET_KEY_FALLBACKS variant both call it): the password, as
        # Django does, and her session stamp.
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        value = f"{self.password}\x00{self.session_stamp}" if self.session_stamp else self.password
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    def weight_shown(self, kg: Decimal) -> Decimal:
        """A stored weight (kg) in her own unit, to one decimal."""
        return round(kg * LB_PER_KG if self.weight_unit == self.WeightUnit.LB else kg, 1)

    @property
    def is_survivor(self) -> bool:
        return self.role == self.Role.SURVIVOR

    @property
    def is_nurse(self) -> bool:
        return self.role == self.Role.NURSE

    @property
    def is_clinic_admin(self) -> bool:
        return self.role == self.Role.CLINIC_ADMIN

    @property
    def is_clinic_staff(self) -> bool:
        return self.role in (self.Role.NURSE, self.Role.CLINIC_ADMIN)

    @property
    def reads_health_data(self) -> bool:
        """A survivor (her own) or a nurse (her clinics'); never a clinic admin."""
        return self.role in (self.Role.SURVIVOR, self.Role.NURSE)


class UserSession(models.Model):
    """One signed-in session, for her list of where she is signed in and for
    ending sessions (tracker/sessions.py). When, which kind of device and
    roughly from where: never what she did. The session key is the same
    secret django_session holds as its primary key; it is kept here to end
    the session and is never shown."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Written at most once a minute (SESSION_ACTIVITY_WRITE_SECONDS).
    last_seen_at = models.DateTimeField(default=timezone.now)
    device = models.CharField(max_length=60, blank=True)  # "Firefox · Windows"
    network = models.CharField(max_length=50, blank=True)  # "203.0.113.x": the address cut to its network

    class Meta:
        indexes = [models.Index(fields=["user", "-last_seen_at"], name="usersession_user_recent")]

    def __str__(self) -> str:
        return f"session {self.pk} of user {self.user_id}"


class Invitation(models.Model):
    """A survivor invited by clinic staff. The emailed link carries a signed,
    expiring token (tracker/tokens.py); accepted_at makes it work once."""

    email = models.EmailField()
    full_name = models.CharField(max_length=200)
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="invitations")
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="invitations_sent")
    nonce = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    survivor = models.OneToOneField(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitation")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"


class Symptom(models.Model):
    class BodySiteRule(models.TextChoices):
        REQUIRED = "required", "Required"
        OPTIONAL = "optional", "Optional"
        NONE = "none", "Not asked"

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=100)
    help_text = models.CharField(max_length=300)
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
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.label


class CheckIn(models.Model):
    """One sitting: one or more symptom entries, and whether she wants a call."""

    survivor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="checkins")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    callback_requested = models.BooleanField(default=False)
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
    # (tracker/corrections.py).
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


class AuditEvent(models.Model):
    """Append-only record of staff reads of survivor data and of staff actions.
    A trigger refuses UPDATE and DELETE (migration 0003)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    # Indexed with the time below (one index each for "who looked at her"
    # and "what did this nurse look at"). No
    # database foreign key: its check locks the user row (FOR KEY SHARE), so
    # recording a read would wait on a check-in in progress (which locks her
    # row) and cost 50 lookups a queue page. Users are never deleted
    # (deactivated), and PROTECT still guards deletes made through Django.
    actor = models.ForeignKey(
        User,
        null=True,
        on_delete=models.PROTECT,
        related_name="audit_actions",
        db_index=False,
        db_constraint=False,
    )
    action = models.CharField(max_length=60)
    survivor = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_subject",
        db_index=False,
        db_constraint=False,
    )
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True)
    # A page listing many survivors (a queue page, the call lists) is one row
    # naming them all: their ids, ascending. `survivor` is for a read of, or
    # an action on, one survivor. On PostgreSQL a GIN index finds the rows
    # that listed her (migration 0009).
    survivors = models.JSONField(null=True, blank=True)

    # What the audit browser says for each action code.
    ACTION_LABELS = {
        "queue.view": "Saw them in the triage queue",
        "flag.view": "Opened a flag",
        "checkin.view": "Opened a check-in",
        "survivor.history.view": "Opened her history",
        "survivor.export": "Downloaded her record",
        "call_list.view": "Saw them on the call lists",
        "survivor_list.view": "Saw them on the survivors page",
        "call.log": "Logged a call",
        "flag.claim": "Claimed a flag",
        "flag.unclaim": "Unclaimed a flag",
        "flag.note": "Added a note",
        "flag.contact": "Logged a contact attempt",
        "flag.resolve": "Resolved a flag",
        "flag.close": "Closed a flag",
        "snooze.create": "Snoozed a rule or symptom",
        "snooze.end": "Ended a snooze",
        "invitation.create": "Invited a survivor",
        # Security events (tracker/security/events.py): the actor is the
        # account the event is about, object_type the page, object_id the address.
        "security.login_failed": "Failed sign-in",
        "security.lockout": "Locked out after failed sign-ins",
        "security.access_denied": "Page refused",
        "rule.save": "Saved a rule",
        "rule.enable": "Switched a rule on",
        "rule.disable": "Switched a rule off",
        "cadence.save": "Changed the reminder cadence",
        "message.retry": "Retried a message",
        "account.deactivate": "Deactivated an account",
        "account.reactivate": "Re-activated an account",
        "mfa.reset": "Reset a nurse's second factor",
    }

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["survivor", "-at"], name="audit_survivor_recent"),
            models.Index(fields=["actor", "-at"], name="audit_actor_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action}"

    @property
    def action_label(self) -> str:
        return self.ACTION_LABELS.get(self.action, self.action)


class Tier(models.TextChoices):
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    EMERGENCY = "emergency", "Emergency"


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
        from .rules import limits

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
        # She marked what raised it as entered in error (tracker/corrections.py):
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
    # and sent no reminders for it (tracker.services._review_tier). Its first
    # real match clears it. After every other field services reads: it
    # reads flags in field order. A database default, for rows written in SQL.
    rule_failed = models.BooleanField(default=False, db_default=False)
    # She marked everything that raised it as entered in error: closed then
    # with that outcome, or, if a nurse has it in hand or it is an emergency,
    # left open for a nurse to confirm with her (tracker/corrections.py). A
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
        from .rules.engine import split_evidence

        return split_evidence(self.evidence)

    def set_tier(self, tier: str) -> None:
        """Tier, queue rank and review deadline move together."""
        self.tier = tier
        self.tier_rank = QUEUE_RANK[tier]
        self.review_by = self.created_at + REVIEW_WINDOW[tier]


class FlagEntry(models.Model):
    """What attached to a flag: a symptom entry or a weight, the version that
    matched it, and the survivor's own words that matched."""

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="attachments")
    entry = models.ForeignKey(SymptomEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="flag_links")
    weight = models.ForeignKey(WeightEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="flag_links")
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
                condition=models.Q(entry__isnull=False, weight__isnull=True)
                | models.Q(entry__isnull=True, weight__isnull=False),
                name="flag_entry_xor_weight",
            )
        ]

    def __str__(self) -> str:
        return f"FlagEntry {self.pk}"

    @property
    def evidence_parts(self) -> tuple[list[str], list[str]]:
        from .rules.engine import split_evidence

        return split_evidence(self.evidence)


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
