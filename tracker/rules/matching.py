"""What each test of a condition means on one event. A rule's condition is
folded once, through rules/tree.py's walk, into a function of the event in
scope (Scope: the entry or weight, her history, the snoozed symptoms) that
gives the evidence when it matches (Match) and None when it does not. Pure:
no ORM. The grammar is described in engine.py; which rules run on an event,
and what a hit says, is engine.evaluate's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from . import tree
from .facts import ENDOCRINE_WORDS, Answer, Entry, History, Mention


@dataclass
class Match:
    """What a matching node found: evidence for the nurse, her words that matched."""

    evidence: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    explained: bool = False  # matched through mentions she explains by a known cause

    def merge(self, other: Match) -> Match:
        return Match(self.evidence + other.evidence, self.words + other.words, self.explained or other.explained)


LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}


def describe_entry(entry: Entry) -> str:
    """Evidence in words a nurse reads at a glance: "pain at hip, new, severity 7, getting worse"."""
    what = entry.symptom.replace("_", " ")
    if entry.body_site:
        what += f" at {entry.body_site.replace('_', ' ')}"
    parts = [what]
    if entry.is_new:
        parts.append("new")
    parts.append(f"severity {entry.severity}")
    if entry.is_worse:
        parts.append("getting worse")
    return ", ".join(parts)


@dataclass(frozen=True)
class Scope:
    """The event a condition is evaluated on (an entry; None for a weight
    or for a check-in's answer about her hormone tablets, then `answer`),
    her history up to it, and the symptoms she snoozed."""

    entry: Entry | None
    history: History
    now: dt.datetime
    snoozed_symptoms: frozenset[str]
    others_hit: bool = False
    answer: Answer | None = None

    def window(self, days: int) -> list[Entry]:
        start = self.now - dt.timedelta(days=days)
        return [e for e in self.history.entries if start <= e.at <= self.now and e.symptom not in self.snoozed_symptoms]


Matcher = Callable[[Scope], "Match | None"]


class _Compile(tree.Walk[None, Matcher]):
    """A condition as one function of the event in scope, built once per rule
    (RuleDef.matcher), so that evaluating it walks no tree: a group calls its
    children's functions in turn, an all stopping at the first that fails,
    an any at the first that matches."""

    def on_all(self, value, results, ctx) -> Matcher:
        children = tuple(results)

        def match_all(scope: Scope) -> Match | None:
            total = Match()
            for child in children:
                found = child(scope)
                if found is None:
                    return None
                total = total.merge(found)
            return total

        return match_all

    def on_any(self, value, results, ctx) -> Matcher:
        children = tuple(results)

        def match_any(scope: Scope) -> Match | None:
            for child in children:
                found = child(scope)
                if found is not None:
                    return found
            return None

        return match_any

    def on_not(self, value, result, ctx) -> Matcher:
        child = result()
        return lambda scope: Match() if child(scope) is None else None

    def on_combination(self, value, side, ctx) -> Matcher:
        return partial(_combination, value, {name: side(name, ctx) for name in tree.SIDES})

    def on_leaf(self, key, value, ctx) -> Matcher:
        test = _HISTORY_TESTS.get(key)
        if test is not None:
            return partial(test, value)
        return lambda scope: _entry_leaf(key, value, scope.entry)


_COMPILE = _Compile()


def matcher(condition: dict) -> Matcher:
    """The function that evaluates this (valid) condition on an event."""
    return _COMPILE.walk(condition, None)


def _unread_note(value, scope: Scope) -> Match | None:
    entry = scope.entry
    if entry is None or not entry.note_has_content or scope.others_hit:
        return None
    return Match([f"her words ({LANGUAGE_NAMES.get(entry.note_lang, 'note')}): \u201c{_clip(entry.note)}\u201d"])


def _entry_leaf(key: str, value, entry: Entry | None) -> Match | None:
    if entry is None:
        return None
    if key == "symptom":
        return Match() if entry.symptom in value else None
    if key == "body_site":
        if entry.body_site in value:
            return Match()
        said = [m for m in entry.mentions if m.site in value]
        return Match([f"site in her words: \u201c{m.text}\u201d" for m in said]) if said else None
    if key == "min_severity":
        return Match() if entry.severity >= value else None
    if key in ("new", "worse"):
        ticked = entry.is_new if key == "new" else entry.is_worse
        said = [m for m in entry.mentions if (m.new if key == "new" else m.worse)]
        if value is False:
            return Match() if not ticked and not said else None
        if ticked:
            return Match()
        what = "new" if key == "new" else "getting worse"
        return Match([f"{what} in her words: \u201c{m.text}\u201d" for m in said]) if said else None
    if key == "text":
        found = [m for m in entry.mentions if m.concept in value]
        if not found:
            return None
        return Match(
            [f"in her words: \u201c{m.text}\u201d{_qualities(m)}" for m in found],
            [m.text for m in found],
            explained=all(m.explained for m in found),
        )
    raise ValueError(f"unknown test {key}")


def _qualities(mention: Mention) -> str:
    said = [w for w, on in (("new", mention.new), ("getting worse", mention.worse)) if on]
    if mention.explained:
        said.append(f"she puts it down to \u201c{mention.explained}\u201d")
    return f" ({', '.join(said)})" if said else ""


def _clip(note: str, limit: int = 280) -> str:
    note = " ".join(note.split())
    return note if len(note) <= limit else note[: limit - 1] + "\u2026"


def _persistence(value: dict, scope: Scope) -> Match | None:
    # Her words count like the form: "threw up again" is a day of vomiting.
    wanted = value["symptoms"]
    days = {
        e.day
        for e in scope.window(value["within_days"])
        if e.symptom in wanted or any(m.concept in wanted for m in e.mentions)
    }
    if len(days) < value["min_days"]:
        return None
    return Match([f"reported on {len(days)} days in the last {value['within_days']} days"])


def _combination(value: dict, sides: dict[str, Matcher], scope: Scope) -> Match | None:
    entry = scope.entry
    if entry is None:
        return None
    for this, other in (("a", "b"), ("b", "a")):
        # Scope(...) rather than dataclasses.replace: this is preview's hot loop.
        own = sides[this](Scope(entry, scope.history, scope.now, scope.snoozed_symptoms, scope.others_hit))
        if own is None:
            continue
        for earlier in reversed(scope.window(value["within_days"])):
            if earlier is entry or (earlier.id is not None and earlier.id == entry.id):
                continue
            then = Scope(earlier, scope.history, scope.now, scope.snoozed_symptoms, scope.others_hit)
            found = sides[other](then)
            if found is not None:
                when = _ago(scope.now, earlier.at)
                return own.merge(found).merge(Match([f"with {describe_entry(earlier)} ({when})"]))
    return None


def _weight_loss(value: dict, scope: Scope) -> Match | None:
    start = scope.now - dt.timedelta(days=value["within_days"])
    weights = sorted((w for w in scope.history.weights if start <= w.at <= scope.now), key=lambda w: w.at)
    if len(weights) < 2:
        return None
    latest = weights[-1]
    heaviest = max(weights[:-1], key=lambda w: w.kg)
    lost = heaviest.kg - latest.kg
    if lost <= 0:
        return None
    percent = lost / heaviest.kg * 100
    if "min_percent" in value and percent + 1e-9 < value["min_percent"]:
        return None
    if "min_kg" in value and lost + 1e-9 < value["min_kg"]:
        return None
    days = (latest.at - heaviest.at).days
    return Match([f"weight down {percent:.1f}% ({heaviest.kg:.1f} \u2192 {latest.kg:.1f} kg) over {days} days"])


def _endocrine(value: dict, scope: Scope) -> Match | None:
    """This check-in's answer about her hormone tablets is one of `answers`,
    and (min_times > 1) so were enough of her answers in the window, this
    one included. Only a check-in's answer is an event it matches: on a
    symptom entry or a weight there is no answer to read."""
    answer = scope.answer
    wanted = value["answers"]
    if answer is None or answer.answer not in wanted:
        return None
    said = f"hormone tablets this week: {ENDOCRINE_WORDS.get(answer.answer, answer.answer)}"
    times = value.get("min_times", 1)
    if times <= 1:
        return Match([said])
    start = scope.now - dt.timedelta(days=value["within_days"])
    # This check-in counts once, whether or not her history holds it already.
    earlier = [
        a
        for a in scope.history.answers
        if start <= a.at <= scope.now and a.answer in wanted and a is not answer and (a.id is None or a.id != answer.id)
    ]
    if len(earlier) + 1 < times:
        return None
    return Match([said, f"{len(earlier) + 1} times in the last {value['within_days']} days"])


# The tests that read more than the entry itself (entry tests: _entry_leaf).
_HISTORY_TESTS = {
    "weight_loss": _weight_loss,
    "persistence": _persistence,
    "unread_note": _unread_note,
    "endocrine": _endocrine,
}


def _ago(now: dt.datetime, then: dt.datetime) -> str:
    days = (now - then).days
    return "same check-in" if (now - then).total_seconds() < 60 else ("today" if days == 0 else f"{days} days before")
