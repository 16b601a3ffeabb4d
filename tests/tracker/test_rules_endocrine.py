"""The endocrine test (her check-in's answer about her hormone tablets):
what it matches, table-driven and without a database, and the grammar's
messages for a test written wrong."""

import datetime as dt

import pytest

from tracker.rules import engine
from tracker.rules.defaults import DEFAULT_RULES
from tracker.rules.facts import Answer, Entry, History, Weight
from tracker.rules.validation import InvalidRule, Vocabulary, validate_condition

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
VOCAB = Vocabulary(symptoms=frozenset({"pain"}), body_sites=frozenset({"hip"}), concepts=frozenset())

STOPPED = engine.RuleDef(slug="stopped", tier="routine", condition={"endocrine": {"answers": ["stopped"]}})
MISSED_TWICE = engine.RuleDef(
    slug="missed",
    tier="routine",
    condition={"endocrine": {"answers": ["missed_some"], "min_times": 2, "within_days": 28}},
)
SHIPPED = next(r for r in DEFAULT_RULES if r["slug"] == "endocrine-stopped-or-missed")
DEFAULT = engine.RuleDef(slug=SHIPPED["slug"], tier=SHIPPED["tier"], condition=SHIPPED["condition"])
PAIN = engine.RuleDef(slug="pain", tier="urgent", condition={"symptom": ["pain"]})


def answer(days_ago: float, said: str, pk: int) -> Answer:
    return Answer(id=pk, answer=said, at=NOW - dt.timedelta(days=days_ago))


def fired(rules, answers: list[tuple[float, str]]) -> list[str]:
    """The rules that fire on the last answer, with the others as her history."""
    facts = [answer(days, said, pk) for pk, (days, said) in enumerate(answers, start=1)]
    hits = engine.evaluate(rules, history=History(answers=tuple(facts)), answer=facts[-1])
    return sorted(hit.rule.slug for hit in hits)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ([(0, "stopped")], ["endocrine-stopped-or-missed", "stopped"]),
        ([(0, "taken")], []),
        ([(0, "missed_some")], []),
        ([(14, "missed_some"), (0, "missed_some")], ["endocrine-stopped-or-missed", "missed"]),
        ([(28, "missed_some"), (0, "missed_some")], ["endocrine-stopped-or-missed", "missed"]),  # the window's edge
        ([(29, "missed_some"), (0, "missed_some")], []),
        ([(14, "missed_some"), (7, "taken"), (0, "taken")], []),  # fired on the second miss, not after
        ([(14, "stopped"), (0, "missed_some")], []),  # a stop is not a miss
        ([(-1, "missed_some"), (0, "missed_some")], []),  # a later answer is not history
    ],
)
def test_the_endocrine_test_matches_this_answer_and_counts_the_window(answers, expected):
    assert fired([STOPPED, MISSED_TWICE, DEFAULT], answers) == expected


def test_the_evidence_says_what_she_answered_and_how_often():
    facts = (answer(10, "missed_some", 1), answer(0, "missed_some", 2))
    [hit] = engine.evaluate([MISSED_TWICE], history=History(answers=facts), answer=facts[-1])
    assert hit.evidence == "hormone tablets this week: missed some; 2 times in the last 28 days"
    assert hit.answer == facts[-1] and hit.entry is None and hit.weight is None and hit.tier == "routine"
    [hit] = engine.evaluate([STOPPED], history=History(), answer=answer(0, "stopped", 3))
    assert hit.evidence == "hormone tablets this week: stopped"


def test_this_answer_counts_once_whether_or_not_her_history_holds_it():
    this = answer(0, "missed_some", 2)
    assert engine.evaluate([MISSED_TWICE], history=History(answers=(this,)), answer=this) == []
    assert engine.evaluate([MISSED_TWICE], history=History(answers=()), answer=this) == []


def test_an_answer_rule_runs_on_answers_only_and_entry_rules_never_on_answers():
    assert STOPPED.kind == "answer" and MISSED_TWICE.answer_days == 28 and DEFAULT.kind == "answer"
    pain = Entry(symptom="pain", body_site="hip", severity=9, is_new=True, is_worse=True, at=NOW, day=NOW.date())
    stopped = answer(0, "stopped", 1)
    history = History(entries=(pain,), answers=(stopped,))
    assert [h.rule.slug for h in engine.evaluate([STOPPED, PAIN], history=history, entry=pain)] == ["pain"]
    assert [h.rule.slug for h in engine.evaluate([STOPPED, PAIN], history=history, answer=stopped)] == ["stopped"]
    weight = Weight(kg=60, at=NOW)
    assert engine.evaluate([STOPPED], history=History(weights=(weight,)), weight=weight) == []


