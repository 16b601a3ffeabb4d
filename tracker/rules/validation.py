"""A condition's grammar and the one walk that checks it: shape,
vocabulary and bounds (limits.py). Pure: no ORM. The grammar itself is
described in engine.py, which every caller imports these names from."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import limits

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
    found = check.node(tree, "condition", depth=1, inside_combination=False)
    errors = check.errors
    if not errors and not found:
        errors.append("condition: needs at least one test")
    if len(errors) > limits.MAX_PROBLEMS:
        errors = errors[: limits.MAX_PROBLEMS] + [f"\u2026and {len(errors) - limits.MAX_PROBLEMS} more problems"]
    return errors


@dataclass
class _Check:
    vocab: Vocabulary | None
    errors: list[str] = field(default_factory=list)
    nodes: int = 0

    def node(self, node, path: str, *, depth: int, inside_combination: bool) -> list[str]:
        """Check one node; returns the tests (leaf keys) found under it."""
        errors = self.errors
        if depth > limits.MAX_DEPTH:
            errors.append(f"{path}: nested too deeply (at most {limits.MAX_DEPTH} levels of groups and tests)")
            return []
        self.nodes += 1
        if self.nodes == limits.MAX_NODES + 1:
            errors.append(f"condition: too many groups and tests (at most {limits.MAX_NODES})")
        if self.nodes > limits.MAX_NODES:
            return []
        if not isinstance(node, dict) or len(node) != 1:
            errors.append(
                f'{path}: each part must be one group (all, any, not) or one test, e.g. {{"symptom": ["pain"]}}'
            )
            return []
        [(key, value)] = node.items()
        where = f"{path}.{key}"
        vocab = self.vocab
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                errors.append(f"{where}: the group is empty; add at least one test to it")
                return []
            found: list[str] = []
            for i, child in enumerate(value):
                if self.nodes > limits.MAX_NODES:
                    break
                found += self.node(child, f"{where}[{i}]", depth=depth + 1, inside_combination=inside_combination)
            return found
        if key == "not":
            return self.node(value, where, depth=depth + 1, inside_combination=inside_combination)
        if key == "symptom":
            _codes(value, vocab.symptoms if vocab else None, "symptom code", where, errors)
        elif key == "body_site":
            _codes(value, vocab.body_sites if vocab else None, "body site code", where, errors)
        elif key == "text":
            _codes(value, vocab.concepts if vocab else None, "text concept", where, errors)
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
                return [key]
            _codes(value["symptoms"], vocab.symptoms if vocab else None, "symptom code", f"{where}.symptoms", errors)
            _days(value["within_days"], f"{where}.within_days", errors)
            if not _is_int(value["min_days"]) or value["min_days"] < 1:
                errors.append(f"{where}.min_days: must be a whole number of days, 1 or more")
            elif _is_int(value["within_days"]) and 1 <= value["within_days"] < value["min_days"] - 1:
                errors.append(f"{where}.min_days: can't be more than the days in the window")
        elif key == "combination":
            if inside_combination:
                errors.append(f"{where}: combinations can't be nested")
            if not _keys(value, {"a", "b", "within_days"}, where, errors):
                return [key]
            for side in ("a", "b"):
                inside = self.node(value[side], f"{where}.{side}", depth=depth + 1, inside_combination=True)
                if any(leaf in HISTORY_LEAVES for leaf in inside):
                    errors.append(
                        f"{where}.{side}: can only test one entry (symptom, site, severity, new, worse, text)"
                    )
            _days(value["within_days"], f"{where}.within_days", errors, allow_zero=True)
        elif key == "weight_loss":
            if inside_combination:
                errors.append(f"{where}: can't be used inside a combination")
            if not isinstance(value, dict) or "within_days" not in value:
                errors.append(f"{where}: needs within_days and min_percent or min_kg")
                return [key]
            unknown = set(value) - {"within_days", "min_percent", "min_kg"}
            if unknown:
                errors.append(f"{where}: unknown setting {', '.join(sorted(limits.clip(u) for u in unknown)[:5])}")
            _days(value["within_days"], f"{where}.within_days", errors)
            if ("min_percent" in value) == ("min_kg" in value):
                errors.append(f"{where}: give exactly one of min_percent or min_kg")
            for name, top in (("min_percent", 100), ("min_kg", 200)):
                if name in value and (
                    not isinstance(value[name], int | float)
                    or isinstance(value[name], bool)
                    or not 0 < value[name] <= top
                ):
                    errors.append(f"{where}.{name}: must be a number above 0 and at most {top}")
        else:
            errors.append(
                f"{path}: unknown test \u201c{limits.clip(key)}\u201d (use one of: {', '.join(GROUPS + LEAVES)})"
            )
            return []
        return [key]


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


def _keys(value, wanted: set[str], where: str, errors: list[str]) -> bool:
    if not isinstance(value, dict) or set(value) != wanted:
        errors.append(f"{where}: needs exactly {', '.join(sorted(wanted))}")
        return False
    return True
