"""Her weekly question about her hormone tablets (issue 15): asked only while
her plan says she takes them, required then, saved on the check-in, enough
for a check-in on its own, and read by the shipped rule "Hormone therapy
stopped or often missed" (a routine flag for a nurse to talk it through).
Runs on PostgreSQL and SQLite alike."""

import datetime as dt
import re
import uuid

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import entry as entry_data
from tests.tracker.test_checkin import entry as checkin_row
from tests.tracker.test_checkin import post_data as checkin_post_data
from tracker.forms.checkin import local_today
from tracker.models import CheckIn, Flag, FlagEntry, Plan, PlanTemplate, SymptomEntry
from tracker.services.checkins import checkin_create
from tracker.services.corrections import entry_mark_in_error

URL = reverse("checkin_create")
QUESTION = b"Your hormone tablets this week"
SLUG = "endocrine-stopped-or-missed"


def plan_for(survivor, nurse, *, start: dt.date | None = dt.date(2025, 1, 10), end: dt.date | None = None) -> Plan:
    # A row is enough: these tests are about the check-in, not starting a plan.
    template = PlanTemplate.objects.create(clinic=survivor.clinic, name=f"Plan {uuid.uuid4().hex[:6]}")
    return Plan.objects.create(
        survivor=survivor,
        template=template,
        diagnosis_on=dt.date(2024, 11, 1),
        endocrine_start_on=start,
        endocrine_end_on=end,
        started_on=dt.date(2025, 1, 1),
        started_by=nurse,
    )


@pytest.fixture
def on_tablets(survivor, nurse):
    return plan_for(survivor, nurse)


def post_data(survivor, *, answer: str | None = None, symptom: bool = False, note: str = "", callback=False) -> dict:
    # An untouched row (the date the form offers, nothing else), or a symptom on it.
    today = local_today(survivor).isoformat()
    row = (
        checkin_row(0, body_site="knee", severity="5", is_worse="no", note=note, started_on=today)
        if symptom
        else {"entry-0-started_on": today}
    )
    data = checkin_post_data(row, callback=callback)
    if answer is not None:
        data["endocrine_answer"] = answer
    return data


# ---------------------------------------------------------------- asked or not


@pytest.mark.parametrize(
    ("plan", "asked"),
    [
        (None, False),  # no plan
        ({"start": None}, False),  # a plan, no hormone therapy
        ({"end": dt.date(2026, 1, 1)}, False),  # she finished (or stopped) it: her plan says so
        ({}, True),
    ],
)
def test_the_question_is_asked_only_while_her_plan_says_she_takes_them(client, survivor, nurse, plan, asked):
    if plan is not None:
        plan_for(survivor, nurse, **plan)
    client.force_login(survivor)
    response = client.get(URL)
    assert (QUESTION in response.content) is asked
    assert ("endocrine_answer" in response.context["form"].fields) is asked
    if asked:
        for words in (b"I took them as prescribed", b"I missed some", b"I have stopped taking them"):
            assert words in response.content
        assert b'type="radio" name="endocrine_answer"' in response.content


def test_when_not_asked_an_answer_sent_anyway_is_not_saved(client, survivor):
    client.force_login(survivor)
    response = client.post(URL, post_data(survivor, answer="stopped", symptom=True))
    assert response.status_code == 302
    assert CheckIn.objects.get(survivor=survivor).endocrine_answer == ""


def test_when_not_asked_a_check_in_still_needs_a_symptom(client, survivor):
    client.force_login(survivor)
    response = client.post(URL, post_data(survivor, answer="stopped"))
    assert response.status_code == 200
    # As before issue 15: the first row must be filled in.
    assert response.context["formset"].forms[0].errors["symptom"] == ["Please choose what you noticed."]
    assert not CheckIn.objects.exists()


# ---------------------------------------------------------------- required, kept, saved


def test_when_asked_it_is_required_with_a_clear_error_by_the_field_and_keeps_what_she_typed(
    client, survivor, on_tablets
):
    client.force_login(survivor)
    response = client.post(URL, post_data(survivor, symptom=True, note="my knees ache in the morning"))
    assert response.status_code == 200
    assert not CheckIn.objects.exists()
    message = "Please tell us how your hormone tablets went this week."
    assert response.context["form"].errors["endocrine_answer"] == [message]
    page = response.content.decode()
    assert 'id="id_endocrine_answer_error"' in page and message in page
    assert 'href="#id_endocrine_answer_0"' in page  # the error summary links to her first answer
    assert "my knees ache in the morning" in page


def test_an_answer_outside_the_choices_is_refused_by_the_field(client, survivor, on_tablets):
    client.force_login(survivor)
    response = client.post(URL, post_data(survivor, answer="sometimes", symptom=True))
    assert response.status_code == 200
    assert response.context["form"].errors["endocrine_answer"] == [
        "Please choose one of the answers about your hormone tablets."
    ]


