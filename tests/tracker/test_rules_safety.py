"""A check-in is never lost to the rules (issue 11, section 5): bounded rule
definitions, walkers safe at the bounds, a rule that raises or can't be
loaded is skipped and sent to a nurse, and the rules pages survive rows
saved before any of this."""

import datetime as dt
import logging
import sys
import uuid

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from tests.factories import entry, record_checkin
from tracker.evaluation.inputs import rule_defs_active, rule_defs_forget, rule_slugs_skipped
from tracker.models import CheckIn, Flag, FlagEntry, Rule, SymptomEntry, WeightEntry
from tracker.rules import engine, limits
from tracker.rules.facts import Entry, History
from tracker.rules.validation import InvalidRule, Vocabulary, validate_condition
from tracker.selectors.rules import rule_list_with_counts
from tracker.services.rules import rule_slug_errors

VOCAB = Vocabulary(
    symptoms=frozenset({"pain", "cough", "weakness"}), body_sites=frozenset({"hip"}), concepts=frozenset({"cough"})
)
PAIN = {"symptom": ["pain"]}


def nested(levels: int, shape: str = "all") -> dict:
    """A condition `levels` groups deep around one test (built without recursion)."""
    node: dict = PAIN
    for _ in range(levels):
        node = {"all": [node]} if shape == "all" else {"not": node}
    return node


def nested_json(levels: int, shape: str = "all") -> str:
    if shape == "all":
        return '{"all": [' * levels + '{"symptom": ["pain"]}' + "]}" * levels
    return '{"not": ' * levels + '{"symptom": ["pain"]}' + "}" * levels


# ------------------------------------------------------------ validation bounds, no database


@pytest.mark.parametrize(
    ("at_the_limit", "over_it", "message"),
    [
        (nested(limits.MAX_DEPTH - 1), nested(limits.MAX_DEPTH), "nested too deeply"),  # the leaf is a level too
        ({"any": [PAIN] * (limits.MAX_NODES - 1)}, {"any": [PAIN] * limits.MAX_NODES}, "too many groups and tests"),
        ({"symptom": ["pain"] * limits.MAX_CODES}, {"symptom": ["pain"] * (limits.MAX_CODES + 1)}, "at most 100 codes"),
    ],
)
def test_validation_bounds_the_depth_the_size_and_the_lists_of_a_rule(at_the_limit, over_it, message):
    assert validate_condition(at_the_limit, VOCAB) == []
    problems = validate_condition(over_it, VOCAB)
    assert any(message in p for p in problems), problems


@pytest.mark.parametrize("shape", ["all", "not"])
def test_validation_is_safe_on_a_tree_of_any_depth_or_width(shape):
    problems = validate_condition(nested(100_000, shape), VOCAB)
    assert len(problems) == 1 and "nested too deeply" in problems[0]
    wide = validate_condition({"any": [{"symptom": ["flu"]}] * 1_000_000}, VOCAB)
    assert len(wide) <= limits.MAX_PROBLEMS + 1 and "more problems" in wide[-1]
    assert "\u201cflu\u201d" in wide[0]
    long_code = validate_condition({"symptom": ["x" * 100_000]}, VOCAB)
    assert len(long_code[0]) < 200  # an unknown code is quoted back cut short


def test_every_walker_is_safe_at_the_bounds_with_a_web_requests_stack():
    """A tree at the limits, mixing every group and a combination, built,
    gated and evaluated with 100 frames to spare (a Django request has
    some 900; a 400-deep rule needed 800 or more)."""
    deep, levels = {"all": [{"symptom": ["pain"]}, {"any": [{"min_severity": 3}, {"text": ["cough"]}]}]}, 3
    while levels < limits.MAX_DEPTH - 2:  # all > combination > a > ...
        if levels % 2 and levels + 2 <= limits.MAX_DEPTH - 2:
            deep, levels = {"not": {"not": deep}}, levels + 2
        else:
            deep, levels = {"any": [deep, {"symptom": ["cough"]}]}, levels + 1
    condition = {"all": [{"combination": {"a": deep, "b": {"symptom": ["cough"]}, "within_days": 3}}, deep]}
    assert validate_condition(condition, VOCAB) == []
    assert "nested too deeply" in validate_condition({"not": {"not": condition}}, VOCAB)[0]
    now = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)
    pain = Entry("pain", "hip", 6, True, True, now, now.date(), id=2)
    cough = Entry("cough", None, 2, True, False, now - dt.timedelta(days=1), now.date(), id=1)
    limit = sys.getrecursionlimit()
    depth = len(__import__("inspect").stack(0))
    sys.setrecursionlimit(depth + 100)
    try:
        rule = engine.RuleDef("deep", "urgent", condition)
        hits = engine.evaluate([rule], history=History(entries=(cough, pain)), entry=pain)
    finally:
        sys.setrecursionlimit(limit)
    assert [h.rule.slug for h in hits] == ["deep"]
    assert rule.entry_days == 3


