"""Moved to tracker/services/corrections.py (issue 14)."""

# Re-exported while moving (issue 14); call sites move to the modules next.
from .services.corrections import (
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

__all__ = [
    "UNIT_MIXUP_TOLERANCE",
    "WEIGHT_JUMP_DAYS",
    "WEIGHT_JUMP_SHARE",
    "entry_mark_in_error",
    "weight_confirmation",
    "weight_correct",
    "weight_mark_in_error",
    "weight_question",
    "weight_shown",
]