def test_her_answer_is_kept_when_she_adds_another_symptom(client, survivor, on_tablets):
    client.force_login(survivor)
    data = post_data(survivor, answer="missed_some", symptom=True)
    data["add_entry"] = "1"
    response = client.post(URL, data)
    assert response.status_code == 200
    assert not response.context["form"].is_bound  # no error shown for what she has not finished
    assert response.context["form"]["endocrine_answer"].value() == "missed_some"
    [tag] = re.findall(
        r'<input type="radio" name="endocrine_answer" value="missed_some"[^>]*>', response.content.decode()
    )
    assert " checked" in tag


@pytest.mark.parametrize("answer", ["taken", "missed_some", "stopped"])
def test_her_answer_is_saved_with_her_symptoms(client, survivor, on_tablets, answer):
    client.force_login(survivor)
    response = client.post(URL, post_data(survivor, answer=answer, symptom=True))
    checkin = CheckIn.objects.get(survivor=survivor)
    assert response.status_code == 302
    assert checkin.endocrine_answer == answer
    assert checkin.entries.count() == 1


def test_her_answer_alone_is_a_check_in(client, survivor, on_tablets, default_rules):
    client.force_login(survivor)
    response = client.post(URL, post_data(survivor, answer="stopped", callback=True))
    checkin = CheckIn.objects.get(survivor=survivor)
    assert response.status_code == 302
    assert (checkin.endocrine_answer, checkin.entries.count()) == ("stopped", 0)
    # The flag is raised on the answer itself, and her page gives its advice.
    flag = Flag.objects.get(survivor=survivor)
    assert (flag.rule.slug, flag.tier, flag.callback_wanted) == (SLUG, "routine", True)
    page = client.get(response["Location"]).content.decode()
    assert "A nurse will call you to talk it through" in page
    assert "Hormone tablets this week: I have stopped taking them" in page
    assert "Nothing you reported needs action" not in page


# ---------------------------------------------------------------- the service


def test_the_service_refuses_an_answer_outside_the_choices_and_an_empty_check_in(survivor):
    with pytest.raises(ValidationError):
        checkin_create(
            survivor=survivor, entries=[], callback_requested=False, submission_token=uuid.uuid4(), endocrine_answer="x"
        )
    with pytest.raises(ValidationError):
        checkin_create(survivor=survivor, entries=[], callback_requested=False, submission_token=uuid.uuid4())
    assert not CheckIn.objects.exists()


def _check_in(survivor, answer: str, *entries) -> CheckIn:
    checkin, created = checkin_create(
        survivor=survivor,
        entries=list(entries),
        callback_requested=False,
        submission_token=uuid.uuid4(),
        endocrine_answer=answer,
    )
    assert created
    return checkin


def _flags(survivor) -> dict[str, Flag]:
    return {flag.rule.slug: flag for flag in Flag.objects.filter(survivor=survivor).select_related("rule")}


def test_the_shipped_rule_end_to_end_stopped_raises_a_routine_flag_with_its_evidence(survivor, default_rules):
    checkin = _check_in(survivor, "stopped")
    flag = _flags(survivor)[SLUG]
    assert flag.tier == "routine" and flag.status == Flag.Status.OPEN
    assert flag.evidence == "hormone tablets this week: stopped"
    link = FlagEntry.objects.get(flag=flag)
    assert (link.checkin_id, link.entry_id, link.weight_id, link.tier) == (checkin.pk, None, None, "routine")


def test_the_shipped_rule_end_to_end_missed_once_then_twice_in_four_weeks(survivor, default_rules):
    start = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        _check_in(survivor, "missed_some")
    assert _flags(survivor) == {}
    with time_machine.travel(start + dt.timedelta(days=7), tick=False):
        _check_in(survivor, "taken")
    assert _flags(survivor) == {}
    with time_machine.travel(start + dt.timedelta(days=21), tick=False):
        second = _check_in(survivor, "missed_some")
    flag = _flags(survivor)[SLUG]
    assert flag.tier == "routine"
    assert flag.evidence == "hormone tablets this week: missed some; 2 times in the last 28 days"
    assert FlagEntry.objects.get(flag=flag).checkin_id == second.pk


def test_misses_eight_weeks_apart_raise_nothing(survivor, default_rules):
    start = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        _check_in(survivor, "missed_some")
    with time_machine.travel(start + dt.timedelta(days=56), tick=False):
        _check_in(survivor, "missed_some")
    assert _flags(survivor) == {}


def test_taken_raises_nothing_and_side_effects_are_read_as_usual(survivor, default_rules):
    _check_in(survivor, "taken", entry_data("pain", "knee", 6, True, False, ""))
    flags = _flags(survivor)
    assert SLUG not in flags
    assert flags["new-pain-elsewhere"].tier == "routine"
    # ...and an emergency beside a stop is still an emergency.
    _check_in(survivor, "stopped", entry_data("weakness", "leg", 6, True, True, ""))
    flags = _flags(survivor)
    assert flags["mscc-leg-weakness-numbness"].tier == "emergency"
    assert flags[SLUG].tier == "routine"