@pytest.mark.parametrize(
    ("condition", "tier"),
    [(nested(400), "urgent"), ({"all": 5}, "urgent"), ("not a tree", "urgent"), (PAIN, "severe")],
)
def test_the_engine_refuses_a_rule_that_does_not_validate(condition, tier):
    with pytest.raises(InvalidRule):
        engine.RuleDef("bad", tier, condition)


def test_one_rule_that_raises_is_skipped_and_reported_the_others_run(monkeypatch):
    now = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)
    pain = Entry("pain", "hip", 6, True, True, now, now.date(), note="my private words")
    good, bad = engine.RuleDef("good", "urgent", PAIN), engine.RuleDef("bad", "emergency", PAIN)
    real = engine._evaluate_one

    def broken(rule, *args, **kwargs):
        if rule.slug == "bad":
            raise KeyError(args[1].note)  # a message that quotes her words
        return real(rule, *args, **kwargs)

    monkeypatch.setattr(engine, "_evaluate_one", broken)
    failures: list[engine.Failure] = []
    hits = engine.evaluate([bad, good], history=History(entries=(pain,)), entry=pain, failures=failures)
    assert [h.rule.slug for h in hits] == ["good"]
    assert failures == [engine.Failure(rule=bad, error="KeyError")]
    review = engine.review_hit(failures[0], entry=pain)
    assert review.failed and review.tier == "routine" and review.evidence.startswith(engine.RULE_FAILED)
    assert "private" not in review.evidence
    with pytest.raises(KeyError):  # without a failures list nothing is hidden
        engine.evaluate([bad, good], history=History(entries=(pain,)), entry=pain)


# ------------------------------------------------------------ a rule that raises, through the real pages


def checkin_data(*rows: dict) -> dict:
    data = {
        "entry-TOTAL_FORMS": str(len(rows)),
        "entry-INITIAL_FORMS": "0",
        "entry-MIN_NUM_FORMS": "1",
        "entry-MAX_NUM_FORMS": "10",
        "submission_token": str(uuid.uuid4()),
    }
    started = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    for i, row in enumerate(rows):
        fields = {"body_site": "", "severity": "6", "is_new": "yes", "is_worse": "yes", "started_on": started}
        fields |= {"note": ""} | row
        data.update({f"entry-{i}-{k}": v for k, v in fields.items()})
    return data


@pytest.fixture
def breaks(monkeypatch):
    """Make the named rule raise whenever it runs, with her note in the message."""
    real = engine._evaluate_one

    def make(slug: str):
        def broken(rule, history, entry, weight, *args, **kwargs):
            if rule.slug == slug:
                raise KeyError(entry.note if entry is not None else "her weight")
            return real(rule, history, entry, weight, *args, **kwargs)

        monkeypatch.setattr(engine, "_evaluate_one", broken)
        return Rule.objects.get(slug=slug)

    return make


SECRET = "zebra umbrella quartz"  # her words: never in a log


