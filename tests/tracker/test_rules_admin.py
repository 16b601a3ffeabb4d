"""The clinic admin's rules pages."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    CheckInFactory,
    ClinicFactory,
    SurvivorFactory,
    SymptomEntryFactory,
    body_site,
    entry,
    record_checkin,
    symptom,
)
from tracker.models import AuditEvent, Flag, Rule, RuleVersion
from tracker.services.rules import rules_load_defaults
from tracker.tasks import run_rule_preview


@pytest.fixture(autouse=True)
def default_rules(db):
    rules_load_defaults()


@pytest.fixture
def as_admin(client, clinic_admin):
    client.force_login(clinic_admin)
    return client


def form_data(rule: Rule, **over) -> dict:
    v = rule.current
    data = {
        "name": v.name,
        "tier": v.tier,
        "condition": json.dumps(v.condition),
        "advice": v.advice,
        "nurse_note": v.nurse_note,
        "source": v.source,
        "change_note": "",
        "preview_days": "30",
    }
    data.update(over)
    return data


def run_preview(client, rule: Rule, **over):
    """Ask for a preview on the edit page, run its job as the worker would,
    and open the job's page."""
    response = client.post(reverse("rule_edit", args=[rule.slug]), form_data(rule, preview="1", **over))
    job = response.context["job"]
    assert job is not None and job.state == "queued", response.context["form"].errors
    run_rule_preview(job.pk)
    return client.get(reverse("preview_job_detail", args=[job.pk]))


def flag_for(survivor, slug, outcome="", days_ago=1):
    rule = Rule.objects.get(slug=slug)
    when = timezone.now() - dt.timedelta(days=days_ago)
    return Flag.objects.create(
        survivor=survivor,
        rule=rule,
        rule_version=rule.current,
        tier=rule.current.tier,
        evidence="x",
        status="closed" if outcome else "open",
        outcome=outcome,
        created_at=when,
    )


def test_the_list_shows_tier_state_and_90_day_counts_for_my_clinics(as_admin, survivor, clinic):
    flag_for(survivor, "headache")
    flag_for(SurvivorFactory(clinic=clinic), "headache", outcome="appointment")
    flag_for(SurvivorFactory(clinic=clinic), "headache", outcome="false_alarm")
    flag_for(SurvivorFactory(clinic=clinic), "headache", days_ago=120)  # too old
    flag_for(SurvivorFactory(clinic=ClinicFactory()), "headache")  # another clinic
    rules = {r.slug: r for r in as_admin.get(reverse("rule_list")).context["rules"]}
    headache = rules["headache"]
    assert (headache.fired, headache.confirmed, headache.dismissed) == (3, 1, 1)
    assert (rules["seizure"].fired, rules["seizure"].confirmed) == (0, 0)
    page = as_admin.get(reverse("rule_list")).content.decode()
    assert "Urgent" in page and "Emergency" in page and "On" in page


def test_saving_creates_a_new_version_and_shows_a_readable_diff(as_admin, clinic_admin):
    rule = Rule.objects.get(slug="headache")
    response = as_admin.post(
        reverse("rule_edit", args=["headache"]),
        form_data(rule, advice="Please call us about a new headache.", change_note="Plainer words", save="1"),
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.current.number == 2
    assert rule.current.created_by == clinic_admin
    assert RuleVersion.objects.filter(rule=rule).count() == 2
    assert AuditEvent.objects.filter(action="rule.save", actor=clinic_admin).exists()
    page = as_admin.get(reverse("rule_detail", args=["headache"])).content.decode()
    assert "Version 2" in page and clinic_admin.full_name in page and "Plainer words" in page
    assert "+ advice: Please call us about a new headache." in page
    assert "- advice: A new, worsening or severe headache should be looked at soon." in page


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ('{"all": [{"symptom": ["hipp"]}]}', "unknown symptom code \u201chipp\u201d"),
        ('{"all": []}', "the group is empty"),
        ('{"persistence": {"symptoms": ["fatigue"], "min_days": 2, "within_days": -5}}', "not negative"),
        ('{"all": [', "This isn't valid JSON"),
    ],
)
def test_bad_conditions_are_explained_beside_the_field_and_nothing_is_saved(as_admin, condition, message):
    rule = Rule.objects.get(slug="headache")
    response = as_admin.post(reverse("rule_edit", args=["headache"]), form_data(rule, condition=condition, save="1"))
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["condition"])
    assert message in errors
    assert condition.replace('"', "&quot;") in response.content.decode()  # what she typed is kept
    assert Rule.objects.get(slug="headache").current.number == 1


