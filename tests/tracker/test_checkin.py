import datetime as dt
import uuid

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.factories import body_site, symptom
from tracker.models import CheckIn, SymptomEntry
from tracker.services.checkins import EntryData, checkin_create

URL = reverse("checkin_create")


def entry(i: int, **over) -> dict:
    row = {
        "symptom": "pain",
        "body_site": "hip",
        "severity": "6",
        "is_new": "yes",
        "is_worse": "yes",
        "started_on": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
        "note": "",
    }
    row.update(over)
    return {f"entry-{i}-{k}": v for k, v in row.items()}


def post_data(*rows: dict, callback: bool = False, token: str | None = None) -> dict:
    data = {
        "entry-TOTAL_FORMS": str(len(rows)),
        "entry-INITIAL_FORMS": "0",
        "entry-MIN_NUM_FORMS": "1",
        "entry-MAX_NUM_FORMS": "10",
        "submission_token": token or str(uuid.uuid4()),
    }
    for row in rows:
        data.update(row)
    if callback:
        data["callback_requested"] = "on"
    return data


@pytest.fixture
def as_survivor(client, survivor):
    client.force_login(survivor)
    return client


def test_it_saves_a_checkin_with_two_symptoms(as_survivor, survivor):
    data = post_data(entry(0), entry(1, symptom="headache", body_site="", severity="4", is_worse="no"), callback=True)
    response = as_survivor.post(URL, data)
    checkin = CheckIn.objects.get(survivor=survivor)
    assert response.status_code == 302
    assert response["Location"] == reverse("checkin_detail", args=[checkin.pk])
    assert checkin.callback_requested is True
    rows = list(
        checkin.entries.order_by("id").values_list("symptom__code", "body_site__code", "severity", "is_new", "is_worse")
    )
    assert rows == [("pain", "hip", 6, True, True), ("headache", None, 4, True, False)]


def test_it_shows_the_saved_checkin_on_the_confirmation_page(as_survivor):
    response = as_survivor.post(URL, post_data(entry(0)), follow=True)
    assert response.status_code == 200
    assert b"your check-in is saved" in response.content
    assert b"Hip" in response.content


def test_it_does_not_save_twice_when_the_same_form_is_posted_again(as_survivor, survivor):
    data = post_data(entry(0))
    first = as_survivor.post(URL, data)
    second = as_survivor.post(URL, data)
    assert CheckIn.objects.filter(survivor=survivor).count() == 1
    assert SymptomEntry.objects.filter(survivor=survivor).count() == 1
    assert first["Location"] == second["Location"]


def test_the_service_returns_the_existing_checkin_for_a_repeated_token(survivor):
    token = uuid.uuid4()
    data = EntryData(
        symptom=symptom("fatigue"),
        body_site=None,
        severity=3,
        is_new=False,
        is_worse=False,
        started_on=timezone.localdate(),
    )
    first, created_first = checkin_create(
        survivor=survivor, entries=[data], callback_requested=False, submission_token=token
    )
    again, created_again = checkin_create(
        survivor=survivor, entries=[data], callback_requested=False, submission_token=token
    )
    assert (created_first, created_again) == (True, False)
    assert first.pk == again.pk


def test_the_service_refuses_an_empty_checkin(survivor):
    with pytest.raises(ValidationError):
        checkin_create(survivor=survivor, entries=[], callback_requested=False, submission_token=uuid.uuid4())


def test_the_service_saves_nothing_when_one_entry_is_invalid(survivor):
    good = EntryData(
        symptom=symptom("fatigue"),
        body_site=None,
        severity=3,
        is_new=False,
        is_worse=False,
        started_on=timezone.localdate(),
    )
    bad = EntryData(
        symptom=symptom("nausea"),
        body_site=None,
        severity=12,
        is_new=False,
        is_worse=False,
        started_on=timezone.localdate(),
    )
    with pytest.raises(ValidationError):
        checkin_create(survivor=survivor, entries=[good, bad], callback_requested=False, submission_token=uuid.uuid4())
    assert not CheckIn.objects.filter(survivor=survivor).exists()


BAD_INPUTS = [
    ("future start date", {"started_on": "2099-01-01"}, "started_on", "can't be in the future"),
    ("before birth", {"started_on": "1950-01-01"}, "started_on", "before your date of birth"),
    ("before enrolment", {"started_on": "BEFORE_ENROLMENT"}, "started_on", "on or after you joined"),
    ("not a date", {"started_on": "next tuesday"}, "started_on", "real date"),
    ("severity too high", {"severity": "11"}, "severity", "from 0 (none) to 10"),
    ("severity negative", {"severity": "-1"}, "severity", "from 0 (none) to 10"),
    ("severity text", {"severity": "bad"}, "severity", "from 0 (none) to 10"),
    ("unknown symptom", {"symptom": "flu"}, "symptom", "choose a symptom from the list"),
    ("unknown body site", {"body_site": "tail"}, "body_site", "choose a body area from the list"),
    ("pain without a site", {"body_site": ""}, "body_site", "choose where the pain is"),
    ("note too long", {"note": "x" * 2001}, "note", "keep the note to 2000 characters"),
    (
        "other with no words",
        {"symptom": "other", "body_site": "", "note": "  "},
        "note",
        "describe it in your own words",
    ),
    ("new not answered", {"is_new": ""}, "is_new", "answer yes or no"),
]