def test_a_checkin_is_saved_with_the_advice_that_worked_when_an_emergency_rule_raises(
    default_rules, client_for, survivor, nurse, breaks, caplog
):
    broken = breaks("seizure")
    caplog.set_level(logging.INFO)
    client = client_for(survivor)
    data = checkin_data(
        {"symptom": "seizure", "note": SECRET},  # the emergency rule that raises
        {"symptom": "pain", "body_site": "hip"},  # bone pain, urgent, works
    )
    response = client.post(reverse("checkin_create"), data, follow=True)

    assert response.status_code == 200
    checkin = CheckIn.objects.get(survivor=survivor)
    assert SymptomEntry.objects.filter(checkin=checkin).count() == 2
    page = response.content.decode()
    assert "your check-in is saved" in page
    assert "Contact your care team within 24 hours" in page  # the rule that worked
    assert Rule.objects.get(slug="bone-pain-new-or-worse").current.advice in page
    assert "Call 911 now" not in page  # not for a rule that did not run
    assert broken.current.advice not in page
    assert "a nurse from your care team will read your check-in" in page
    assert "Nothing you reported needs action" not in page

    review = Flag.objects.get(survivor=survivor, rule=broken)
    assert review.rule_failed and review.tier == "urgent"
    assert FlagEntry.objects.get(flag=review).rule_failed
    queue = client_for(nurse).get(reverse("flag_queue")).context["flags"]
    row = next(r for r in queue if r.pk == review.pk)
    assert row.summary.startswith("needs review: a rule failed")
    assert {r.pk for r in queue} == {review.pk, Flag.objects.get(rule__slug="bone-pain-new-or-worse").pk}

    failed = [r for r in caplog.records if "raised KeyError" in r.getMessage()]
    assert failed and str(broken.pk) in failed[0].getMessage() and broken.slug in failed[0].getMessage()
    assert not any(SECRET in r.getMessage() or SECRET in (r.exc_text or "") for r in caplog.records)


def test_a_checkin_where_only_a_failed_rule_was_concerned_promises_no_safety(
    default_rules, client_for, survivor, breaks
):
    breaks("jaundice")
    response = client_for(survivor).post(reverse("checkin_create"), checkin_data({"symptom": "jaundice"}), follow=True)
    page = response.content.decode()
    assert response.status_code == 200 and "your check-in is saved" in page
    assert "Nothing you reported needs action" not in page and "Call 911 now" not in page
    assert "a nurse from your care team will read your check-in" in page
    home = client_for(survivor).get(reverse("home")).content.decode()
    assert Rule.objects.get(slug="jaundice").current.advice not in home  # not among her things to act on


def test_a_weight_is_saved_when_a_weight_rule_raises(default_rules, client_for, survivor, breaks, caplog):
    broken = breaks("unexplained-weight-loss")
    client = client_for(survivor)
    for kg in ("80", "70"):
        # "confirmed": 70 after 80 is asked about first (a typing mistake?); she says it's right.
        data = {"value": kg, "unit": "kg", "submission_token": uuid.uuid4(), "confirmed": f"{kg} kg"}
        response = client.post(reverse("weight_create"), data)
        assert response.status_code == 302
    assert WeightEntry.objects.filter(survivor=survivor).count() == 2
    review = Flag.objects.get(survivor=survivor, rule=broken)
    assert review.rule_failed and review.tier == "routine"  # a routine rule's review stays routine
    assert "weight 70.0 kg" in review.evidence
    assert any("raised KeyError on weight" in r.getMessage() for r in caplog.records)


def test_a_failed_rules_flag_sends_her_no_reminders_until_the_rule_really_matches(
    default_rules, survivor, clinic_admin, breaks, monkeypatch
):
    from followup.models import Message

    broken = breaks("bone-pain-new-or-worse")
    record_checkin(survivor, entry("pain", "hip"))
    flag = Flag.objects.get(survivor=survivor, rule=broken)
    assert flag.rule_failed and flag.tier == "urgent"
    assert not Message.objects.filter(flag=flag).exists()
    counts = {r.slug: r.fired for r in rule_list_with_counts(user=clinic_admin)}
    assert counts[broken.slug] == 0  # a rule that failed did not fire

    monkeypatch.undo()  # the rule works again
    record_checkin(survivor, entry("pain", "hip", severity=3))
    flag.refresh_from_db()
    assert not flag.rule_failed and flag.tier == "urgent"
    assert Message.objects.filter(flag=flag, kind="reminder").exists()  # her reminders start now
    assert {r.slug: r.fired for r in rule_list_with_counts(user=clinic_admin)}[broken.slug] == 1


