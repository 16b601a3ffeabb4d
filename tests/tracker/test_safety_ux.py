"""Safety first (issue 12, section 1): her page never downplays an open
flag, an emergency is one clear instruction, "I contacted my care team"
visibly takes effect, a typing mistake does not become a clinical flag, and
a call back is about her, not one flag."""

import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from followup.models import FlagEvent
from followup.reminders.loop import flag_survivor_confirm_contact
from followup.triage.actions import flag_nurse_contact, flag_nurse_resolve
from tests.factories import SymptomEntryFactory, WeightEntryFactory, entry, in_app_reminder, record_checkin
from tracker.models import AuditEvent, Flag, SymptomEntry, WeightEntry
from tracker.services.checkins import weight_record
from tracker.services.corrections import entry_mark_in_error, weight_correct, weight_mark_in_error, weight_question


@pytest.fixture(autouse=True)
def rules(default_rules):
    return default_rules


@pytest.fixture
def as_survivor(client, survivor):
    client.force_login(survivor)
    return client


def flags_of(checkin):
    return {f.rule.slug: f for f in Flag.objects.filter(attachments__entry__checkin=checkin).distinct()}


def report(survivor, code, site=None, severity=6, new=True, worse=True, note="", callback=False):
    return flags_of(record_checkin(survivor, entry(code, site, severity, new, worse, note), callback=callback))


def advice_blocks(html):
    return re.findall(r'data-tier="(\w+)"', html)


def weigh(survivor, kg, days_ago=0):
    return WeightEntryFactory(
        survivor=survivor, kg=Decimal(kg), recorded_at=timezone.now() - dt.timedelta(days=days_ago)
    )


def log_weight(survivor, kg):
    weight, _ = weight_record(survivor=survivor, value=Decimal(kg), unit="kg", submission_token=uuid.uuid4())
    return weight


# ---------------------------------------------------------------- 1. the highest tier leads


def test_the_home_headline_follows_the_highest_open_tier_not_the_newest_flag(as_survivor, survivor):
    report(survivor, "seizure")
    report(survivor, "confusion")
    report(survivor, "cough", severity=3)  # routine, and the newest
    assert set(Flag.objects.filter(status="open").values_list("tier", flat=True)) == {"emergency", "routine"}
    html = as_survivor.get(reverse("home")).content.decode()
    assert advice_blocks(html) == ["emergency"]
    assert "Call 911 now" in html
    assert "Mention this to your care team" not in html
    # Every open flag's reason is still there, emergencies first.
    tiers = re.findall(r'tier-badge tier-(\w+)"', html)
    assert tiers == ["emergency", "emergency", "routine"]


def test_the_checkin_page_leads_with_the_highest_tier_too(as_survivor, survivor):
    checkin = record_checkin(survivor, entry("cough", None, 3), entry("seizure", None, 8))
    html = as_survivor.get(reverse("checkin_detail", args=[checkin.pk])).content.decode()
    assert advice_blocks(html) == ["emergency"]


def test_an_emergency_notice_uses_the_emergency_style_and_comes_first(as_survivor, survivor):
    routine = report(survivor, "cough", severity=3)["cough-new"]
    emergency = report(survivor, "seizure")["seizure"]
    in_app_reminder(survivor, emergency, urgent=True)
    in_app_reminder(survivor, routine, urgent=False)  # sent last: newest
    html = as_survivor.get(reverse("home")).content.decode()
    notices = re.findall(r'<div class="alert ([\w-]+) [^"]*" role="status" data-notice(?:="(\w+)")?', html)
    assert notices == [("advice-emergency", "emergency"), ("alert-info", "")]
    assert "If you haven't yet, please call 911 now." in html


def test_a_notice_of_a_flag_raised_to_emergency_takes_the_emergency_style(as_survivor, survivor):
    flag = report(survivor, "seizure")["seizure"]
    in_app_reminder(survivor, flag, urgent=False)  # sent while the flag was lower
    html = as_survivor.get(reverse("home")).content.decode()
    assert 'data-notice="emergency"' in html


# ---------------------------------------------------------------- 2. the emergency page


def test_the_emergency_page_is_one_instruction_with_two_call_buttons(as_survivor, survivor, clinic):
    checkin = record_checkin(survivor, entry("seizure", None, 8), callback=True)
    html = as_survivor.get(reverse("checkin_detail", args=[checkin.pk])).content.decode()
    assert re.search(r'<a class="btn btn-danger btn-lg call-button" href="tel:911"[^>]*>Call 911</a>', html)
    assert re.search(
        rf'<a class="btn btn-outline-danger btn-lg call-button" href="tel:{clinic.care_team_phone}"[^>]*>Call my care team',
        html,
    )
    # She asked for a call back: for an emergency, never "they will call you".
    assert "will call you" not in html
    assert "don't wait for it. Call now." in html
    # Nothing else asks for her attention on this page.
    assert "I contacted my care team" not in html


