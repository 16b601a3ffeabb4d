"""Judge each mention in its own clause with medspaCy's ConText.

The rules are ours, as data (`lexicon/context.<lang>.toml`): medspaCy's
English defaults are written for clinicians' notes ("ruled out", "h/o") and
it ships none for Spanish. Every pattern matches our NORM, so typos and
accents are already folded. A TERMINATE rule ends every scope ("but",
"pero", a comma followed by a new subject), so a negation in one clause
never reaches the next.
"""

from __future__ import annotations

import functools

from . import lexicon
from .matcher import phrase_norms
from .tokens import blank

_SPECIAL: dict[str, dict] = {
    "<num>": {"LIKE_NUM": True},
    "<year>": {"TEXT": {"REGEX": r"^(19|20)\d\d$"}},
    "*": {},
}


def _pattern(lang: str, phrase: str) -> list[dict]:
    pattern = []
    for slot in phrase_norms(lang, phrase):
        if len(slot) == 1 and slot[0] in _SPECIAL:
            pattern.append(dict(_SPECIAL[slot[0]]))
        else:
            pattern.append({"NORM": slot[0]} if len(slot) == 1 else {"NORM": {"IN": slot}})
    return pattern


@functools.cache
def component(lang: str):
    """medspaCy's ConText with our rules for the language, built once."""
    import medspacy  # noqa: F401  (registers the Span/Doc extensions ConText uses)
    from loguru import logger
    from medspacy.context import ConText, ConTextRule

    # medspaCy's helpers log at DEBUG through loguru, including sentence
    # text: health detail must never reach a log.
    for name in ("medspacy", "PyRuSH", "PyFastNER", "quicksectx"):
        logger.disable(name)

    nlp = blank(lang)
    context = ConText(
        nlp,
        name=f"context_{lang}",
        rules=None,
        span_attrs=None,
        input_span_type="group",
        span_group_name="mentions",
        # A modifier that is part of a mention ("can't" in "can't walk") is
        # no modifier at all: it must not negate the next mention.
        prune_on_target_overlap=True,
    )
    rules = []
    for rule in lexicon.words(lang).context:
        for phrase in rule.phrases:
            rules.append(
                ConTextRule(
                    # medspaCy keys its rules by literal: the same phrase in two
                    # rules ("ya no" forward and backward) needs two names.
                    f"{rule.category}/{rule.direction}/{phrase}",
                    rule.category,
                    pattern=_pattern(lang, phrase),
                    direction=rule.direction,
                    # medspaCy's overlap test (tuple_overlaps) misses a scope that
                    # lies wholly inside the terminator's sentence-wide one, so
                    # a terminator never ended a max_scope rule: a one-word
                    # scope around the terminator always overlaps.
                    max_scope=1 if rule.direction in ("TERMINATE", "PSEUDO") else rule.max_scope,
                    terminated_by=set(rule.terminated_by) or None,
                )
            )
    context.add(rules)
    return context