def test_one_event_at_a_time():
    with pytest.raises(ValueError, match="one event"):
        engine.evaluate([STOPPED], history=History(), answer=answer(0, "stopped", 1), weight=Weight(kg=60, at=NOW))


def test_a_snooze_of_the_rule_silences_it():
    stopped = answer(0, "stopped", 1)
    assert engine.evaluate([STOPPED], history=History(), answer=stopped, snoozed_rules=frozenset({"stopped"})) == []


def test_a_rule_that_raises_on_her_answer_asks_a_nurse_to_read_it():
    failures: list[engine.Failure] = []
    broken = engine.RuleDef(slug="broken", tier="routine", condition={"endocrine": {"answers": ["stopped"]}})
    object.__setattr__(broken, "matcher", lambda scope: 1 / 0)
    stopped = answer(0, "stopped", 1)
    assert engine.evaluate([broken], history=History(), answer=stopped, failures=failures) == []
    hit = engine.review_hit(failures[0], answer=stopped)
    assert hit.failed and hit.answer == stopped and "her answer about hormone tablets" in hit.evidence


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"endocrine": ["stopped"]}, 'condition.endocrine: needs answers, e.g. {"answers": ["stopped"]}'),
        ({"endocrine": {"answers": []}}, "condition.endocrine.answers: must be a non-empty list of answers"),
        ({"endocrine": {"answers": "stopped"}}, "condition.endocrine.answers: must be a non-empty list of answers"),
        (
            {"endocrine": {"answers": ["forgot"]}},
            "condition.endocrine.answers: unknown answer \u201cforgot\u201d (use taken, missed_some, stopped)",
        ),
        ({"endocrine": {"answers": ["stopped"] * 4}}, "condition.endocrine.answers: at most 3 answers, each once"),
        (
            {"endocrine": {"answers": ["stopped"], "min_times": 0}},
            "condition.endocrine.min_times: must be a whole number from 1 to 100",
        ),
        (
            {"endocrine": {"answers": ["stopped"], "min_times": 101, "within_days": 28}},
            "condition.endocrine.min_times: must be a whole number from 1 to 100",
        ),
        (
            {"endocrine": {"answers": ["stopped"], "min_times": True}},
            "condition.endocrine.min_times: must be a whole number from 1 to 100",
        ),
        (
            {"endocrine": {"answers": ["missed_some"], "min_times": 2}},
            "condition.endocrine: min_times above 1 needs within_days (how far back to count)",
        ),
        (
            {"endocrine": {"answers": ["missed_some"], "min_times": 2, "within_days": 0}},
            "condition.endocrine.within_days: must be a whole number of days, 1 or more (not negative)",
        ),
        (
            {"endocrine": {"answers": ["missed_some"], "min_times": 2, "within_days": 99_999}},
            "condition.endocrine.within_days: at most 3660 days",
        ),
        ({"endocrine": {"answers": ["stopped"], "often": 2}}, "condition.endocrine: unknown setting often"),
        (
            {"all": [{"symptom": ["pain"]}, {"endocrine": {"answers": ["stopped"]}}]},
            "condition: endocrine (her answer about hormone tablets) can't be used with symptom or weight tests "
            "in one rule; make it a rule of its own",
        ),
        (
            {
                "combination": {
                    "a": {"endocrine": {"answers": ["stopped"]}},
                    "b": {"symptom": ["pain"]},
                    "within_days": 3,
                }
            },
            "condition.combination.a.endocrine: can't be used inside a combination",
        ),
    ],
)
def test_a_bad_endocrine_test_is_refused_with_a_clear_message(condition, message):
    assert any(problem.startswith(message) for problem in validate_condition(condition, VOCAB))
    with pytest.raises(InvalidRule):
        engine.RuleDef(slug="x", tier="routine", condition=condition)


@pytest.mark.parametrize(
    "condition",
    [
        {"endocrine": {"answers": ["stopped"]}},
        {"endocrine": {"answers": ["stopped", "missed_some"], "min_times": 1}},
        {"not": {"endocrine": {"answers": ["taken"]}}},
        SHIPPED["condition"],
    ],
)
def test_a_good_endocrine_test_validates(condition):
    assert validate_condition(condition, VOCAB) == []
    assert validate_condition(condition, None) == []