def test_an_urgent_page_still_says_the_care_team_will_call_her_back(as_survivor, survivor):
    checkin = record_checkin(survivor, entry("jaundice", None, 4), callback=True)
    html = as_survivor.get(reverse("checkin_detail", args=[checkin.pk])).content.decode()
    assert advice_blocks(html) == ["urgent"]
    assert "You asked for a call back. Your care team will call you." in html


def test_the_home_page_emergency_advice_has_the_call_buttons_too(as_survivor, survivor):
    report(survivor, "seizure")
    html = as_survivor.get(reverse("home")).content.decode()
    assert 'data-call="emergency"' in html and 'data-call="care-team"' in html


# ---------------------------------------------------------------- 3. "I contacted my care team"


def test_confirming_contact_shows_on_her_page_with_her_date_and_the_button_goes(client, survivor, nurse):
    # 03:30 UTC on 10 March is still 9 March in New York, her zone.
    with time_machine.travel(dt.datetime(2026, 3, 10, 3, 30, tzinfo=dt.UTC), tick=False):
        flag = report(survivor, "jaundice")["jaundice"]
        in_app_reminder(survivor, flag, urgent=False)
        client.force_login(survivor)
        assert "Please contact your care team on" in client.get(reverse("home")).content.decode()
        assert client.post(reverse("flag_contacted", args=[flag.pk])).status_code == 302
        html = client.get(reverse("home")).content.decode()
    assert "You told us you contacted your care team on 9 March 2026." in html
    assert reverse("flag_contacted", args=[flag.pk]) not in html  # the button and the notice's link
    assert "Please contact your care team on" not in html  # the notice stopped
    assert advice_blocks(html) == ["urgent"]  # still open: still her advice
    client.force_login(nurse)
    page = client.get(reverse("nurse_flag", args=[flag.pk])).content.decode()
    assert "She told us she contacted her care team on" in page
    assert "data-she-confirmed" in page


def test_the_link_in_a_reminder_after_she_confirmed_says_so(client, survivor):
    flag = report(survivor, "jaundice")["jaundice"]
    flag_survivor_confirm_contact(flag=flag, survivor=survivor)
    client.force_login(survivor)
    html = client.get(reverse("flag_contacted", args=[flag.pk])).content.decode()
    assert "You told us you contacted your care team on" in html
    assert "Yes, I contacted them" not in html


def test_notices_stop_when_a_nurse_reaches_her_or_closes_the_flag(client, survivor, nurse):
    reached = report(survivor, "jaundice")["jaundice"]
    closed = report(survivor, "cough", severity=3)["cough-new"]
    kept = report(survivor, "headache", severity=8)["headache"]
    for flag in (reached, closed, kept):
        in_app_reminder(survivor, flag, urgent=False)
    flag_nurse_contact(flag=reached, nurse=nurse, result=FlagEvent.Result.REACHED)
    flag_nurse_resolve(flag=closed, nurse=nurse, outcome="self_care")
    client.force_login(survivor)
    html = client.get(reverse("home")).content.decode()
    assert html.count("data-notice") == 1
    assert reverse("flag_contacted", args=[kept.pk]) in html


# ---------------------------------------------------------------- 4. a weight far from her last


def post_weight(client, value, unit="kg", **extra):
    return client.post(
        reverse("weight_create"), {"value": value, "unit": unit, "submission_token": str(uuid.uuid4()), **extra}
    )


def test_a_weight_far_from_her_last_is_asked_about_keeping_what_she_typed(as_survivor, survivor):
    weigh(survivor, "71", days_ago=3)
    response = post_weight(as_survivor, "40")
    assert response.status_code == 200
    html = response.content.decode()
    assert "That&#x27;s 31 kg less than 3 days ago. Is 40 kg right?" in html
    assert 'value="40"' in html  # what she typed stays
    assert WeightEntry.objects.filter(survivor=survivor).count() == 1
    assert 'name="confirmed" value="40 kg"' in html
    # Yes: saved as she typed it.
    assert post_weight(as_survivor, "40", confirmed="40 kg").status_code == 302
    assert WeightEntry.objects.filter(survivor=survivor).order_by("-id").first().kg == Decimal("40.00")


