"""Her follow-up plan, her side (issue 15): "My follow-up" in each state, the
calendar file, "bring to your visit" and her questions, and who may open
them. Plans are made as rows (tests/factories.py): the nurse's services
that start them are tested with them."""

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from icalendar import Calendar

from tests.factories import (
    CheckInFactory,
    PlanFactory,
    PlanItemFactory,
    SymptomEntryFactory,
    WeightEntryFactory,
    symptom,
)
from tracker.models import PlanChange, PlanItem
from tracker.plans.defaults import ASCO_2013_SOURCE
from tracker.selectors.her_plan import plan_for_survivor, visit_summary
from tracker.services.her_plan import plan_item_questions_save

# Her today: Wednesday 10 March 2027 (in New York, her default zone, too).
NOW = dt.datetime(2027, 3, 10, 17, 0, tzinfo=dt.UTC)
LOGIN = reverse("login")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def plan(survivor):
    return PlanFactory(survivor=survivor)


def item(plan, **fields):
    return PlanItemFactory(plan=plan, **fields)


def section(html: str, name: str) -> str:
    """The text of one section of her page (data-plan="...")."""
    match = re.search(rf'data-plan="{name}">(.*?)</section>', html, re.S)
    assert match, f"no {name} section"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))


def page(client_for, who):
    response = client_for(who).get(reverse("my_followup"))
    assert response.status_code == 200
    return response.content.decode()


# ---------------------------------------------------------------- My follow-up


def test_it_says_calmly_when_she_has_no_plan_yet(client_for, survivor):
    html = page(client_for, survivor)
    assert "Your care team has not set up your follow-up plan yet" in html
    assert "555-0100" in section(html, "none")  # her care team's number, to ask


def test_it_shows_each_item_where_it_belongs(client_for, survivor, plan):
    coming = item(plan, opens_on=dt.date(2027, 4, 1), due_by=dt.date(2027, 7, 1))
    open_now = item(plan, kind="mammogram", key="mammogram", opens_on=dt.date(2027, 3, 3), due_by=dt.date(2027, 6, 3))
    booked = item(
        plan,
        opens_on=dt.date(2027, 3, 1),
        due_by=dt.date(2027, 5, 1),
        state="booked",
        booked_at=dt.datetime(2027, 3, 22, 14, 30, tzinfo=dt.UTC),
        booked_place="Riverside clinic, room 4",
    )
    missed = item(plan, opens_on=dt.date(2026, 10, 1), due_by=dt.date(2027, 1, 31), state="missed", missed_at=NOW)
    # Past its window, not yet marked by the sweep: overdue all the same.
    late = item(
        plan,
        kind="blood_test",
        key="",
        label="Bone density scan",
        opens_on=dt.date(2026, 12, 1),
        due_by=dt.date(2027, 2, 28),
    )
    done = item(
        plan, opens_on=dt.date(2026, 11, 1), due_by=dt.date(2027, 2, 1), state="done", done_on=dt.date(2027, 1, 20)
    )
    dropped = item(
        plan, kind="imaging", key="", opens_on=dt.date(2027, 5, 1), due_by=dt.date(2027, 6, 1), state="not_needed"
    )

    html = page(client_for, survivor)

    upcoming = section(html, "upcoming")
    assert "Mammogram" in upcoming and "Check-up with your care team" in upcoming
    assert "between 3 March and 3 June 2027" in upcoming  # a window in plain words
    assert "between 1 April and 1 July 2027" in upcoming
    assert upcoming.count("You can book it now") == 1  # the mammogram's window is open, the visit's not yet
    assert reverse("plan_item_visit", args=[open_now.pk]) in html

    booked_text = section(html, "booked")
    assert "Monday 22 March 2027 at 10:30 a.m." in booked_text  # 14:30 UTC in New York (EDT)
    assert "Riverside clinic, room 4" in booked_text
    assert reverse("plan_item_calendar", args=[booked.pk]) in html

    overdue = section(html, "overdue")
    assert (
        "due by 31 January 2027" in overdue and "Bone density scan" in overdue and "due by 28 February 2027" in overdue
    )
    assert "please call your care team to book" in overdue
    assert "555-0100" in overdue

    assert "Check-up with your care team: done on 20 January 2027" in section(html, "done")
    assert "Other imaging" in section(html, "not-needed")

    for row, where in [
        (coming, "upcoming"),
        (open_now, "upcoming"),
        (booked, "booked"),
        (missed, "overdue"),
        (late, "overdue"),
        (done, "done"),
        (dropped, "not-needed"),
    ]:
        others = {"upcoming", "booked", "overdue", "done", "not-needed"} - {where}
        for other in others:
            if f'data-plan="{other}"' in html:
                assert f'data-item="{row.pk}"' not in re.search(
                    rf'data-plan="{other}">(.*?)</section>', html, re.S
                ).group(1)


