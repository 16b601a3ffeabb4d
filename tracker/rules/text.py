"""Find symptom concepts in a survivor's note with medspaCy, offline.

A blank English spaCy pipeline (no model download) with spaCy's rule-based
sentencizer, medspaCy's TargetMatcher for our concept lexicon, and medspaCy's
ConText for negation, history, hypotheticals and family members, extended with
the phrases survivors actually write ("two years ago", "call if I get ...").

The pipeline is built once per process (functools.cache), never per request.
"""

from __future__ import annotations

import functools
import re

from .engine import Mention

PAIN = ["pain", "pains", "ache", "aches", "aching", "achy", "hurts", "hurt", "hurting", "sore", "soreness", "throbbing"]
BONE_SITES = [
    "hip",
    "hips",
    "pelvis",
    "groin",
    "back",
    "spine",
    "spinal",
    "backbone",
    "rib",
    "ribs",
    "tailbone",
    "bone",
    "bones",
]
LEG = ["leg", "legs", "foot", "feet", "knees", "thigh", "thighs"]
MY = {"LOWER": {"IN": ["my", "the", "both", "his", "her", "a"]}, "OP": "?"}
SIDE = {"LOWER": {"IN": ["right", "left", "lower", "upper", "middle", "low"]}, "OP": "?"}
# spaCy splits "can't" into "ca" + "n't" and "cannot" into "can" + "not".
CANT = [{"LOWER": {"IN": ["ca", "can", "could", "wo"]}}, {"LOWER": {"IN": ["n't", "not", "nt"]}}]


def _p(*words: str) -> list[dict]:
    return [{"LOWER": w} for w in words]


def _any(words: list[str], op: str | None = None) -> dict:
    token: dict = {"LOWER": {"IN": words}}
    if op:
        token["OP"] = op
    return token