def test_a_yes_for_another_number_is_asked_again(as_survivor, survivor):
    weigh(survivor, "71", days_ago=1)
    response = post_weight(as_survivor, "45", confirmed="40 kg")
    assert "That&#x27;s 26 kg less than yesterday. Is 45 kg right?" in response.content.decode()
    assert WeightEntry.objects.filter(survivor=survivor).count() == 1


@pytest.mark.parametrize(
    ("last", "days_ago", "value", "unit", "question"),
    [
        (
            "70",
            0,
            "154",
            "kg",
            "That's 84 kg more than earlier today. Is 154 kg right? If you weighed yourself in lb, choose lb.",
        ),
        (
            "70",
            40,
            "154",
            "kg",
            "That's 84 kg more than 40 days ago. Is 154 kg right? If you weighed yourself in lb, choose lb.",
        ),
        (
            "70",
            5,
            "70",
            "lb",
            "That's 84.3 lb less than 5 days ago. Is 70 lb right? If you weighed yourself in kg, choose kg.",
        ),
        ("70", 13, "78", "kg", "That's 8 kg more than 13 days ago. Is 78 kg right?"),
        ("70", 13, "76.9", "kg", ""),  # within 10%
        ("70", 15, "50", "kg", ""),  # a big change, but over weeks: the rules' business
        ("70", 2, "154", "lb", ""),  # the same weight, in pounds
    ],
)
def test_the_weight_question(survivor, last, days_ago, value, unit, question):
    last = weigh(survivor, last, days_ago=days_ago)
    asked = weight_question(last=last, value=Decimal(value), unit=unit, now=timezone.now(), tz=dt.UTC)
    assert asked == question


def test_a_first_weight_is_never_asked_about(as_survivor, survivor):
    assert post_weight(as_survivor, "40").status_code == 302


def test_a_weight_she_marked_in_error_is_not_the_one_a_new_weight_is_judged_against(as_survivor, survivor):
    weigh(survivor, "70", days_ago=5)
    typo = weigh(survivor, "40", days_ago=2)
    weight_mark_in_error(survivor=survivor, weight=typo)
    assert post_weight(as_survivor, "69.5").status_code == 302


# ---------------------------------------------------------------- 4. entered in error


def test_a_weight_typo_that_raised_a_flag_is_corrected_and_the_flag_closes(as_survivor, survivor):
    weigh(survivor, "71", days_ago=3)
    typo = log_weight(survivor, "40")
    flag = Flag.objects.get(survivor=survivor, rule__slug="unexplained-weight-loss", status="open")
    response = as_survivor.post(
        reverse("weight_correct", args=[typo.pk]), {"correct": "1", "value": "70.5", "unit": "kg"}
    )
    assert response.status_code == 302
    typo.refresh_from_db()
    flag.refresh_from_db()
    assert typo.entered_in_error_at is not None  # kept, marked
    right = WeightEntry.objects.get(corrects=typo)
    assert (right.kg, right.recorded_at) == (Decimal("70.50"), typo.recorded_at)
    assert (flag.status, flag.outcome) == ("closed", Flag.Outcome.ENTERED_IN_ERROR)
    assert flag.entered_in_error_at is not None
    assert not Flag.objects.filter(survivor=survivor, status="open").exists()
    # Her weight page keeps the mistake, marked.
    html = as_survivor.get(reverse("weight_create")).content.decode()
    assert "Entered in error" in html and "40.0 kg" in html


def test_a_real_loss_still_stands_after_a_correction(survivor):
    weigh(survivor, "71", days_ago=30)
    typo = log_weight(survivor, "40")
    weight_correct(survivor=survivor, weight=typo, value=Decimal("66"), unit="kg")
    flag = Flag.objects.get(survivor=survivor, rule__slug="unexplained-weight-loss")
    assert flag.status == "open" and flag.entered_in_error_at is None
    assert flag.attachments.filter(weight__kg=Decimal("66.00")).exists()


def test_a_mistaken_heavy_weight_that_made_a_real_one_look_like_a_loss_is_reassessed(survivor):
    weigh(survivor, "70", days_ago=20)
    heavy = weigh(survivor, "91", days_ago=10)  # a typo for 71: raised nothing itself
    log_weight(survivor, "70.5")  # 22% below the typo
    flag = Flag.objects.get(survivor=survivor, rule__slug="unexplained-weight-loss", status="open")
    weight_mark_in_error(survivor=survivor, weight=heavy)
    flag.refresh_from_db()
    assert (flag.status, flag.outcome) == ("closed", "entered_in_error")