def test_a_failure_in_scheduling_reminders_costs_neither_the_checkin_nor_its_flags(
    default_rules, survivor, monkeypatch, caplog
):
    def overflow(**kwargs):
        raise OverflowError("date value out of range")

    monkeypatch.setattr("followup.reminders.schedule.reminders_schedule_many", overflow)
    checkin = record_checkin(survivor, entry("pain", "hip"))
    assert SymptomEntry.objects.filter(checkin=checkin).exists()
    assert Flag.objects.filter(survivor=survivor, rule__slug="bone-pain-new-or-worse").exists()
    assert any("not scheduled (OverflowError)" in r.getMessage() for r in caplog.records)


# ------------------------------------------------------------ rows saved before validation


def store_condition(rule: Rule, text: str) -> None:
    """Write a condition straight into the table, as an old row would be."""
    value = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE tracker_ruleversion SET condition = {value} WHERE id = %s", [text, rule.current_id])
    Rule.objects.filter(pk=rule.pk).update(changed_at=timezone.now())
    rule_defs_forget()


@pytest.mark.parametrize(("levels", "shape"), [(400, "all"), (400, "not"), (5000, "all")])
def test_a_deep_rule_saved_before_validation_takes_nothing_down(
    default_rules, client_for, survivor, clinic_admin, caplog, levels, shape
):
    if levels > 500 and connection.vendor != "postgresql":
        pytest.skip("SQLite's JSON_VALID refuses a row this deep")
    deep = Rule.objects.get(slug="bone-pain-new-or-worse")
    store_condition(deep, nested_json(levels, shape))
    client = client_for(survivor)
    response = client.post(reverse("checkin_create"), checkin_data({"symptom": "seizure"}))
    assert response.status_code == 302
    assert Flag.objects.filter(survivor=survivor, rule__slug="seizure").exists()  # the other rules ran
    weight = client.post(reverse("weight_create"), {"value": "70", "unit": "kg", "submission_token": uuid.uuid4()})
    assert weight.status_code == 302 and WeightEntry.objects.filter(survivor=survivor).exists()
    assert any("can't be loaded and is skipped" in r.getMessage() for r in caplog.records)

    admin = client_for(clinic_admin)
    page = admin.get(reverse("rule_list"))
    assert page.status_code == 200
    assert page.context["skipped"] == {deep.slug} and "On, but can't run" in page.content.decode()
    assert admin.get(reverse("rule_detail", args=[deep.slug])).status_code == 200
    assert admin.get(reverse("rule_edit", args=[deep.slug])).status_code == 200
    switched = admin.post(reverse("rule_toggle", args=[deep.slug]), {"active": "off", "reason": "Can't run"})
    assert switched.status_code == 302
    assert not Rule.objects.get(pk=deep.pk).is_active


def test_a_malformed_stored_rule_is_skipped_too(default_rules, survivor):
    store_condition(Rule.objects.get(slug="seizure"), '{"all": 5}')
    store_condition(Rule.objects.get(slug="headache"), '{"any": [{"symptom": ["headache"]}, {"frobnicate": 1}]}')
    assert {r.slug for r in rule_defs_active()} & {"seizure", "headache"} == set()
    assert rule_slugs_skipped() == {"seizure", "headache"}
    checkin = record_checkin(survivor, entry("headache", None), entry("pain", "hip"))
    assert SymptomEntry.objects.filter(checkin=checkin).count() == 2


def test_the_migration_renames_a_slug_no_page_can_link_to(default_rules, client_for, clinic_admin):
    import importlib

    from django.apps import apps

    hostile = Rule.objects.get(slug="seizure")
    Rule.objects.filter(pk=hostile.pk).update(slug="fits/<b>seizure</b>")  # an import before slugs were checked
    migration = importlib.import_module("tracker.migrations.0012_rules_safety")
    migration.rename_unlinkable_slugs(apps, None)
    hostile.refresh_from_db()
    assert hostile.slug == f"fitsbseizureb-{hostile.pk}"
    assert rule_slug_errors(hostile.slug) == []
    page = client_for(clinic_admin).get(reverse("rule_list"))
    assert page.status_code == 200 and reverse("rule_detail", args=[hostile.slug]) in page.content.decode()


def test_the_sentence_page_names_a_rule_that_raises_instead_of_failing(default_rules, client_for, clinic_admin, breaks):
    rule = breaks("seizure")
    response = client_for(clinic_admin).post(reverse("rules_sentence"), {"sentence": "I had a fit this morning"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="failed"' in page and rule.slug in page and "KeyError" in page
