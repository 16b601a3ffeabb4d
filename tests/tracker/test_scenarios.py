"""The scenario file (tests/scenarios.jsonl) through `manage.py check_rules`,
exactly as an outside checker runs it: a positive and a negative case for
every default rule, and the free-text traps. Then the replay itself (when a
flag was raised, what the last day did) and the judge, without a database."""

import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tracker.models import Flag, SymptomEntry
from tracker.rules import engine, scenarios
from tracker.rules.defaults import DEFAULT_RULES
from tracker.rules.validation import Vocabulary
from tracker.services.rules import rules_load_defaults

FILE = Path(__file__).resolve().parent.parent / "scenarios.jsonl"
SCENARIOS = [json.loads(line) for line in FILE.read_text().splitlines() if line.strip()]


def test_the_file_has_at_least_60_scenarios_and_covers_every_default_rule():
    assert len(SCENARIOS) >= 60
    positive = {rule for s in SCENARIOS for rule in s["expect"]["rules"]}
    negative = {rule for s in SCENARIOS for rule in s["expect"]["forbid"]}
    slugs = {r["slug"] for r in DEFAULT_RULES}
    assert slugs - positive == set(), "every default rule needs a positive scenario"
    assert slugs - negative == set(), "every default rule needs a negative scenario"


def test_every_scenario_gives_the_expected_flags(db):
    rules_load_defaults()
    out = StringIO()
    call_command("check_rules", str(FILE), stdout=out)
    results = {r["id"]: r for r in map(json.loads, out.getvalue().splitlines())}
    assert len(results) == len(SCENARIOS)
    wrong = []
    for scenario in SCENARIOS:
        problems = scenarios.judge(results[scenario["id"]], scenario["expect"])
        if problems:
            wrong.append(f"{scenario['id']}: {'; '.join(problems)}; got {results[scenario['id']]}")
    assert not wrong, "\n".join(wrong)


def test_check_rules_prints_errors_for_bad_lines_and_goes_on(db, tmp_path):
    rules_load_defaults()
    path = tmp_path / "s.jsonl"
    path.write_text(
        "\n".join(
            [
                '{"id": "a", "entries": [{"days_ago": 0, "symptom": "seizure"}]}',
                "{not json",
                '{"id": "b", "entries": [{"days_ago": 0, "symptom": "flu"}]}',
                '{"id": "c", "entries": [{"days_ago": -2, "symptom": "pain"}]}',
                '{"id": "d", "entries": [{"days_ago": 0, "symptom": "pain", "severity": 12}]}',
                "",
                '{"id": "e", "entries": [], "weights": [{"days_ago": 0}]}',
                '{"id": "f", "entries": [{"days_ago": 0, "symptom": "confusion"}]}',
            ]
        )
    )
    out = StringIO()
    call_command("check_rules", str(path), stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line.get("id") for line in lines] == ["a", None, "b", "c", "d", "e", "f"]
    assert lines[0]["tier"] == "emergency" and lines[-1]["tier"] == "emergency"
    assert all("error" in line for line in lines[1:6])
    assert "unknown symptom" in lines[2]["error"]
    assert set(lines[0]) == {"id", "tier", "flags", "today"}
    assert set(lines[0]["flags"][0]) == {"rule", "tier", "evidence", "days_ago"}
    assert set(lines[0]["today"]) == {"tier", "flags"}
    assert lines[0]["today"]["flags"] == lines[0]["flags"]  # one day: today is everything


def test_check_rules_writes_nothing(db):
    rules_load_defaults()
    before = (Flag.objects.count(), SymptomEntry.objects.count())
    call_command("check_rules", str(FILE), stdout=StringIO())
    assert (Flag.objects.count(), SymptomEntry.objects.count()) == before


# ------------------------------------------------------------ replay, no database

