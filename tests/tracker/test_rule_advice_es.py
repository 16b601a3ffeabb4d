"""A rule's advice in Spanish (RuleVersion.advice_es): the shipped defaults
carry it, admins write it, import and export it, the rules page lists the
active rules still without it, and a survivor who reads Spanish is shown it
(the English when it is blank)."""

import json

import pytest
from django.urls import reverse

from tests.factories import entry, record_checkin
from tracker.models import Rule, RuleVersion, User
from tracker.rules import limits
from tracker.rules.defaults import DEFAULT_RULES
from tracker.services.rules import RULE_FIELDS, rule_save, rules_load_defaults

SEIZURE_ES = next(r["advice_es"] for r in DEFAULT_RULES if r["slug"] == "seizure")
BONE_ES = next(r["advice_es"] for r in DEFAULT_RULES if r["slug"] == "bone-pain-new-or-worse")


def speaks_spanish(survivor) -> None:
    User.objects.filter(pk=survivor.pk).update(language="es")
    survivor.language = "es"


def content(rule: Rule, **over) -> dict:
    return {**{n: getattr(rule.current, n) for n in RULE_FIELDS}, **over}


def without_spanish(slug: str, by=None) -> RuleVersion:
    rule = Rule.objects.get(slug=slug)
    return rule_save(by=by, slug=slug, rule=rule, data=content(rule, advice_es=""))


def emergency_and_urgent(survivor):
    """One check-in with an emergency (seizure) and an urgent (bone pain) flag."""
    return record_checkin(survivor, entry("seizure", None), entry("pain", "hip"))


# ------------------------------------------------------------ the shipped defaults


def test_every_default_rule_has_its_spanish_advice_within_bounds():
    for rule in DEFAULT_RULES:
        assert rule["advice_es"].strip(), rule["slug"]
        assert len(rule["advice_es"]) <= limits.MAX_ADVICE
        assert rule["advice_es"] != rule["advice"], rule["slug"]


def test_every_default_emergency_rule_says_call_911_now_in_both_languages():
    emergencies = [r for r in DEFAULT_RULES if r["tier"] == "emergency"]
    assert emergencies
    for rule in emergencies:
        assert "Llame al 911 ahora" in rule["advice_es"], rule["slug"]
        assert "Call 911 now" in rule["advice"], rule["slug"]
    for rule in DEFAULT_RULES:
        if rule["tier"] != "emergency":  # only an emergency tells her to call 911
            assert "911" not in rule["advice_es"] + rule["advice"], rule["slug"]


def test_loading_the_defaults_writes_the_spanish(default_rules):
    for rule in DEFAULT_RULES:
        assert Rule.objects.get(slug=rule["slug"]).current.advice_es == rule["advice_es"]


def test_an_installation_loaded_before_the_spanish_gets_it_as_a_new_version(default_rules):
    old = without_spanish("jaundice")  # as shipped before advice_es was written
    counts = rules_load_defaults()
    assert counts["updated"] == 1 and counts["unchanged"] == len(DEFAULT_RULES) - 1
    rule = Rule.objects.get(slug="jaundice")
    assert rule.current.number == old.number + 1
    assert rule.current.change_note == "Shipped default: Spanish advice"
    assert rule.current.advice_es and rule.current.advice == old.advice
    old.refresh_from_db()
    assert old.advice_es == ""  # the version a flag may point at is never updated
    assert rules_load_defaults()["updated"] == 0


def test_a_rule_an_admin_changed_keeps_her_words_and_gets_no_spanish_from_us(default_rules, clinic_admin):
    without_spanish("jaundice", by=clinic_admin)
    counts = rules_load_defaults()
    assert counts["kept_admin_changes"] == 1 and counts["updated"] == 0
    assert Rule.objects.get(slug="jaundice").current.advice_es == ""


# ------------------------------------------------------------ her screens


def test_she_reads_the_spanish_advice_after_a_checkin_highest_tier_first(default_rules, client_for, survivor):
    speaks_spanish(survivor)
    checkin = emergency_and_urgent(survivor)
    page = client_for(survivor).get(reverse("checkin_detail", args=[checkin.pk])).content.decode()
    assert SEIZURE_ES in page and BONE_ES in page
    for slug in ("seizure", "bone-pain-new-or-worse"):
        assert Rule.objects.get(slug=slug).current.advice not in page
    assert 'data-tier="emergency"' in page
    assert page.index(SEIZURE_ES) < page.index(BONE_ES)  # the emergency leads


