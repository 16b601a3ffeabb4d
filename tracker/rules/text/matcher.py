"""Find where the lexicon's concepts are named in a note (before context).

Written here rather than with spaCy's Matcher or medspaCy's TargetMatcher
because the lexicon pairs two word lists that may come in either order a few
words apart inside one clause ("my hip is killing me", "pain down in the
hip"), and a pain is read against the nearest body site ("back from the
shops and my knee hurts" is knee pain, not back pain). Expressed as token
patterns that is the cross product of both lists in both orders with
wildcards that must not cross a clause: thousands of patterns per concept.
Here it is a trie walk over stems and a look for the nearest partner.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

from . import lexicon
from .tokens import Vocabulary, blank, fold, stem

# How far (in words, not counting "my", "the"...) a pain word reaches for its site.
PAIN_WINDOW = 5
# Sites joined by these are one list: "my hip and lower back ache".
_AND = {"and", "or", "&", "plus", "y", "o", "e", "u", "ni"}
_PUNCT_BREAKS = {",", ";", ":", ".", "!", "?", "(", ")", "\u2014", "\u2013", "-", "\u00bf", "\u00a1", "..."}
# Not a red flag on its own; a pain with no site it belongs to. Read for
# night pain and pain on straining only.
PAIN = "pain"


@dataclass(frozen=True)
class Candidate:
    concept: str
    start: int  # token indexes in the Doc, end exclusive: her words, as evidence
    end: int
    site: str | None = None
    # The part ConText judges: for two words read together ("hip ... hurts",
    # "legs ... not weak") the later one, so that a cue between them ("hip
    # no longer hurts") is a cue, not part of the mention.
    core: tuple[int, int] | None = None

    @property
    def target(self) -> tuple[int, int]:
        return self.core or (self.start, self.end)


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    tags: set[tuple] = field(default_factory=set)


@dataclass
class Compiled:
    lang: str
    trie: _Node
    fillers: frozenset[str]
    light: frozenset[str]
    pairs: list[tuple[str, int]]  # pair id -> (concept, window)
    site_concept: dict[str, str]
    vocabulary: Vocabulary
    stop_words: frozenset[str]
    small_talk: frozenset[str]
    concerns: frozenset[str]


def phrase_norms(lang: str, phrase: str) -> list[list[str]]:
    """A phrase as a list of slots, each a list of accepted NORMs ("*": any)."""
    slots: list[list[str]] = []
    for word in phrase.split():
        if word == "*" or (word.startswith("<") and word.endswith(">")):  # any word, <num>, <year>
            slots.append([word])
            continue
        variants = [[fold(t.norm_) for t in blank(lang).make_doc(alt)] for alt in word.split("|")]
        if all(len(v) == 1 for v in variants):
            slots.append([v[0] for v in variants])
        else:  # "can't" is two tokens: each variant spelled out in turn
            longest = max(len(v) for v in variants)
            for i in range(longest):
                slots.append(sorted({v[i] if i < len(v) else v[-1] for v in variants}))
    return slots


def _add(trie: _Node, compiled_slots: list[list[str]], tag: tuple) -> None:
    nodes = [trie]
    for slot in compiled_slots:
        nodes = [node.children.setdefault(key, _Node()) for node in nodes for key in slot]
    for node in nodes:
        node.tags.add(tag)


@functools.cache
def compiled(lang: str) -> Compiled:
    words = lexicon.words(lang)
    concepts = lexicon.concepts()
    fillers = frozenset(fold(w) for w in words.fillers)
    trie = _TrieBuilder(lang, fillers)
    for phrase, tag in _word_list_phrases(words):
        trie.add(phrase, tag)
    pairs = _add_concepts(trie, lang, concepts)
    vocab_words = trie.vocab_words
    for rule in words.context:
        for phrase in rule.phrases:
            vocab_words.update(n for slot in phrase_norms(lang, phrase) for n in slot if n[0] not in "*<")
    site_concept = {site: code for code, c in concepts.items() for site in c.pain_sites}
    vocabulary = Vocabulary(lang, frozenset(vocab_words), frozenset(stem(lang, w) for w in vocab_words))
    return Compiled(
        lang=lang,
        trie=trie.root,
        fillers=fillers,
        light=frozenset(fold(w) for w in words.light),
        pairs=pairs,
        site_concept=site_concept,
        vocabulary=vocabulary,
        stop_words=frozenset(fold(w) for w in blank(lang).Defaults.stop_words),
        small_talk=frozenset(fold(w) for w in words.small_talk),
        concerns=frozenset(fold(w) for w in words.concerns),
    )


class _TrieBuilder:
    """The trie of one language's phrases, as stems, and every word they use."""

    def __init__(self, lang: str, fillers: frozenset[str]):
        self.lang, self.fillers = lang, fillers
        self.root = _Node()
        self.vocab_words: set[str] = set()

    def add(self, phrase: str, tag: tuple) -> None:
        lang = self.lang
        slots = [s for s in phrase_norms(lang, phrase) if not (len(s) == 1 and s[0] in self.fillers)]
        if not slots:
            return
        self.vocab_words.update(n for slot in slots for n in slot if n != "*")
        _add(self.root, [[n if n[0] in "*<" else stem(lang, n) for n in slot] for slot in slots], tag)