# concept -> (label for admins, token patterns). Concept names are the
# vocabulary of the rules' {"text": [...]} test.
CONCEPTS: dict[str, tuple[str, list[list[dict]]]] = {
    "bone_pain": (
        "Pain in the hip, pelvis, back, spine, ribs or bones",
        [
            [_any(BONE_SITES), _any(PAIN)],
            [_any(PAIN), _any(["in", "on", "at", "around"]), MY, SIDE, _any(BONE_SITES)],
            [
                _any(BONE_SITES),
                _any(["is", "are", "keeps", "has", "have", "been"], "?"),
                _any(["hurting", "aching", "sore", "killing"]),
            ],
        ],
    ),
    "chest_pain": (
        "Chest pain or tightness",
        [
            [_any(["chest"]), _any(PAIN + ["tightness", "tight", "pressure"])],
            [_any(PAIN + ["tightness", "pressure"]), _any(["in", "on", "across"]), MY, _any(["chest"])],
            [_any(["tight", "heavy"]), _any(["chest"])],
            [_any(["chest"]), _any(["feels", "is", "feeling", "gets"]), _any(["tight", "heavy", "painful", "sore"])],
        ],
    ),
    "radicular_pain": (
        "Shooting or band-like pain",
        [
            [_any(["shooting", "stabbing", "electric"]), _any(PAIN + ["pain", "feeling", "shocks", "shock"])],
            [_any(["band", "belt"]), _any(["-", "like"], "?"), _any(["pain", "around", "of"])],
        ],
    ),
    "headache": ("Headache", [[_any(["headache", "headaches", "migraine", "migraines"])], [_p("head")[0], _any(PAIN)]]),
    "seizure": (
        "Seizure or fit",
        [
            [_any(["seizure", "seizures", "convulsion", "convulsions", "fit", "fits"])],
            _p("blacked", "out"),
            _p("passed", "out"),
        ],
    ),
    "confusion": (
        "Confusion or drowsiness",
        [
            [_any(["confused", "confusion", "muddled", "disoriented", "disorientated", "drowsy", "drowsiness"])],
            [*CANT, _any(["think"])],
        ],
    ),
    "short_of_breath": (
        "Short of breath",
        [
            _p("short", "of", "breath"),
            _p("shortness", "of", "breath"),
            _p("out", "of", "breath"),
            [_any(["breathless", "breathlessness", "breathing"]), _any(["is", "feels", "hard", "difficult"], "?")],
            _p("catch", "my", "breath"),
            _p("hard", "to", "breathe"),
            [*CANT, _any(["breathe"])],
        ],
    ),
    "cough": ("Cough", [[_any(["cough", "coughs", "coughing"])]]),
    "jaundice": (
        "Yellow skin or eyes",
        [
            [_any(["jaundice", "jaundiced"])],
            [_any(["yellow", "yellowish", "yellowy"]), _any(["skin", "eyes", "eye", "whites"])],
            [
                _any(["skin", "eyes", "whites"]),
                _any(["is", "are", "look", "looks", "turned", "turning", "went"]),
                _any(["yellow", "yellowish"]),
            ],
        ],
    ),
    "leg_weakness": (
        "Weak, heavy or numb legs",
        [
            [
                _any(LEG),
                _any(["feel", "feels", "are", "went", "gone", "getting"], "?"),
                _any(["weak", "heavy", "numb", "wobbly", "gave", "giving", "dead"]),
            ],
            [
                _any(["weak", "heavy", "numb", "weakness", "numbness", "tingling"]),
                _any(["in", "of"], "?"),
                MY,
                SIDE,
                _any(LEG),
            ],
        ],
    ),
    "numbness": (
        "Numbness or tingling",
        [[_any(["numb", "numbness", "tingling", "tingly"])], _p("pins", "and", "needles")],
    ),
    "trouble_walking": (
        "Trouble standing or walking",
        [
            [
                _any(["trouble", "difficulty", "problems", "hard", "struggling", "struggle", "unable"]),
                _any(["to", "with"], "?"),
                _any(["walk", "walking", "stand", "standing"]),
            ],
            [*CANT, _any(["walk", "stand"])],
            [_any(["unsteady", "stumbling", "falling"])],
        ],
    ),
    "bladder_bowel": (
        "Loss of bladder or bowel control",
        [
            [_any(["incontinence", "incontinent"])],
            _p("wet", "myself"),
            _p("wetting", "myself"),
            _p("soiled", "myself"),
            [_any(["lost", "losing", "no"]), _p("control")[0], _p("of")[0], MY, _any(["bladder", "bowel", "bowels"])],
            [*CANT, _any(["pee", "urinate", "wee"])],
        ],
    ),
    "fracture": (
        "Broken bone",
        [
            [_any(["fracture", "fractured", "fractures"])],
            [
                _any(["broke", "broken", "cracked"]),
                MY,
                SIDE,
                _any(["bone", "hip", "rib", "ribs", "wrist", "arm", "leg", "ankle", "back", "spine", "vertebra"]),
            ],
        ],
    ),
    "nausea": (
        "Nausea",
        [[_any(["nausea", "nauseous", "nauseated", "queasy"])], _p("feel", "sick"), _p("feeling", "sick")],
    ),
    "vomiting": (
        "Vomiting",
        [[_any(["vomit", "vomiting", "vomited", "throwing", "threw"]), _any(["up"], "?")], _p("being", "sick")],
    ),
    "dizziness": (
        "Dizziness",
        [
            [_any(["dizzy", "dizziness", "lightheaded", "light-headed", "vertigo"])],
            _p("room", "spins"),
            _p("room", "spinning"),
        ],
    ),
    "thirst": ("Excessive thirst", [[_any(["thirsty", "thirst"])]]),
    "constipation": ("Constipation", [[_any(["constipated", "constipation"])]]),
    "palpitations": (
        "Heart racing or skipping",
        [
            [_any(["palpitations", "palpitation"])],
            [_p("heart")[0], _any(["racing", "pounding", "skipping", "fluttering", "irregular"])],
        ],
    ),
    "fatigue": (
        "Tiredness",
        [[_any(["exhausted", "exhaustion", "fatigue", "fatigued", "worn"])], _p("so", "tired"), _p("very", "tired")],
    ),
    "appetite_loss": (
        "Poor appetite",
        [
            _p("no", "appetite"),
            _p("lost", "my", "appetite"),
            _p("not", "hungry"),
            _p("off", "my", "food"),
            _p("poor", "appetite"),
        ],
    ),
    "weight_loss": (
        "Losing weight",
        [
            [_any(["lost", "losing"]), _any(["weight"])],
            [_any(["clothes", "trousers", "jeans"]), _any(["are", "feel"], "?"), _any(["loose", "baggy"])],
        ],
    ),
}

# Extra ConText modifiers for how survivors write. medspaCy's defaults already
# cover "no", "denies", "mother", "if", ...; these close the gaps we tested.
EXTRA_CONTEXT = [
    ("ago", "HISTORICAL", "BACKWARD"),
    ("years ago", "HISTORICAL", "BACKWARD"),
    ("last year", "HISTORICAL", "BIDIRECTIONAL"),
    ("in the past", "HISTORICAL", "BIDIRECTIONAL"),
    ("used to", "HISTORICAL", "FORWARD"),
    ("years back", "HISTORICAL", "BACKWARD"),
    ("before my diagnosis", "HISTORICAL", "BIDIRECTIONAL"),
    ("call if", "HYPOTHETICAL", "FORWARD"),
    ("in case", "HYPOTHETICAL", "FORWARD"),
    ("watch out for", "HYPOTHETICAL", "FORWARD"),
    ("look out for", "HYPOTHETICAL", "FORWARD"),
    ("what to do if", "HYPOTHETICAL", "FORWARD"),
    ("worried about getting", "HYPOTHETICAL", "FORWARD"),
    ("nothing like", "PSEUDO_NEGATED_EXISTENCE", "TERMINATE"),
    # "can't walk" is the symptom itself, not a negation of what follows.
    ("can't walk", "PSEUDO_NEGATED_EXISTENCE", "PSEUDO"),
    ("cannot walk", "PSEUDO_NEGATED_EXISTENCE", "PSEUDO"),
    ("can't stand", "PSEUDO_NEGATED_EXISTENCE", "PSEUDO"),
    ("can't breathe", "PSEUDO_NEGATED_EXISTENCE", "PSEUDO"),
    ("can't think", "PSEUDO_NEGATED_EXISTENCE", "PSEUDO"),
    ("can't pee", "PSEUDO_NEGATED_EXISTENCE", "PSEUDO"),
    ("no longer", "NEGATED_EXISTENCE", "FORWARD"),
    ("none now", "NEGATED_EXISTENCE", "BACKWARD"),
    ("gone now", "NEGATED_EXISTENCE", "BACKWARD"),
    # "My husband says I seem confused" is about her: what someone says or
    # notices ends the family term's reach.
    ("says", "TERMINATE", "TERMINATE"),
    ("said", "TERMINATE", "TERMINATE"),
    ("thinks", "TERMINATE", "TERMINATE"),
    ("noticed", "TERMINATE", "TERMINATE"),
    ("tells me", "TERMINATE", "TERMINATE"),
]