def test_she_reads_the_spanish_advice_on_her_open_flags(default_rules, client_for, survivor):
    speaks_spanish(survivor)
    emergency_and_urgent(survivor)
    page = client_for(survivor).get(reverse("home")).content.decode()
    flags = page[page.index('id="flags-heading"') :]
    assert SEIZURE_ES in flags and BONE_ES in flags
    assert Rule.objects.get(slug="seizure").current.advice not in page
    assert 'data-tier="emergency"' in flags
    assert flags.index(SEIZURE_ES) < flags.index(BONE_ES)  # the highest open tier is still first


def test_blank_spanish_advice_falls_back_to_the_english(default_rules, client_for, survivor):
    speaks_spanish(survivor)
    without_spanish("seizure")
    checkin = emergency_and_urgent(survivor)
    english = Rule.objects.get(slug="seizure").current.advice
    client = client_for(survivor)
    for url in (reverse("checkin_detail", args=[checkin.pk]), reverse("home")):
        page = client.get(url).content.decode()
        assert english in page and SEIZURE_ES not in page
        assert BONE_ES in page  # the other rule still reads in Spanish


def test_a_survivor_who_reads_english_reads_the_english(default_rules, client_for, survivor):
    checkin = emergency_and_urgent(survivor)
    page = client_for(survivor).get(reverse("checkin_detail", args=[checkin.pk])).content.decode()
    assert Rule.objects.get(slug="seizure").current.advice in page
    assert SEIZURE_ES not in page and BONE_ES not in page


def test_a_nurse_reads_her_checkin_advice_in_english(default_rules, client_for, survivor, nurse):
    speaks_spanish(survivor)
    checkin = emergency_and_urgent(survivor)
    page = client_for(nurse).get(reverse("checkin_detail", args=[checkin.pk])).content.decode()
    assert SEIZURE_ES not in page


# ------------------------------------------------------------ the rules pages


@pytest.fixture
def as_admin(client, clinic_admin):
    client.force_login(clinic_admin)
    return client


def test_the_rules_list_shows_the_active_rules_missing_their_spanish(default_rules, as_admin, clinic_admin):
    page = as_admin.get(reverse("rule_list"))
    assert page.context["missing_spanish"] == []
    assert "No Spanish advice" not in page.content.decode()

    without_spanish("jaundice", by=clinic_admin)
    without_spanish("headache", by=clinic_admin)
    switched_off = Rule.objects.get(slug="headache")
    switched_off.is_active = False
    switched_off.save(update_fields=["is_active"])

    page = as_admin.get(reverse("rule_list"))
    html = page.content.decode()
    assert [r.slug for r in page.context["missing_spanish"]] == ["jaundice"]  # active rules only
    assert 'data-missing-spanish="1"' in html
    assert "No Spanish advice: she reads the English (1 active rule)" in html
    assert 'data-missing-spanish-rule="jaundice"' in html
    assert 'data-missing-spanish-rule="headache"' not in html


def test_the_editor_saves_the_spanish_in_the_new_version(default_rules, as_admin):
    rule = Rule.objects.get(slug="headache")
    edit = as_admin.get(reverse("rule_edit", args=[rule.slug]))
    assert edit.context["form"].initial["advice_es"] == rule.current.advice_es
    data = {
        **content(rule, condition=json.dumps(rule.current.condition)),
        "advice_es": "Un dolor de cabeza nuevo se debe revisar pronto.",
        "change_note": "",
        "preview_days": "30",
    }
    response = as_admin.post(reverse("rule_edit", args=[rule.slug]), data)
    assert response.status_code == 302
    current = Rule.objects.get(slug="headache").current
    assert current.number == 2 and current.advice_es == "Un dolor de cabeza nuevo se debe revisar pronto."
    assert RuleVersion.objects.get(rule=rule, number=1).advice_es == rule.current.advice_es  # kept
    detail = as_admin.get(reverse("rule_detail", args=[rule.slug])).content.decode()
    assert "Un dolor de cabeza nuevo se debe revisar pronto." in detail
    assert "advice (Spanish)" in detail  # in the versions' diff


