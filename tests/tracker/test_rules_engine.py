"""The pure engine, table-driven, with no database."""

import datetime as dt

import pytest

from tracker.rules import engine
from tracker.rules.engine import RuleDef
from tracker.rules.facts import Entry, History, Mention, Weight
from tracker.rules.shape import _passes
from tracker.rules.tiers import TIERS
from tracker.rules.validation import Vocabulary, validate_condition

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
VOCAB = Vocabulary(
    symptoms=frozenset({"pain", "headache", "vomiting", "fatigue", "nausea", "cough"}),
    body_sites=frozenset({"hip", "knee", "lower_back"}),
    concepts=frozenset({"bone_pain", "headache"}),
)


def entry(symptom="pain", site=None, severity=5, new=False, worse=False, days_ago=0, mentions=(), id=None):
    at = NOW - dt.timedelta(days=days_ago)
    return Entry(
        symptom=symptom,
        body_site=site,
        severity=severity,
        is_new=new,
        is_worse=worse,
        at=at,
        day=at.date(),
        mentions=tuple(mentions),
        id=id,
    )


def fires(condition, current, earlier=(), weights=(), tier="urgent"):
    rule = RuleDef(slug="r", tier=tier, condition=condition)
    history = History(entries=(*earlier, current) if current else tuple(earlier), weights=tuple(weights))
    if current is None:
        hits = engine.evaluate([rule], history=history, weight=weights[-1])
    else:
        hits = engine.evaluate([rule], history=history, entry=current)
    return hits[0] if hits else None


LEAF_CASES = [
    ("symptom in list", {"symptom": ["pain", "cough"]}, entry("cough"), True),
    ("symptom not in list", {"symptom": ["pain"]}, entry("cough"), False),
    ("body site", {"body_site": ["hip"]}, entry(site="hip"), True),
    ("no body site", {"body_site": ["hip"]}, entry(site=None), False),
    ("severity at the minimum", {"min_severity": 7}, entry(severity=7), True),
    ("severity below", {"min_severity": 7}, entry(severity=6), False),
    ("new", {"new": True}, entry(new=True), True),
    ("not new", {"new": True}, entry(new=False), False),
    ("worse", {"worse": True}, entry(worse=True), True),
    ("new false matches old", {"new": False}, entry(new=False), True),
    ("text found", {"text": ["bone_pain"]}, entry("other", mentions=[Mention("bone_pain", "hip pain")]), True),
    ("text other concept", {"text": ["bone_pain"]}, entry("other", mentions=[Mention("headache", "headache")]), False),
    ("all", {"all": [{"symptom": ["pain"]}, {"body_site": ["hip"]}]}, entry(site="hip"), True),
    ("all fails", {"all": [{"symptom": ["pain"]}, {"body_site": ["hip"]}]}, entry(site="knee"), False),
    ("any", {"any": [{"new": True}, {"worse": True}]}, entry(worse=True), True),
    ("any fails", {"any": [{"new": True}, {"worse": True}]}, entry(), False),
    ("not", {"not": {"body_site": ["hip"]}}, entry(site="knee"), True),
    ("not fails", {"not": {"body_site": ["hip"]}}, entry(site="hip"), False),
]


@pytest.mark.parametrize(("case", "condition", "current", "expected"), LEAF_CASES, ids=[c[0] for c in LEAF_CASES])
def test_entry_tests(case, condition, current, expected):
    assert (fires(condition, current) is not None) is expected


PERSIST = {"persistence": {"symptoms": ["fatigue", "nausea"], "min_days": 3, "within_days": 14}}


@pytest.mark.parametrize(
    ("earlier_days", "expected"),
    [((13, 6), True), ((15, 6), False), ((6,), False), ((0, 0), False), ((2, 1, 1), True)],
)
def test_persistence_counts_distinct_days_in_the_window(earlier_days, expected):
    earlier = [entry("fatigue", days_ago=d) for d in earlier_days]
    assert (fires(PERSIST, entry("nausea"), earlier) is not None) is expected


COMBO = {"combination": {"a": {"symptom": ["headache"]}, "b": {"symptom": ["vomiting"]}, "within_days": 3}}


@pytest.mark.parametrize(
    ("current", "earlier", "expected"),
    [
        (entry("vomiting", id=2), [entry("headache", days_ago=2, id=1)], True),
        (entry("headache", id=2), [entry("vomiting", days_ago=3, id=1)], True),
        (entry("headache", id=2), [entry("vomiting", days_ago=4, id=1)], False),
        (entry("headache", id=2), [entry("headache", days_ago=1, id=1)], False),
        (entry("vomiting", id=2), [entry("vomiting", id=1)], False),
        (entry("headache", id=1), [], False),
    ],
)
def test_combination_needs_both_within_the_window(current, earlier, expected):
    hit = fires(COMBO, current, earlier)
    assert (hit is not None) is expected
    if expected:
        assert "with" in hit.evidence


