"""Moved (issue 14) to followup/reminders/channels.py; this module only
re-exports it for the call sites not moved yet."""

# Re-exported while moving (issue 14); call sites move to the modules next.
from .reminders.channels import (  # noqa: F401
    REGISTRY,
    DeliveryError,
    EmailChannel,
    Envelope,
    InAppChannel,
    SmsChannel,
    channel_for,
    message_context,
)