def test_the_editor_bounds_the_spanish_and_catches_stale_spanish(default_rules, as_admin):
    rule = Rule.objects.get(slug="headache")
    base = {**content(rule, condition=json.dumps(rule.current.condition)), "change_note": "", "preview_days": "30"}
    url = reverse("rule_edit", args=[rule.slug])

    too_long = as_admin.post(url, {**base, "advice_es": "x" * (limits.MAX_ADVICE + 1)})
    assert too_long.status_code == 200 and "advice_es" in too_long.context["form"].errors

    stale = as_admin.post(url, {**base, "advice": "A headache should be looked at today."})
    assert stale.status_code == 200 and "advice_es" in stale.context["form"].errors

    cleared = as_admin.post(url, {**base, "advice": "A headache should be looked at today.", "advice_es": ""})
    assert cleared.status_code == 302
    assert Rule.objects.get(slug="headache").current.advice_es == ""
    assert Rule.objects.get(slug="headache").current.number == 2
    detail = as_admin.get(reverse("rule_detail", args=[rule.slug])).content.decode()
    assert "None yet: a survivor who reads Spanish reads the English." in detail


def test_export_then_import_round_trips_the_spanish(default_rules, as_admin):
    exported = json.loads(as_admin.get(reverse("rules_export")).content)
    by_slug = {item["slug"]: item for item in exported["rules"]}
    assert by_slug["seizure"]["advice_es"] == SEIZURE_ES
    by_slug["headache"]["advice_es"] = "Texto nuevo."
    assert as_admin.post(reverse("rules_import"), {"text": json.dumps(exported)}).status_code == 302
    headache = Rule.objects.get(slug="headache").current
    assert headache.number == 2 and headache.advice_es == "Texto nuevo."
    assert Rule.objects.get(slug="seizure").current.number == 1  # unchanged: no new version
    again = json.loads(as_admin.get(reverse("rules_export")).content)
    assert {i["slug"]: i["advice_es"] for i in again["rules"]}["headache"] == "Texto nuevo."


def test_an_import_without_advice_es_keeps_the_spanish_of_unchanged_advice(default_rules, as_admin):
    exported = json.loads(as_admin.get(reverse("rules_export")).content)
    for item in exported["rules"]:  # a file exported before rules had Spanish
        del item["advice_es"]
        if item["slug"] == "jaundice":
            item["advice"] = "Yellow skin or eyes: please call us today."
    before = RuleVersion.objects.count()
    assert as_admin.post(reverse("rules_import"), {"text": json.dumps(exported)}).status_code == 302
    assert RuleVersion.objects.count() == before + 1  # only the rule whose English changed
    assert Rule.objects.get(slug="seizure").current.advice_es == SEIZURE_ES
    # Spanish of the old English would tell her something else: cleared.
    assert Rule.objects.get(slug="jaundice").current.advice_es == ""


@pytest.mark.parametrize(
    ("value", "problem"),
    [(["not", "text"], "advice_es: Must be text."), ("x" * (limits.MAX_ADVICE + 1), "advice_es: At most")],
)
def test_an_import_refuses_spanish_that_is_not_bounded_text(default_rules, as_admin, value, problem):
    exported = json.loads(as_admin.get(reverse("rules_export")).content)
    exported["rules"][0]["advice_es"] = value
    before = RuleVersion.objects.count()
    response = as_admin.post(reverse("rules_import"), {"text": json.dumps(exported)})
    assert response.status_code == 200
    assert any(problem in p for p in response.context["problems"]), response.context["problems"]
    assert RuleVersion.objects.count() == before


def test_her_advice_box_is_in_spanish_around_the_spanish_advice(default_rules, client_for, survivor):
    speaks_spanish(survivor)
    checkin = record_checkin(survivor, entry("pain", "hip"))  # urgent only
    page = client_for(survivor).get(reverse("checkin_detail", args=[checkin.pk])).content.decode()
    assert "Comuníquese con su equipo de atención en las próximas 24 horas" in page
    assert ">Urgente</span>" in page
    assert "Este es un consejo para que busque atención, no un diagnóstico." in page
    assert "Contact your care team within 24 hours" not in page and "not a diagnosis" not in page


def test_a_withdrawn_flag_quotes_her_the_spanish_advice(default_rules, client_for, survivor):
    from tracker.services.corrections import entry_mark_in_error

    speaks_spanish(survivor)
    record_checkin(survivor, entry("seizure", None))
    entry_mark_in_error(survivor=survivor, entry=survivor.symptom_entries.get())
    page = client_for(survivor).get(reverse("home")).content.decode()
    withdrawn = page[page.index("data-withdrawn") :]
    assert f"“{SEIZURE_ES}”" in withdrawn
    assert Rule.objects.get(slug="seizure").current.advice not in page