def _word_list_phrases(words) -> Iterator[tuple[str, tuple]]:
    """(phrase, tag) for the language's own word lists: pains, sites,
    clause breaks, "all good", and phrases in which no concept counts."""
    for phrase in words.pain:
        yield phrase, ("pain",)
    for key, phrases in words.sites.items():
        for phrase in phrases:
            yield phrase, ("site", key)
    for phrase in words.breaks:
        yield phrase, ("break",)
    for phrase in words.all_well:
        yield phrase, ("all_well",)
    # Everyday sayings ("a pain in the neck", "weak at the knees"): no concept inside.
    for phrase in words.idioms:
        yield phrase, ("signal",)
    # "It hurts when I cough": the cough there is when the pain comes, not a
    # cough she reports. Words inside these phrases name no concept.
    for rule in words.context:
        if rule.category in ("STRAIN", "NIGHT"):
            for phrase in rule.phrases:
                yield phrase, ("signal",)


def _add_concepts(trie: _TrieBuilder, lang: str, concepts) -> list[tuple[str, int]]:
    """Add each concept's terms and word pairs; returns the pairs (pair id ->
    (concept, window)), a pair's words tagged with its id and side."""
    pairs: list[tuple[str, int]] = []
    for code, concept in concepts.items():
        own = concept.words[lang]
        for phrase in own.terms:
            trie.add(phrase, ("term", code))
        for pair in own.pairs:
            pairs.append((code, pair.window))
            for side, phrases in (("a", pair.a), ("b", pair.b)):
                for phrase in phrases:
                    trie.add(phrase, ("pair", len(pairs) - 1, side))
    return pairs


@dataclass(frozen=True)
class _Hit:
    tag: tuple
    start: int  # positions in the filtered word list
    end: int


def _walk(trie: _Node, keys: list[str], numbers: list[bool]) -> list[_Hit]:
    """Every phrase in the trie that starts at each position (longest kept
    per tag and start). "*" matches any word, "<num>" a number."""
    hits: dict[tuple[tuple, int], int] = {}
    for start in range(len(keys)):
        frontier = [trie]
        for pos in range(start, len(keys)):
            nxt = []
            for node in frontier:
                for key in (keys[pos], "*", "<num>") if numbers[pos] else (keys[pos], "*"):
                    child = node.children.get(key)
                    if child is not None:
                        nxt.append(child)
                        for tag in child.tags:
                            hits[(tag, start)] = max(hits.get((tag, start), 0), pos + 1)
            if not nxt:
                break
            frontier = nxt
    return [_Hit(tag, start, end) for (tag, start), end in hits.items()]


@dataclass
class Found:
    candidates: list[Candidate]
    all_well: list[tuple[int, int]]  # token spans of "all good", "no complaints"...
    clause: list[int]  # clause number of each token
    health: frozenset[int] = frozenset()  # tokens that name a body site or a pain


def find(lang: str, doc, stems: list[str]) -> Found:
    c = compiled(lang)
    # Positions of the words that count: punctuation and "my", "the"... are skipped.
    words = [t.i for t in doc if not t.is_space and not t.is_punct and t.norm_ not in c.fillers]
    keys = [stems[i] for i in words]
    hits = _walk(c.trie, keys, [doc[i].like_num for i in words])
    clause = _clauses(doc, {words[h.start] for h in hits if h.tag[0] == "break"})
    placed = _Placed(words, clause, _sites(hits))
    out = _terms(hits, doc, c, placed) + _pains(hits, keys, c, placed) + _pairs(hits, c, placed)

    span = placed.span
    signals = [span(h) for h in hits if h.tag[0] == "signal"]
    out = [c for c in out if not any(s <= c.start and c.end <= e for s, e in signals)]
    all_well = [span(h) for h in hits if h.tag[0] == "all_well"]
    health = frozenset(i for h in hits if h.tag[0] in ("site", "pain") for i in range(*span(h)))
    signal_words = {i for s, e in signals for i in range(s, e)}
    return Found(_dedupe(out), all_well, clause, frozenset(health - signal_words))


def _clauses(doc, breaks: set[int]) -> list[int]:
    """The clause number of each token: a new one at each sentence, break
    word ("but", "although"...) and punctuation that ends a clause."""
    clause = []
    number = 0
    for token in doc:
        if token.is_sent_start or token.i in breaks:
            number += 1
        clause.append(number)
        if token.text in _PUNCT_BREAKS or "\n" in token.text:
            number += 1
    return clause


