"""tracker's models, one module per concern: people (clinics, users, their
sessions, invitations), reports (the symptom catalog, check-ins, symptom
entries, weights), rules (tiers, rules and their versions and switches,
snoozes, preview jobs), flags (flags and what attached to them) and audit
(the audit trail).

Fields, constraints and small properties only: every write goes through
tracker/services/, every permission-checked read through
tracker/selectors/.

Importing every model here is Django's standard pattern for a models
package, not a temporary shim: the app registry finds models through
`tracker.models`, and `from tracker.models import Flag` stays the way to
reach them (with their constants: `Flag.Status`, `Tier`, ...). UserManager
and ConditionField stay here for good too: migrations 0001 and 0012 name them
`tracker.models.UserManager` and `tracker.models.ConditionField`."""

from .audit import AuditEvent
from .flags import Flag, FlagEntry
from .people import Clinic, Invitation, User, UserManager, UserSession
from .plans import Plan, PlanChange, PlanItem, PlanTemplate
from .reports import BodySite, CheckIn, Symptom, SymptomEntry, WeightEntry
from .rules import ConditionField, PreviewJob, Rule, RuleSwitch, RuleVersion, Snooze, Tier

# Constants that forms, services and templates use with the models.
from .people import LB_PER_KG, TIME_ZONE_CHOICES  # isort: skip
from .reports import NOTE_MAX_LENGTH  # isort: skip

__all__ = [
    "LB_PER_KG",
    "NOTE_MAX_LENGTH",
    "TIME_ZONE_CHOICES",
    "AuditEvent",
    "BodySite",
    "CheckIn",
    "Clinic",
    "ConditionField",
    "Flag",
    "FlagEntry",
    "Invitation",
    "Plan",
    "PlanChange",
    "PlanItem",
    "PlanTemplate",
    "PreviewJob",
    "Rule",
    "RuleSwitch",
    "RuleVersion",
    "Snooze",
    "Symptom",
    "SymptomEntry",
    "Tier",
    "User",
    "UserManager",
    "UserSession",
    "WeightEntry",
]
