"""The audit trail: one append-only row for each staff read of a survivor's
data, each staff action and each security event, with the words the audit
browser shows for each action. Written through tracker/services/ and
tracker/security/events.py, never updated (a trigger refuses it)."""

from django.db import models
from django.utils import timezone

from .people import User


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
    # A system's read through the FHIR interface (fhirapi/): the registered
    # client's id ("fhir:<client_id>"), with no person as the actor.
    via = models.CharField(max_length=100, blank=True, default="", db_default="")

    # What the audit browser says for each action code.
    ACTION_LABELS = {
        "queue.view": "Saw them in the triage queue",
        "flag.view": "Opened a flag",
        "checkin.view": "Opened a check-in",
        "survivor.history.view": "Opened her history",
        "survivor.export": "Downloaded her record",
        "fhir.read": "Read through the FHIR interface",
        "fhir.search": "Listed through the FHIR interface",
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
        # Her follow-up plan (tracker/services/plan_common.py writes
        # "plan.<PlanChange action>" for a person's change).
        "plan.view": "Opened her follow-up plan",
        "plan.started": "Started her follow-up plan",
        "plan.dates": "Changed her plan's key dates",
        "plan.added": "Added a plan item",
        "plan.moved": "Moved a plan item",
        "plan.dropped": "Dropped a plan item",
        "plan.booked": "Booked a plan item",
        "plan.done": "Marked a plan item done",
        "plan.not_needed": "Marked a plan item not needed",
        "plan.rolled": "Planned the next items",
        "plan.note": "Added a note to her plan",
        "plan_template.save": "Saved a plan template",
        "plan_template.on": "Switched a plan template on",
        "plan_template.off": "Switched a plan template off",
        # The FHIR interface (fhirapi/services.py).
        "fhir_client.register": "Registered a FHIR client",
        "fhir_client.deactivate": "Deactivated a FHIR client",
        "survivor.mrn": "Set her MRN",
        "clinic.mrn_system": "Set the clinic's MRN system",
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
