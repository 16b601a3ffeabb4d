"""Her follow-up plan (issue 15): a clinic's plan templates, a survivor's plan
with her key dates, the plan's items (visits, mammograms...) each due in a
window, and every change to them with who and when.

The date arithmetic is pure and lives in tracker/plans/ (calendar.py); the
writes in tracker/services/plans.py; the reminders a plan's items send are
followup's (followup/reminders/plan.py), which hears of changes through
tracker.signals.plan_items_changed."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..plans.serialize import MAX_KEY, MAX_LABEL
from ..plans.spec import Kind
from .people import Clinic, User

# Bounds at the edge (a plan is written by nurses and admins, read by her).
# A template item's key and label are bounded where a template's JSON is
# checked (tracker/plans/serialize.py, pure), and stored in these columns.
PLAN_NOTE_MAX_LENGTH = 2000
PLAN_LABEL_MAX_LENGTH = MAX_LABEL
PLAN_PLACE_MAX_LENGTH = 200
PLAN_TEMPLATE_NAME_MAX_LENGTH = 200
PLAN_TEMPLATE_SOURCE_MAX_LENGTH = 1000


class PlanTemplate(models.Model):
    """A clinic's template. `builtin` names a template shipped in code
    (tracker/plans/defaults.py): its items and words are the code's, so they
    are translated and follow the code's updates; a clinic's own template
    keeps its items as JSON (tracker/plans/serialize.py), validated by the
    services before it is saved."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="plan_templates")
    name = models.CharField(max_length=PLAN_TEMPLATE_NAME_MAX_LENGTH)
    builtin = models.CharField(max_length=40, blank=True)
    source = models.TextField(blank=True, max_length=PLAN_TEMPLATE_SOURCE_MAX_LENGTH)
    source_note = models.TextField(blank=True, max_length=PLAN_NOTE_MAX_LENGTH)
    items = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["clinic_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="plan_template_name_per_clinic"),
            models.UniqueConstraint(
                fields=["clinic", "builtin"], condition=~models.Q(builtin=""), name="plan_template_builtin_once"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Plan(models.Model):
    """Her plan: one per survivor, started by a nurse from a template with
    her key dates (calendar dates in her time zone)."""

    survivor = models.OneToOneField(User, on_delete=models.CASCADE, related_name="plan")
    template = models.ForeignKey(PlanTemplate, on_delete=models.PROTECT, related_name="plans")
    diagnosis_on = models.DateField(_("Diagnosis"))
    surgery_on = models.DateField(_("Surgery"), null=True, blank=True)
    radiation_end_on = models.DateField(_("End of radiation"), null=True, blank=True)
    first_mammogram_on = models.DateField(_("Mammogram that found the cancer"), null=True, blank=True)
    endocrine_start_on = models.DateField(_("Start of hormone therapy"), null=True, blank=True)
    # She stopped (or finished) hormone therapy: her check-in stops asking.
    endocrine_end_on = models.DateField(_("End of hormone therapy"), null=True, blank=True)
    started_on = models.DateField()
    started_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # Every template item is planned up to this day of hers (her horizon
    # when the items were last generated for all of them): the sweep extends
    # plans short of their two-year horizon (tracker/services/plan_horizon.py)
    # by asking the index, not every plan's items. Null: a plan made
    # without the services (fixtures), which the sweep leaves alone.
    planned_until = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(endocrine_end_on__isnull=True) | models.Q(endocrine_start_on__isnull=False),
                name="plan_endocrine_end_after_start_known",
            ),
        ]
        indexes = [models.Index(fields=["planned_until", "id"], name="plan_planned_until")]

    def __str__(self) -> str:
        return f"Plan of {self.survivor_id}"

    @property
    def takes_endocrine(self) -> bool:
        """Whether her weekly check-in asks about her hormone tablets."""
        return self.endocrine_start_on is not None and self.endocrine_end_on is None


class PlanItem(models.Model):
    """One visit or test, due in a window (opens_on..due_by, both included,
    her calendar dates). Template items carry the template item's key and
    take their words from it; an item a nurse added has key "" and a label."""

    class State(models.TextChoices):
        DUE = "due", _("Due")
        BOOKED = "booked", _("Booked")
        DONE = "done", _("Done")
        MISSED = "missed", _("Missed")
        NOT_NEEDED = "not_needed", _("Not needed")

    KIND_CHOICES = [
        (Kind.VISIT.value, _("Clinic visit")),
        (Kind.MAMMOGRAM.value, _("Mammogram")),
        (Kind.IMAGING.value, _("Other imaging")),
        (Kind.BLOOD_TEST.value, _("Blood test")),
        (Kind.OTHER.value, _("Other")),
    ]
    OPEN_STATES = (State.DUE, State.BOOKED)

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="items")
    key = models.CharField(max_length=MAX_KEY, blank=True)
    kind = models.CharField(max_length=12, choices=KIND_CHOICES)
    label = models.CharField(max_length=PLAN_LABEL_MAX_LENGTH, blank=True)
    opens_on = models.DateField()
    due_by = models.DateField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.DUE)
    booked_at = models.DateTimeField(null=True, blank=True)
    booked_place = models.CharField(max_length=PLAN_PLACE_MAX_LENGTH, blank=True)
    done_on = models.DateField(null=True, blank=True)
    missed_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, max_length=PLAN_NOTE_MAX_LENGTH)
    # "Bring to your visit": what she wants to ask, in her own words.
    her_questions = models.TextField(blank=True, max_length=PLAN_NOTE_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["opens_on", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(due_by__gte=models.F("opens_on")), name="plan_item_window"),
            models.CheckConstraint(
                condition=~models.Q(state="booked") | models.Q(booked_at__isnull=False), name="plan_item_booked_when"
            ),
            models.CheckConstraint(
                condition=~models.Q(state="done") | models.Q(done_on__isnull=False), name="plan_item_done_when"
            ),
        ]
        indexes = [
            # The sweep's question: open items whose window has closed.
            models.Index(fields=["due_by"], name="plan_item_open_due", condition=models.Q(state__in=["due", "booked"])),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.opens_on}..{self.due_by}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class PlanChange(models.Model):
    """Every change to a plan, with who and when (by None: the app itself,
    e.g. the sweep finding an item missed). before/after hold the changed
    fields only, as JSON-safe values."""

    class Action(models.TextChoices):
        STARTED = "started", _("Plan started")
        DATES = "dates", _("Key dates changed")
        ADDED = "added", _("Item added")
        MOVED = "moved", _("Item moved")
        DROPPED = "dropped", _("Item dropped")
        BOOKED = "booked", _("Booked")
        DONE = "done", _("Done")
        NOT_NEEDED = "not_needed", _("Not needed")
        MISSED = "missed", _("Missed")
        ROLLED = "rolled", _("Next items planned")
        NOTE = "note", _("Note")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="changes")
    item = models.ForeignKey(PlanItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="changes")
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=12, choices=Action.choices)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} on plan {self.plan_id}"