def test_an_entry_marked_in_error_does_not_withdraw_the_flag_on_her_answer(survivor, default_rules):
    checkin = _check_in(survivor, "stopped", entry_data("pain", "knee", 6, True, False, ""))
    row = SymptomEntry.objects.get(checkin=checkin)
    entry_mark_in_error(survivor=survivor, entry=row)
    flags = _flags(survivor)
    assert flags[SLUG].status == Flag.Status.OPEN
    assert flags["new-pain-elsewhere"].status == Flag.Status.CLOSED


# ---------------------------------------------------------------- shown


def test_her_history_and_a_nurse_s_views_show_her_answer(client, survivor, nurse, default_rules):
    checkin = _check_in(survivor, "missed_some", entry_data("pain", "knee", 3, False, False, ""))
    words = "Hormone tablets this week: I missed some"
    client.force_login(survivor)
    assert words in client.get(reverse("home")).content.decode()
    assert words in client.get(reverse("checkin_detail", args=[checkin.pk])).content.decode()
    client.force_login(nurse)
    assert words in client.get(reverse("checkin_detail", args=[checkin.pk])).content.decode()
    assert words in client.get(reverse("survivor_history", args=[survivor.pk])).content.decode()


def test_a_check_in_without_the_question_shows_no_answer_line(client, survivor, default_rules):
    checkin = _check_in(survivor, "", entry_data("pain", "knee", 3, False, False, ""))
    client.force_login(survivor)
    assert b"data-endocrine-answer" not in client.get(reverse("checkin_detail", args=[checkin.pk])).content


def test_an_outsider_nurse_sees_neither_the_check_in_nor_her_answer(client, survivor, other_nurse, default_rules):
    checkin = _check_in(survivor, "stopped")
    client.force_login(other_nurse)
    assert client.get(reverse("checkin_detail", args=[checkin.pk])).status_code == 404


def test_a_rule_preview_counts_answers_for_an_answer_rule(survivor, clinic, default_rules):
    from tracker.evaluation.preview import rule_preview

    _check_in(survivor, "stopped")
    _check_in(survivor, "taken", entry_data("pain", "knee", 3, False, False, ""))
    result = rule_preview(
        condition={"endocrine": {"answers": ["stopped"]}}, tier="routine", days=30, clinic_ids=[clinic.pk]
    ).as_json()
    assert (result["scanned"], result["draft"]) == (2, {"entries": 1, "checkins": 1, "survivors": 1})
    assert result["by_symptom"] == [
        {"side": "draft", "tier": "routine", "symptom": "endocrine", "body_site": "", "matches": 1}
    ]


def test_a_nurse_sees_the_flag_on_her_answer_in_the_queue_and_on_its_page(client, survivor, nurse, default_rules):
    _check_in(survivor, "stopped")
    flag = _flags(survivor)[SLUG]
    client.force_login(nurse)
    queue = client.get(reverse("flag_queue")).content.decode()
    assert "Hormone therapy stopped or often missed" in queue
    page = client.get(reverse("nurse_flag", args=[flag.pk]))
    assert page.status_code == 200
    assert "hormone tablets this week: stopped" in page.content.decode()
    assert "Call to talk it through" in page.content.decode()  # the rule's note for nurses


# ---------------------------------------------------------------- what the page marks required


def _first_row(page: str) -> tuple[str, str]:
    """The first symptom row's "What did you notice?" and "When did it start?" markup."""
    symptom = re.search(r'<label\s+for="id_entry-0-symptom".*?</select>', page, re.S)
    started = re.search(r'<label\s+for="id_entry-0-started_on".*?<input[^>]*>', page, re.S)
    assert symptom and started
    return symptom.group(0), started.group(0)


def test_when_asked_the_first_symptom_row_is_not_marked_required(client, survivor, on_tablets):
    client.force_login(survivor)
    for response in (client.get(URL), client.post(URL, {**post_data(survivor, answer="taken"), "add_entry": "1"})):
        for markup in _first_row(response.content.decode()):
            assert "asteriskField" not in markup and " required" not in markup, markup


def test_when_not_asked_the_first_symptom_row_is_marked_required(client, survivor):
    client.force_login(survivor)
    for markup in _first_row(client.get(URL).content.decode()):
        assert "asteriskField" in markup  # (a formset's rows never carry the attribute: Django's choice)


def test_when_asked_a_partly_filled_row_is_still_checked_field_by_field(client, survivor, on_tablets):
    client.force_login(survivor)
    data = post_data(survivor, answer="taken")
    data.update({"entry-0-symptom": "pain", "entry-0-body_site": "knee", "entry-0-started_on": ""})
    response = client.post(URL, data)
    assert response.status_code == 200
    assert not CheckIn.objects.exists()
    errors = response.context["formset"].forms[0].errors
    assert errors["severity"] == ["Please choose how bad it is, from 0 (none) to 10 (worst imaginable)."]
    assert errors["is_new"] == ["Please answer yes or no."]
    assert errors["started_on"] == ["Please give the date it started."]
    assert "symptom" not in errors