def test_a_flag_a_nurse_has_opened_stays_open_marked_for_her(client, survivor, nurse):
    weigh(survivor, "71", days_ago=3)
    typo = log_weight(survivor, "40")
    flag = Flag.objects.get(survivor=survivor, rule__slug="unexplained-weight-loss")
    client.force_login(nurse)
    client.get(reverse("nurse_flag", args=[flag.pk]))  # she opened it
    weight_mark_in_error(survivor=survivor, weight=typo)
    flag.refresh_from_db()
    assert flag.status == "open" and flag.entered_in_error_at is not None
    page = client.get(reverse("nurse_flag", args=[flag.pk])).content.decode()
    assert "She marked what raised this flag as entered in error on" in page
    assert "data-entered-in-error" in page
    assert "Entered in error (she corrected her entry)" in page  # an outcome she can resolve it with
    # Staff reads stay audited.
    assert AuditEvent.objects.filter(actor=nurse, action="flag.view", object_id=str(flag.pk)).count() == 2


def test_a_withdrawn_entry_closes_a_flag_nobody_opened_and_is_kept(as_survivor, survivor):
    checkin = record_checkin(survivor, entry("jaundice", None, 4))
    flag = flags_of(checkin)["jaundice"]
    row = checkin.entries.get()
    page = as_survivor.get(reverse("entry_entered_in_error", args=[row.pk]))
    assert "Was this a mistake?" in page.content.decode()
    response = as_survivor.post(reverse("entry_entered_in_error", args=[row.pk]))
    assert response.status_code == 302
    row.refresh_from_db()
    flag.refresh_from_db()
    assert row.entered_in_error_at is not None and SymptomEntry.objects.filter(pk=row.pk).exists()
    assert (flag.status, flag.outcome) == ("closed", "entered_in_error")
    html = as_survivor.get(reverse("checkin_detail", args=[checkin.pk])).content.decode()
    assert "Entered in error" in html and "Yellow skin or eyes" in html
    assert advice_blocks(as_survivor.get(reverse("home")).content.decode()) == []


def test_a_withdrawn_emergency_stays_open_for_a_nurse_and_her_page_says_so(as_survivor, survivor, nurse, client):
    checkin = record_checkin(survivor, entry("seizure", None, 8))
    flag = flags_of(checkin)["seizure"]
    entry_mark_in_error(survivor=survivor, entry=checkin.entries.get())
    flag.refresh_from_db()
    assert flag.status == "open" and flag.entered_in_error_at is not None
    html = as_survivor.get(reverse("home")).content.decode()
    assert advice_blocks(html) == []  # no "Call 911" headline for what she withdrew...
    assert "data-withdrawn" in html and "A nurse from your care team will check with you." in html
    assert "If you do have these signs, call 911 now." in html  # ...but never silence
    client.force_login(nurse)
    assert "Please check with her" in client.get(reverse("nurse_flag", args=[flag.pk])).content.decode()


def test_a_flag_that_stands_on_another_entry_is_left_as_it_was(survivor):
    first = record_checkin(survivor, entry("jaundice", None, 4))
    second = record_checkin(survivor, entry("jaundice", None, 5))
    flag = flags_of(first)["jaundice"]
    assert flags_of(second)["jaundice"] == flag
    entry_mark_in_error(survivor=survivor, entry=second.entries.get())
    flag.refresh_from_db()
    assert flag.status == "open" and flag.entered_in_error_at is None


def test_a_new_match_after_a_withdrawal_makes_the_flag_stand_again(as_survivor, survivor):
    checkin = record_checkin(survivor, entry("seizure", None, 8))
    entry_mark_in_error(survivor=survivor, entry=checkin.entries.get())
    report(survivor, "seizure")
    assert advice_blocks(as_survivor.get(reverse("home")).content.decode()) == ["emergency"]


def test_the_rules_read_what_stands(survivor):
    # A cough on three days in two weeks is urgent; one of the three was a mistake.
    for days_ago in (6, 3):
        with time_machine.travel(timezone.now() - dt.timedelta(days=days_ago)):
            report(survivor, "cough", severity=3)
    mistaken = SymptomEntry.objects.filter(survivor=survivor).order_by("created_at").first()
    entry_mark_in_error(survivor=survivor, entry=mistaken)
    assert "persistent-cough" not in report(survivor, "cough", severity=3)


def test_an_entry_can_be_withdrawn_once_and_only_by_her(client, survivor, same_clinic_survivor, nurse):
    checkin = record_checkin(survivor, entry("jaundice", None, 4))
    row = checkin.entries.get()
    for person in (same_clinic_survivor, nurse):
        client.force_login(person)
        assert client.post(reverse("entry_entered_in_error", args=[row.pk])).status_code == 404
    row.refresh_from_db()
    assert row.entered_in_error_at is None
    entry_mark_in_error(survivor=survivor, entry=row)
    client.force_login(survivor)
    response = client.post(reverse("entry_entered_in_error", args=[row.pk]), follow=True)
    assert "You have already marked this as entered in error." in response.content.decode()


