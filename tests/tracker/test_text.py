"""Free-text concepts with medspaCy: what counts, and the traps that must not."""

import pytest

from tracker.rules.text import _pipeline, find_mentions

COUNTS = [
    ("the pain in my right hip keeps getting worse, nothing like my arthritis", "bone_pain", "pain in my right hip"),
    ("Bad headache since Monday", "headache", "headache"),
    ("I am short of breath climbing stairs", "short_of_breath", "short of breath"),
    ("legs feel heavy", "leg_weakness", "legs feel heavy"),
    ("the whites of my eyes are yellow", "jaundice", "eyes are yellow"),
    ("I can't walk far today", "trouble_walking", "can't walk"),
    ("my husband says I seem confused", "confusion", "confused"),
    ("Denies headache. Hip pain is new.", "bone_pain", "Hip pain"),
]
TRAPS = [
    "no headaches this week, just tired",
    "I had hip pain two years ago",
    "call if you get short of breath",
    "call if I get short of breath",
    "my mother had a seizure",
    "If I get a headache I will call",
    "I don't have a cough",
    "no yellow skin",
    "No pain in my back anymore",
    "headache last year, none now",
]


@pytest.mark.parametrize(("note", "concept", "words"), COUNTS)
def test_an_affirmed_mention_counts_with_her_own_words(note, concept, words):
    found = find_mentions(note)
    assert (concept, words) in [(m.concept, m.text) for m in found]


@pytest.mark.parametrize("note", TRAPS)
def test_negated_historical_hypothetical_and_family_mentions_do_not_count(note):
    assert find_mentions(note) == ()


def test_the_pipeline_is_built_once_per_process_and_needs_no_model_download():
    assert _pipeline() is _pipeline()
    assert _pipeline().pipe_names == ["sentencizer", "medspacy_target_matcher", "medspacy_context"]


def test_html_and_empty_notes_are_harmless():
    assert find_mentions("") == ()
    assert find_mentions("<script>alert(1)</script>") == ()
    assert find_mentions("   ...   ") == ()
