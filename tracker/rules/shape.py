"""What a rule's condition needs, read off its tree once when the rule is
built (engine.RuleDef): its leaves, which event it is checked on (trigger),
the entry gate that lets evaluate() skip a rule at once, and how far back in
her history its windows reach. Pure, like the rest of rules/; the walk is
tree.py's."""

from __future__ import annotations

from collections.abc import Iterable

from . import tree
from .facts import Entry
from .validation import ANSWER_LEAVES, ENTRY_LEAVES


def leaves(node) -> list[str]:
    return list(tree.iter_leaves(node))


Gate = tuple[frozenset[str], frozenset[str], frozenset[str]]
_NO_CODES: frozenset[str] = frozenset()


class _EntryGate(tree.Walk[None, "Gate | None"]):
    def on_all(self, value, results, ctx):
        gates = [g for g in results if g is not None]
        return min(gates, key=lambda g: sum(map(len, g))) if gates else None

    def on_any(self, value, results, ctx):
        gates = list(results)
        if not gates or any(g is None for g in gates):
            return None
        return tuple(frozenset().union(*(g[i] for g in gates)) for i in range(3))

    def on_not(self, value, result, ctx):
        return None

    def on_combination(self, value, side, ctx):
        a, b = side("a", ctx), side("b", ctx)
        return None if a is None or b is None else (a[0] | b[0], a[1] | b[1], a[2] | b[2])

    def on_leaf(self, key, value, ctx):
        if key == "symptom":
            return frozenset(value), _NO_CODES, _NO_CODES
        if key == "body_site":
            return _NO_CODES, frozenset(value), _NO_CODES
        if key == "text":
            return _NO_CODES, _NO_CODES, frozenset(value)
        return None


_ENTRY_GATE = _EntryGate()


def entry_gate(node) -> Gate | None:
    """(symptoms, body sites, concepts): an entry can only match this node if
    its symptom is in the first set, its body site in the second, or its note
    mentions a concept in the third. None when no such limit holds. Lets
    evaluate() skip most rules at once."""
    return _ENTRY_GATE.walk(node, None)


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
    """ "entry" if the rule looks at symptom entries, "answer" if at a
    check-in's answer about her hormone tablets (validation keeps those
    rules to that alone), "weight" if only at weights."""
    found = leaves(condition)
    if any(leaf in ANSWER_LEAVES for leaf in found):
        return "answer"
    return "entry" if any(leaf in ENTRY_LEAVES for leaf in found) else "weight"


class _Windows(tree.Walk[tuple, int]):
    """The longest window (within_days) of the tests of the kinds handed down."""

    def on_all(self, value, results, kinds):
        return max(results, default=0)

    on_any = on_all

    def on_not(self, value, result, kinds):
        return result()

    def on_combination(self, value, side, kinds):
        return self.on_leaf(tree.COMBINATION, value, kinds)  # its sides test one entry: no window

    def on_leaf(self, key, value, kinds):
        return int(value.get("within_days", 0)) if key in kinds else 0


_WINDOWS = _Windows()


def max_window_days(conditions: Iterable[dict], *, kinds=("persistence", "combination", "weight_loss")) -> int:
    """How far back evaluation needs history, over all these rules (only the
    given kinds of test: entries and weights have different windows)."""
    return max((_WINDOWS.walk(condition, tuple(kinds)) for condition in conditions), default=0)
