"""What the engine reads about one survivor: her symptom entries and weights,
and what her note says about herself (the concepts she names, and what was
set aside and why). Plain frozen data, filled from the database
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


@dataclass(frozen=True)
class History:
    """What the survivor reported before (and including) the event."""

    entries: Sequence[Entry] = ()
    weights: Sequence[Weight] = ()
