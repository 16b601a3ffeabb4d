"""Every bound on what a rule, an import or a scenario bench may hold, in one
place (CONVENTIONS habit 12: bound every input at the edge). Pure: no ORM.

The rule bounds are far above what any clinical rule needs (the shipped
rules go 5 levels deep, 13 tests, lists of 7 codes) and far below what makes
a check-in slow or a walker recurse out of its stack."""

from __future__ import annotations

import json
from collections.abc import Iterable

# A rule's condition (tracker/rules/validation.py validate_condition).
MAX_DEPTH = 20  # levels of groups and tests; the condition itself is level 1
MAX_NODES = 200  # groups and tests in one condition
MAX_CODES = 100  # codes in one list (symptoms, body sites, concepts)
MAX_DAYS = 3660  # a window of ten years: anything longer is a typo
MAX_ANSWER_TIMES = 100  # answers counted by an endocrine test: two years of weekly check-ins
MAX_PROBLEMS = 30  # problems listed for one condition; the rest are counted
MAX_CONDITION_CHARS = 50_000  # the condition's JSON, as typed or imported

# A rule's other fields, on the edit page and in an import alike.
MAX_SLUG = 80
MAX_NAME = 200
MAX_ADVICE = 1_000
MAX_NURSE_NOTE = 2_000
MAX_SOURCE = 1_000

# JSON from outside (an import, a condition typed on the edit page, a stored
# condition read back): more levels than any valid rule set needs. A valid
# condition is at most 2 * MAX_DEPTH levels of JSON (a group is an object
# holding a list), an import three more.
MAX_JSON_DEPTH = 2 * MAX_DEPTH + 8

# The rules import.
MAX_IMPORT_BYTES = 1_000_000  # the 30 shipped rules export to 17 kB
MAX_IMPORT_RULES = 200  # 300 new rules took 1.9 s to import on the dev machine

# The scenario bench page (manage.py check_rules reads a file of any length,
# one scenario at a time; the per-scenario bounds are in rules/scenarios.py).
MAX_BENCH_SCENARIOS = 200  # the shipped file has 90
MAX_BENCH_EVENTS = 5_000  # entries and weights over all scenarios of one run
# Every note of one run is read by the note reader, whose cost grows faster
# than a note's length (about 0.1 s for 2,000 characters, 0.4 s for 4,000):
# one run reads at most ten notes of the longest a survivor can send.
MAX_BENCH_NOTE_CHARS = 20_000
MAX_NOTE_CHARS = 2_000  # one note: the check-in form's (tracker.models.NOTE_MAX_LENGTH)


class TooDeep(ValueError):
    pass


def json_depth_exceeds(value, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether decoded JSON nests objects and lists more than `limit` deep.
    Iterative, and stops at the first branch over the limit: it is the check
    that lets every recursive walker after it trust its input."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children: Iterable
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def loads(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH):
    """json.loads that refuses JSON nested more than max_depth levels with
    TooDeep (a ValueError) instead of a RecursionError or a tree that would
    cost one later."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise TooDeep(f"nested too deeply (at most {max_depth} levels)") from None
    if json_depth_exceeds(value, max_depth):
        raise TooDeep(f"nested too deeply (at most {max_depth} levels)")
    return value


def clip(value, limit: int = 40) -> str:
    """A value quoted back in an error message, cut short: a message must not
    grow with the input."""
    text = str(value) if isinstance(value, str | int | float | bool) or value is None else type(value).__name__
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