def _sites(hits: list[_Hit]) -> list[_Hit]:
    # Of overlapping site words the longest is the site: "the right side of
    # my chest" is the chest, "the back of my leg" the leg.
    every_site = [h for h in hits if h.tag[0] == "site"]
    return [
        h
        for h in every_site
        if not any(o is not h and _overlaps(o, h) and o.end - o.start > h.end - h.start for o in every_site)
    ]


class _Placed:
    """Where hits are in the doc: their token spans, clauses and sites."""

    __slots__ = ("words", "clause", "sites")

    def __init__(self, words: list[int], clause: list[int], sites: list[_Hit]):
        self.words, self.clause, self.sites = words, clause, sites

    def span(self, hit: _Hit) -> tuple[int, int]:
        return self.words[hit.start], self.words[hit.end - 1] + 1

    def same_clause(self, a: _Hit, b: _Hit) -> bool:
        span, clause = self.span, self.clause
        first, last = span(a)[0], span(b)[1] - 1
        lo, hi = min(first, span(b)[0]), max(last, span(a)[1] - 1)
        return clause[lo] == clause[hi]

    def site_at(self, start: int, end: int) -> str | None:
        for h in self.sites:
            s, e = self.span(h)
            if start <= s and e <= end:
                return h.tag[1]
        return None


def _gap(a: _Hit, b: _Hit) -> int:
    return max(b.start - a.end, a.start - b.end, 0)


def _terms(hits: list[_Hit], doc, c: Compiled, placed: _Placed) -> list[Candidate]:
    out = []
    for h in hits:
        if h.tag[0] == "term":
            s, e = placed.span(h)
            # "had a fit", "tengo mareos": the verb is hers, not the concept's,
            # and "if I have" must stay a cue.
            while s < e - 1 and (doc[s].norm_ in c.light or doc[s].is_punct):
                s += 1
            out.append(Candidate(h.tag[1], s, e, placed.site_at(s, e)))
    return out


def _pains(hits: list[_Hit], keys: list[str], c: Compiled, placed: _Placed) -> list[Candidate]:
    # A pain belongs to the nearest site in its clause (and the sites listed with it).
    out = []
    span, sites = placed.span, placed.sites
    for pain in (h for h in hits if h.tag[0] == "pain"):
        near = [
            s for s in sites if placed.same_clause(pain, s) and _gap(pain, s) <= PAIN_WINDOW and not _overlaps(pain, s)
        ]
        if not near:
            s, e = span(pain)
            out.append(Candidate(PAIN, s, e))
            continue
        nearest = min(near, key=lambda s: (_gap(pain, s), -(s.end - s.start)))
        group = [nearest] + [s for s in near if s is not nearest and _listed_with(s, nearest, keys, c)]
        for site in group:
            code = c.site_concept.get(site.tag[1])
            start, end = min(span(pain)[0], span(site)[0]), max(span(pain)[1], span(site)[1])
            later = span(pain) if pain.start > site.start else span(site)
            out.append(Candidate(code or PAIN, start, end, site.tag[1], later))
    return out


def _pairs(hits: list[_Hit], c: Compiled, placed: _Placed) -> list[Candidate]:
    # Pairs: a word from each list in one clause, a few words apart, either order.
    out = []
    span = placed.span
    by_pair: dict[int, dict[str, list[_Hit]]] = {}
    for h in hits:
        if h.tag[0] == "pair":
            by_pair.setdefault(h.tag[1], {"a": [], "b": []})[h.tag[2]].append(h)
    for pair_id, sides in by_pair.items():
        code, window = c.pairs[pair_id]
        for a, b in itertools.product(sides["a"], sides["b"]):
            if not _overlaps(a, b) and _gap(a, b) <= window and placed.same_clause(a, b):
                start, end = min(span(a)[0], span(b)[0]), max(span(a)[1], span(b)[1])
                later = span(a) if a.start > b.start else span(b)
                out.append(Candidate(code, start, end, placed.site_at(start, end), later))
    return out


def _overlaps(a: _Hit, b: _Hit) -> bool:
    return a.start < b.end and b.start < a.end


def _listed_with(site: _Hit, other: _Hit, keys: list[str], c: Compiled) -> bool:
    lo, hi = (site, other) if site.start < other.start else (other, site)
    between = keys[lo.end : hi.start]
    return bool(between) and all(k in _AND for k in between)


def _dedupe(found: list[Candidate]) -> list[Candidate]:
    """One candidate per concept and place: of overlapping spans of one
    concept the longest stays; an unsited pain inside a concept's span goes."""
    found.sort(key=lambda c: (c.start, -(c.end - c.start)))
    kept: list[Candidate] = []
    for cand in found:
        if any(k.concept == cand.concept and k.start < cand.end and cand.start < k.end for k in kept):
            continue
        kept.append(cand)
    real = [k for k in kept if k.concept != PAIN]
    return [k for k in kept if k.concept != PAIN or not any(r.start <= k.start and k.end <= r.end for r in real)]