def test_other_fields_are_checked_too(as_admin):
    rule = Rule.objects.get(slug="headache")
    response = as_admin.post(
        reverse("rule_edit", args=["headache"]), form_data(rule, advice="", tier="severe", save="1")
    )
    errors = response.context["form"].errors
    assert "advice" in errors and "tier" in errors


def test_a_new_rule_can_be_created(as_admin):
    rule = Rule.objects.get(slug="headache")
    data = form_data(
        rule,
        slug="knee-pain-severe",
        name="Severe knee pain",
        condition='{"all": [{"symptom": ["pain"]}, {"body_site": ["knee"]}, {"min_severity": 8}]}',
        save="1",
    )
    response = as_admin.post(reverse("rule_create"), data)
    assert response.status_code == 302
    assert Rule.objects.get(slug="knee-pain-severe").current.name == "Severe knee pain"


def test_preview_counts_checkins_and_survivors_compares_with_current_and_writes_nothing(as_admin, clinic):
    a, b = SurvivorFactory(clinic=clinic), SurvivorFactory(clinic=ClinicFactory())
    for who, site, new in ((a, "hip", True), (a, "knee", True), (b, "knee", False), (b, "hip", False)):
        SymptomEntryFactory(
            checkin=CheckInFactory(survivor=who),
            survivor=who,
            symptom=symptom("pain"),
            body_site=body_site(site),
            is_new=new,
            severity=5,
        )
    old = SymptomEntryFactory(
        checkin=CheckInFactory(survivor=a, created_at=timezone.now() - dt.timedelta(days=50)),
        symptom=symptom("pain"),
        body_site=body_site("knee"),
        is_new=True,
    )
    old.created_at = old.checkin.created_at
    old.save(update_fields=["created_at"])
    rule = Rule.objects.get(slug="bone-pain-new-or-worse")
    counts = (Flag.objects.count(), RuleVersion.objects.count())
    draft = '{"all": [{"symptom": ["pain"]}, {"body_site": ["hip", "knee"]}]}'
    response = run_preview(as_admin, rule, condition=draft)
    preview = response.context["job"].result
    # b is another clinic's survivor: the admin's preview reads her own clinic's only.
    assert (preview["draft"]["checkins"], preview["draft"]["survivors"]) == (2, 1)
    assert (preview["current"]["checkins"], preview["current"]["survivors"]) == (1, 1)
    assert [(g["side"], g["body_site"], g["matches"]) for g in preview["by_symptom"]] == [
        ("draft", "hip", 1),
        ("draft", "knee", 1),
        ("current", "hip", 1),
    ]
    page = response.content.decode()
    assert '<td class="text-end" data-testid="draft-checkins">2</td>' in page
    assert '<td class="text-end" data-testid="current-checkins">1</td>' in page
    assert (Flag.objects.count(), RuleVersion.objects.count()) == counts
    assert b.full_name not in page and a.full_name not in page  # counts name no one


