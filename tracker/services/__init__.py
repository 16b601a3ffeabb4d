"""Every write in the tracker app, one concern per module: audit (the audit
trail), accounts (invitations, her profile, deactivation and password
changes), checkins (her symptoms, notes and weights), flags (the rules run on
them and the flags they raise; flags_sql holds its PostgreSQL statements),
snoozes, rules (a clinic admin's rule edits, the defaults, an import) and
corrections (an entry or weight entered in error, a weight asked about).
Keyword-only, typed, full_clean() first."""

# Re-exported while moving (issue 14); call sites move to the modules next.
from django.core.exceptions import ValidationError

from .accounts import (
    account_deactivate,
    account_password_changed,
    account_reactivate,
    invitation_accept,
    invitation_create,
    invitation_send_email,
    survivor_profile_update,
)
from .audit import audit_read, audit_record, audit_record_list
from .checkins import EntryData, checkin_create, note_fields, notes_reread, weight_record, weight_to_kg
from .corrections import (
    UNIT_MIXUP_TOLERANCE,
    WEIGHT_JUMP_DAYS,
    WEIGHT_JUMP_SHARE,
    entry_mark_in_error,
    weight_confirmation,
    weight_correct,
    weight_mark_in_error,
    weight_question,
    weight_shown,
)
from .flags import FlagResult, flag_close, flags_evaluate, survivor_lock
from .rules import (
    RULE_FIELDS,
    RULE_SLUG,
    RULE_TEXT_FIELDS,
    rule_content_errors,
    rule_save,
    rule_set_active,
    rule_slug_errors,
    rule_vocabulary,
    rules_import,
    rules_load_defaults,
)
from .snoozes import snooze_create, snooze_end

__all__ = [
    "RULE_FIELDS",
    "RULE_SLUG",
    "RULE_TEXT_FIELDS",
    "UNIT_MIXUP_TOLERANCE",
    "WEIGHT_JUMP_DAYS",
    "WEIGHT_JUMP_SHARE",
    "EntryData",
    "FlagResult",
    "ValidationError",
    "account_deactivate",
    "account_password_changed",
    "account_reactivate",
    "audit_read",
    "audit_record",
    "audit_record_list",
    "checkin_create",
    "entry_mark_in_error",
    "flag_close",
    "flags_evaluate",
    "invitation_accept",
    "invitation_create",
    "invitation_send_email",
    "note_fields",
    "notes_reread",
    "rule_content_errors",
    "rule_save",
    "rule_set_active",
    "rule_slug_errors",
    "rule_vocabulary",
    "rules_import",
    "rules_load_defaults",
    "snooze_create",
    "snooze_end",
    "survivor_lock",
    "survivor_profile_update",
    "weight_confirmation",
    "weight_correct",
    "weight_mark_in_error",
    "weight_question",
    "weight_record",
    "weight_shown",
    "weight_to_kg",
]
