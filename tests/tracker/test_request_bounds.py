"""No request can take the site down (issue 11, section 6, all but the
preview): the rules import, the rule edit form, the scenario bench and the
note reader each refuse what is too big with a message by the field."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.tracker.test_rules_safety import nested_json
from tracker.models import Rule, RuleVersion
from tracker.rules import engine, limits, scenarios, text
from tracker.rules.validation import Vocabulary, validate_condition
from tracker.services.rules import RULE_TEXT_FIELDS, rule_slug_errors, rules_import


@pytest.fixture
def as_admin(client, clinic_admin, default_rules):
    client.force_login(clinic_admin)
    return client


def exported(client) -> dict:
    return json.loads(client.get(reverse("rules_export")).content)


def new_rule(**over) -> dict:
    rule = {
        "slug": "knee-pain-new",
        "is_active": True,
        "name": "New knee pain",
        "tier": "routine",
        "condition": {"all": [{"symptom": ["pain"]}, {"body_site": ["knee"]}]},
        "advice": "Mention it at your next visit.",
        "nurse_note": "",
        "source": "Section 3",
    }
    return rule | over


# ------------------------------------------------------------ the import, as the edit form


# Each was let through by the import's old check, and most broke the rules page for every admin.
HOSTILE_SLUGS = ["a/b", "<script>alert(1)</script>", "../../etc", "x" * 81, "-x", "\u00fc-pain", "a?b", "a#b"]


@pytest.mark.parametrize("slug", HOSTILE_SLUGS)
def test_an_imported_slug_is_checked_as_the_edit_form_checks_it(as_admin, slug):
    payload = exported(as_admin)
    payload["rules"].append(new_rule(slug=slug))
    before = (Rule.objects.count(), RuleVersion.objects.count())
    response = as_admin.post(reverse("rules_import"), {"text": json.dumps(payload)})
    assert response.status_code == 200
    assert any(".slug:" in p for p in response.context["problems"]), response.context["problems"]
    assert (Rule.objects.count(), RuleVersion.objects.count()) == before
    assert as_admin.get(reverse("rule_list")).status_code == 200
    form = {"slug": slug, "name": "x", "tier": "routine", "condition": '{"symptom": ["pain"]}'}
    form |= {"advice": "x", "source": "x", "preview_days": "30"}
    page = as_admin.post(reverse("rule_create"), form)
    assert page.status_code == 200 and "slug" in page.context["form"].errors


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "n" * (limits.MAX_NAME + 1), f"At most {limits.MAX_NAME}"),
        ("advice", "a" * (limits.MAX_ADVICE + 1), f"At most {limits.MAX_ADVICE:,}"),
        ("source", ["not", "text"], "Must be text."),
        ("nurse_note", {"a": 1}, "Must be text."),
        ("condition", json.loads(nested_json(limits.MAX_DEPTH + 1)), "nested too deeply"),
        ("condition", {"any": [{"symptom": ["pain"]}] * (limits.MAX_NODES + 1)}, "too many groups and tests"),
    ],
)
def test_every_imported_field_is_bounded_as_on_the_edit_page(as_admin, field, value, message):
    payload = {"rules": [new_rule(**{field: value})]}
    response = as_admin.post(reverse("rules_import"), {"text": json.dumps(payload)})
    assert response.status_code == 200
    assert any(f".{field}: " in p and message in p for p in response.context["problems"]), response.context["problems"]
    assert not Rule.objects.filter(slug="knee-pain-new").exists()


def test_an_existing_rule_keeps_its_slug_in_an_import(as_admin):
    Rule.objects.filter(slug="seizure").update(slug="Seizure_Old")  # saved by the old form, which allowed it
    payload = exported(as_admin)
    assert as_admin.post(reverse("rules_import"), {"text": json.dumps(payload)}).status_code == 302


def test_the_import_refuses_a_file_too_big_before_reading_it(as_admin):
    big = SimpleUploadedFile("rules.json", b" " * (limits.MAX_IMPORT_BYTES + 1), content_type="application/json")
    response = as_admin.post(reverse("rules_import"), {"file": big})
    assert response.status_code == 200
    assert "at most 1,000 kB" in " ".join(response.context["form"].errors["file"])


def test_the_import_refuses_pasted_json_too_long(as_admin):
    response = as_admin.post(reverse("rules_import"), {"text": "x" * (limits.MAX_IMPORT_BYTES + 1)})
    assert response.status_code == 200
    assert "At most 1,000 kB of JSON" in " ".join(response.context["form"].errors["text"])


@pytest.mark.parametrize("field", ["file", "text"])
@pytest.mark.parametrize("depth", [100_000, limits.MAX_JSON_DEPTH + 1])
def test_the_import_refuses_json_nested_too_deeply(as_admin, field, depth):
    raw = '{"rules": ' + "[" * depth + "]" * depth + "}"
    data = {"file": SimpleUploadedFile("r.json", raw.encode())} if field == "file" else {"text": raw}
    response = as_admin.post(reverse("rules_import"), data)
    assert response.status_code == 200
    assert "nested too deeply" in " ".join(response.context["form"].errors[field])


def test_the_import_refuses_too_many_rules(as_admin):
    payload = {"rules": [new_rule(slug=f"r{i}") for i in range(limits.MAX_IMPORT_RULES + 1)]}
    response = as_admin.post(reverse("rules_import"), {"text": json.dumps(payload)})
    assert response.status_code == 200
    assert f"At most {limits.MAX_IMPORT_RULES} rules" in " ".join(response.context["form"].errors["text"])
    with pytest.raises(ValidationError, match="At most"):  # and the service, for any other caller
        rules_import(payload=payload, by=response.context["user"])
    assert not Rule.objects.filter(slug="r0").exists()


def test_the_import_refuses_a_file_that_is_not_text(as_admin):
    upload = SimpleUploadedFile("rules.json", b"\xff\xfe\x00{", content_type="application/json")
    response = as_admin.post(reverse("rules_import"), {"file": upload})
    assert "not UTF-8 text" in " ".join(response.context["form"].errors["file"])


def test_the_shipped_rules_are_within_every_bound():
    from tracker.rules.defaults import DEFAULT_RULES

    for rule in DEFAULT_RULES:
        assert rule_slug_errors(rule["slug"]) == [], rule["slug"]
        assert validate_condition(rule["condition"], None) == [], rule["slug"]
        for field, (longest, _) in RULE_TEXT_FIELDS.items():
            assert len(rule.get(field, "")) <= longest, (rule["slug"], field)


# ------------------------------------------------------------ the edit form


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("[" * 20_000 + "]" * 20_000, "nested too deeply"),
        (nested_json(limits.MAX_DEPTH + 3), "nested too deeply"),
        ("x" * (limits.MAX_CONDITION_CHARS + 1), "At most 50,000 characters"),
    ],
)
def test_the_edit_form_refuses_a_condition_too_deep_or_too_long(as_admin, condition, message):
    rule = Rule.objects.get(slug="headache")
    data = {"name": "Headache", "tier": "urgent", "condition": condition, "advice": "x", "source": "x"}
    response = as_admin.post(reverse("rule_edit", args=[rule.slug]), data | {"preview_days": "30"})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["condition"])
    assert response.context["form"]["condition"].value() == condition  # kept as typed
    assert Rule.objects.get(slug="headache").current.number == 1


# ------------------------------------------------------------ the scenario bench


def scenario_line(i: int, entries: int = 1, note: str = "") -> str:
    rows = [{"days_ago": d, "symptom": "pain", "body_site": "hip", "note": note} for d in range(entries)]
    return json.dumps({"id": f"s{i}", "entries": rows})


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([scenario_line(i) for i in range(limits.MAX_BENCH_SCENARIOS + 1)], "At most 200 scenarios"),
        (
            [json.dumps({"id": i, "entries": [{"symptom": "pain"}] * 900}) for i in range(6)],
            "At most 5,000 entries and weights",
        ),
        ([scenario_line(i, entries=30, note="my hip hurts " * 15) for i in range(20)], "characters of notes"),
    ],
)
def test_the_bench_refuses_more_than_a_request_should_run(as_admin, lines, message):
    response = as_admin.post(reverse("rules_bench"), {"scenarios": "\n".join(lines)})
    assert response.status_code == 200
    assert response.context["bench"] is None
    assert message in " ".join(response.context["form"].errors["scenarios"])
    assert response.context["form"]["scenarios"].value()  # kept as typed


def test_a_scenarios_note_is_bounded_as_her_form_bounds_it():
    from tracker.models import NOTE_MAX_LENGTH

    assert limits.MAX_NOTE_CHARS == NOTE_MAX_LENGTH
    vocab = Vocabulary(frozenset({"pain"}), frozenset({"hip"}), frozenset())
    line = json.dumps({"entries": [{"symptom": "pain", "note": "x" * (NOTE_MAX_LENGTH + 1)}]})
    read = []
    kwargs = {
        "rules": [],
        "vocab": vocab,
        "read_note": lambda note: read.append(note) or {},
        "now": dt.datetime.now(dt.UTC),
    }
    [result] = scenarios.run_many([line], **kwargs)
    assert "note: at most 2,000 characters" in result["error"] and read == []


def test_the_bench_replays_each_event_with_only_its_rules_window(monkeypatch):
    """Not quadratic: a scenario of 800 daily entries gives each event the
    history the longest window can see, not everything before it."""
    seen = []
    real = engine.evaluate

    def counting(rules, *, history, **kwargs):
        seen.append(len(history.entries))
        return real(rules, history=history, **kwargs)

    monkeypatch.setattr(engine, "evaluate", counting)
    rules = [
        engine.RuleDef("pain", "routine", {"symptom": ["pain"]}),
        engine.RuleDef("often", "urgent", {"persistence": {"symptoms": ["pain"], "min_days": 3, "within_days": 14}}),
    ]
    vocab = Vocabulary(frozenset({"pain"}), frozenset({"hip"}), frozenset())
    scenario = json.loads(scenario_line(0, entries=800))
    now = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)
    result = scenarios.run(scenario, rules=rules, vocab=vocab, read_note=lambda note: {}, now=now)
    assert result["tier"] == "urgent"
    assert len(seen) == 800 and max(seen) <= 15


def test_a_rule_that_raises_on_the_bench_is_reported_not_a_500(as_admin, monkeypatch):
    real = engine._evaluate_one

    def broken(rule, *args, **kwargs):
        if rule.slug == "seizure":
            raise ZeroDivisionError
        return real(rule, *args, **kwargs)

    monkeypatch.setattr(engine, "_evaluate_one", broken)
    line = '{"id": "s", "entries": [{"days_ago": 0, "symptom": "seizure"}], "expect": {"tier": "emergency"}}'
    response = as_admin.post(reverse("rules_bench"), {"scenarios": line})
    assert response.status_code == 200
    row = response.context["bench"]["rows"][0]
    assert row["verdict"] == "fail" and "\u201cseizure\u201d (ZeroDivisionError) failed" in row["result"]["error"]


# ------------------------------------------------------------ notes sent to the note reader


def test_the_note_reader_cuts_a_note_too_long_for_it(monkeypatch):
    """The last line of defence behind every form's max_length (the check-in
    note and the "Test a sentence" box: tests/tracker/test_checkin.py and
    test_notes.py): whatever reaches it, it reads at most MAX_CHARS."""
    lengths = []
    real = text.tokenize

    def measured(lang, note, *args, **kwargs):
        lengths.append(len(note))
        return real(lang, note, *args, **kwargs)

    monkeypatch.setattr(text, "tokenize", measured)
    reading = text.read("my hip hurts. " * (10 * text.MAX_CHARS))
    assert lengths and max(lengths) <= text.MAX_CHARS
    assert "bone_pain" in {m.concept for m in reading.mentions}
