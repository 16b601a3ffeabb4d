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

TIERS = ("routine", "urgent", "emergency")
TIER_RANK = {tier: rank for rank, tier in enumerate(TIERS)}
GROUPS = ("all", "any", "not")
ENTRY_LEAVES = (
    "symptom",
    "body_site",
    "min_severity",
    "new",
    "worse",
    "text",
    "unread_note",
    "persistence",
    "combination",
)
HISTORY_LEAVES = ("weight_loss",)
LEAVES = ENTRY_LEAVES + HISTORY_LEAVES


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

    def __post_init__(self):
        if not self.tier:
            object.__setattr__(self, "tier", self.rule.tier)


@dataclass
class _Match:
    evidence: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    explained: bool = False  # matched through mentions she explains by a known cause

    def merge(self, other: _Match) -> _Match:
        return _Match(self.evidence + other.evidence, self.words + other.words, self.explained or other.explained)


# ---------------------------------------------------------------- validation


@dataclass(frozen=True)
class Vocabulary:
    symptoms: frozenset[str]
    body_sites: frozenset[str]
    concepts: frozenset[str]


def validate_condition(tree, vocab: Vocabulary) -> list[str]:
    """Every problem in the tree, each with where it is, in plain words."""
    errors: list[str] = []
    _validate(tree, vocab, "condition", errors, inside_combination=False)
    if not errors and not leaves(tree):
        errors.append("condition: needs at least one test")
    return errors


def _validate(node, vocab: Vocabulary, path: str, errors: list[str], *, inside_combination: bool) -> None:
    if not isinstance(node, dict) or len(node) != 1:
        errors.append(f'{path}: each part must be one group (all, any, not) or one test, e.g. {{"symptom": ["pain"]}}')
        return
    [(key, value)] = node.items()
    where = f"{path}.{key}"
    if key in ("all", "any"):
        if not isinstance(value, list) or not value:
            errors.append(f"{where}: the group is empty; add at least one test to it")
            return
        for i, child in enumerate(value):
            _validate(child, vocab, f"{where}[{i}]", errors, inside_combination=inside_combination)
    elif key == "not":
        _validate(value, vocab, where, errors, inside_combination=inside_combination)
    elif key == "symptom":
        _codes(value, vocab.symptoms, "symptom code", where, errors)
    elif key == "body_site":
        _codes(value, vocab.body_sites, "body site code", where, errors)
    elif key == "text":
        _codes(value, vocab.concepts, "text concept", where, errors)
    elif key == "min_severity":
        if not _is_int(value) or not 0 <= value <= 10:
            errors.append(f"{where}: must be a whole number from 0 to 10")
    elif key in ("new", "worse"):
        if not isinstance(value, bool):
            errors.append(f"{where}: must be true or false")
    elif key == "unread_note":
        if value is not True:
            errors.append(f"{where}: must be true")
        if inside_combination:
            errors.append(f"{where}: can't be used inside a combination")
    elif key == "persistence":
        if inside_combination:
            errors.append(f"{where}: can't be used inside a combination")
        if not _keys(value, {"symptoms", "min_days", "within_days"}, where, errors):
            return
        _codes(value["symptoms"], vocab.symptoms, "symptom code", f"{where}.symptoms", errors)
        _days(value["within_days"], f"{where}.within_days", errors)
        if not _is_int(value["min_days"]) or value["min_days"] < 1:
            errors.append(f"{where}.min_days: must be a whole number of days, 1 or more")
        elif _is_int(value["within_days"]) and 1 <= value["within_days"] < value["min_days"] - 1:
            errors.append(f"{where}.min_days: can't be more than the days in the window")
    elif key == "combination":
        if inside_combination:
            errors.append(f"{where}: combinations can't be nested")
        if not _keys(value, {"a", "b", "within_days"}, where, errors):
            return
        for side in ("a", "b"):
            _validate(value[side], vocab, f"{where}.{side}", errors, inside_combination=True)
            if any(leaf in HISTORY_LEAVES for leaf in leaves(value[side])):
                errors.append(f"{where}.{side}: can only test one entry (symptom, site, severity, new, worse, text)")
        _days(value["within_days"], f"{where}.within_days", errors, allow_zero=True)
    elif key == "weight_loss":
        if inside_combination:
            errors.append(f"{where}: can't be used inside a combination")
        if not isinstance(value, dict) or "within_days" not in value:
            errors.append(f"{where}: needs within_days and min_percent or min_kg")
            return
        unknown = set(value) - {"within_days", "min_percent", "min_kg"}
        if unknown:
            errors.append(f"{where}: unknown setting {', '.join(sorted(unknown))}")
        _days(value["within_days"], f"{where}.within_days", errors)
        if ("min_percent" in value) == ("min_kg" in value):
            errors.append(f"{where}: give exactly one of min_percent or min_kg")
        for name, top in (("min_percent", 100), ("min_kg", 200)):
            if name in value and (
                not isinstance(value[name], int | float) or isinstance(value[name], bool) or not 0 < value[name] <= top
            ):
                errors.append(f"{where}.{name}: must be a number above 0 and at most {top}")
    else:
        errors.append(f"{path}: unknown test \u201c{key}\u201d (use one of: {', '.join(GROUPS + LEAVES)})")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _codes(value, known: frozenset[str], what: str, where: str, errors: list[str]) -> None:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        errors.append(f"{where}: must be a non-empty list of {what}s")
        return
    for code in value:
        if code not in known:
            errors.append(f"{where}: unknown {what} \u201c{code}\u201d")


def _days(value, where: str, errors: list[str], *, allow_zero: bool = False) -> None:
    low = 0 if allow_zero else 1
    if not _is_int(value) or value < low:
        errors.append(f"{where}: must be a whole number of days, {low} or more (not negative)")
    elif value > 3660:
        errors.append(f"{where}: at most 3660 days")


def _keys(value, wanted: set[str], where: str, errors: list[str]) -> bool:
    if not isinstance(value, dict) or set(value) != wanted:
        errors.append(f"{where}: needs exactly {', '.join(sorted(wanted))}")
        return False
    return True


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
        gates = [entry_gate(child) for child in value]
        if not gates or any(g is None for g in gates):
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
) -> list[Hit]:
    """The rules that fire for one event: a symptom entry or a logged weight.

    Snoozes silence a rule, or a symptom, for this survivor; never an
    emergency rule. "Read her words" rules go last: they fire only when no
    other rule matched the entry (a snoozed match counts: a nurse knows)."""
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
        hit = _evaluate_one(rule, history, entry, weight, snoozed_symptoms, others_hit=False)
        if hit is None:
            continue
        if snoozed:
            snoozed_match = True
        else:
            hits.append(hit)
    for rule in rules:
        if not reads_unread or not rule.reads_unread or (rule.tier != "emergency" and rule.slug in snoozed_rules):
            continue
        if rule.gate is not None and not _passes(rule.gate, entry, said):
            continue
        hit = _evaluate_one(rule, history, entry, weight, snoozed_symptoms, others_hit=bool(hits) or snoozed_match)
        if hit is not None:
            hits.append(hit)
    return hits


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


def split_evidence(evidence: str) -> tuple[list[str], list[str]]:
    """(what matched, what was set aside and why), for a nurse's page."""
    parts = [p for p in evidence.split("; ") if p]
    return [p for p in parts if not p.startswith("set aside: ")], [
        p.removeprefix("set aside: ") for p in parts if p.startswith("set aside: ")
    ]


def highest_tier(tiers: Iterable[str]) -> str | None:
    ranked = sorted(tiers, key=TIER_RANK.__getitem__)
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
