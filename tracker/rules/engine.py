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

The note's mentions count like the structured fields: a body site her words
give passes "body_site", "never had this before" passes "new", "worse each
week" passes "worse". A text match whose every mention she puts down to a
known cause ("from the letrozole") fires at routine at most, never lowering
an emergency rule.

Rules whose tree uses only weight_loss are checked when a weight is logged;
every other rule is checked on each symptom entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# The tiers' order (SEVERITY: higher is worse) lives in rules/tiers.py.
from .tiers import SEVERITY, TIERS

# The grammar and its one validating walk live in rules/validation.py;
# engine.X stays the name every caller uses.
from .validation import (  # noqa: F401
    ENTRY_LEAVES,
    GROUPS,
    HISTORY_LEAVES,
    LEAVES,
    InvalidRule,
    Vocabulary,
    validate_condition,
)


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
    # How many days back this rule looks at entries / at weights.
    entry_days: int = field(default=0, compare=False)
    weight_days: int = field(default=0, compare=False)
    # Whether it is the "someone must read her words" rule that fires only
    # when no other rule did.
    reads_unread: bool = field(default=False, compare=False)

    def __post_init__(self):
        # Checked here, once, so that the walkers below (and evaluation) only
        # ever see a condition within bounds: a stored row may predate them.
        problems = validate_condition(self.condition, None)
        if self.tier not in TIERS:
            problems.append(f"tier: must be one of {', '.join(TIERS)}")
        if problems:
            raise InvalidRule(problems)
        object.__setattr__(self, "gate", entry_gate(self.condition))
        object.__setattr__(self, "kind", trigger(self.condition))
        object.__setattr__(self, "reads_unread", "unread_note" in leaves(self.condition))
        object.__setattr__(self, "entry_days", max_window_days([self.condition], kinds=("persistence", "combination")))
        object.__setattr__(self, "weight_days", max_window_days([self.condition], kinds=("weight_loss",)))


@dataclass(frozen=True)
class History:
    """What the survivor reported before (and including) the event."""

    entries: Sequence[Entry] = ()
    weights: Sequence[Weight] = ()


@dataclass(frozen=True)
class Hit:
    rule: RuleDef
    evidence: str
    matched_text: tuple[str, ...] = ()
    entry: Entry | None = None
    weight: Weight | None = None
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


@dataclass
class _Match:
    evidence: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    explained: bool = False  # matched through mentions she explains by a known cause

    def merge(self, other: _Match) -> _Match:
        return _Match(self.evidence + other.evidence, self.words + other.words, self.explained or other.explained)


def leaves(node) -> list[str]:
    if not isinstance(node, dict) or len(node) != 1:
        return []
    [(key, value)] = node.items()
    if key in ("all", "any"):
        return [leaf for child in value for leaf in leaves(child)] if isinstance(value, list) else []
    if key == "not":
        return leaves(value)
    if key == "combination" and isinstance(value, dict):
        return ["combination"]
    return [key]


Gate = tuple[frozenset[str], frozenset[str], frozenset[str]]


def entry_gate(node) -> Gate | None:
    """(symptoms, body sites, concepts): an entry can only match this node if
    its symptom is in the first set, its body site in the second, or its note
    mentions a concept in the third. None when no such limit holds. Lets
    evaluate() skip most rules at once."""
    if not isinstance(node, dict) or len(node) != 1:
        return None
    [(key, value)] = node.items()
    empty: frozenset[str] = frozenset()
    if key == "symptom":
        return frozenset(value), empty, empty
    if key == "body_site":
        return empty, frozenset(value), empty
    if key == "text":
        return empty, empty, frozenset(value)
    if key == "any":
        gates = [g for g in (entry_gate(child) for child in value) if g is not None]
        if not gates or len(gates) < len(value):  # a child without a gate lets any entry through
            return None
        return tuple(frozenset().union(*(g[i] for g in gates)) for i in range(3))  # type: ignore[return-value]
    if key == "all":
        gates = [g for g in (entry_gate(child) for child in value) if g is not None]
        return min(gates, key=lambda g: sum(map(len, g))) if gates else None
    if key == "combination":
        a, b = entry_gate(value["a"]), entry_gate(value["b"])
        return None if a is None or b is None else (a[0] | b[0], a[1] | b[1], a[2] | b[2])
    return None