def test_preview_handles_history_text_and_weight_rules(as_admin, survivor):
    for days in (10, 5, 0):
        entry = SymptomEntryFactory(checkin=CheckInFactory(survivor=survivor), symptom=symptom("fatigue"), note="")
        entry.created_at = timezone.now() - dt.timedelta(days=days)
        entry.save(update_fields=["created_at"])
    SymptomEntryFactory(
        checkin=CheckInFactory(survivor=survivor),
        symptom=symptom("other"),
        note="the pain in my right hip keeps getting worse",
    )
    SymptomEntryFactory(
        checkin=CheckInFactory(survivor=survivor), symptom=symptom("other"), note="I had hip pain two years ago"
    )
    rule = Rule.objects.get(slug="persistent-fatigue-appetite-nausea")
    response = run_preview(as_admin, rule)
    assert response.context["job"].result["draft"]["entries"] == 1  # only the third day reaches 3 days
    text = '{"text": ["bone_pain"]}'
    response = run_preview(as_admin, rule, condition=text)
    assert response.context["job"].result["draft"]["entries"] == 1
    assert "pain in my right hip" not in response.content.decode()  # no survivor words in the sample


def test_switching_a_rule_off_and_on(as_admin):
    url = reverse("rule_toggle", args=["seizure"])
    response = as_admin.post(url, {"active": "off", "reason": "Covered by another rule"})
    assert response.status_code == 302
    assert Rule.objects.get(slug="seizure").is_active is False
    as_admin.post(url, {"active": "on"})
    assert Rule.objects.get(slug="seizure").is_active is True


def test_switching_off_asks_first(as_admin):
    page = as_admin.get(reverse("rule_toggle", args=["seizure"]))
    assert page.status_code == 200 and "Why are you switching it off?" in page.content.decode()
    assert Rule.objects.get(slug="seizure").is_active is True


def test_export_then_import_round_trips(as_admin, clinic_admin):
    exported = json.loads(as_admin.get(reverse("rules_export")).content)
    assert len(exported["rules"]) == Rule.objects.count()
    for item in exported["rules"]:
        if item["slug"] == "headache":
            item["advice"] = "Changed by import."
        if item["slug"] == "dizziness-new":
            item["is_active"] = False
    response = as_admin.post(reverse("rules_import"), {"text": json.dumps(exported)})
    assert response.status_code == 302
    assert Rule.objects.get(slug="headache").current.advice == "Changed by import."
    assert Rule.objects.get(slug="headache").current.number == 2
    assert Rule.objects.get(slug="seizure").current.number == 1  # unchanged rules get no new version
    assert Rule.objects.get(slug="dizziness-new").is_active is False


def test_an_import_with_any_error_changes_nothing_and_lists_every_problem(as_admin):
    exported = json.loads(as_admin.get(reverse("rules_export")).content)
    exported["rules"][0]["advice"] = "Would change."
    exported["rules"][1]["condition"] = {"all": [{"symptom": ["flu"]}]}
    exported["rules"][2]["tier"] = "whenever"
    before = RuleVersion.objects.count()
    response = as_admin.post(reverse("rules_import"), {"text": json.dumps(exported)})
    assert response.status_code == 200
    problems = response.context["problems"]
    assert any("unknown symptom code \u201cflu\u201d" in p for p in problems)
    assert any("Tier must be one of" in p for p in problems)
    assert RuleVersion.objects.count() == before


