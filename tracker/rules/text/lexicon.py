"""The lexicon: reviewable data under tracker/rules/lexicon/, read once.

- `concepts/<code>.toml`: one red-flag concept: its label, its source (the
  article section or guideline it serves), its words per language (`terms`
  that alone name it, `pairs` of word lists that name it together in one
  clause), the body sites where a pain means it, and example sentences that
  run as tests.
- `words.<lang>.toml`: shared word lists (pain words, body sites, words
  skipped inside phrases, clause breaks, notes that only say all is well).
- `context.<lang>.toml`: ConText rules (negated, resolved, historical,
  hypothetical, someone else, chronic, explained) and signals (new, worse,
  at night, on straining).

Phrases are plain words. In a phrase, `a|b` is either word and `*` is any one
word. In a pair list, `@pain` names a shared list and `@site:leg` the words of
one body site.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "lexicon"
LANGUAGES = ("en", "es")

# What a ConText rule can say about a mention. The first seven decide whether
# it counts; the last four are signals a rule can use like structured fields.
CONTEXT_KINDS = (
    "NEGATED",
    "RESOLVED",
    "HISTORICAL",
    "HYPOTHETICAL",
    "OTHER_PERSON",
    "CHRONIC",
    "EVERYDAY",
    "EXPLAINED",
)
SIGNALS = ("NEW", "WORSE", "NIGHT", "STRAIN")
# PROXY ("writing this for my mum"): the note is about the survivor though
# someone else writes it, so OTHER_PERSON cues do not count in it.
# SELF ("I", "says I") only ends an OTHER_PERSON rule's reach (terminated_by).
CONTROL = ("TERMINATE", "PSEUDO", "SELF", "PROXY")
DIRECTIONS = ("FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO")


class LexiconError(ValueError):
    pass


@dataclass(frozen=True)
class Pair:
    a: tuple[str, ...]
    b: tuple[str, ...]
    window: int


@dataclass(frozen=True)
class ConceptWords:
    terms: tuple[str, ...] = ()
    pairs: tuple[Pair, ...] = ()
    positive: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()


@dataclass(frozen=True)
class Concept:
    code: str
    label: str
    source: str
    pain_sites: frozenset[str]
    words: dict[str, ConceptWords]


@dataclass(frozen=True)
class ContextRule:
    category: str
    direction: str
    phrases: tuple[str, ...]
    max_scope: int | None = None
    terminated_by: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Words:
    """One language's shared lists."""

    lang: str
    pain: tuple[str, ...]
    sites: dict[str, tuple[str, ...]]
    fillers: frozenset[str]
    breaks: tuple[str, ...]
    all_well: tuple[str, ...]
    small_talk: frozenset[str]
    idioms: tuple[str, ...] = ()
    light: frozenset[str] = frozenset()
    concerns: frozenset[str] = frozenset()
    context: tuple[ContextRule, ...] = field(default=())


