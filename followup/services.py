"""Moved (issue 14): the follow-up app's writes now live by job in
followup/reminders/ (preferences, schedule, loop, notices, sweep, delivery),
followup/triage/ (actions, queue) and followup/admin_actions.py. This module
only re-exports them for the call sites not moved yet."""

# Re-exported while moving (issue 14); call sites move to the modules next.
from .admin_actions import (  # noqa: F401
    cadence_save,
    message_retry,
)
from .reminders.delivery import (  # noqa: F401
    deliver,
    deliveries_send_now,
)
from .reminders.loop import (  # noqa: F401
    OPEN_STATES,
    flag_survivor_confirm_contact,
    loop_close,
)
from .reminders.notices import notice_dismiss  # noqa: F401
from .reminders.preferences import (  # noqa: F401
    next_checkin_at,
    preferences_for,
    preferences_update,
    quiet_until,
)
from .reminders.schedule import (  # noqa: F401
    ALL_CHANNELS,
    cadence_plan,
    checkins_schedule,
    reminders_schedule,
    reminders_schedule_many,
)
from .reminders.sweep import (  # noqa: F401
    NO_OUTCOME,
    SWEEP_CLAIM_SECONDS,
    claim_due,
    escalations_check,
    requeue_stuck,
    sweep,
    sweep_urgent,
)
from .triage.actions import (  # noqa: F401
    call_log,
    flag_claim,
    flag_note_add,
    flag_nurse_contact,
    flag_nurse_resolve,
    flag_opened,
    flag_unclaim,
    flags_nurse_resolve,
)
from .triage.queue import queue_page_read  # noqa: F401