def test_an_entry_does_not_combine_with_itself():
    both = {"combination": {"a": {"symptom": ["headache"]}, "b": {"symptom": ["headache"]}, "within_days": 3}}
    assert fires(both, entry("headache", id=5)) is None


def weights(*pairs):
    return [Weight(kg=kg, at=NOW - dt.timedelta(days=d), id=i) for i, (d, kg) in enumerate(pairs)]


@pytest.mark.parametrize(
    ("series", "rule", "expected"),
    [
        (((200, 70.0), (0, 66.5)), {"min_percent": 5, "within_days": 365}, True),
        (((200, 70.0), (0, 66.6)), {"min_percent": 5, "within_days": 365}, False),
        (((400, 70.0), (0, 60.0)), {"min_percent": 5, "within_days": 365}, False),
        (((100, 80.0), (50, 90.0), (0, 85.0)), {"min_percent": 5, "within_days": 365}, True),
        (((100, 60.0), (0, 66.0)), {"min_percent": 5, "within_days": 365}, False),
        (((0, 60.0),), {"min_percent": 5, "within_days": 365}, False),
        (((300, 100.0), (0, 95.5)), {"min_kg": 4.5, "within_days": 365}, True),
        (((300, 100.0), (0, 95.6)), {"min_kg": 4.5, "within_days": 365}, False),
    ],
)
def test_weight_loss_compares_the_latest_weight_with_the_heaviest_in_the_window(series, rule, expected):
    hit = fires({"weight_loss": rule}, None, weights=weights(*series))
    assert (hit is not None) is expected
    if expected:
        assert "weight down" in hit.evidence


def test_weight_rules_wait_for_a_weight_and_entry_rules_for_an_entry():
    weight_rule = RuleDef("w", "routine", {"weight_loss": {"min_percent": 5, "within_days": 365}})
    entry_rule = RuleDef("e", "urgent", {"symptom": ["pain"]})
    history = History(entries=(entry(),), weights=tuple(weights((200, 70.0), (0, 60.0))))
    on_entry = engine.evaluate([weight_rule, entry_rule], history=history, entry=history.entries[0])
    on_weight = engine.evaluate([weight_rule, entry_rule], history=history, weight=history.weights[-1])
    assert [h.rule.slug for h in on_entry] == ["e"]
    assert [h.rule.slug for h in on_weight] == ["w"]


def test_snoozes_silence_a_rule_or_a_symptom_but_never_an_emergency():
    urgent = RuleDef("bone", "urgent", {"symptom": ["pain"]})
    emergency = RuleDef("walk", "emergency", {"symptom": ["pain"]})
    current = entry()
    history = History(entries=(current,))
    assert engine.evaluate([urgent], history=history, entry=current, snoozed_rules=frozenset({"bone"})) == []
    assert engine.evaluate([urgent], history=history, entry=current, snoozed_symptoms=frozenset({"pain"})) == []
    still = engine.evaluate(
        [emergency],
        history=history,
        entry=current,
        snoozed_rules=frozenset({"walk"}),
        snoozed_symptoms=frozenset({"pain"}),
    )
    assert [h.rule.slug for h in still] == ["walk"]


def test_evidence_reads_like_a_nurse_would_write_it():
    hit = fires({"symptom": ["pain"]}, entry(site="hip", severity=7, new=True, worse=True))
    assert hit.evidence == "pain at hip, new, severity 7, getting worse"


def test_text_evidence_keeps_her_own_words():
    hit = fires({"text": ["bone_pain"]}, entry("other", mentions=[Mention("bone_pain", "pain in my right hip")]))
    assert hit.matched_text == ("pain in my right hip",)
    assert "\u201cpain in my right hip\u201d" in hit.evidence


VALIDATION_CASES = [
    ("unknown symptom", {"symptom": ["hipp"]}, "unknown symptom code \u201chipp\u201d"),
    ("unknown site", {"body_site": ["tail"]}, "unknown body site code"),
    ("unknown concept", {"text": ["sadness"]}, "unknown text concept"),
    ("empty group", {"all": []}, "the group is empty"),
    ("empty any nested", {"any": [{"symptom": ["pain"]}, {"all": []}]}, "condition.any[1].all: the group is empty"),
    ("negative window", {"persistence": {"symptoms": ["pain"], "min_days": 2, "within_days": -3}}, "not negative"),
    (
        "negative combination window",
        {"combination": {"a": {"symptom": ["pain"]}, "b": {"symptom": ["cough"]}, "within_days": -1}},
        "not negative",
    ),
    ("severity out of range", {"min_severity": 11}, "0 to 10"),
    ("bool as severity", {"min_severity": True}, "0 to 10"),
    ("unknown test", {"colour": ["red"]}, "unknown test \u201ccolour\u201d"),
    ("two keys", {"symptom": ["pain"], "new": True}, "one group"),
    ("not a dict", ["pain"], "one group"),
    ("weight both thresholds", {"weight_loss": {"min_percent": 5, "min_kg": 3, "within_days": 30}}, "exactly one"),
    ("weight zero percent", {"weight_loss": {"min_percent": 0, "within_days": 30}}, "above 0"),
    (
        "history in combination",
        {
            "combination": {
                "a": {"weight_loss": {"min_percent": 5, "within_days": 30}},
                "b": {"symptom": ["pain"]},
                "within_days": 2,
            }
        },
        "can't be used inside a combination",
    ),
    ("new not bool", {"new": "yes"}, "true or false"),
    ("only a not", {"not": {"all": []}}, "the group is empty"),
]