def concept_labels() -> dict[str, str]:
    return {code: label for code, (label, _) in CONCEPTS.items()}


@functools.cache
def _pipeline():
    # Imported here so that importing the engine stays cheap and pure.
    import medspacy
    from loguru import logger
    from medspacy.context import ConTextRule
    from medspacy.ner import TargetRule

    # medspaCy's helpers log at DEBUG through loguru, including sentence text:
    # health detail must never reach a log.
    for name in ("medspacy", "PyRuSH", "PyFastNER", "quicksectx"):
        logger.disable(name)

    nlp = medspacy.load(medspacy_enable=["medspacy_target_matcher", "medspacy_context"])
    nlp.add_pipe("sentencizer", first=True)
    matcher = nlp.get_pipe("medspacy_target_matcher")
    matcher.add(
        [
            TargetRule(f"{code}-{i}", code.upper(), pattern=pattern)
            for code, (_, patterns) in CONCEPTS.items()
            for i, pattern in enumerate(patterns)
        ]
    )
    context = nlp.get_pipe("medspacy_context")
    context.add([ConTextRule(literal, category, direction=direction) for literal, category, direction in EXTRA_CONTEXT])
    return nlp


def first_words_regex(concepts: frozenset[str] | None = None) -> str:
    """A regex every note mentioning one of these concepts (all, by default)
    matches: every mention starts with the first token of one of its
    patterns. Used to skip spaCy for most notes, and by rule preview in SQL."""
    words: set[str] = set()
    for code, (_, patterns) in CONCEPTS.items():
        if concepts is not None and code not in concepts:
            continue
        for pattern in patterns:
            first = pattern[0]["LOWER"]
            words.update(first["IN"] if isinstance(first, dict) else [first])
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


@functools.cache
def _could_mention(concepts: frozenset[str] | None = None) -> re.Pattern:
    return re.compile(r"\b(?:" + first_words_regex(concepts) + ")", re.IGNORECASE)


@functools.cache
def _targets(concepts: frozenset[str] | None):
    """The TargetMatcher for these concepts (all of them by default). Preview
    asks for only the concepts a rule uses: far fewer patterns to try."""
    nlp = _pipeline()
    if concepts is None:
        return nlp.get_pipe("medspacy_target_matcher")
    from medspacy.ner import TargetMatcher, TargetRule

    matcher = TargetMatcher(nlp, name="targets-" + "-".join(sorted(concepts)))
    matcher.add(
        [
            TargetRule(f"{code}-{i}", code.upper(), pattern=pattern)
            for code, (_, patterns) in CONCEPTS.items()
            if code in concepts
            for i, pattern in enumerate(patterns)
        ]
    )
    return matcher


def could_mention(note: str, concepts: frozenset[str] | None = None) -> bool:
    """False when the note cannot mention any (of these) concepts: cheap, no spaCy."""
    return bool(note) and _could_mention(concepts).search(note) is not None


def find_mentions(note: str, concepts: frozenset[str] | None = None) -> tuple[Mention, ...]:
    """Affirmed, current mentions about the survivor herself. A negated,
    historical, hypothetical or family mention does not count. With
    `concepts`, only those are looked for."""
    if not could_mention(note, concepts):
        return ()
    nlp = _pipeline()
    doc = nlp.get_pipe("sentencizer")(nlp.make_doc(note))
    doc = _targets(concepts)(doc)
    if not doc.ents:
        return ()  # nothing for ConText to qualify: skip its matcher
    doc = nlp.get_pipe("medspacy_context")(doc)
    found = []
    for ent in doc.ents:
        if ent._.is_negated or ent._.is_historical or ent._.is_hypothetical or ent._.is_family:
            continue
        found.append(Mention(concept=ent.label_.lower(), text=ent.text))
    return tuple(found)


def warm_up() -> None:
    """Build the pipeline now (worker and web start-up), not on a first request."""
    find_mentions("warm up headache")
