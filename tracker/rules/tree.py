"""The shape of a rule's condition tree, and the one walk over it. Pure: no ORM.

A condition is a JSON tree of one-key objects. Groups hold other nodes:
{"all": [node, ...]}, {"any": [node, ...]}, {"not": node}; so does the
combination test, {"combination": {"a": node, "b": node, "within_days": n}};
every other key is a test that holds none (a leaf). This module is the only
place that knows which keys hold nodes and where: the engine, validation and
preview subclass Walk and say what each kind of node gives, never how to
reach its children. What the tests mean lives in engine.py, their grammar
and bounds in validation.py (the walk itself trusts the shape it is given:
validation checks a node before handing it on, every other walker runs on
trees validation passed)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from itertools import chain, count, repeat
from typing import Any, ClassVar, Generic, TypeVar

LISTS = ("all", "any")  # groups holding a list of nodes
NOT = "not"  # the group holding one node
GROUPS = (*LISTS, NOT)
COMBINATION = "combination"  # a test holding two nodes, "a" and "b"
SIDES = ("a", "b")

C = TypeVar("C")  # what a walk hands down: a scope, a path, nothing
T = TypeVar("T")  # what a node gives back up


def is_node(node) -> bool:
    """Whether `node` has a node's shape: an object with exactly one key."""
    return isinstance(node, dict) and len(node) == 1


def split(node: dict) -> tuple[str, Any]:
    """A node's one key and its value."""
    [(key, value)] = node.items()
    return key, value


def sides(combination: dict) -> tuple[dict, dict]:
    """A combination's two nodes, "a" then "b"."""
    return combination["a"], combination["b"]


class Walk(Generic[C, T]):
    """One walk over a condition tree: a context handed down, results given back up.

    walk(node, ctx) calls one handler by the node's key, with the node's
    value and its own context:

      all, any     on_all / on_any(value, results, ctx): results iterates over
                   the children's results, each computed only when asked for
                   (an "any" that stops at the first match walks no further);
      not          on_not(value, result, ctx): result() walks the child;
      combination  on_combination(value, side, ctx): side("a" or "b", ctx)
                   walks that side with the given context (the engine hands
                   each side a different entry);
      any other    on_leaf(key, value, ctx).

    A child gets the parent's context, or descend(ctx, key, label) when a
    subclass defines it (label: the child's index in an all/any list, None
    under a not, "a" or "b" in a combination). A list group whose value is
    not a list has no children. The walk recurses once per level: the
    trees it is given are bounded (limits.MAX_DEPTH; validation stops
    before them)."""

    descend: ClassVar[Callable[..., Any] | None] = None

    def walk(self, node: dict, ctx: C) -> T:
        [(key, value)] = node.items()
        descend = self.descend
        if key in LISTS:
            children = value if isinstance(value, list) else ()
            # map, not a generator: lazy, and no extra frame per level.
            ctxs = repeat(ctx) if descend is None else map(partial(descend, ctx, key), count())
            results = map(self.walk, children, ctxs)
            return self.on_all(value, results, ctx) if key == "all" else self.on_any(value, results, ctx)
        if key == NOT:
            child_ctx = ctx if descend is None else descend(ctx, key, None)
            return self.on_not(value, partial(self.walk, value, child_ctx), ctx)
        if key == COMBINATION:
            return self.on_combination(value, partial(self._side, value), ctx)
        return self.on_leaf(key, value, ctx)

    def _side(self, combination: dict, side: str, ctx: C) -> T:
        descend = self.descend
        return self.walk(combination[side], ctx if descend is None else descend(ctx, COMBINATION, side))

    def on_all(self, value: list, results: Iterator[T], ctx: C) -> T:
        raise NotImplementedError

    def on_any(self, value: list, results: Iterator[T], ctx: C) -> T:
        raise NotImplementedError

    def on_not(self, value: dict, result: Callable[[], T], ctx: C) -> T:
        raise NotImplementedError

    def on_combination(self, value: dict, side: Callable[[str, C], T], ctx: C) -> T:
        raise NotImplementedError

    def on_leaf(self, key: str, value: Any, ctx: C) -> T:
        raise NotImplementedError


class _Leaves(Walk[None, list[str]]):
    def on_all(self, value, results, ctx):
        return list(chain.from_iterable(results))

    on_any = on_all

    def on_not(self, value, result, ctx):
        return result()

    def on_combination(self, value, side, ctx):
        return [COMBINATION]  # a test of its own: its sides' tests are not the rule's

    def on_leaf(self, key, value, ctx):
        return [key]


_LEAVES = _Leaves()


def iter_leaves(node: dict) -> Iterator[str]:
    """The tests (leaf keys) in a tree, in order, a combination as one test."""
    return iter(_LEAVES.walk(node, None))
