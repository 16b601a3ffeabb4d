"""What the engine reads about one survivor: her symptom entries and weights,
her check-ins' answers about her hormone tablets, and what her note says
about herself (the concepts she names, and what was set aside and why). Plain frozen data, filled from the database
(tracker/selectors.py), from a rule preview's rows or by scenario replay;
nothing here evaluates a rule (engine.py, matching.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Mention:
    """A concept she names about herself, now (see rules/text)."""

    concept: str
    text: str
    site: str | None = None  # a body-site code her words give
    new: bool = False  # "never had this before", "not like my usual aches"
    worse: bool = False  # "worse each week", "keeps me up"
    explained: str = ""  # the known cause she names ("from the letrozole")


@dataclass(frozen=True)
class SetAside:
    """A concept found in her words that does not count, and why (a key of
    SET_ASIDE_WORDS)."""

    concept: str
    text: str
    why: str


SET_ASIDE_WORDS = {
    "negated": "negated",
    "resolved": "resolved",
    "historical": "in the past",
    "hypothetical": "hypothetical or a worry",
    "other_person": "about someone else",
    "chronic": "long-standing, unchanged",
    "everyday": "an everyday feeling or a chosen diet, not a symptom",
}


@dataclass(frozen=True)
class Entry:
    symptom: str
    body_site: str | None
    severity: int
    is_new: bool
    is_worse: bool
    at: dt.datetime
    day: dt.date
    note: str = ""
    mentions: tuple[Mention, ...] = ()
    id: int | None = None
    set_aside: tuple[SetAside, ...] = ()
    note_lang: str = ""
    # Her note says something beyond "all fine" or "no pain": someone
    # should read it if no rule does (the unread_note test).
    note_has_content: bool = False


@dataclass(frozen=True)
class Weight:
    kg: float
    at: dt.datetime
    id: int | None = None


# A check-in's answer about her hormone tablets (tracker.models.CheckIn.Endocrine):
# the engine's own copy of the codes, so that it stays free of the ORM.
ENDOCRINE_ANSWERS = ("taken", "missed_some", "stopped")
ENDOCRINE_WORDS = {"taken": "taken as prescribed", "missed_some": "missed some", "stopped": "stopped"}


@dataclass(frozen=True)
class Answer:
    """Her answer, in one check-in, to "Your hormone tablets this week"
    (asked only while her plan says she takes them). A third kind of event
    beside entries and weights: a check-in may hold this answer and no
    symptom at all, and its flag must still be raised."""

    answer: str  # one of ENDOCRINE_ANSWERS
    at: dt.datetime
    id: int | None = None  # the check-in's id


@dataclass(frozen=True)
class History:
    """What the survivor reported before (and including) the event."""

    entries: Sequence[Entry] = ()
    weights: Sequence[Weight] = ()
    answers: Sequence[Answer] = ()