@pytest.mark.parametrize(("case", "condition", "message"), VALIDATION_CASES, ids=[c[0] for c in VALIDATION_CASES])
def test_validation_explains_each_problem(case, condition, message):
    errors = validate_condition(condition, VOCAB)
    assert any(message in e for e in errors), errors


def test_a_valid_tree_has_no_errors():
    tree = {
        "any": [
            {"all": [{"symptom": ["pain"]}, {"body_site": ["hip"]}, {"any": [{"new": True}, {"worse": True}]}]},
            {"text": ["bone_pain"]},
            {"combination": {"a": {"symptom": ["headache"]}, "b": {"symptom": ["vomiting"]}, "within_days": 3}},
            {
                "all": [
                    {"symptom": ["fatigue"]},
                    {"persistence": {"symptoms": ["fatigue"], "min_days": 3, "within_days": 14}},
                ]
            },
            {"weight_loss": {"min_percent": 5, "within_days": 365}},
        ]
    }
    assert validate_condition(tree, VOCAB) == []


def test_every_default_rule_is_valid_and_has_advice_and_a_source():
    from tracker.catalog import BODY_SITES, SYMPTOMS
    from tracker.rules.defaults import DEFAULT_RULES
    from tracker.rules.text import concept_codes

    vocab = Vocabulary(
        symptoms=frozenset(s[0] for s in SYMPTOMS),
        body_sites=frozenset(b[0] for b in BODY_SITES),
        concepts=concept_codes(),
    )
    slugs = [r["slug"] for r in DEFAULT_RULES]
    assert len(slugs) == len(set(slugs))
    for rule in DEFAULT_RULES:
        assert validate_condition(rule["condition"], vocab) == [], rule["slug"]
        assert rule["tier"] in TIERS
        assert rule["advice"] and rule["nurse_note"] and rule["source"].startswith("Article:")


def test_the_emergency_tiers_follow_red_flags_md():
    from tracker.rules.defaults import DEFAULT_RULES

    tiers = {r["slug"]: r["tier"] for r in DEFAULT_RULES}
    for slug in (
        "mscc-leg-weakness-numbness",
        "mscc-trouble-walking",
        "mscc-bladder-bowel",
        "seizure",
        "confusion",
        "chest-pain-with-breathlessness",
    ):
        assert tiers[slug] == "emergency", slug


@pytest.mark.parametrize(
    ("condition", "current", "gated_out"),
    [
        ({"all": [{"symptom": ["pain"]}, {"min_severity": 3}]}, entry("cough"), True),
        (
            {"any": [{"symptom": ["pain"]}, {"text": ["bone_pain"]}]},
            entry("other", mentions=[Mention("bone_pain", "x")]),
            False,
        ),
        (
            {"combination": {"a": {"symptom": ["headache"]}, "b": {"body_site": ["hip"]}, "within_days": 2}},
            entry("cough", site="hip"),
            False,
        ),
        (
            {"combination": {"a": {"symptom": ["headache"]}, "b": {"body_site": ["hip"]}, "within_days": 2}},
            entry("cough", site="knee"),
            True,
        ),
        ({"min_severity": 3}, entry("cough"), False),
    ],
)
def test_the_gate_only_skips_rules_that_could_not_match(condition, current, gated_out):
    rule = RuleDef("r", "urgent", condition)
    assert (rule.gate is not None and not _passes(rule.gate, current)) is gated_out


# ---------------------------------------------------------------- her words (issue 10)

from tracker.rules.facts import SetAside  # noqa: E402


def noted(symptom="other", mentions=(), set_aside=(), lang="en", content=True, note="a note", **kwargs):
    base = entry(symptom, mentions=mentions, **kwargs)
    from dataclasses import replace

    return replace(base, set_aside=tuple(set_aside), note_lang=lang, note_has_content=content, note=note)