def test_a_weight_can_be_removed_and_a_second_correction_is_refused(as_survivor, survivor):
    first = weigh(survivor, "70", days_ago=1)
    url = reverse("weight_correct", args=[first.pk])
    assert as_survivor.post(url, {"remove": "1"}).status_code == 302
    first.refresh_from_db()
    assert first.entered_in_error_at is not None and not WeightEntry.objects.filter(corrects=first).exists()
    html = as_survivor.post(url, {"correct": "1", "value": "71", "unit": "kg"}).content.decode()
    assert "You have already corrected or removed this weight." in html
    assert WeightEntry.objects.filter(survivor=survivor).count() == 1


def test_a_correction_out_of_range_is_explained_by_the_field(as_survivor, survivor):
    first = weigh(survivor, "70", days_ago=1)
    response = as_survivor.post(
        reverse("weight_correct", args=[first.pk]), {"correct": "1", "value": "7", "unit": "kg"}
    )
    assert response.status_code == 200
    assert "between 20 and 300 kg" in " ".join(response.context["form"].errors["value"])
    first.refresh_from_db()
    assert first.entered_in_error_at is None


def test_the_charts_leave_out_what_she_marked_in_error(survivor):
    from tracker.selectors.history import history_chart

    weigh(survivor, "70", days_ago=2)
    typo = weigh(survivor, "40", days_ago=1)
    SymptomEntryFactory(checkin__survivor=survivor)
    gone = SymptomEntryFactory(checkin__survivor=survivor)
    WeightEntry.objects.filter(pk=typo.pk).update(entered_in_error_at=timezone.now())
    SymptomEntry.objects.filter(pk=gone.pk).update(entered_in_error_at=timezone.now())
    chart = history_chart(survivor=survivor, days=90, tz=dt.UTC)
    assert [w["y"] for w in chart["weights"]] == [70.0]
    assert len(chart["symptoms"]) == 1


# ---------------------------------------------------------------- 5. call back, one truth


@pytest.fixture
def two_flags_with_call_back(survivor):
    jaundice = report(survivor, "jaundice", callback=True)["jaundice"]
    headache = report(survivor, "headache", severity=8, callback=True)["headache"]
    return jaundice, headache


def call_back_wanted(survivor):
    return set(Flag.objects.filter(survivor=survivor, status="open").values_list("callback_wanted", flat=True))


@pytest.mark.parametrize(("result", "cleared"), [("reached", True), ("left_message", False), ("no_answer", False)])
def test_a_call_from_the_flag_page_answers_her_call_back_on_all_her_flags(
    client, nurse, survivor, two_flags_with_call_back, result, cleared
):
    jaundice, _ = two_flags_with_call_back
    client.force_login(nurse)
    client.post(
        reverse("nurse_flag", args=[jaundice.pk]), {"contact": "1", "contact-result": result, "contact-note": ""}
    )
    assert FlagEvent.objects.filter(flag=jaundice, result=result).exists()
    assert call_back_wanted(survivor) == ({False} if cleared else {True})


@pytest.mark.parametrize(("result", "cleared"), [("reached", True), ("left_message", False)])
def test_a_call_from_the_call_list_answers_her_call_back_on_all_her_flags(
    client, nurse, survivor, two_flags_with_call_back, result, cleared
):
    client.force_login(nurse)
    client.post(reverse("call_lists"), {"survivor": survivor.pk, "result": result, "note": ""})
    assert call_back_wanted(survivor) == ({False} if cleared else {True})


def test_her_record_marks_what_she_entered_in_error(client, survivor, nurse):
    import csv
    import io

    with time_machine.travel(dt.datetime(2026, 3, 10, 3, 30, tzinfo=dt.UTC), tick=False):
        typo = weigh(survivor, "40")
        weigh(survivor, "70")
        weight_mark_in_error(survivor=survivor, weight=typo)
    client.force_login(nurse)
    response = client.get(reverse("survivor_export", args=[survivor.pk]))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    marks = {row["weight"]: row["entered in error (her time zone)"] for row in rows if row["type"] == "weight"}
    assert marks == {"40.0": "2026-03-09 23:30", "70.0": ""}  # her zone, and kept
    assert AuditEvent.objects.filter(actor=nurse, action="survivor.export").exists()  # staff reads stay audited
