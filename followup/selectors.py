"""Moved (issue 14): the follow-up app's reads now live by job in
followup/triage/ (queue, rows, reads), followup/reminders/ (loop, notices)
and followup/admin_actions.py. This module only re-exports them for the
call sites not moved yet."""

# Re-exported while moving (issue 14); call sites move to the modules next.
from .admin_actions import (  # noqa: F401
    MESSAGE_COUNT_DAYS,
    admin_clinics,
    message_counts_for_admin,
    message_get_for_admin,
    messages_for_admin,
)
from .reminders.loop import flag_get_for_survivor  # noqa: F401
from .reminders.notices import notices_for  # noqa: F401
from .triage.queue import (  # noqa: F401
    QUEUE_COLUMNS,
    QUEUE_LAST_PAGE,
    QUEUE_ORDER,
    QUEUE_PAGE_SIZE,
    flag_queue,
    queue_next,
    queue_page,
    queue_page_from_values,
    queue_page_number,
    queue_rule_id,
)
from .triage.reads import (  # noqa: F401
    SYMPTOMS_RECHECK_SECONDS,
    call_list_bounced,
    call_list_callback,
    call_list_no_recent_checkin,
    clinic_survivors,
    dashboard,
    flag_get_for_nurse,
    snoozes_for,
    survivor_for_nurse,
    symptom_choices,
)
from .triage.rows import (  # noqa: F401
    QueueFlag,
    QueuePage,
    QueueRow,
    span,
)
