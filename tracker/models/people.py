"""People and where they belong: clinics, the user (every role: survivor,
nurse, clinic admin), her signed-in sessions and the invitation that made
her account. What she reports is in reports.py."""

import uuid
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

LB_PER_KG = Decimal("2.20462262185")
TIME_ZONE_CHOICES = sorted((tz, tz.replace("_", " ")) for tz in zoneinfo.available_timezones() if "/" in tz)


class Clinic(models.Model):
    name = models.CharField(max_length=200, unique=True)
    care_team_phone = models.CharField(
        "care team phone", max_length=40, help_text="Shown to this clinic's survivors on every page."
    )
    emergency_number = models.CharField(max_length=20, default="911")
    # The hospital's medical record number system (a URI, e.g. its OID as
    # "urn:oid:..."): her MRN goes out under it as a FHIR Patient identifier.
    mrn_system = models.CharField("MRN system", max_length=200, blank=True, default="", db_default="")
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
    pages and which survivors a person may see (see tracker/scope.py)."""

    class Role(models.TextChoices):
        SURVIVOR = "survivor", "Survivor"
        NURSE = "nurse", "Nurse"
        CLINIC_ADMIN = "clinic_admin", "Clinic admin"

    class WeightUnit(models.TextChoices):
        KG = "kg", _("Kilograms (kg)")
        LB = "lb", _("Pounds (lb)")

    # Named for her: password checks say "too similar to the email address", in her language.
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(max_length=200)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.SURVIVOR)
    # A survivor belongs to exactly one clinic; staff may work for several.
    clinic = models.ForeignKey(Clinic, null=True, blank=True, on_delete=models.PROTECT, related_name="survivors")
    staff_clinics = models.ManyToManyField(Clinic, blank=True, related_name="staff")
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="America/New_York")
    weight_unit = models.CharField(max_length=2, choices=WeightUnit.choices, default=WeightUnit.KG)
    # Her pages, emails and texts are in this language (tracker/i18n.py);
    # staff pages stay English for now and show it next to her name.
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en", db_default="en")
    # Her medical record number at the hospital, filled by her clinic's staff
    # so the chart system can match her (fhirapi: Patient.identifier).
    mrn = models.CharField("MRN", max_length=64, blank=True, default="", db_default="")
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
    REQUIRED_FIELDS = []  # typed by AbstractBaseUser

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

    # Not a column: her sessions page marks the one she is using (type checker only).
    is_current: bool

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
    # The language of the invitation email and her first choice on the
    # welcome page; blank means her browser's.
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"