@pytest.mark.parametrize(("case", "change", "field", "message"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_it_explains_bad_input_beside_the_field_and_keeps_what_was_typed(
    as_survivor, survivor, case, change, field, message
):
    if change.get("started_on") == "BEFORE_ENROLMENT":
        change = {"started_on": (survivor.enrolled_on - dt.timedelta(days=3)).isoformat()}
    typed_note = "My <b>right</b> hip aches at night"
    row = {"note": typed_note, **change}
    response = as_survivor.post(URL, post_data(entry(0, **row)))
    assert response.status_code == 200
    form = response.context["formset"].forms[0]
    errors = " ".join(form.errors.get(field, []))
    assert message.lower() in errors.lower().replace("\u2019", "'")
    html = response.content.decode()
    # The message is rendered inside the field's own block.
    block_start = html.index(f'id="div_id_entry-0-{field}"')
    assert html.index(errors[:30].replace("'", "&#x27;"), block_start) > block_start
    # What she typed is still there, escaped.
    if "note" not in change:
        assert "My &lt;b&gt;right&lt;/b&gt; hip aches at night" in html
    assert not CheckIn.objects.filter(survivor=survivor).exists()


def test_an_empty_form_asks_for_a_symptom(as_survivor, survivor):
    response = as_survivor.post(URL, post_data(entry(0, symptom="", body_site="", severity="", is_new="", is_worse="")))
    assert response.status_code == 200
    assert "Please choose what you noticed." in response.context["formset"].forms[0].errors["symptom"]
    assert not CheckIn.objects.exists()


def test_a_symptom_that_takes_no_body_site_refuses_one(as_survivor):
    response = as_survivor.post(URL, post_data(entry(0, symptom="nausea", body_site="abdomen")))
    assert "doesn't need a body area" in response.context["formset"].forms[0].errors["body_site"][0]


def test_the_future_is_judged_in_the_survivors_own_time_zone(client, clinic):
    from tests.factories import SurvivorFactory

    # 23:30 on 1 March in Honolulu is already 2 March in UTC.
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC), tick=False):
        survivor = SurvivorFactory(clinic=clinic, time_zone="Pacific/Honolulu", enrolled_on=dt.date(2026, 1, 1))
        client.force_login(survivor)
        response = client.post(URL, post_data(entry(0, started_on="2026-03-02")))
        assert "can't be in the future" in response.context["formset"].forms[0].errors["started_on"][0]
        response = client.post(URL, post_data(entry(0, started_on="2026-03-01")))
        assert response.status_code == 302


def test_add_another_symptom_keeps_the_first_one_and_adds_a_row(as_survivor):
    data = post_data(entry(0, note="keeps this"))
    data["add_entry"] = "1"
    response = as_survivor.post(URL, data)
    assert response.status_code == 200
    assert len(response.context["formset"].forms) == 2
    assert b"keeps this" in response.content
    assert b'name="entry-1-symptom"' in response.content
    assert not CheckIn.objects.exists()


def test_a_blank_extra_row_is_ignored(as_survivor, survivor):
    blank = entry(1, symptom="", body_site="", severity="", is_new="", is_worse="", note="")
    blank["entry-1-started_on"] = timezone.localdate().isoformat()
    response = as_survivor.post(URL, post_data(entry(0), blank))
    assert response.status_code == 302
    assert SymptomEntry.objects.filter(survivor=survivor).count() == 1


def test_html_in_a_note_is_shown_as_text(as_survivor, survivor, nurse, client):
    note = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    as_survivor.post(URL, post_data(entry(0, note=note)))
    checkin = CheckIn.objects.get(survivor=survivor)
    pages = [as_survivor.get(reverse("checkin_detail", args=[checkin.pk])), as_survivor.get(reverse("home"))]
    client.force_login(nurse)
    pages += [
        client.get(reverse("survivor_history", args=[survivor.pk])),
        client.get(reverse("checkin_detail", args=[checkin.pk])),
    ]
    for page in pages:
        assert page.status_code == 200
        assert b"<script>alert" not in page.content
        assert b"<img src=x" not in page.content
        assert b"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page.content


def test_staff_cannot_use_the_checkin_form(client, nurse):
    client.force_login(nurse)
    assert client.get(URL).status_code == 404


def test_a_database_constraint_backs_the_severity_range(survivor):
    from django.db import IntegrityError, transaction

    from tests.factories import CheckInFactory

    checkin = CheckInFactory(survivor=survivor)
    with pytest.raises(IntegrityError), transaction.atomic():
        SymptomEntry.objects.create(
            checkin=checkin,
            survivor=survivor,
            symptom=symptom("pain"),
            body_site=body_site("hip"),
            severity=11,
            is_new=True,
            is_worse=True,
            started_on=timezone.localdate(),
        )
