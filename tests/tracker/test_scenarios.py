"""The scenario file (tests/scenarios.jsonl) through `manage.py check_rules`,
exactly as an outside checker runs it: a positive and a negative case for
every default rule, and the free-text traps."""

import json
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from tracker import services
from tracker.models import Flag, SymptomEntry
from tracker.rules.defaults import DEFAULT_RULES

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
    services.rules_load_defaults()
    out = StringIO()
    call_command("check_rules", str(FILE), stdout=out)
    results = {r["id"]: r for r in map(json.loads, out.getvalue().splitlines())}
    assert len(results) == len(SCENARIOS)
    wrong = []
    for scenario in SCENARIOS:
        result = results[scenario["id"]]
        expect = scenario["expect"]
        fired = {flag["rule"] for flag in result.get("flags", [])}
        if (
            "error" in result
            or result["tier"] != expect["tier"]
            or not set(expect["rules"]) <= fired
            or set(expect["forbid"]) & fired
        ):
            wrong.append(f"{scenario['id']}: expected {expect}, got {result}")
    assert not wrong, "\n".join(wrong)


def test_check_rules_prints_errors_for_bad_lines_and_goes_on(db, tmp_path):
    services.rules_load_defaults()
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
    assert set(lines[0]) == {"id", "tier", "flags"}
    assert set(lines[0]["flags"][0]) == {"rule", "tier", "evidence"}


def test_check_rules_writes_nothing(db):
    services.rules_load_defaults()
    before = (Flag.objects.count(), SymptomEntry.objects.count())
    call_command("check_rules", str(FILE), stdout=StringIO())
    assert (Flag.objects.count(), SymptomEntry.objects.count()) == before