def test_dates_and_times_sit_next_to_their_punctuation(client_for, survivor, plan, booked):
    """The window and booking includes end without a newline: "2027 ." once
    showed on every item."""
    item(plan, opens_on=dt.date(2027, 5, 1), due_by=dt.date(2027, 8, 1))  # coming up: "Due between ... 2027."
    item(plan, opens_on=dt.date(2027, 4, 1), due_by=dt.date(2028, 4, 1), state="not_needed")  # "(... 2028)"
    page = re.sub(r"<[^>]+>", "", client_for(survivor).get(reverse("my_followup")).content.decode())
    assert re.search(r"\d{4}\s+[.,)]", page) is None
    assert re.search(r"(a\.m\.|p\.m\.|\d\d:\d\d)\s+,", page) is None


def test_it_shows_where_her_plan_comes_from(client_for, survivor, plan):
    source = section(page(client_for, survivor), "source")
    assert "Breast cancer follow-up (ASCO guidance, 2013)" in source
    assert ASCO_2013_SOURCE in source
    assert "advises against routine scans" in source  # the source note, in her words


def test_a_booked_time_is_her_day_where_she_lives(client_for, survivor, plan):
    survivor.time_zone = "America/Los_Angeles"
    survivor.save(update_fields=["time_zone"])
    item(
        plan,
        state="booked",
        booked_at=dt.datetime(2027, 3, 20, 1, 30, tzinfo=dt.UTC),
        opens_on=dt.date(2027, 3, 1),
        due_by=dt.date(2027, 5, 1),
    )
    booked = section(page(client_for, survivor), "booked")
    assert "Friday 19 March 2027 at 6:30 p.m." in booked  # 01:30 UTC on the 20th is the evening before in LA
    assert "20 March" not in booked


def test_her_today_decides_what_is_overdue(survivor, plan):
    # 04:00 UTC on 1 March is still 28 February in Los Angeles: not yet late.
    survivor.time_zone = "America/Los_Angeles"
    row = item(plan, opens_on=dt.date(2027, 1, 1), due_by=dt.date(2027, 2, 28))
    with time_machine.travel(dt.datetime(2027, 3, 1, 4, 0, tzinfo=dt.UTC), tick=False):
        assert [h.item for h in plan_for_survivor(survivor=survivor).upcoming] == [row]
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        assert [h.item for h in plan_for_survivor(survivor=survivor).overdue] == [row]


def test_her_home_and_menu_link_to_her_follow_up(client_for, survivor):
    html = client_for(survivor).get(reverse("home")).content.decode()
    assert html.count(f'href="{reverse("my_followup")}"') == 2


# ---------------------------------------------------------------- calendar


@pytest.fixture
def booked(plan):
    return item(
        plan,
        label="Check-up about the lymphoedema",
        note="Bring your tamoxifen and the scan of your left breast",
        opens_on=dt.date(2027, 3, 1),
        due_by=dt.date(2027, 5, 1),
        state="booked",
        booked_at=dt.datetime(2027, 3, 20, 1, 30, tzinfo=dt.UTC),
        booked_place="Riverside clinic, room 4",
    )


