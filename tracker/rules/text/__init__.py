"""Read a survivor's note the way a nurse does, in English or Spanish. Pure:
no ORM, no I/O beyond reading the lexicon once per process.

1. Language: her setting when given, else the note's words decide (tokens.py).
2. Tokens: spaCy's blank tokenizer, our NORM (typos corrected, accents
   folded) and Snowball stems (tokens.py).
3. Mentions: the lexicon's concepts found in the words (matcher.py).
4. Context: medspaCy's ConText with our rules judges each mention in its
   clause (context.py); what does not count is kept as "set aside" with why.
5. Signals (new, worse, at night, on straining) and body sites go with the
   mentions that count; a pain at night or on straining is its own concept.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass

from ..facts import Entry, Mention, SetAside
from . import lexicon
from .context import component
from .matcher import PAIN, compiled, find
from .tokens import detect_language, tokenize

# Words that turn a sentence from what was to what is now.
_CONTRAST = {"but", "now", "however", "though", "although", "lately", "recently"}
_CONTRAST |= {"pero", "ahora", "aunque", "ultimamente"}


def _later_signals(doc) -> dict[int, list]:
    """NEW and WORSE cues by the start of their sentence."""
    if not doc.has_extension("context_graph") or doc._.context_graph is None:
        return {}
    found: dict[int, list] = {}
    for m in doc._.context_graph.modifiers:
        if m.category in ("NEW", "WORSE"):
            found.setdefault(doc[m.modifier_span[0]].sent.start, []).append(m)
    return found


# Longest note the reader takes (the form allows 2,000 characters).
MAX_CHARS = 4000
READING_VERSION = 1

# Precedence when several kinds reach one mention: the first found wins.
# The values are SetAside.why codes (rules/facts.py: SET_ASIDE_WORDS says them).
_WHY = {
    "OTHER_PERSON": "other_person",
    "HYPOTHETICAL": "hypothetical",
    "NEGATED": "negated",
    "RESOLVED": "resolved",
    "HISTORICAL": "historical",
    "CHRONIC": "chronic",
    "EVERYDAY": "everyday",
}
# A pain that comes with these signals is this concept too.
_PAIN_SIGNAL_CONCEPTS = {"NIGHT": "night_pain", "STRAIN": "pain_on_straining"}
_PAIN_LIKE = {PAIN, "bone_pain", "radicular_pain"}


@dataclass(frozen=True)
class Reading:
    lang: str
    mentions: tuple[Mention, ...] = ()
    set_aside: tuple[SetAside, ...] = ()
    has_content: bool = False
    corrected: tuple[tuple[str, str], ...] = ()  # (as typed, read as)

    def as_json(self) -> dict:
        return {
            "v": READING_VERSION,
            "lang": self.lang,
            "mentions": [asdict(m) for m in self.mentions],
            "set_aside": [asdict(s) for s in self.set_aside],
            "has_content": self.has_content,
            "corrected": [list(pair) for pair in self.corrected],
        }

    def entry_fields(self) -> dict:
        """What the rules engine's Entry takes from a reading."""
        return {
            "mentions": self.mentions,
            "set_aside": self.set_aside,
            "note_lang": self.lang,
            "note_has_content": self.has_content,
        }

    @classmethod
    def from_json(cls, data: dict | None) -> Reading | None:
        """None when missing or read by an older lexicon version."""
        if not isinstance(data, dict) or data.get("v") != READING_VERSION:
            return None
        return cls(
            lang=data["lang"],
            mentions=tuple(Mention(**m) for m in data["mentions"]),
            set_aside=tuple(SetAside(**s) for s in data["set_aside"]),
            has_content=data["has_content"],
            corrected=tuple(tuple(pair) for pair in data["corrected"]),
        )


EMPTY = Reading(lang="")
# How SymptomEntry.reading_terms starts when today's reader wrote it; a row
# without it was read by an older reader (or never).
CURRENT_TERMS = f"v{READING_VERSION} "


def reading_terms(reading: Reading | None) -> str:
    """The reading as words SQL can filter on (SymptomEntry.reading_terms):
    the version, then each counting concept, its site and signals, each
    followed by a space: "v1 bone_pain site:hip new worse "."""
    if reading is None:
        return ""
    terms = [CURRENT_TERMS.strip()]
    for m in reading.mentions:
        terms.append(m.concept)
        if m.site:
            terms.append(f"site:{m.site}")
        terms += [signal for signal, on in (("new", m.new), ("worse", m.worse)) if on]
    if reading.has_content:
        terms.append("content")
    return " ".join(dict.fromkeys(terms)) + " "


def concept_labels() -> dict[str, str]:
    return {code: concept.label for code, concept in lexicon.concepts().items()}


def concept_codes() -> frozenset[str]:
    return frozenset(lexicon.concepts())


@functools.cache
def _vocabularies():
    return {lang: compiled(lang).vocabulary for lang in lexicon.LANGUAGES}


def language_of(note: str, preferred: str | None = None) -> str:
    preferred = preferred if preferred in lexicon.LANGUAGES else None
    return detect_language(note, _vocabularies(), preferred) or preferred or "en"


