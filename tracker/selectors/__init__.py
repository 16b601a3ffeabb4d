"""Every read that depends on who asks, one module per job:

- access.py: who may read which survivor, check-in and entry; staff clinics,
  their survivors and pending invitations;
- history.py: her check-ins, symptom timeline, weights and charts' data;
- flags.py: her flags as her own pages show them;
- export.py: her whole record as the export file's rows;
- rules.py: the clinic admin's rule pages, preview jobs and sentence test;
- accounts.py: the clinic admin's accounts page.

The rule cache and the rules engine's inputs (ORM -> engine, no permission
check) live in tracker/evaluation/inputs.py, not here.
"""

# Re-exported while moving (issue 14); call sites move to the modules next.
from ..evaluation.inputs import (  # noqa: F401
    RULES_RECHECK_SECONDS,
    RuleChoice,
    RuleInputs,
    entry_fact,
    rule_choices,
    rule_def,
    rule_defs_active,
    rule_defs_forget,
    rule_inputs,
    rule_slugs_skipped,
    weight_fact,
)

# Re-exported while moving (issue 14); call sites move to the modules next.
from ..evaluation.preview import Preview, PreviewSide, rule_preview  # noqa: F401

# Re-exported while moving (issue 14); call sites move to the modules next.
from .access import (  # noqa: F401
    checkin_get_for_user,
    clinic_survivor_list,
    entry_get_for_owner,
    invitation_list_pending,
    people_visible_to_staff,
    staff_clinics,
    survivor_get_for_user,
    survivors_visible_to,
    weight_get_for_owner,
)

# Re-exported while moving (issue 14); call sites move to the modules next.
from .export import EXPORT_COLUMNS, record_export_rows  # noqa: F401

# Re-exported while moving (issue 14); call sites move to the modules next.
from .flags import flags_for_checkin, flags_open_for_survivor  # noqa: F401

# Re-exported while moving (issue 14); call sites move to the modules next.
from .history import (  # noqa: F401
    WEIGHT_AXIS_MIN_SPAN,
    chart_data,
    chart_points,
    checkin_list_recent,
    history_chart,
    symptom_timeline,
    weight_last_standing,
    weight_list,
    weights_recent_for_owner,
)

# Re-exported while moving (issue 14); call sites move to the modules next.
from .rules import (  # noqa: F401
    SentenceTest,
    preview_job_get_for_user,
    preview_jobs_recent,
    rule_get_for_admin,
    rule_list_with_counts,
    rule_versions,
    rules_export,
    sentence_test,
)