def test_a_booked_item_downloads_as_one_calendar_event(client_for, survivor, booked):
    response = client_for(survivor).get(reverse("plan_item_calendar", args=[booked.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"].startswith("attachment;")
    calendar = Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert event.decoded("dtstart") == dt.datetime(2027, 3, 20, 1, 30, tzinfo=dt.UTC)
    assert b"DTSTART:20270320T013000Z" in response.content
    assert str(event["summary"]) == "Follow-up appointment"
    assert str(event["location"]) == "Riverside clinic, room 4"
    text = response.content.decode().lower()
    for word in ("lymphoedema", "tamoxifen", "breast", "scan", "check-up"):
        assert word not in text, word
    again = Calendar.from_ical(client_for(survivor).get(reverse("plan_item_calendar", args=[booked.pk])).content)
    assert str(again.walk("VEVENT")[0]["uid"]) == str(event["uid"])  # the same event, updated on import


def test_a_mammogram_is_not_named_in_her_calendar(client_for, survivor, plan):
    """Her calendar may be shared or shown on a locked phone."""
    row = item(plan, kind="mammogram", key="mammogram", state="booked", booked_at=NOW + dt.timedelta(days=9))
    response = client_for(survivor).get(reverse("plan_item_calendar", args=[row.pk]))
    assert str(Calendar.from_ical(response.content).walk("VEVENT")[0]["summary"]) == "Follow-up appointment"
    assert b"ammogram" not in response.content


def test_only_a_booked_item_has_a_calendar_file(client_for, survivor, plan):
    row = item(plan)
    assert client_for(survivor).get(reverse("plan_item_calendar", args=[row.pk])).status_code == 404


# ---------------------------------------------------------------- bring to your visit


def test_her_summary_has_her_symptoms_flags_and_weights_since_her_last_visit(
    client_for, survivor, same_clinic_survivor, plan, her_record
):
    item(plan, state="done", done_on=dt.date(2027, 2, 1), opens_on=dt.date(2026, 12, 1), due_by=dt.date(2027, 2, 20))
    coming = item(plan, opens_on=dt.date(2027, 3, 1), due_by=dt.date(2027, 6, 1))
    before = CheckInFactory(survivor=survivor)
    SymptomEntryFactory(checkin=before, symptom=symptom("fatigue"), created_at=dt.datetime(2027, 1, 5, tzinfo=dt.UTC))
    SymptomEntryFactory(checkin=her_record.checkin, severity=7)  # a second headache, today
    theirs = CheckInFactory(survivor=same_clinic_survivor)
    SymptomEntryFactory(checkin=theirs, symptom=symptom("nausea"))
    WeightEntryFactory(survivor=survivor, kg=66, recorded_at=dt.datetime(2027, 2, 10, tzinfo=dt.UTC))
    WeightEntryFactory(survivor=same_clinic_survivor, kg=99)

    response = client_for(survivor).get(reverse("plan_item_visit", args=[coming.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "since your last visit on 1 February 2027" in html
    symptoms = section_of(html, "symptoms")
    assert "Headache" in symptoms and " 2 " in symptoms and " 7 " in symptoms
    assert "Fatigue" not in symptoms  # before her last visit
    assert "Nausea" not in html  # not hers
    assert her_record.rule.current.advice in section_of(html, "flags")
    weight = section_of(html, "weight")
    assert "From 66.0 kg" in weight and "to 65.0 kg" in weight and "Down 1.0 kg" in weight
    assert "99" not in weight


def section_of(html: str, name: str) -> str:
    match = re.search(rf'data-visit="{name}">(.*?)</section>', html, re.S)
    assert match, f"no {name} section"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))


def test_with_no_visit_done_it_covers_her_last_90_days(survivor, plan):
    summary = visit_summary(survivor=survivor, item=item(plan))
    assert not summary.since_last_visit
    assert summary.since == dt.date(2027, 3, 10) - dt.timedelta(days=90)
    assert summary.symptoms == [] and summary.flags == [] and summary.weights is None


def test_her_questions_are_saved_and_kept_in_the_plans_history(client_for, survivor, plan):
    row = item(plan)
    response = client_for(survivor).post(
        reverse("plan_item_visit", args=[row.pk]), {"her_questions": "  Can I swim again?\nWhen is my next scan?  "}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.her_questions == "Can I swim again?\nWhen is my next scan?"
    change = PlanChange.objects.get(item=row)
    assert (change.action, change.by) == ("note", survivor)
    html = client_for(survivor).get(reverse("plan_item_visit", args=[row.pk])).content.decode()
    assert "Can I swim again?" in section_of(html, "questions")


def test_too_long_questions_are_refused_by_the_field_keeping_what_she_typed(client_for, survivor, plan):
    row = item(plan, her_questions="Old question")
    typed = "Will it come back? " * 106  # 2014 characters
    response = client_for(survivor).post(reverse("plan_item_visit", args=[row.pk]), {"her_questions": typed})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please keep your questions to 2000 characters" in html
    assert 'aria-invalid="true"' in html or "is-invalid" in html
    assert typed.strip() in html  # her text, back in the box
    row.refresh_from_db()
    assert row.her_questions == "Old question"
    assert not PlanChange.objects.exists()


def test_the_service_keeps_her_questions_hers_and_to_visits_still_to_come(survivor, same_clinic_survivor, plan):
    row = item(plan)
    with pytest.raises(PermissionDenied):
        plan_item_questions_save(survivor=same_clinic_survivor, item=row, text="Mine?")
    with pytest.raises(ValidationError):
        plan_item_questions_save(survivor=survivor, item=row, text="x" * 2001)
    done = item(plan, state="done", done_on=dt.date(2027, 2, 1))
    with pytest.raises(ValidationError):
        plan_item_questions_save(survivor=survivor, item=done, text="Too late")
    plan_item_questions_save(survivor=survivor, item=row, text="Same")
    plan_item_questions_save(survivor=survivor, item=row, text="Same")
    assert PlanChange.objects.filter(item=row).count() == 1  # unchanged text writes nothing


def test_a_visit_done_has_no_summary_page(client_for, survivor, plan):
    done = item(plan, state="done", done_on=dt.date(2027, 2, 1))
    assert client_for(survivor).get(reverse("plan_item_visit", args=[done.pk])).status_code == 404


def test_the_summary_prints_without_the_menu_and_buttons(client_for, survivor, plan):
    html = client_for(survivor).get(reverse("plan_item_visit", args=[item(plan).pk])).content.decode()
    assert 'href="/static/css/app.css"' in html
    css = Path(settings.BASE_DIR, "static/css/app.css").read_text()
    printed = css[css.index("@media print") :]
    hidden = printed[: printed.index("display: none")]
    for selector in ("header", "nav", ".btn", "form"):
        assert selector in hidden, selector
    assert "data-questions-printed" in html and "print-only" in html


# ---------------------------------------------------------------- who may open them


@pytest.mark.parametrize("persona", ["nurse", "clinic_admin", "other_nurse"])
def test_staff_are_refused_on_her_pages(client_for, request, survivor, booked, persona):
    who = request.getfixturevalue(persona)
    client = client_for(who)
    for url in (
        reverse("my_followup"),
        reverse("plan_item_calendar", args=[booked.pk]),
        reverse("plan_item_visit", args=[booked.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 404, (persona, url)
        assert b"Riverside clinic, room 4" not in response.content


def test_another_survivors_items_are_not_found(client_for, same_clinic_survivor, b_survivor, booked):
    for other in (same_clinic_survivor, b_survivor):
        client = client_for(other)
        assert client.get(reverse("plan_item_calendar", args=[booked.pk])).status_code == 404
        assert client.get(reverse("plan_item_visit", args=[booked.pk])).status_code == 404
        response = client.post(reverse("plan_item_visit", args=[booked.pk]), {"her_questions": "Whose?"})
        assert response.status_code == 404
        assert b"Riverside clinic, room 4" not in client.get(reverse("my_followup")).content
    booked.refresh_from_db()
    assert booked.her_questions == ""


def test_anonymous_visitors_are_sent_to_sign_in(client, booked):
    for url in (
        reverse("my_followup"),
        reverse("plan_item_calendar", args=[booked.pk]),
        reverse("plan_item_visit", args=[booked.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN), url


def test_no_health_detail_in_her_urls(booked):
    for url in (reverse("plan_item_calendar", args=[booked.pk]), reverse("plan_item_visit", args=[booked.pk])):
        assert re.fullmatch(r"/my-follow-up/\d+/[a-z.-]+/?", url), url
    assert PlanItem.objects.filter(pk=booked.pk).exists()