def read(note: str, *, lang: str | None = None) -> Reading:
    """What her note says, and about what. `lang` is her language setting
    when she has one; a note plainly in the other language wins."""
    note = (note or "")[:MAX_CHARS]
    if not note.strip():
        return EMPTY
    lang = language_of(note, lang)
    doc, stems, corrected = tokenize(lang, note, _vocabularies()[lang])
    found = find(lang, doc, stems)
    from spacy.tokens import Span, SpanGroup

    spans = [Span(doc, *c.target, label=c.concept) for c in found.candidates]
    doc.spans["mentions"] = SpanGroup(doc, name="mentions", spans=spans)
    # ConText runs even with no mention: its cues also say which words of
    # the note are only denial or someone else's news (has_content below).
    component(lang)(doc)
    proxy = any(m.category == "PROXY" for m in doc._.context_graph.modifiers)
    mentions: list[Mention] = []
    set_aside: list[SetAside] = []
    covered: set[int] = set()
    signals = _later_signals(doc)
    for cand, span in zip(found.candidates, doc.spans["mentions"], strict=True):
        kinds = {m.category: m for m in span._.modifiers}
        if proxy:  # "writing for my mum: she is very drowsy" is about the survivor
            kinds.pop("OTHER_PERSON", None)
        if kinds.keys() & {"CHRONIC", "HISTORICAL"} and not kinds.keys() & {"NEGATED", "HYPOTHETICAL", "OTHER_PERSON"}:
            # "My usual back ache, but now it's different and waking me up":
            # what has changed is news, whatever came before.
            changed = [
                m
                for m in signals.get(doc[span.start].sent.start, ())
                if m.modifier_span[0] >= span.end
                and any(t.norm_ in _CONTRAST for t in doc[span.end : m.modifier_span[0]])
            ]
            if changed:
                kinds.pop("CHRONIC", None)
                kinds.pop("HISTORICAL", None)
                kinds.update({m.category: m for m in changed})
        text = doc[cand.start : cand.end].text
        why = next((reason for kind, reason in _WHY.items() if kind in kinds), None)
        if why is not None:
            # Her whole clause about it is read: "my sister has a bad back"
            # leaves nothing for a nurse to read.
            clauses = {found.clause[i] for m in kinds.values() for i in range(*m.modifier_span)}
            clauses |= {found.clause[i] for i in range(cand.start, cand.end)}
            covered.update(t.i for t in doc if found.clause[t.i] in clauses)
            if cand.concept != PAIN:
                set_aside.append(SetAside(cand.concept, text, why))
            continue
        explained = doc[slice(*kinds["EXPLAINED"].modifier_span)].text if "EXPLAINED" in kinds else ""
        mention = Mention(
            concept=cand.concept,
            text=text,
            site=_site_code(cand.site),
            new="NEW" in kinds,
            worse="WORSE" in kinds or "NIGHT" in kinds,
            explained=explained,
        )
        if cand.concept != PAIN:
            mentions.append(mention)
        if cand.concept in _PAIN_LIKE:
            for kind, concept in _PAIN_SIGNAL_CONCEPTS.items():
                if kind in kinds:
                    start, end = kinds[kind].modifier_span
                    words = doc[min(cand.start, start) : max(cand.end, end)].text
                    mentions.append(Mention(concept, words, mention.site, mention.new, True, explained))
    return Reading(
        lang=lang,
        mentions=_unique(mentions),
        set_aside=_unique(set_aside),
        has_content=bool(mentions) or _has_content(lang, doc, found, covered),
        corrected=tuple((doc[i].text, word) for i, word in sorted(corrected.items())),
    )


# Cues whose reach holds no news of hers: "no trouble with my bladder", "my
# sister lost weight", "in case I get...". ("Wasn't there before" is news.)
_ASIDE_CUES = {"NEGATED", "RESOLVED", "CHRONIC", "HYPOTHETICAL", "OTHER_PERSON", "EVERYDAY"}


def _has_content(lang: str, doc, found, covered: set[int]) -> bool:
    """Does the note say something about her health that a nurse should
    read? A body part, a pain word or a word of worry or of the body
    ("lump", "rash", "swollen", "scared", "unwell") that is not under a
    denial, about someone else, long-standing or in an "all good". Day-to-day
    news ("back from holiday, had a fab time") is not paged; "fine, but a
    lump under my arm" is."""
    for m in doc._.context_graph.modifiers:
        if m.category in _ASIDE_CUES:
            covered.update(range(*m.modifier_span))
            covered.update(range(*m.scope_span))
    for start, end in found.all_well:
        covered.update(range(start, end))
    concerns = compiled(lang).concerns
    return any(t.i not in covered and (t.norm_ in concerns or t.i in found.health) for t in doc if t.is_alpha)


# Body-site words the lexicon knows that are not codes of the catalog.
_NOT_CATALOG_SITES = {"bone", "spine_any", "leg_any"}


def _site_code(site: str | None) -> str | None:
    return None if site is None or site in _NOT_CATALOG_SITES else site


def _unique(items):
    seen: dict = {}
    for item in items:
        seen.setdefault(item, None)
    return tuple(seen)


def read_note_fields(note: str) -> dict:
    """The engine Entry's fields for a note (scenario replay)."""
    return read(note).entry_fields()


def find_mentions(note: str) -> tuple[Mention, ...]:
    """The mentions that count (affirmed, current, about her)."""
    return read(note).mentions


def something_else(*, note: str, reading: Reading, at) -> Entry:
    """Her note as a "Something else" entry with no structured detail: what
    the rules make of the words alone (Rules -> Test a sentence, benches)."""
    return Entry(
        id=0,
        symptom="other",
        body_site=None,
        severity=0,
        is_new=False,
        is_worse=False,
        at=at,
        day=at.date(),
        note=note,
        **reading.entry_fields(),
    )


def warm_up() -> None:
    """Load the lexicon, spelling lists and ConText now (worker and web
    start-up), not on a first request."""
    from .tokens import known_words

    for lang, sample in (("en", "warm up: no headache"), ("es", "sin dolor de cabeza")):
        known_words(lang)
        read(sample, lang=lang)