def test_an_import_file_that_is_not_json_is_explained(as_admin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("rules.json", b"{not json", content_type="application/json")
    response = as_admin.post(reverse("rules_import"), {"file": upload})
    assert "This isn't valid JSON" in " ".join(response.context["form"].errors["file"])


def test_the_bench_page_runs_pasted_scenarios(as_admin):
    text = "\n".join(
        [
            '{"id": "s1", "entries": [{"days_ago": 0, "symptom": "seizure"}]}',
            '{"id": "s2", "entries": [{"days_ago": 0, "symptom": "other", "note": "my mother had a seizure"}]}',
            "{broken",
        ]
    )
    response = as_admin.post(reverse("rules_bench"), {"scenarios": text})
    results = [row["result"] for row in response.context["bench"]["rows"]]
    assert [r.get("tier") for r in results] == ["emergency", None, None]
    assert "error" in results[2]
    assert Flag.objects.count() == 0
    assert "No scenario carries an &ldquo;expect&rdquo;" in response.content.decode()


def test_the_bench_page_shows_flag_days_today_and_pass_or_fail(as_admin):
    text = "\n".join(
        [
            # Seizure three days ago, a new weight loss today.
            '{"id": "good", "entries": [{"days_ago": 3, "symptom": "seizure"}],'
            ' "weights": [{"days_ago": 200, "kg": 70}, {"days_ago": 0, "kg": 65}],'
            ' "expect": {"tier": "emergency", "rules": ["seizure"], "forbid": [],'
            ' "today": {"tier": "routine", "rules": ["unexplained-weight-loss"], "forbid": ["seizure"]}}}',
            '{"id": "wrong-tier", "entries": [{"days_ago": 0, "symptom": "seizure"}], "expect": {"tier": "urgent"}}',
            '{"id": "bad-expect", "entries": [{"days_ago": 0, "symptom": "seizure"}], "expect": "emergency"}',
            '{"id": "not-run", "entries": [{"days_ago": 0, "symptom": "flu"}], "expect": {"tier": null}}',
            '{"id": "unjudged", "entries": [{"days_ago": 0, "symptom": "seizure"}]}',
            "[" * 50_000 + "]" * 50_000,
        ]
    )
    response = as_admin.post(reverse("rules_bench"), {"scenarios": text})
    assert response.status_code == 200
    bench = response.context["bench"]
    assert [row["verdict"] for row in bench["rows"]] == ["pass", "fail", "fail", "fail", None, None]
    assert (bench["passed"], bench["judged"], bench["unjudged"]) == (1, 4, 2)
    good = bench["rows"][0]["result"]
    assert [(f["rule"], f["days_ago"]) for f in good["flags"]] == [("seizure", 3), ("unexplained-weight-loss", 0)]
    assert good["today"]["tier"] == "routine"
    page = response.content.decode()
    assert "1 of 4 scenarios pass." in page
    assert page.count(">PASS</span>") == 1 and page.count(">FAIL</span>") == 3
    assert "tier: expected urgent, got emergency" in page
    assert "expect must be an object" in page
    assert "the scenario could not be run: line 4: entries[0].symptom: unknown symptom" in page
    assert "line 6: nested too deeply" in page
    assert "(emergency, days_ago 3)" in page


def test_the_bench_refuses_more_than_it_can_read(as_admin):
    response = as_admin.post(reverse("rules_bench"), {"scenarios": "{}\n" * 100_001})
    assert response.status_code == 200
    assert response.context["bench"] is None
    assert "scenarios" in response.context["form"].errors


def test_nurses_and_survivors_cannot_reach_rules_pages(client, nurse, survivor):
    for user in (nurse, survivor):
        client.force_login(user)
        assert client.get(reverse("rule_list")).status_code == 404
        assert client.post(reverse("rule_toggle", args=["seizure"])).status_code == 404
    assert Rule.objects.get(slug="seizure").is_active


def test_the_checkin_uses_the_edited_rule_at_once(as_admin, client, survivor):
    rule = Rule.objects.get(slug="headache")
    as_admin.post(reverse("rule_edit", args=["headache"]), form_data(rule, tier="emergency", save="1"))
    record_checkin(survivor, entry("headache", None, 8, True, False, started_on=timezone.localdate()))
    flag = Flag.objects.get(rule=rule)
    assert flag.tier == "emergency" and flag.rule_version.number == 2


def test_conditions_are_shown_compactly_and_round_trip():
    from tracker.rules.defaults import DEFAULT_RULES
    from tracker.views.rules import condition_text

    for rule in DEFAULT_RULES:
        assert json.loads(condition_text(rule["condition"])) == rule["condition"]
    assert '{"new": true}' in condition_text({"any": [{"new": True}, {"symptom": ["pain", "cough"]}]})