def _passes(gate: Gate, entry: Entry, said: tuple[frozenset[str], frozenset[str]] | None = None) -> bool:
    """said: what her words name (concepts, sites), when the caller has it already."""
    symptoms, sites, concepts = gate
    if said is None and entry.mentions:
        said = (frozenset(m.concept for m in entry.mentions), frozenset(m.site for m in entry.mentions if m.site))
    return (
        entry.symptom in symptoms
        or (entry.body_site is not None and entry.body_site in sites)
        or (said is not None and not (said[0].isdisjoint(concepts) and said[1].isdisjoint(sites)))
    )


def trigger(condition: dict) -> str:
    """ "entry" if the rule looks at symptom entries, "weight" if only at weights."""
    return "entry" if any(leaf in ENTRY_LEAVES for leaf in leaves(condition)) else "weight"


def max_window_days(conditions: Iterable[dict], *, kinds=("persistence", "combination", "weight_loss")) -> int:
    """How far back evaluation needs history, over all these rules (only the
    given kinds of test: entries and weights have different windows)."""
    longest = 0

    def walk(node):
        nonlocal longest
        if not isinstance(node, dict) or len(node) != 1:
            return
        [(key, value)] = node.items()
        if key in ("all", "any"):
            for child in value:
                walk(child)
        elif key == "not":
            walk(value)
        elif key in kinds:
            longest = max(longest, int(value.get("within_days", 0)))

    for condition in conditions:
        walk(condition)
    return longest


# ---------------------------------------------------------------- evaluation


def evaluate(
    rules: Iterable[RuleDef],
    *,
    history: History,
    entry: Entry | None = None,
    weight: Weight | None = None,
    snoozed_rules: frozenset[str] = frozenset(),
    snoozed_symptoms: frozenset[str] = frozenset(),
    failures: list[Failure] | None = None,
) -> list[Hit]:
    """The rules that fire for one event: a symptom entry or a logged weight.

    Snoozes silence a rule, or a symptom, for this survivor; never an
    emergency rule. "Read her words" rules go last: they fire only when no
    other rule matched the entry (a snoozed match counts: a nurse knows).

    Each rule runs on its own: given a `failures` list, a rule that raises
    is added to it and skipped, and every other rule still runs (a check-in
    must never be lost to one broken rule). Without one, the error is raised."""
    if (entry is None) == (weight is None):
        raise ValueError("evaluate one event: an entry or a weight")
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
    kind = "entry" if entry is not None else "weight"
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
        hit = _isolated(rule, history, entry, weight, snoozed_symptoms, False, failures)
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


def _isolated(rule, history, entry, weight, snoozed_symptoms, others_hit: bool, failures) -> Hit | None:
    try:
        return _evaluate_one(rule, history, entry, weight, snoozed_symptoms, others_hit=others_hit)
    except Exception as error:  # any bug in one rule: the others and her check-in go on
        if failures is None:
            raise
        failures.append(Failure(rule=rule, error=type(error).__name__))
        return None


def _evaluate_one(rule, history, entry, weight, snoozed_symptoms, *, others_hit: bool) -> Hit | None:
    """One rule on one event that passed its gate (evaluate() checks it)."""
    now = entry.at if entry is not None else weight.at
    scope = _Scope(
        entry=entry,
        history=history,
        now=now,
        snoozed_symptoms=(frozenset() if rule.tier == "emergency" else snoozed_symptoms),
        others_hit=others_hit,
    )
    match = _eval(rule.condition, scope)
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
        tier="routine" if lowered else rule.tier,
    )


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


RULE_FAILED = "needs review: a rule failed"


