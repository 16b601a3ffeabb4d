"""A condition's grammar and the one walk that checks it: shape,
vocabulary and bounds (limits.py). Pure: no ORM. The grammar itself is
described in engine.py, which every caller imports these names from."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

from . import limits
from .facts import ENDOCRINE_ANSWERS
from .tree import COMBINATION, GROUPS, SIDES, Walk, is_node

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
# Tests of a check-in's answer about her hormone tablets: a rule of their own
# (no symptom or weight test beside them), run once per answered check-in.
ANSWER_LEAVES = ("endocrine",)
LEAVES = ENTRY_LEAVES + HISTORY_LEAVES + ANSWER_LEAVES


@dataclass(frozen=True)
class Vocabulary:
    symptoms: frozenset[str]
    body_sites: frozenset[str]
    concepts: frozenset[str]


class InvalidRule(ValueError):
    """A rule whose condition (or tier) does not validate: RuleDef refuses
    it, so that no walker below ever sees a tree out of bounds."""

    def __init__(self, problems: list[str]):
        super().__init__(problems[0] if problems else "invalid rule")
        self.problems = problems


def validate_condition(tree, vocab: Vocabulary | None) -> list[str]:
    """Every problem in the tree, each with where it is, in plain words.

    The one walk that checks a condition's shape, vocabulary and bounds
    (limits.MAX_DEPTH levels, MAX_NODES tests, MAX_CODES codes a list,
    MAX_DAYS a window). It descends no further than MAX_DEPTH and visits no
    more than MAX_NODES nodes, so it is safe on any tree, however deep or
    wide; every other walker runs only on trees it passed. With vocab None
    (a stored rule being loaded) codes are not looked up: an unknown code
    can never match, it does no harm."""
    check = _Check(vocab)
    found = check.walk(tree, _At("condition", depth=1))
    errors = check.errors
    if not errors and not found:
        errors.append("condition: needs at least one test")
    if any(leaf in ANSWER_LEAVES for leaf in found) and any(leaf not in ANSWER_LEAVES for leaf in found):
        # Her answer is an event of its own (a check-in may hold no symptom):
        # a rule mixing it with symptom or weight tests could never match.
        errors.append(
            "condition: endocrine (her answer about hormone tablets) can't be used with symptom or weight "
            "tests in one rule; make it a rule of its own"
        )
    if len(errors) > limits.MAX_PROBLEMS:
        errors = errors[: limits.MAX_PROBLEMS] + [f"\u2026and {len(errors) - limits.MAX_PROBLEMS} more problems"]
    return errors


class _At(NamedTuple):
    """Where a node is: its path for messages, its level, and whether it is
    one side of a combination. (A tuple: one is made for every node.)"""

    path: str
    depth: int
    inside_combination: bool = False


class _Check(Walk[_At, list[str]]):
    """Each node's problems go to errors; each node gives the tests (leaf
    keys) found under it."""

    def __init__(self, vocab: Vocabulary | None):
        self.vocab = vocab
        self.errors: list[str] = []
        self.nodes = 0
        # Partials, not methods calling _group: one frame fewer per level.
        self.on_all = partial(self._group, "all")  # type: ignore[method-assign]
        self.on_any = partial(self._group, "any")  # type: ignore[method-assign]

    def walk(self, node, at: _At) -> list[str]:
        # Before the walk looks inside: bounds first, then the node's shape.
        if at.depth > limits.MAX_DEPTH:
            self.errors.append(f"{at.path}: nested too deeply (at most {limits.MAX_DEPTH} levels of groups and tests)")
            return []
        self.nodes += 1
        if self.nodes == limits.MAX_NODES + 1:
            self.errors.append(f"condition: too many groups and tests (at most {limits.MAX_NODES})")
        if self.nodes > limits.MAX_NODES:
            return []
        if not is_node(node):
            self.errors.append(
                f'{at.path}: each part must be one group (all, any, not) or one test, e.g. {{"symptom": ["pain"]}}'
            )
            return []
        return super().walk(node, at)

    def descend(self, at: _At, key: str, label: int | str | None) -> _At:
        where = f"{at.path}.{key}"
        path = where if label is None else f"{where}[{label}]" if isinstance(label, int) else f"{where}.{label}"
        return _At(path, at.depth + 1, at.inside_combination or key == COMBINATION)

    def _group(self, key: str, value, results: Iterator[list[str]], at: _At) -> list[str]:
        if not isinstance(value, list) or not value:
            self.errors.append(f"{at.path}.{key}: the group is empty; add at least one test to it")
            return []
        found: list[str] = []
        for result in results:
            found += result
            if self.nodes > limits.MAX_NODES:
                break
        return found

    def on_not(self, value, result, at: _At) -> list[str]:
        return result()

    def on_combination(self, value, side, at: _At) -> list[str]:
        errors, where = self.errors, f"{at.path}.{COMBINATION}"
        if at.inside_combination:
            errors.append(f"{where}: combinations can't be nested")
        if not _keys(value, {"a", "b", "within_days"}, where, errors):
            return [COMBINATION]
        for name in SIDES:
            inside = side(name, at)
            if any(leaf in HISTORY_LEAVES for leaf in inside):
                errors.append(f"{where}.{name}: can only test one entry (symptom, site, severity, new, worse, text)")
        _days(value["within_days"], f"{where}.within_days", errors, allow_zero=True)
        return [COMBINATION]

    def on_leaf(self, key: str, value, at: _At) -> list[str]:
        check = _LEAF_CHECKS.get(key)
        if check is None:
            self.errors.append(
                f"{at.path}: unknown test \u201c{limits.clip(key)}\u201d (use one of: {', '.join(GROUPS + LEAVES)})"
            )
            return []
        check(self, value, f"{at.path}.{key}", at)
        return [key]

    # One method per test: its value's problems, `where` being the test's path.

    def _symptom(self, value, where: str, at: _At) -> None:
        _codes(value, self.vocab.symptoms if self.vocab else None, "symptom code", where, self.errors)

    def _body_site(self, value, where: str, at: _At) -> None:
        _codes(value, self.vocab.body_sites if self.vocab else None, "body site code", where, self.errors)

    def _text(self, value, where: str, at: _At) -> None:
        _codes(value, self.vocab.concepts if self.vocab else None, "text concept", where, self.errors)

    def _min_severity(self, value, where: str, at: _At) -> None:
        if not _is_int(value) or not 0 <= value <= 10:
            self.errors.append(f"{where}: must be a whole number from 0 to 10")

    def _new_or_worse(self, value, where: str, at: _At) -> None:
        if not isinstance(value, bool):
            self.errors.append(f"{where}: must be true or false")

    def _unread_note(self, value, where: str, at: _At) -> None:
        if value is not True:
            self.errors.append(f"{where}: must be true")
        if at.inside_combination:
            self.errors.append(f"{where}: can't be used inside a combination")

    def _persistence(self, value, where: str, at: _At) -> None:
        errors = self.errors
        _alone(where, at, errors)
        if not _keys(value, {"symptoms", "min_days", "within_days"}, where, errors):
            return
        _codes(
            value["symptoms"], self.vocab.symptoms if self.vocab else None, "symptom code", f"{where}.symptoms", errors
        )
        _days(value["within_days"], f"{where}.within_days", errors)
        if not _is_int(value["min_days"]) or value["min_days"] < 1:
            errors.append(f"{where}.min_days: must be a whole number of days, 1 or more")
        elif _is_int(value["within_days"]) and 1 <= value["within_days"] < value["min_days"] - 1:
            errors.append(f"{where}.min_days: can't be more than the days in the window")

    def _weight_loss(self, value, where: str, at: _At) -> None:
        errors = self.errors
        _alone(where, at, errors)
        if not isinstance(value, dict) or "within_days" not in value:
            errors.append(f"{where}: needs within_days and min_percent or min_kg")
            return
        _settings(value, {"within_days", "min_percent", "min_kg"}, where, errors)
        _days(value["within_days"], f"{where}.within_days", errors)
        if ("min_percent" in value) == ("min_kg" in value):
            errors.append(f"{where}: give exactly one of min_percent or min_kg")
        for name, top in (("min_percent", 100), ("min_kg", 200)):
            if name in value and (
                not isinstance(value[name], int | float) or isinstance(value[name], bool) or not 0 < value[name] <= top
            ):
                errors.append(f"{where}.{name}: must be a number above 0 and at most {top}")

    def _endocrine(self, value, where: str, at: _At) -> None:
        errors = self.errors
        _alone(where, at, errors)
        if not isinstance(value, dict) or "answers" not in value:
            errors.append(f'{where}: needs answers, e.g. {{"answers": ["stopped"]}}')
            return
        _settings(value, {"answers", "min_times", "within_days"}, where, errors)
        # The answers are fixed by the check-in form, not by a clinic's catalog: always looked up.
        answers = value["answers"]
        if not isinstance(answers, list) or not answers or not all(isinstance(a, str) for a in answers):
            errors.append(f"{where}.answers: must be a non-empty list of answers ({', '.join(ENDOCRINE_ANSWERS)})")
        elif len(answers) > len(ENDOCRINE_ANSWERS):
            errors.append(f"{where}.answers: at most {len(ENDOCRINE_ANSWERS)} answers, each once")
        else:
            errors += [
                f"{where}.answers: unknown answer \u201c{limits.clip(a)}\u201d (use {', '.join(ENDOCRINE_ANSWERS)})"
                for a in answers
                if a not in ENDOCRINE_ANSWERS
            ]
        times = value.get("min_times", 1)
        if not _is_int(times) or not 1 <= times <= limits.MAX_ANSWER_TIMES:
            errors.append(f"{where}.min_times: must be a whole number from 1 to {limits.MAX_ANSWER_TIMES}")
        elif times > 1 and "within_days" not in value:
            errors.append(f"{where}: min_times above 1 needs within_days (how far back to count)")
        if "within_days" in value:
            _days(value["within_days"], f"{where}.within_days", errors)


# Every test but combination (a node holding nodes: _Check.on_combination).
_LEAF_CHECKS: dict[str, Callable[[_Check, Any, str, _At], None]] = {
    "symptom": _Check._symptom,
    "body_site": _Check._body_site,
    "text": _Check._text,
    "min_severity": _Check._min_severity,
    "new": _Check._new_or_worse,
    "worse": _Check._new_or_worse,
    "unread_note": _Check._unread_note,
    "persistence": _Check._persistence,
    "weight_loss": _Check._weight_loss,
    "endocrine": _Check._endocrine,
}


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _codes(value, known: frozenset[str] | None, what: str, where: str, errors: list[str]) -> None:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        errors.append(f"{where}: must be a non-empty list of {what}s")
        return
    if len(value) > limits.MAX_CODES:
        errors.append(f"{where}: at most {limits.MAX_CODES} codes in one list")
        return
    if known is None:
        return
    for code in value:
        if code not in known:
            errors.append(f"{where}: unknown {what} \u201c{limits.clip(code)}\u201d")


def _days(value, where: str, errors: list[str], *, allow_zero: bool = False) -> None:
    low = 0 if allow_zero else 1
    if not _is_int(value) or value < low:
        errors.append(f"{where}: must be a whole number of days, {low} or more (not negative)")
    elif value > limits.MAX_DAYS:
        errors.append(f"{where}: at most {limits.MAX_DAYS} days")


def _alone(where: str, at: _At, errors: list[str]) -> None:
    # A test that reads her history (or her answer), not one entry: a
    # combination pairs two entries, so it has no place there.
    if at.inside_combination:
        errors.append(f"{where}: can't be used inside a combination")


def _settings(value: dict, allowed: set[str], where: str, errors: list[str]) -> None:
    """A test's settings beyond `allowed`, named (at most five)."""
    unknown = set(value) - allowed
    if unknown:
        errors.append(f"{where}: unknown setting {', '.join(sorted(limits.clip(u) for u in unknown)[:5])}")


def _keys(value, wanted: set[str], where: str, errors: list[str]) -> bool:
    if not isinstance(value, dict) or set(value) != wanted:
        errors.append(f"{where}: needs exactly {', '.join(sorted(wanted))}")
        return False
    return True
