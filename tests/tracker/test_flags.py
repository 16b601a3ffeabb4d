"""Flags: raised in the check-in's own transaction, shown at once, one open
flag per survivor and rule, versions kept, snoozes honoured, one event on commit."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.factories import WeightEntryFactory, entry, record_checkin, symptom
from tracker.models import Flag, FlagEntry, Rule, RuleVersion
from tracker.services import flags as flag_services
from tracker.services.checkins import weight_record
from tracker.services.rules import RULE_FIELDS, rule_save, rule_set_active, rules_load_defaults
from tracker.services.snoozes import snooze_create


@pytest.fixture(autouse=True)
def default_rules(db):
    rules_load_defaults()


def report(survivor, *entries, callback=False):
    """entries: (code, site, severity, new, worse, note) tuples."""
    return record_checkin(survivor, *(entry(*row) for row in entries), callback=callback)


def open_flags(survivor):
    return {f.rule.slug: f for f in Flag.objects.filter(survivor=survivor, status="open").select_related("rule")}


def test_a_matching_checkin_raises_a_flag_with_version_tier_and_readable_evidence(survivor):
    checkin = report(survivor, ("pain", "hip", 7, True, True, ""))
    flag = open_flags(survivor)["bone-pain-new-or-worse"]
    assert flag.tier == "urgent"
    assert flag.rule_version == Rule.objects.get(slug="bone-pain-new-or-worse").current
    assert flag.evidence == "pain at hip, new, severity 7, getting worse"
    [link] = flag.attachments.all()
    assert link.entry.checkin == checkin and link.rule_version == flag.rule_version


def test_a_harmless_checkin_raises_nothing(survivor):
    report(survivor, ("pain", "knee", 3, False, False, "usual arthritis in my left knee"))
    assert Flag.objects.count() == 0


def test_the_survivors_own_matching_words_are_kept_as_evidence(survivor):
    report(
        survivor,
        ("other", None, 4, True, True, "the pain in my right hip keeps getting worse, nothing like my arthritis"),
    )
    flag = open_flags(survivor)["bone-pain-new-or-worse"]
    assert flag.attachments.get().matched_text == ["pain in my right hip"]
    assert "\u201cpain in my right hip\u201d" in flag.evidence


def test_a_later_match_attaches_to_the_open_flag_instead_of_opening_another(survivor):
    report(survivor, ("pain", "hip", 5, True, False, ""))
    report(survivor, ("pain", "hip", 6, False, True, ""))
    flags = Flag.objects.filter(survivor=survivor, rule__slug="bone-pain-new-or-worse")
    assert flags.count() == 1
    assert flags.get().attachments.count() == 2


def test_a_new_version_with_a_higher_tier_raises_the_flag_and_a_lower_one_never_lowers_it(survivor, clinic_admin):
    report(survivor, ("pain", "hip", 5, True, False, ""))
    rule = Rule.objects.get(slug="bone-pain-new-or-worse")
    first = rule.current
    data = {n: getattr(first, n) for n in RULE_FIELDS}
    rule_save(by=clinic_admin, slug=rule.slug, rule=rule, data={**data, "tier": "emergency"})
    report(survivor, ("pain", "hip", 6, True, True, ""))
    flag = open_flags(survivor)["bone-pain-new-or-worse"]
    assert flag.tier == "emergency"
    rule_save(by=clinic_admin, slug=rule.slug, rule=rule, data={**data, "tier": "routine"})
    report(survivor, ("pain", "hip", 6, True, True, ""))
    flag.refresh_from_db()
    assert flag.tier == "emergency"
    # The flag keeps the version that first fired; each attachment its own.
    assert flag.rule_version == first
    assert [a.rule_version.number for a in flag.attachments.order_by("id")] == [1, 2, 3]


def test_a_closed_flag_lets_the_next_match_open_a_new_one(survivor):
    report(survivor, ("pain", "hip", 5, True, False, ""))
    Flag.objects.update(status="closed", closed_at=timezone.now())
    report(survivor, ("pain", "hip", 5, True, False, ""))
    assert Flag.objects.filter(survivor=survivor, rule__slug="bone-pain-new-or-worse").count() == 2


def test_flags_are_per_survivor(survivor, same_clinic_survivor):
    report(survivor, ("seizure", None, 8, True, False, ""))
    report(same_clinic_survivor, ("seizure", None, 8, True, False, ""))
    assert Flag.objects.filter(rule__slug="seizure").count() == 2


def test_evaluation_runs_in_the_checkin_transaction(survivor, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("flag store down")

    monkeypatch.setattr(flag_services, "_flags_record", broken)
    with pytest.raises(RuntimeError):
        report(survivor, ("seizure", None, 8, True, False, ""))
    assert not survivor.checkins.exists()


def test_tracker_does_not_import_followup():
    import pathlib

    for path in pathlib.Path("tracker").rglob("*.py"):
        text = path.read_text()
        assert "import followup" not in text and "from followup" not in text, path


def test_a_weight_loss_flag_is_raised_when_a_weight_is_logged(survivor):
    WeightEntryFactory(survivor=survivor, kg=Decimal("70"), recorded_at=timezone.now() - dt.timedelta(days=200))
    weight_record(survivor=survivor, value=Decimal("66"), unit="kg", submission_token=uuid.uuid4())
    flag = open_flags(survivor)["unexplained-weight-loss"]
    assert flag.tier == "routine"
    assert "weight down 5.7% (70.0 \u2192 66.0 kg)" in flag.evidence
    assert flag.attachments.get().weight is not None


def test_a_disabled_rule_raises_no_new_flags_and_leaves_old_ones(survivor, clinic_admin):
    report(survivor, ("seizure", None, 8, True, False, ""))
    rule = Rule.objects.get(slug="seizure")
    rule_set_active(rule=rule, active=False, by=clinic_admin, reason="Duplicate of another rule")
    report(survivor, ("seizure", None, 8, True, False, ""))
    flag = open_flags(survivor)["seizure"]
    assert flag.attachments.count() == 1
    assert flag.status == "open"


def test_a_snoozed_rule_records_the_entry_but_raises_no_flag(survivor, nurse):
    rule = Rule.objects.get(slug="bone-pain-new-or-worse")
    snooze_create(
        survivor=survivor, by=nurse, rule=rule, ends_at=timezone.now() + dt.timedelta(days=10), reason="known arthritis"
    )
    checkin = report(survivor, ("pain", "hip", 5, True, True, ""))
    assert checkin.entries.count() == 1
    assert "bone-pain-new-or-worse" not in open_flags(survivor)


def test_a_snoozed_symptom_still_raises_emergency_rules(survivor, nurse):
    snooze_create(
        survivor=survivor,
        by=nurse,
        symptom=symptom("trouble_walking"),
        ends_at=timezone.now() + dt.timedelta(days=5),
        reason="known knee replacement",
    )
    report(survivor, ("trouble_walking", None, 5, True, True, ""))
    assert "mscc-trouble-walking" in open_flags(survivor)


def test_an_expired_snooze_no_longer_silences(survivor, nurse):
    from tracker.models import Snooze

    rule = Rule.objects.get(slug="bone-pain-new-or-worse")
    Snooze.objects.create(
        survivor=survivor,
        rule=rule,
        reason="x",
        created_by=nurse,
        starts_at=timezone.now() - dt.timedelta(days=10),
        ends_at=timezone.now() - dt.timedelta(days=1),
    )
    report(survivor, ("pain", "hip", 5, True, True, ""))
    assert "bone-pain-new-or-worse" in open_flags(survivor)


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"rule": "seizure", "days": 5}, "rule", "Emergency rules can't be snoozed"),
        ({"rule": "headache", "days": 31}, "ends_at", "at most 30 days"),
        ({"rule": "headache", "days": -1}, "ends_at", "in the future"),
        ({"rule": "headache", "days": 3, "reason": " "}, "reason", "Say why"),
    ],
)
def test_snooze_limits(survivor, nurse, kwargs, field, message):
    with pytest.raises(ValidationError) as error:
        snooze_create(
            survivor=survivor,
            by=nurse,
            rule=Rule.objects.get(slug=kwargs["rule"]),
            ends_at=timezone.now() + dt.timedelta(days=kwargs["days"]),
            reason=kwargs.get("reason", "known"),
        )
    assert message in " ".join(error.value.message_dict[field])


# ---------------------------------------------------------------- pages


@pytest.fixture
def as_survivor(client, survivor):
    client.force_login(survivor)
    return client


def post_checkin(client, **entry):
    row = {
        "symptom": "pain",
        "body_site": "hip",
        "severity": "6",
        "is_new": "yes",
        "is_worse": "yes",
        # Yesterday: today in UTC is tomorrow in her zone for part of the day.
        "started_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        "note": "",
    }
    row.update(entry)
    data = {
        "entry-TOTAL_FORMS": "1",
        "entry-INITIAL_FORMS": "0",
        "entry-MIN_NUM_FORMS": "1",
        "entry-MAX_NUM_FORMS": "10",
        "submission_token": str(uuid.uuid4()),
    }
    data.update({f"entry-0-{k}": v for k, v in row.items()})
    return client.post(reverse("checkin_create"), data, follow=True)


def test_the_confirmation_page_says_call_emergency_services_now(as_survivor, clinic):
    page = post_checkin(as_survivor, symptom="seizure", body_site="").content.decode()
    assert "Call 911 now" in page
    assert 'data-tier="emergency"' in page
    assert 'href="tel:911"' in page
    assert "This is advice to seek care, not a diagnosis." in page


def test_the_confirmation_page_says_contact_the_care_team_within_24_hours(as_survivor, clinic):
    page = post_checkin(as_survivor).content.decode()
    assert "Contact your care team within 24 hours" in page
    assert f'href="tel:{clinic.care_team_phone}"' in page
    assert "not a diagnosis" in page


def test_the_highest_tier_leads_when_several_rules_fire(as_survivor, survivor):
    report(survivor, ("pain", "hip", 6, True, True, ""))
    page = post_checkin(as_survivor, symptom="trouble_walking", body_site="").content.decode()
    assert 'data-tier="emergency"' in page
    assert page.index("Call 911 now") < page.index("trouble standing or walking")


def test_a_harmless_checkin_gets_a_calm_confirmation(as_survivor):
    page = post_checkin(as_survivor, symptom="pain", body_site="knee", is_new="no", is_worse="no", severity="2")
    assert "Nothing you reported needs action right now" in page.content.decode()


def test_open_flags_and_their_advice_show_on_the_home_page(as_survivor, survivor):
    report(survivor, ("jaundice", None, 4, True, False, ""))
    page = as_survivor.get(reverse("home")).content.decode()
    assert "Yellow skin or yellow whites of the eyes should be looked at soon." in page
    assert "not a diagnosis" in page


def test_flag_evidence_is_escaped_on_staff_pages(client, nurse, survivor):
    checkin = report(survivor, ("other", None, 4, True, True, "bad headache <b>since</b> monday"))
    client.force_login(nurse)
    page = client.get(reverse("checkin_detail", args=[checkin.pk])).content.decode()
    assert "<b>since</b>" not in page and "&lt;b&gt;since&lt;/b&gt;" in page
    assert FlagEntry.objects.exists()


def test_load_defaults_is_idempotent_and_keeps_admin_changes(clinic_admin):
    assert rules_load_defaults()["created"] == 0  # the fixture loaded them already
    counts = rules_load_defaults()
    assert counts["created"] == 0 and counts["updated"] == 0
    rule = Rule.objects.get(slug="headache")
    data = {n: getattr(rule.current, n) for n in RULE_FIELDS}
    rule_save(by=clinic_admin, slug="headache", rule=rule, data={**data, "advice": "Our own words."})
    versions = RuleVersion.objects.count()
    counts = rules_load_defaults()
    assert counts["kept_admin_changes"] == 1
    assert RuleVersion.objects.count() == versions
    assert Rule.objects.get(slug="headache").current.advice == "Our own words."


def test_two_entries_that_match_one_combination_rule_make_one_flag(survivor):
    report(survivor, ("headache", None, 6, True, False, ""), ("vomiting", None, 5, True, False, ""))
    flags = Flag.objects.filter(survivor=survivor, rule__slug="headache-with-nausea-vomiting-dizziness")
    assert flags.count() == 1
    assert flags.get().attachments.count() == 2