def review_hit(failure: Failure, *, entry: Entry | None = None, weight: Weight | None = None) -> Hit:
    """What a nurse is told when a rule raised on her entry (or weight) and
    did not run: which rule, on what, and that she must read it herself.
    Routine: the tier a failed rule's flag is filed at is decided where
    flags are written (tracker.services), not by a rule that did not run."""
    what = describe_entry(entry) if entry is not None else f"weight {weight.kg:.1f} kg" if weight else "an entry"
    name = failure.rule.name or failure.rule.slug
    return Hit(
        rule=failure.rule,
        evidence=f"{RULE_FAILED}; {what}; \u201c{name}\u201d could not check it, so please read her check-in",
        entry=entry,
        weight=weight,
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


@dataclass(frozen=True)
class _Scope:
    entry: Entry | None
    history: History
    now: dt.datetime
    snoozed_symptoms: frozenset[str]
    others_hit: bool = False

    def window(self, days: int) -> list[Entry]:
        start = self.now - dt.timedelta(days=days)
        return [e for e in self.history.entries if start <= e.at <= self.now and e.symptom not in self.snoozed_symptoms]


def _eval(node: dict, scope: _Scope) -> _Match | None:
    [(key, value)] = node.items()
    if key == "all":
        total = _Match()
        for child in value:
            found = _eval(child, scope)
            if found is None:
                return None
            total = total.merge(found)
        return total
    if key == "any":
        for child in value:
            found = _eval(child, scope)
            if found is not None:
                return found
        return None
    if key == "not":
        return _Match() if _eval(value, scope) is None else None
    if key == "weight_loss":
        return _weight_loss(value, scope)
    if key == "persistence":
        return _persistence(value, scope)
    if key == "combination":
        return _combination(value, scope)
    if key == "unread_note":
        entry = scope.entry
        if entry is None or not entry.note_has_content or scope.others_hit:
            return None
        return _Match([f"her words ({LANGUAGE_NAMES.get(entry.note_lang, 'note')}): \u201c{_clip(entry.note)}\u201d"])
    return _entry_leaf(key, value, scope.entry)


def _entry_leaf(key: str, value, entry: Entry | None) -> _Match | None:
    if entry is None:
        return None
    if key == "symptom":
        return _Match() if entry.symptom in value else None
    if key == "body_site":
        if entry.body_site in value:
            return _Match()
        said = [m for m in entry.mentions if m.site in value]
        return _Match([f"site in her words: \u201c{m.text}\u201d" for m in said]) if said else None
    if key == "min_severity":
        return _Match() if entry.severity >= value else None
    if key in ("new", "worse"):
        ticked = entry.is_new if key == "new" else entry.is_worse
        said = [m for m in entry.mentions if (m.new if key == "new" else m.worse)]
        if value is False:
            return _Match() if not ticked and not said else None
        if ticked:
            return _Match()
        what = "new" if key == "new" else "getting worse"
        return _Match([f"{what} in her words: \u201c{m.text}\u201d" for m in said]) if said else None
    if key == "text":
        found = [m for m in entry.mentions if m.concept in value]
        if not found:
            return None
        return _Match(
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


def _persistence(value: dict, scope: _Scope) -> _Match | None:
    # Her words count like the form: "threw up again" is a day of vomiting.
    wanted = value["symptoms"]
    days = {
        e.day
        for e in scope.window(value["within_days"])
        if e.symptom in wanted or any(m.concept in wanted for m in e.mentions)
    }
    if len(days) < value["min_days"]:
        return None
    return _Match([f"reported on {len(days)} days in the last {value['within_days']} days"])


def _combination(value: dict, scope: _Scope) -> _Match | None:
    entry = scope.entry
    if entry is None:
        return None
    for this, other in (("a", "b"), ("b", "a")):
        # _Scope(...) rather than dataclasses.replace: this is preview's hot loop.
        own = _eval(value[this], _Scope(entry, scope.history, scope.now, scope.snoozed_symptoms, scope.others_hit))
        if own is None:
            continue
        for earlier in reversed(scope.window(value["within_days"])):
            if earlier is entry or (earlier.id is not None and earlier.id == entry.id):
                continue
            then = _Scope(earlier, scope.history, scope.now, scope.snoozed_symptoms, scope.others_hit)
            found = _eval(value[other], then)
            if found is not None:
                when = _ago(scope.now, earlier.at)
                return own.merge(found).merge(_Match([f"with {describe_entry(earlier)} ({when})"]))
    return None


def _weight_loss(value: dict, scope: _Scope) -> _Match | None:
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
    return _Match([f"weight down {percent:.1f}% ({heaviest.kg:.1f} \u2192 {latest.kg:.1f} kg) over {days} days"])


def _ago(now: dt.datetime, then: dt.datetime) -> str:
    days = (now - then).days
    return "same check-in" if (now - then).total_seconds() < 60 else ("today" if days == 0 else f"{days} days before")


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)