def _read(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise LexiconError(f"{path.name}: {error}") from error


def _strings(value, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise LexiconError(f"{where}: must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


@functools.cache
def words(lang: str) -> Words:
    raw = _read(DATA / f"words.{lang}.toml")
    sites = raw.get("sites", {})
    if not isinstance(sites, dict):
        raise LexiconError(f"words.{lang}.toml: [sites] must be a table")
    context_raw = _read(DATA / f"context.{lang}.toml").get("rule", [])
    rules = []
    seen: dict[str, str] = {}
    for i, rule in enumerate(context_raw):
        where = f"context.{lang}.toml rule {i + 1}"
        category, direction = rule.get("category"), rule.get("direction")
        if category not in CONTEXT_KINDS + SIGNALS + CONTROL:
            raise LexiconError(f"{where}: unknown category {category!r}")
        if direction not in DIRECTIONS:
            raise LexiconError(f"{where}: unknown direction {direction!r}")
        scope = rule.get("max_scope")
        if scope is not None and (not isinstance(scope, int) or scope < 1):
            raise LexiconError(f"{where}: max_scope must be a whole number, 1 or more")
        ended_by = frozenset(_strings(rule.get("terminated_by", []), where + " terminated_by"))
        if ended_by - set(CONTEXT_KINDS + SIGNALS + CONTROL):
            raise LexiconError(f"{where}: unknown category in terminated_by")
        phrases = _strings(rule.get("phrases"), where)
        for phrase in phrases:
            # Two rules on one phrase match the same words, and medspaCy keeps
            # only one of them, at random: say which one you mean.
            if phrase in seen:
                raise LexiconError(f"{where}: {phrase!r} is already in {seen[phrase]}")
            seen[phrase] = where
        rules.append(ContextRule(category, direction, phrases, scope, ended_by))
    return Words(
        lang=lang,
        pain=_strings(raw.get("pain"), f"words.{lang}.toml pain"),
        sites={key: _strings(value, f"words.{lang}.toml sites.{key}") for key, value in sites.items()},
        fillers=frozenset(_strings(raw.get("fillers", []), f"words.{lang}.toml fillers")),
        breaks=_strings(raw.get("breaks", []), f"words.{lang}.toml breaks"),
        all_well=_strings(raw.get("all_well", []), f"words.{lang}.toml all_well"),
        small_talk=frozenset(_strings(raw.get("small_talk", []), f"words.{lang}.toml small_talk")),
        idioms=_strings(raw.get("idioms", []), f"words.{lang}.toml idioms"),
        light=frozenset(_strings(raw.get("light", []), f"words.{lang}.toml light")),
        concerns=frozenset(_strings(raw.get("concerns", []), f"words.{lang}.toml concerns")),
        context=tuple(rules),
    )


def _expand(items: tuple[str, ...], lang: str, where: str) -> tuple[str, ...]:
    """@pain and @site:<key> references, replaced by their words."""
    shared = words(lang)
    out: list[str] = []
    for item in items:
        if item == "@pain":
            out += shared.pain
        elif item.startswith("@site:"):
            key = item.removeprefix("@site:")
            if key not in shared.sites:
                raise LexiconError(f"{where}: unknown site {key!r}")
            out += shared.sites[key]
        elif item.startswith("@"):
            raise LexiconError(f"{where}: unknown list {item!r}")
        else:
            out.append(item)
    return tuple(out)


@functools.cache
def concepts() -> dict[str, Concept]:
    found: dict[str, Concept] = {}
    for path in sorted((DATA / "concepts").glob("*.toml")):
        raw = _read(path)
        code = path.stem
        where = f"concepts/{path.name}"
        for key in ("label", "source"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise LexiconError(f"{where}: needs a {key}")
        per_lang = {}
        for lang in LANGUAGES:
            section = raw.get(lang, {})
            unknown = set(section) - {"terms", "pairs", "positive", "negative"}
            if unknown:
                raise LexiconError(f"{where} [{lang}]: unknown keys {sorted(unknown)}")
            pairs = []
            for i, pair in enumerate(section.get("pairs", [])):
                at = f"{where} {lang}.pairs[{i}]"
                # TOML puts every key after a [[en.pairs]] header into that
                # pair: examples written there would silently vanish.
                if set(pair) - {"a", "b", "window"}:
                    raise LexiconError(f"{at}: unknown keys {sorted(set(pair) - {'a', 'b', 'window'})}")
                window = pair.get("window", 4)
                if not isinstance(window, int) or not 1 <= window <= 12:
                    raise LexiconError(f"{at}: window must be 1 to 12 words")
                pairs.append(
                    Pair(
                        a=_expand(_strings(pair.get("a"), at + ".a"), lang, at),
                        b=_expand(_strings(pair.get("b"), at + ".b"), lang, at),
                        window=window,
                    )
                )
            per_lang[lang] = ConceptWords(
                terms=_strings(section.get("terms", []), f"{where} {lang}.terms"),
                pairs=tuple(pairs),
                positive=_strings(section.get("positive", []), f"{where} {lang}.positive"),
                negative=_strings(section.get("negative", []), f"{where} {lang}.negative"),
            )
        sites = frozenset(_strings(raw.get("pain_sites", []), f"{where} pain_sites"))
        for lang in LANGUAGES:
            not_sites = sites - set(words(lang).sites)
            if not_sites:
                raise LexiconError(f"{where}: pain_sites {sorted(not_sites)} are not sites in words.{lang}.toml")
        found[code] = Concept(code, raw["label"].strip(), raw["source"].strip(), sites, per_lang)
    if not found:
        raise LexiconError("no concepts found")
    return found