WORDS_CASES = [
    (
        "site from her words",
        {"body_site": ["hip"]},
        noted(mentions=[Mention("bone_pain", "hip hurts", site="hip")]),
        True,
    ),
    (
        "other site in her words",
        {"body_site": ["hip"]},
        noted(mentions=[Mention("headache", "head", site="head")]),
        False,
    ),
    ("new from her words", {"new": True}, noted(mentions=[Mention("bone_pain", "x", new=True)]), True),
    ("worse from her words", {"worse": True}, noted(mentions=[Mention("bone_pain", "x", worse=True)]), True),
    ("not new: her words say new", {"new": False}, noted(mentions=[Mention("bone_pain", "x", new=True)]), False),
    ("unread note with content", {"unread_note": True}, noted(), True),
    ("unread note, nothing to read", {"unread_note": True}, noted(content=False), False),
]


@pytest.mark.parametrize(("name", "condition", "current", "expected"), WORDS_CASES, ids=[c[0] for c in WORDS_CASES])
def test_her_words_count_like_the_structured_fields(name, condition, current, expected):
    assert (fires(condition, current) is not None) is expected


UNREAD = RuleDef(slug="read", tier="routine", condition={"all": [{"symptom": ["other"]}, {"unread_note": True}]})
BONE = RuleDef(slug="bone", tier="urgent", condition={"text": ["bone_pain"]})


def test_read_her_words_fires_only_when_no_other_rule_did():
    plain = noted()
    assert [h.rule.slug for h in engine.evaluate([UNREAD, BONE], history=History(entries=(plain,)), entry=plain)] == [
        "read"
    ]
    understood = noted(mentions=[Mention("bone_pain", "hip pain")])
    hits = engine.evaluate([UNREAD, BONE], history=History(entries=(understood,)), entry=understood)
    assert [h.rule.slug for h in hits] == ["bone"]


def test_a_snoozed_rule_that_matched_keeps_read_her_words_quiet():
    understood = noted(mentions=[Mention("bone_pain", "hip pain")])
    hits = engine.evaluate(
        [UNREAD, BONE], history=History(entries=(understood,)), entry=understood, snoozed_rules=frozenset({"bone"})
    )
    assert hits == []


def test_read_her_words_puts_her_note_first():
    hit = engine.evaluate([UNREAD], history=History(), entry=noted(note="a lump under my arm", lang="es"))[0]
    assert hit.evidence == "her words (Spanish): \u201ca lump under my arm\u201d"


def test_a_known_cause_lowers_an_urgent_text_match_to_routine_but_never_an_emergency():
    explained = noted(mentions=[Mention("bone_pain", "hip aches", explained="from the letrozole")])
    [urgent] = engine.evaluate([BONE], history=History(), entry=explained)
    assert (urgent.rule.tier, urgent.tier) == ("urgent", "routine")
    assert "she puts it down to \u201cfrom the letrozole\u201d" in urgent.evidence
    emergency = RuleDef(slug="legs", tier="emergency", condition={"text": ["bone_pain"]})
    [hit] = engine.evaluate([emergency], history=History(), entry=explained)
    assert hit.tier == "emergency"
    # A structured match is not lowered by a cause in the note.
    structured = RuleDef(slug="s", tier="urgent", condition={"any": [{"symptom": ["pain"]}, {"text": ["bone_pain"]}]})
    [hit] = engine.evaluate([structured], history=History(), entry=noted("pain", mentions=explained.mentions))
    assert hit.tier == "urgent"


def test_evidence_shows_what_was_set_aside_and_the_language():
    current = noted(
        mentions=[Mention("bone_pain", "back pain", new=True)],
        set_aside=[SetAside("bone_pain", "hip pain", "negated"), SetAside("headache", "headache", "negated")],
        lang="es",
    )
    hit = fires({"text": ["bone_pain"]}, current)
    assert "in her words: \u201cback pain\u201d (new)" in hit.evidence
    assert "set aside: \u201chip pain\u201d (negated)" in hit.evidence
    assert "set aside: \u201cheadache\u201d (negated)" in hit.evidence
    assert hit.evidence.endswith("note read as Spanish")
    found, aside = engine.split_evidence(hit.evidence)
    assert (
        aside == ["\u201chip pain\u201d (negated)", "\u201cheadache\u201d (negated)"]
        and "note read as Spanish" in found
    )


def test_unread_note_must_be_true_and_not_inside_a_combination():
    vocab = Vocabulary(symptoms=frozenset({"other"}), body_sites=frozenset(), concepts=frozenset())
    assert validate_condition({"unread_note": False}, vocab) == ["condition.unread_note: must be true"]
    tree = {"combination": {"a": {"unread_note": True}, "b": {"symptom": ["other"]}, "within_days": 1}}
    assert any("inside a combination" in e for e in validate_condition(tree, vocab))