NOW = dt.datetime(2025, 6, 2, 12, tzinfo=dt.UTC)
VOCAB = Vocabulary(
    symptoms=frozenset({"pain", "fatigue", "cough"}), body_sites=frozenset({"hip"}), concepts=frozenset()
)
# Two versions of one rule at different tiers: the only way a scenario's flag
# is raised in tier, as an edited rule raises an open flag in the app.
PAIN = engine.RuleDef(slug="pain", tier="routine", condition={"all": [{"symptom": ["pain"]}]})
PAIN_SEVERE = engine.RuleDef(
    slug="pain", tier="urgent", condition={"all": [{"symptom": ["pain"]}, {"min_severity": 7}]}
)
FATIGUE = engine.RuleDef(slug="fatigue", tier="routine", condition={"all": [{"symptom": ["fatigue"]}]})
COUGH = engine.RuleDef(slug="cough", tier="routine", condition={"all": [{"symptom": ["cough"]}]})
WEIGHT = engine.RuleDef(slug="weight", tier="urgent", condition={"weight_loss": {"min_percent": 5, "within_days": 365}})


def replay(scenario: dict, rules: list[engine.RuleDef]) -> dict:
    return scenarios.run(scenario, rules=rules, vocab=VOCAB, read_note=lambda note: {}, now=NOW)


def pain(days_ago, severity):
    return {"days_ago": days_ago, "symptom": "pain", "severity": severity}


def test_it_dates_a_flag_by_the_checkin_that_opened_it_or_last_raised_its_tier():
    result = replay({"id": "p", "entries": [pain(9, 2), pain(4, 8), pain(1, 3), pain(0, 9)]}, [PAIN, PAIN_SEVERE])
    # Opened 9 days ago, raised to urgent 4 days ago; the later routine and
    # urgent matches attach without moving it.
    assert result["flags"] == [{"rule": "pain", "tier": "urgent", "evidence": "pain, severity 2", "days_ago": 4}]
    assert type(result["flags"][0]["days_ago"]) is int
    only_opened = replay({"id": "q", "entries": [pain(2.5, 3), pain(1, 2)]}, [PAIN, PAIN_SEVERE])
    assert only_opened["flags"][0]["days_ago"] == 2.5


def test_it_reports_what_the_last_day_raised_raised_in_tier_or_attached_to():
    scenario = {
        "id": "m",
        "entries": [
            {"days_ago": 6, "symptom": "cough"},
            {"days_ago": 6, "symptom": "fatigue"},
            pain(2, 3),
            pain(0, 9),
            {"days_ago": 0, "symptom": "fatigue"},
        ],
    }
    result = replay(scenario, [PAIN, PAIN_SEVERE, FATIGUE, COUGH])
    assert result["tier"] == "urgent"
    assert [f["rule"] for f in result["flags"]] == ["pain", "cough", "fatigue"]
    assert result["today"] == {
        "tier": "urgent",
        "flags": [
            {"rule": "pain", "tier": "urgent", "evidence": "pain, severity 3", "days_ago": 0},  # raised today
            {"rule": "fatigue", "tier": "routine", "evidence": "fatigue, severity 0", "days_ago": 6},  # attached
        ],
    }


def test_it_counts_weights_in_the_last_day_and_gives_an_empty_today_without_events():
    scenario = {
        "id": "w",
        "entries": [{"days_ago": 1, "symptom": "cough"}],
        "weights": [{"days_ago": 100, "kg": 70}, {"days_ago": 0, "kg": 65}],
    }
    result = replay(scenario, [COUGH, WEIGHT])
    assert [f["rule"] for f in result["flags"]] == ["weight", "cough"]
    assert [(f["rule"], f["days_ago"]) for f in result["today"]["flags"]] == [("weight", 0)]
    assert replay({"id": "e"}, [COUGH])["today"] == {"tier": None, "flags": []}
    quiet_today = replay({"id": "q", "entries": [{"days_ago": 3, "symptom": "cough"}, pain(0, 1)]}, [COUGH])
    assert quiet_today["tier"] == "routine" and quiet_today["today"] == {"tier": None, "flags": []}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"entries": [{"symptom": ["pain"]}]}', "unknown symptom"),
        ('{"entries": [{"symptom": "pain", "body_site": {"a": 1}}]}', "unknown body site"),
        ('{"entries": [{"symptom": "pain", "days_ago": 1e308}]}', "days_ago: must be a number from 0 to"),
        ('{"entries": [{"symptom": "pain", "days_ago": NaN}]}', "days_ago: must be a number from 0 to"),
        ('{"weights": [{"kg": 60, "days_ago": Infinity}]}', "days_ago: must be a number from 0 to"),
        (
            '{"entries": [' + ", ".join(['{"symptom": "pain"}'] * (scenarios.MAX_EVENTS + 1)) + "]}",
            f"at most {scenarios.MAX_EVENTS} entries and weights",
        ),
    ],
)
def test_it_turns_malformed_or_oversized_scenarios_into_an_error_line(line, message):
    kwargs = {"rules": [PAIN], "vocab": VOCAB, "read_note": lambda note: {}, "now": NOW}
    results = list(scenarios.run_many([line, '{"id": "next", "entries": [{"symptom": "pain"}]}'], **kwargs))
    assert message in results[0]["error"]
    assert results[1]["tier"] == "routine"  # the next line still runs


