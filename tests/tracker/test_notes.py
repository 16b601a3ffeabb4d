"""Her words in the app: read once when saved and kept, a nurse asked to read
what no rule understood, evidence that says what was set aside, a known
cause that lowers to routine but never hides an emergency, and the admin's
"test a sentence" box."""

import datetime as dt
import logging

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import entry, record_checkin
from tracker.evaluation.preview import rule_preview
from tracker.models import Flag, SymptomEntry
from tracker.rules.text import READING_VERSION
from tracker.services.checkins import notes_reread
from tracker.services.rules import rules_load_defaults
from tracker.services.snoozes import snooze_create


@pytest.fixture(autouse=True)
def default_rules(db):
    rules_load_defaults()


def something_else(survivor, note):
    return record_checkin(survivor, entry("other", site=None, severity=4, new=False, worse=False, note=note))


def open_flags(survivor):
    return {f.rule.slug: f for f in Flag.objects.filter(survivor=survivor, status="open").select_related("rule")}


def test_her_note_is_read_once_when_saved_and_kept_with_the_entry(survivor):
    checkin = something_else(survivor, "me duele la cadera y cada vez es peor")
    row = checkin.entries.get()
    assert row.reading["v"] == READING_VERSION and row.reading["lang"] == "es"
    assert [m["concept"] for m in row.reading["mentions"]] == ["bone_pain"]
    assert row.reading_terms.startswith(f"v{READING_VERSION} ") and " bone_pain " in row.reading_terms
    assert " site:hip " in row.reading_terms and " worse " in row.reading_terms
    flag = open_flags(survivor)["bone-pain-new-or-worse"]
    assert "note read as Spanish" in flag.evidence


def test_a_note_no_rule_understands_asks_a_nurse_to_read_her_words(survivor):
    something_else(survivor, "There is a lump under my arm that I did not notice before")
    flags = open_flags(survivor)
    assert set(flags) == {"read-her-words"}
    flag = flags["read-her-words"]
    assert flag.tier == "routine"
    assert flag.evidence.startswith("her words (English): \u201cThere is a lump under my arm")


@pytest.mark.parametrize(
    "note", ["all good this week", "no new problems", "No headache, no pain. Thanks!", "todo bien"]
)
def test_a_note_that_only_says_all_is_well_asks_nobody_to_read_it(survivor, note):
    something_else(survivor, note)
    assert open_flags(survivor) == {}


def test_a_note_a_rule_understands_raises_that_rule_not_read_her_words(survivor):
    something_else(survivor, "my lower back is killing me, worse each week")
    assert set(open_flags(survivor)) == {"bone-pain-new-or-worse"}


def test_a_snoozed_rule_that_understood_the_note_keeps_read_her_words_quiet(survivor, nurse):
    from tracker.models import Rule

    snooze_create(
        survivor=survivor,
        by=nurse,
        rule=Rule.objects.get(slug="bone-pain-new-or-worse"),
        ends_at=timezone.now() + dt.timedelta(days=10),
        reason="known arthritis of the hip",
    )
    something_else(survivor, "my hip aches again today")
    assert open_flags(survivor) == {}


def test_a_cause_she_names_lowers_an_urgent_rule_to_routine(survivor):
    something_else(survivor, "my hips ache all the time from the letrozole")
    flag = open_flags(survivor)["bone-pain-new-or-worse"]
    assert flag.tier == "routine"
    assert "she puts it down to \u201cfrom the letrozole\u201d" in flag.evidence


def test_a_cause_she_names_never_hides_an_emergency_sign(survivor):
    something_else(survivor, "my legs have gone weak and heavy, probably from the chemo")
    flag = open_flags(survivor)["mscc-leg-weakness-numbness"]
    assert flag.tier == "emergency"


def test_the_evidence_says_what_was_set_aside_and_why(survivor, client_for, nurse):
    something_else(survivor, "no hip pain, but my lower back pain is new")
    flag = open_flags(survivor)["bone-pain-new-or-worse"]
    assert "in her words: \u201clower back pain\u201d (new)" in flag.evidence
    assert "set aside: \u201chip pain\u201d (negated)" in flag.evidence
    page = client_for(nurse).get(reverse("nurse_flag", args=[flag.pk])).content.decode()
    assert "Set aside:</strong> \u201chip pain\u201d (negated)" in page


def test_her_words_give_a_site_and_a_worse_signal_that_structured_rules_use(survivor):
    # Pain of severity 8 "somewhere else", her note says where: the severe
    # spinal pain rule reads the site from her words.
    record_checkin(
        survivor, entry("pain", site="other", severity=8, new=False, worse=False, note="my lower back aches")
    )
    assert "severe-spinal-pain" in open_flags(survivor)


def test_an_earlier_note_counts_in_a_combination(survivor):
    earlier = something_else(survivor, "I have been throwing up since yesterday")
    SymptomEntry.objects.filter(checkin=earlier).update(created_at=timezone.now() - dt.timedelta(days=1))
    record_checkin(survivor, entry("headache", site=None, severity=5, new=False, worse=False))
    assert "headache-with-nausea-vomiting-dizziness" in open_flags(survivor)


def test_a_reader_failure_never_costs_her_checkin_or_logs_her_words(survivor, monkeypatch, caplog):
    def broken(note, lang=None):
        raise ValueError(f"cannot read {note}")

    monkeypatch.setattr("tracker.rules.text.read", broken)
    with caplog.at_level(logging.ERROR):
        checkin = something_else(survivor, "secret words about my hip")
    assert checkin.entries.get().reading is None
    assert "could not be read (ValueError)" in caplog.text
    assert "secret" not in caplog.text


def test_reread_notes_reads_old_rows_and_preview_reads_them_meanwhile(survivor):
    checkin = something_else(survivor, "my hip has been aching for days")
    SymptomEntry.objects.filter(checkin=checkin).update(reading=None, reading_terms="")
    preview = rule_preview(condition={"text": ["bone_pain"]}, tier="urgent", days=30, clinic_ids=[survivor.clinic_id])
    assert preview.draft.entries == 1
    assert notes_reread() == 1
    row = checkin.entries.get()
    assert row.reading_terms.startswith(f"v{READING_VERSION} ")
    assert notes_reread() == 0


def test_preview_finds_text_through_the_stored_reading(survivor):
    something_else(survivor, "my back pain is new")
    something_else(survivor, "my sister has back pain")
    preview = rule_preview(condition={"text": ["bone_pain"]}, tier="urgent", days=30, clinic_ids=[survivor.clinic_id])
    assert preview.draft.entries == 1
    # Counts only: none of her words.
    assert "back pain" not in str(preview.as_json())


def test_the_admin_can_test_a_sentence(client_for, clinic_admin):
    response = client_for(clinic_admin).post(
        reverse("rules_sentence"), {"sentence": "no headache, but my legs feel weak", "language": ""}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Read as English" in page
    assert "<code>leg_weakness</code>" in page
    assert "<code>headache</code>: \u201cheadache\u201d (negated)" in page
    assert "New weakness or numbness in the legs" in page


def test_the_sentence_box_is_bounded(client_for, clinic_admin):
    response = client_for(clinic_admin).post(reverse("rules_sentence"), {"sentence": "x" * 5000})
    assert response.status_code == 200
    assert "at most 2000 characters" in response.content.decode()
