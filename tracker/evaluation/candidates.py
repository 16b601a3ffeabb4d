"""Which stored entries a rule's condition can match, as SQL: filters built
from the condition tree (through rules/tree.py's walk) that every matching
entry passes, so that rule preview (preview.py) streams only candidates and
the history their windows can reach to the engine. A filter may let through
entries that do not match (the engine decides); it never drops one that
does. Builds Q objects only: runs no query."""

import functools
import itertools
import operator

from django.db.models import Q

from ..rules import text, tree


class _Superset(tree.Walk[None, "Q | None"]):
    """A SQL filter that every entry the node matches passes (None: no filter)."""

    def on_all(self, value, results, ctx):
        parts = [q for q in results if q is not None]
        return functools.reduce(operator.and_, parts) if parts else None

    def on_any(self, value, results, ctx):
        parts = list(results)
        return None if any(q is None for q in parts) else functools.reduce(operator.or_, parts)

    def on_not(self, value, result, ctx):
        return None  # any entry may fail the test inside

    def on_combination(self, value, side, ctx):
        a, b = side("a", ctx), side("b", ctx)
        return None if a is None or b is None else a | b

    def on_leaf(self, key, value, ctx):
        if key == "symptom":
            return Q(symptom__code__in=value)
        if key == "body_site":
            return Q(body_site__code__in=value) | _read_as(f"site:{code}" for code in value)
        if key == "min_severity":
            return Q(severity__gte=value)
        if key in ("new", "worse"):
            ticked = Q(**{"is_new" if key == "new" else "is_worse": value})
            return ticked | _read_as([key]) if value else ticked
        if key == "text":
            return _read_as(value)
        if key == "unread_note":
            return _read_as(["content"])
        return None  # persistence, weight_loss: any entry may take part


_SUPERSET = _Superset()


def superset_q(node: dict) -> Q | None:
    """A SQL filter that every entry the node matches passes (None: no
    filter), so that preview streams only candidates to the engine."""
    return _SUPERSET.walk(node, None)


def _read_as(terms) -> Q:
    """Entries whose stored reading has one of these terms, or whose note
    was read by an older reader (or never): those are read again."""
    stale = ~Q(note="") & ~Q(reading_terms__startswith=text.CURRENT_TERMS)
    return functools.reduce(operator.or_, (Q(reading_terms__contains=f" {t} ") for t in terms), stale)


class _HistoryQs(tree.Walk[None, "list[Q | None]"]):
    def on_all(self, value, results, ctx):
        return list(itertools.chain.from_iterable(results))

    on_any = on_all

    def on_not(self, value, result, ctx):
        return result()

    def on_combination(self, value, side, ctx):
        return [superset_q(node) for node in tree.sides(value)]

    def on_leaf(self, key, value, ctx):
        if key == "persistence":
            return [Q(symptom__code__in=value["symptoms"]) | _read_as(value["symptoms"])]
        return []


_HISTORY_QS = _HistoryQs()


def history_qs(node: dict) -> list[Q | None]:
    """A filter for the entries each of the node's history tests (persistence,
    combination) looks at; None in the list: any entry may count."""
    return _HISTORY_QS.walk(node, None)