# ------------------------------------------------------------------- judge

RESULT = {
    "id": "s",
    "tier": "urgent",
    "flags": [
        {"rule": "a", "tier": "urgent", "evidence": "", "days_ago": 3},
        {"rule": "b", "tier": "routine", "evidence": "", "days_ago": 0},
    ],
    "today": {"tier": "routine", "flags": [{"rule": "b", "tier": "routine", "evidence": "", "days_ago": 0}]},
}


@pytest.mark.parametrize(
    "expect",
    [
        {"tier": "urgent", "rules": ["a", "b"], "forbid": ["c"]},
        {"tier": "urgent", "rules": [], "forbid": [], "today": {"tier": "routine", "rules": ["b"], "forbid": ["a"]}},
        {"forbid": ["c"]},  # what is left out is not checked
        {},
    ],
)
def test_it_passes_a_result_that_meets_its_expect(expect):
    assert scenarios.judge(RESULT, expect) == []


@pytest.mark.parametrize(
    ("expect", "problems"),
    [
        ({"tier": "emergency"}, ["tier: expected emergency, got urgent"]),
        ({"tier": None}, ["tier: expected no flag, got urgent"]),
        ({"rules": ["a", "c"]}, ["c did not fire"]),
        ({"forbid": ["c", "b"]}, ["b fired but is forbidden"]),
        (
            {"tier": "urgent", "today": {"tier": "urgent", "rules": ["a"], "forbid": ["b"]}},
            ["today: tier: expected urgent, got routine", "today: a did not fire", "today: b fired but is forbidden"],
        ),
    ],
)
def test_it_names_each_way_a_result_misses_its_expect(expect, problems):
    assert scenarios.judge(RESULT, expect) == problems


def test_it_fails_a_scenario_that_could_not_run():
    error = {"id": "s", "error": "line 3: entries[0].symptom: unknown symptom 'flu'"}
    assert scenarios.judge(error, {"tier": None}) == [
        "the scenario could not be run: line 3: entries[0].symptom: unknown symptom 'flu'"
    ]


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        ("urgent", "expect must be an object with any of the keys tier, rules, forbid, today"),
        (["a"], "expect must be an object"),
        ({"tier": "urgent", "rule": ["a"]}, "expect: unknown key(s) rule; use tier, rules, forbid, today"),
        ({"tier": "severe"}, "expect.tier must be one of routine, urgent, emergency or null, not 'severe'"),
        ({"tier": ["urgent"]}, "expect.tier must be one of"),
        ({"rules": "a"}, "expect.rules must be a list of rule slugs (text)"),
        ({"forbid": [1]}, "expect.forbid must be a list of rule slugs (text)"),
        ({"rules": ["a"], "forbid": ["a"]}, "expect: a both required (rules) and forbidden (forbid)"),
        ({"today": []}, "expect.today must be an object with any of the keys tier, rules, forbid"),
        ({"today": {"today": {}}}, "expect.today: unknown key(s) today; use tier, rules, forbid"),
        ({"today": {"rules": [["a"]]}}, "expect.today.rules must be a list of rule slugs (text)"),
    ],
)
def test_it_explains_a_bad_expect_instead_of_judging(expect, message):
    problems = scenarios.judge(RESULT, expect)
    assert any(message in problem for problem in problems), problems
