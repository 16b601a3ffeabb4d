"""The rules engine: plain data in, hits out. No ORM, no I/O.

A rule's condition is a JSON tree. Groups: {"all": [...]}, {"any": [...]},
{"not": node}. Leaves:

  {"symptom": ["pain", ...]}              the entry's symptom is one of these
  {"body_site": ["hip", ...]}             the entry's body site is one of these
  {"min_severity": 7}                     severity at least this
  {"new": true} / {"worse": true}         new or different / getting worse
  {"text": ["bone_pain", ...]}            the note mentions one of these concepts
                                          (affirmed, current, about her: see rules/text)
  {"unread_note": true}                   her note says something (not just "all
                                          good" or "no pain") and no other rule
                                          fired on this entry: someone must read it
  {"persistence": {"symptoms": [...], "min_days": 3, "within_days": 14}}
                                          one of these symptoms reported (or named in
                                          her words) on at least min_days different
                                          days in the window
  {"combination": {"a": node, "b": node, "within_days": 3}}
                                          the entry matches a and another entry in the
                                          window matches b, or the other way round
  {"weight_loss": {"min_percent": 5, "within_days": 365}}   (or "min_kg": 4.5)
                                          latest weight is that far below the highest
                                          weight logged in the window
  {"endocrine": {"answers": ["stopped"]}}  the check-in's answer about her hormone
  {"endocrine": {"answers": ["missed_some"], "min_times": 2, "within_days": 28}}
                                          tablets is one of these (taken, missed_some,
                                          stopped), and so were at least min_times of
                                          her answers in the window, this one included

The note's mentions count like the structured fields: a body site her words
give passes "body_site", "never had this before" passes "new", "worse each
week" passes "worse". A text match whose every mention she puts down to a
known cause ("from the letrozole") fires at routine at most, never lowering
an emergency rule.

Rules whose tree uses only weight_loss are checked when a weight is logged;
rules testing endocrine (which may test nothing else) once per check-in that
holds her answer; every other rule is checked on each symptom entry.

Why her answer is an event of its own (facts.Answer) rather than a field of
the check-in's entries: a check-in may hold the answer and no symptom at all
("I have stopped taking them", nothing else to report), and that answer must
still raise its flag. Entry and weight rules never see it, so no existing
rule, gate or window changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

# What the engine reads: rules/facts.py; what each test means: rules/matching.py.
from .facts import SET_ASIDE_WORDS, Answer, Entry, History, Weight
from .matching import LANGUAGE_NAMES, Matcher, Scope, describe_entry, matcher

# What a condition needs (leaves, gate, windows): rules/shape.py; its grammar: rules/validation.py.
from .shape import _passes, entry_gate, leaves, max_window_days, trigger

# The tiers' order (SEVERITY: higher is worse) lives in rules/tiers.py.
from .tiers import SEVERITY, TIERS
from .validation import (
    ANSWER_LEAVES,
    InvalidRule,
    validate_condition,
)


@dataclass(frozen=True)
class RuleDef:
    slug: str
    tier: str
    condition: dict
    version_id: int | None = None
    rule_id: int | None = None
    name: str = ""
    # Filled from the condition: which symptoms / note concepts an entry
    # needs to have any chance of matching (None: any entry may match).
    gate: tuple[frozenset[str], frozenset[str], frozenset[str]] | None = field(default=None, compare=False)
    kind: str = field(default="", compare=False)
    # How many days back this rule looks at entries / at weights / at her answers.
    entry_days: int = field(default=0, compare=False)
    weight_days: int = field(default=0, compare=False)
    answer_days: int = field(default=0, compare=False)
    # Whether it is the "someone must read her words" rule that fires only
    # when no other rule did.
    reads_unread: bool = field(default=False, compare=False)
    # The condition as a function of the event (matching.matcher).
    matcher: Matcher = field(default=None, compare=False, repr=False)  # type: ignore[assignment]

    def __post_init__(self):
        # Checked here, once, so that the walkers below (and evaluation) only
        # ever see a condition within bounds: a stored row may predate them.
        problems = validate_condition(self.condition, None)
        if self.tier not in TIERS:
            problems.append(f"tier: must be one of {', '.join(TIERS)}")
        if problems:
            raise InvalidRule(problems)
        object.__setattr__(self, "gate", entry_gate(self.condition))
        object.__setattr__(self, "matcher", matcher(self.condition))
        object.__setattr__(self, "kind", trigger(self.condition))
        object.__setattr__(self, "reads_unread", "unread_note" in leaves(self.condition))
        object.__setattr__(self, "entry_days", max_window_days([self.condition], kinds=("persistence", "combination")))
        object.__setattr__(self, "weight_days", max_window_days([self.condition], kinds=("weight_loss",)))
        object.__setattr__(self, "answer_days", max_window_days([self.condition], kinds=ANSWER_LEAVES))


@dataclass(frozen=True)
class Hit:
    rule: RuleDef
    evidence: str
    matched_text: tuple[str, ...] = ()
    entry: Entry | None = None
    weight: Weight | None = None
    answer: Answer | None = None
    # The rule's tier, or routine when her words alone matched and she
    # names a known cause for all of them (never for an emergency rule).
    tier: str = ""
    # Not a match: the rule raised on this event and did not run (review_hit).
    failed: bool = False

    def __post_init__(self):
        if not self.tier:
            object.__setattr__(self, "tier", self.rule.tier)


@dataclass(frozen=True)
class Failure:
    """A rule that raised on an event, and was skipped (evaluate's failures)."""

    rule: RuleDef
    # The exception's class only: its message could quote her words.
    error: str


# ---------------------------------------------------------------- evaluation


def evaluate(
    rules: Iterable[RuleDef],
    *,
    history: History,
    entry: Entry | None = None,
    weight: Weight | None = None,
    answer: Answer | None = None,
    snoozed_rules: frozenset[str] = frozenset(),
    snoozed_symptoms: frozenset[str] = frozenset(),
    failures: list[Failure] | None = None,
) -> list[Hit]:
    """The rules that fire for one event: a symptom entry, a logged weight,
    or a check-in's answer about her hormone tablets.

    Snoozes silence a rule, or a symptom, for this survivor; never an
    emergency rule. "Read her words" rules go last: they fire only when no
    other rule matched the entry (a snoozed match counts: a nurse knows).

    Each rule runs on its own: given a `failures` list, a rule that raises
    is added to it and skipped, and every other rule still runs (a check-in
    must never be lost to one broken rule). Without one, the error is raised."""
    if (entry is not None) + (weight is not None) + (answer is not None) != 1:
        raise ValueError("evaluate one event: an entry, a weight or an answer")
    rules = list(rules)
    reads_unread = entry is not None and entry.note_has_content and any(r.reads_unread for r in rules)
    hits: list[Hit] = []
    snoozed_match = False
    # What her words name, once per event rather than once per rule.
    said = (
        (frozenset(m.concept for m in entry.mentions), frozenset(m.site for m in entry.mentions if m.site))
        if entry is not None and entry.mentions
        else None
    )
    kind = "entry" if entry is not None else "weight" if weight is not None else "answer"
    for rule in rules:
        if rule.reads_unread or rule.kind != kind:
            continue
        if entry is not None and rule.gate is not None and not _passes(rule.gate, entry, said):
            continue
        snoozed = rule.tier != "emergency" and (
            rule.slug in snoozed_rules or (entry is not None and entry.symptom in snoozed_symptoms)
        )
        if snoozed and not reads_unread:
            continue
        hit = _isolated(rule, history, entry, weight, snoozed_symptoms, False, failures, answer)
        if hit is None:
            continue
        if snoozed:
            snoozed_match = True
        else:
            hits.append(hit)
    for rule in rules:
        if not reads_unread or not rule.reads_unread or (rule.tier != "emergency" and rule.slug in snoozed_rules):
            continue
        if entry is not None and rule.gate is not None and not _passes(rule.gate, entry, said):
            continue
        hit = _isolated(rule, history, entry, weight, snoozed_symptoms, bool(hits) or snoozed_match, failures)
        if hit is not None:
            hits.append(hit)
    return hits


def _isolated(rule, history, entry, weight, snoozed_symptoms, others_hit: bool, failures, answer=None) -> Hit | None:
    try:
        return _evaluate_one(rule, history, entry, weight, snoozed_symptoms, others_hit=others_hit, answer=answer)
    except Exception as error:  # any bug in one rule: the others and her check-in go on
        if failures is None:
            raise
        failures.append(Failure(rule=rule, error=type(error).__name__))
        return None


def _evaluate_one(rule, history, entry, weight, snoozed_symptoms, *, others_hit: bool, answer=None) -> Hit | None:
    """One rule on one event that passed its gate (evaluate() checks it)."""
    now = entry.at if entry is not None else weight.at if weight is not None else answer.at
    scope = Scope(
        entry=entry,
        history=history,
        now=now,
        snoozed_symptoms=(frozenset() if rule.tier == "emergency" else snoozed_symptoms),
        others_hit=others_hit,
        answer=answer,
    )
    match = rule.matcher(scope)
    if match is None:
        return None
    # "Read her words": the queue row shows the start of the evidence, so her note comes first.
    described = [describe_entry(entry)] if entry is not None and not rule.reads_unread else []
    parts = described + match.evidence
    if entry is not None and not rule.reads_unread:
        # Everything her note mentions but that does not count, and why: a
        # nurse reading "legs weak" wants to know "no headache" was said too.
        parts += [f"set aside: \u201c{s.text}\u201d ({SET_ASIDE_WORDS.get(s.why, s.why)})" for s in entry.set_aside]
        if entry.note_lang and any(p.startswith(("in her words", "set aside")) for p in parts):
            parts.append(f"note read as {LANGUAGE_NAMES.get(entry.note_lang, entry.note_lang)}")
    lowered = match.explained and rule.tier != "emergency"
    return Hit(
        rule=rule,
        evidence="; ".join(_unique(parts)),
        matched_text=tuple(_unique(match.words)),
        entry=entry,
        weight=weight,
        answer=answer,
        tier="routine" if lowered else rule.tier,
    )


RULE_FAILED = "needs review: a rule failed"


def review_hit(
    failure: Failure, *, entry: Entry | None = None, weight: Weight | None = None, answer: Answer | None = None
) -> Hit:
    """What a nurse is told when a rule raised on her entry (or weight) and
    did not run: which rule, on what, and that she must read it herself.
    Routine: the tier a failed rule's flag is filed at is decided where
    flags are written (tracker.services), not by a rule that did not run."""
    what = (
        describe_entry(entry)
        if entry is not None
        else f"weight {weight.kg:.1f} kg"
        if weight
        else "her answer about hormone tablets"
        if answer
        else "an entry"
    )
    name = failure.rule.name or failure.rule.slug
    return Hit(
        rule=failure.rule,
        evidence=f"{RULE_FAILED}; {what}; \u201c{name}\u201d could not check it, so please read her check-in",
        entry=entry,
        weight=weight,
        answer=answer,
        tier="routine",
        failed=True,
    )


def split_evidence(evidence: str) -> tuple[list[str], list[str]]:
    """(what matched, what was set aside and why), for a nurse's page."""
    parts = [p for p in evidence.split("; ") if p]
    return [p for p in parts if not p.startswith("set aside: ")], [
        p.removeprefix("set aside: ") for p in parts if p.startswith("set aside: ")
    ]


def highest_tier(tiers: Iterable[str]) -> str | None:
    ranked = sorted(tiers, key=SEVERITY.__getitem__)
    return ranked[-1] if ranked else None


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)
