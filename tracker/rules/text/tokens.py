"""Words as survivors type them, made comparable with the lexicon.

Each token gets a NORM (lower case, accents and curly apostrophes folded,
spaCy's contraction norms: "cant" -> "can" + "not") and a stem (NLTK's
Snowball stemmer, English or Spanish: "aching" and "aches" -> "ach",
"dolores" -> "dolor"). A word of five letters or more that is neither in the
lexicon nor a word of the language (pyspellchecker's frequency lists) is
compared with the lexicon by edit distance (rapidfuzz): "hedache" is read as
"headache", "bomitar" as "vomitar", while "weeks" or "pairs" are never read
as "weak" or "pain".
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from .lexicon import LANGUAGES

# Hyphens and slashes between letters ("hip-pain", "light-headed", "on/off")
# split words; typographic quotes become plain ones.
_JOINERS = re.compile(r"(?<=[^\W\d_])[-/](?=[^\W\d_])")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
# A word in the spelling lists seen fewer times than this is treated as unknown
# (the lists carry some common misspellings at low counts).
_KNOWN_MIN_COUNT = 50
FUZZY_MIN_LENGTH = 5
# First letters that people swap by ear: b/v, c/k/q/s/z, g/j, i/y.
_SOUND_ALIKE = {"v": "b", "k": "c", "q": "c", "s": "c", "z": "c", "j": "g", "y": "i"}


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case without accents: "Cabéza" -> "cabeza"; ñ is kept."""
    text = text.lower().replace("ñ", "\0")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text.replace("\0", "ñ")


def clean(note: str) -> str:
    return _JOINERS.sub(" ", note.translate(_QUOTES))


@functools.cache
def blank(lang: str):
    """A blank spaCy pipeline for the language: its tokenizer only."""
    import spacy

    return spacy.blank(lang)


@functools.cache
def stemmer(lang: str):
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer({"en": "english", "es": "spanish"}[lang])


@functools.cache
def known_words(lang: str) -> frozenset[str]:
    """Words of the language, so that a real word is never 'corrected'."""
    from spellchecker import SpellChecker

    frequency = SpellChecker(language=lang, distance=1).word_frequency
    return frozenset(fold(w) for w, count in frequency.dictionary.items() if count >= _KNOWN_MIN_COUNT)


@functools.lru_cache(maxsize=65536)
def stem(lang: str, norm: str) -> str:
    return stemmer(lang).stem(norm) if norm.isalpha() else norm


@dataclass
class Vocabulary:
    """Every word the lexicon and the context rules use, for one language."""

    lang: str
    words: frozenset[str]
    stems: frozenset[str]
    _choices: tuple[str, ...] = ()

    def __post_init__(self):
        self._choices = tuple(sorted(w for w in self.words if len(w) >= FUZZY_MIN_LENGTH - 1 and w.isalpha()))

    def correct(self, norm: str) -> str | None:
        """The lexicon word this unknown word is a typo of, or None (cached:
        the same words come back note after note)."""
        return _correct(self, norm)

    def __hash__(self) -> int:
        return hash(self.lang)

    def _correct(self, norm: str) -> str | None:
        if len(norm) < FUZZY_MIN_LENGTH or not norm.isalpha() or norm in self.words:
            return None
        if stem(self.lang, norm) in self.stems or norm in known_words(self.lang):
            return None
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        limit = 1 if len(norm) < 8 else 2
        # A typo keeps the first letter (or one that sounds alike: "bomitar")
        # nearly always; this stops most unrelated words one edit away.
        first = _SOUND_ALIKE.get(norm[0], norm[0])
        near = process.extract(norm, self._choices, scorer=Levenshtein.distance, score_cutoff=limit, limit=8)
        for word, _, _ in near:
            if _SOUND_ALIKE.get(word[0], word[0]) == first or len(norm) >= 8:
                return word
        return None


@functools.lru_cache(maxsize=65536)
def _correct(vocabulary: Vocabulary, norm: str) -> str | None:
    return vocabulary._correct(norm)


def tokenize(lang: str, note: str, vocabulary: Vocabulary):
    """A spaCy Doc whose tokens carry our NORM, with sentence starts set,
    and for each token its stem and the lexicon word a typo was read as."""
    doc = blank(lang).make_doc(clean(note))
    stems: list[str] = []
    corrected: dict[int, str] = {}
    sentence_start = True
    for token in doc:
        norm = fold(token.norm_)
        fixed = vocabulary.correct(norm)
        if fixed is not None:
            corrected[token.i] = fixed
            norm = fixed
        token.norm_ = norm
        stems.append(stem(lang, norm))
        token.is_sent_start = sentence_start
        sentence_start = _ends_sentence(token)
    return doc, stems, corrected


# "headache? no." answers its question: the answer belongs with it.
_ANSWERS = {"no", "nope", "nah", "none", "never", "yes", "yeah", "yep", "si", "nada", "ninguno", "ninguna", "nunca"}


def _ends_sentence(token) -> bool:
    if "\n" in token.text or token.text in (".", "!", ";", "-", "\u2013", "\u2014", "..."):
        return True
    if token.text == "?":
        following = token.nbor() if token.i + 1 < len(token.doc) else None
        return following is None or fold(following.text) not in _ANSWERS
    return False


_ACCENTED_ES = re.compile(r"[ñáéíóú¿¡]", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+")


def detect_language(note: str, vocabularies: dict[str, Vocabulary], preferred: str | None = None) -> str | None:
    """'en' or 'es' for the note, or None when it can't tell. With her
    language setting (`preferred`), the other language must win clearly.

    Hand-written on purpose: language identifiers (py3langid, langdetect)
    read the two- or three-word notes survivors write poorly ("me duele"
    came out English), and with only two languages and our own lexicons a
    count of words that belong to one language and not the other decides
    reliably."""
    tokens = [fold(w) for w in _WORD.findall(note)]
    if not tokens:
        return None
    scores = dict.fromkeys(LANGUAGES, 0.0)
    for token in tokens:
        in_lang = {lang: (token in vocabularies[lang].words) * 2 + (token in known_words(lang)) for lang in LANGUAGES}
        best = max(in_lang.values())
        for lang, score in in_lang.items():
            if score == best and score > 0 and list(in_lang.values()).count(best) == 1:
                scores[lang] += score
    scores["es"] += 2 * len(_ACCENTED_ES.findall(note))
    if preferred in scores:
        other = next(lang for lang in LANGUAGES if lang != preferred)
        # "ok" from a Spanish reader stays Spanish; a whole English sentence does not.
        return other if scores[other] >= 4 and scores[other] > 2 * scores[preferred] else preferred
    top = max(scores, key=scores.__getitem__)
    if scores[top] == 0 or list(scores.values()).count(scores[top]) > 1:
        return None
    return top
