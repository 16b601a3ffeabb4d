"""A nurse's day (issue 12, sections 2 and 5): she lands on the queue, works
a survivor's flags in one action, goes on to the next survivor, finds
anyone on the survivors page, and no form chooses or drops anything for her.
The flag page costs the same whatever her history."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from followup.models import CallLog, FlagEvent, FlagFollowup, Message, Preferences
from followup.reminders.loop import flag_survivor_confirm_contact
from followup.triage import flag_page
from followup.triage.actions import flag_claim, flag_note_add, flag_nurse_contact, flags_nurse_resolve
from followup.triage.rows import span
from followup.triage.survivor_list import is_overdue
from tests.factories import (
    PASSWORD,
    CheckInFactory,
    NurseFactory,
    SurvivorFactory,
    SymptomEntryFactory,
    WeightEntryFactory,
)
from tests.mfa_helpers import client_pass_second_step, totp_device_for
from tracker.models import AuditEvent, Flag, Rule
from tracker.services.checkins import weight_record
from tracker.services.flag_states import flag_close
from tracker.services.snoozes import snooze_create


@pytest.fixture
def as_nurse(client, nurse):
    client.force_login(nurse)
    return client


def test_a_nurse_lands_on_the_queue_when_she_logs_in(client, nurse):
    totp_device_for(nurse)  # she set up her second factor at her first sign-in
    response = client.post(reverse("login"), {"username": nurse.email, "password": PASSWORD}, follow=True)
    response = client_pass_second_step(client, nurse, response)
    assert response.redirect_chain[-1][0] == reverse("flag_queue")
    assert response.templates[0].name == "followup/queue.html"


def test_a_queue_row_shows_that_she_confirmed_contact_and_when_and_call_back_wanted(as_nurse, survivor, report):
    urgent = report(survivor, code="jaundice", site=None, callback=True)["jaundice"]
    routine = report(survivor, code="dizziness", site=None)["dizziness-new"]
    html = as_nurse.get(reverse("flag_queue")).content.decode()
    assert "She confirmed contact" not in html and "Call back wanted" in html
    flag_survivor_confirm_contact(flag=routine, survivor=survivor)
    FlagFollowup.objects.filter(flag=routine).update(
        survivor_contacted_at=dt.datetime(2026, 6, 2, 13, 5, tzinfo=dt.UTC)
    )
    page = as_nurse.get(reverse("flag_queue"))
    (row,) = page.context["rows"]
    assert [f.pk for f in row.flags] == [urgent.pk, routine.pk]
    assert row.contacted == "2 Jun 09:05"  # in the nurse's zone (New York)
    html = page.content.decode()
    assert "She confirmed contact 2 Jun 09:05" in html and "Call back wanted" in html


# ------------------------------------------------------------------ resolving several flags at once


def _three_flags(report, survivor):
    return (
        report(survivor, code="seizure", site=None)["seizure"],
        report(survivor, code="jaundice", site=None)["jaundice"],
        report(survivor, code="dizziness", site=None)["dizziness-new"],
    )


def test_she_resolves_several_of_a_survivors_flags_with_one_outcome_and_note(as_nurse, nurse, survivor, report):
    emergency, urgent, routine = _three_flags(report, survivor)
    url = reverse("nurse_flag", args=[urgent.pk])
    page = as_nurse.get(url).content.decode()
    boxes = [chunk.split(">")[0] for chunk in page.split("<input")[1:] if 'name="resolve-flags"' in chunk]
    assert [f'value="{flag.pk}"' in box for box in boxes for flag in (emergency, urgent, routine)].count(True) == 3
    assert [("checked" in box) for box in boxes] == [f'value="{urgent.pk}"' in box for box in boxes]  # this one
    response = as_nurse.post(
        url,
        {
            "resolve": "1",
            "resolve-flags": [emergency.pk, urgent.pk],
            "resolve-outcome": "emergency_care",
            "resolve-note": "Sent to A&E by ambulance",
        },
        follow=True,
    )
    assert "2 flags resolved" in response.content.decode()
    statuses = dict(Flag.objects.values_list("pk", "status"))
    assert (statuses[emergency.pk], statuses[urgent.pk], statuses[routine.pk]) == ("closed", "closed", "open")
    for flag in (emergency, urgent):
        flag.refresh_from_db()
        assert flag.outcome == "emergency_care"
        event = FlagEvent.objects.get(flag=flag, kind="resolve")
        assert (event.text, event.author) == ("Sent to A&E by ambulance", nurse)
        audited = AuditEvent.objects.filter(actor=nurse, object_id=str(flag.pk)).values_list("action", flat=True)
        assert {"flag.resolve", "flag.close"} <= set(audited)  # audited per flag, as one resolve is
        assert not Message.objects.filter(flag=flag, state__in=["pending", "queued"]).exists()
    assert Message.objects.filter(flag=routine, state="pending").exists()


def test_resolving_writes_nothing_if_one_flag_is_not_hers_or_no_longer_open(
    as_nurse, nurse, survivor, same_clinic_survivor, report
):
    emergency, urgent, _ = _three_flags(report, survivor)
    hers = report(same_clinic_survivor, code="jaundice", site=None)["jaundice"]
    url = reverse("nurse_flag", args=[urgent.pk])
    data = {"resolve": "1", "resolve-outcome": "appointment", "resolve-note": ""}
    response = as_nurse.post(url, {**data, "resolve-flags": [urgent.pk, hers.pk]})
    assert response.status_code == 200
    assert response.context["forms"]["resolve"].errors["flags"]
    assert not Flag.objects.filter(status="closed").exists()
    # A colleague closed one meanwhile: all or nothing, with a message by the field.
    flag_close(flag=emergency, by=nurse, outcome="appointment")
    with pytest.raises(ValidationError) as problem:
        flags_nurse_resolve(survivor=survivor, flag_ids=[emergency.pk, urgent.pk], nurse=nurse, outcome="appointment")
    assert "no longer open" in str(problem.value)
    urgent.refresh_from_db()
    assert urgent.status == "open" and not FlagEvent.objects.filter(kind="resolve").exists()


def test_outcome_and_call_result_have_no_default_and_missing_ones_are_explained_by_the_field(
    as_nurse, survivor, same_clinic_survivor, report
):
    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    url = reverse("nurse_flag", args=[flag.pk])
    page = as_nurse.get(url).content.decode()
    assert 'name="resolve-outcome"' in page and 'name="contact-result"' in page
    for name in ("resolve-outcome", "contact-result"):
        radios = [chunk for chunk in page.split("<input")[1:] if f'name="{name}"' in chunk]
        assert len(radios) >= 3 and not any("checked" in chunk.split(">")[0] for chunk in radios), name
    response = as_nurse.post(url, {"resolve": "1", "resolve-flags": [flag.pk], "resolve-note": "Booked Thursday"})
    form = response.context["forms"]["resolve"]
    assert form.errors["outcome"] == ["Choose what came of it."]
    html = response.content.decode()
    assert 'id="id_resolve-outcome_error"' in html and "Booked Thursday" in html  # by the field; her note kept
    response = as_nurse.post(url, {"contact": "1", "contact-note": "Rang twice"})
    assert response.context["forms"]["contact"].errors["result"] == ["Choose what happened when you called."]
    assert "Rang twice" in response.content.decode()
    flag.refresh_from_db()
    assert flag.status == "open" and not FlagEvent.objects.exists()
    calls = as_nurse.get(reverse("call_lists")).content.decode()
    assert '<option value="" selected>Choose what happened</option>' in calls
    assert '<option value="reached" selected' not in calls


# ------------------------------------------------------------------ next in queue


def test_next_in_queue_goes_to_the_next_survivors_highest_flag(as_nurse, nurse, survivor, same_clinic_survivor, report):
    emergency, urgent, routine = _three_flags(report, survivor)
    theirs = report(same_clinic_survivor, code="jaundice", site=None)["jaundice"]
    page = as_nurse.get(reverse("nurse_flag", args=[routine.pk])).content.decode()
    assert f'href="{reverse("queue_next")}?after={survivor.pk}"' in page and "Next in queue" in page
    response = as_nurse.get(reverse("queue_next"), {"after": survivor.pk})
    assert response["Location"] == reverse("nurse_flag", args=[theirs.pk])
    # From the queue's top: her emergency leads.
    assert as_nurse.get(reverse("queue_next"))["Location"] == reverse("nurse_flag", args=[emergency.pk])
    flags_nurse_resolve(survivor=same_clinic_survivor, flag_ids=[theirs.pk], nurse=nurse, outcome="appointment")
    response = as_nurse.get(reverse("queue_next"), {"after": survivor.pk}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("flag_queue")
    assert "Nobody else is waiting in the queue." in response.content.decode()
    for junk in ("x", "-1", "9" * 40):
        assert as_nurse.get(reverse("queue_next"), {"after": junk}).status_code == 302


def test_next_in_queue_is_only_her_clinics(client, other_nurse, survivor, report):
    report(survivor, code="seizure", site=None)
    client.force_login(other_nurse)
    assert client.get(reverse("queue_next"))["Location"] == reverse("flag_queue")


# ------------------------------------------------------------------ the survivors page


def test_the_survivors_page_shows_open_flags_last_checkin_and_who_is_overdue(as_nurse, nurse, clinic, report):
    now = timezone.now()  # Tuesday 2 June 2026, 11:00 in New York
    ann = SurvivorFactory(clinic=clinic, full_name="Ann Able", date_joined=now - dt.timedelta(days=60))
    bea = SurvivorFactory(clinic=clinic, full_name="Bea Bright", date_joined=now - dt.timedelta(days=60))
    cat = SurvivorFactory(clinic=clinic, full_name="Cat Calm", date_joined=now - dt.timedelta(days=60))
    report(bea, code="dizziness", site=None)
    report(bea, code="seizure", site=None)
    CheckInFactory(survivor=cat, created_at=now - dt.timedelta(days=12))  # missed last Monday's check-in
    CheckInFactory(survivor=ann, created_at=now - dt.timedelta(days=1))
    page = as_nurse.get(reverse("survivor_list"))
    rows = {row.name: row for row in page.context["page"].object_list}
    assert list(rows)[:1] == ["Bea Bright"]  # an open flag first, whatever the alphabet says
    assert (rows["Bea Bright"].top_tier, rows["Bea Bright"].open_count) == ("emergency", 2)
    assert (rows["Ann Able"].top_tier, rows["Ann Able"].overdue, rows["Ann Able"].last_checkin_ago) == (
        "",
        False,
        "1 d",
    )
    assert rows["Cat Calm"].overdue and rows["Cat Calm"].last_checkin_ago == "12 d"
    html = page.content.decode()
    assert "Emergency" in html and "and 1 more" in html and "Overdue" in html
    assert reverse("nurse_flag", args=[Flag.objects.get(survivor=bea, tier="emergency").pk]) in html
    found = as_nurse.get(reverse("survivor_list"), {"q": "bRiGh"}).context["page"].object_list
    assert [row.name for row in found] == ["Bea Bright"]
    listed = AuditEvent.objects.filter(actor=nurse, action="survivor_list.view").order_by("id")
    assert list(listed.values_list("survivors", flat=True))[-1] == [bea.pk]  # who the page showed her, one row


def test_the_survivors_page_shows_another_clinics_nurse_nothing_and_a_survivor_404(
    client, other_nurse, survivor, report
):
    report(survivor, code="seizure", site=None)
    client.force_login(other_nurse)
    page = client.get(reverse("survivor_list"))
    assert list(page.context["page"].object_list) == []
    assert survivor.full_name not in page.content.decode()
    assert client.get(reverse("survivor_list"), {"q": survivor.full_name}).context["page"].object_list == []
    client.force_login(survivor)
    assert client.get(reverse("survivor_list")).status_code == 404


@pytest.mark.parametrize(
    ("now", "last", "overdue"),
    [
        # Her day is Monday 10:00 in New York (14:00 UTC); the nudge goes two days later.
        (dt.datetime(2026, 6, 3, 13, 0, tzinfo=dt.UTC), dt.datetime(2026, 5, 25, 15, 0, tzinfo=dt.UTC), False),
        (dt.datetime(2026, 6, 3, 15, 0, tzinfo=dt.UTC), dt.datetime(2026, 5, 25, 15, 0, tzinfo=dt.UTC), True),
        (dt.datetime(2026, 6, 3, 15, 0, tzinfo=dt.UTC), dt.datetime(2026, 6, 1, 15, 0, tzinfo=dt.UTC), False),
        (dt.datetime(2026, 6, 3, 15, 0, tzinfo=dt.UTC), dt.datetime(2026, 5, 30, 15, 0, tzinfo=dt.UTC), False),
        (dt.datetime(2026, 6, 3, 15, 0, tzinfo=dt.UTC), None, True),
    ],
)
def test_overdue_means_her_weekly_check_in_and_its_nudge_have_passed_without_one(now, last, overdue):
    prefs = Preferences(checkin_weekday=0, checkin_hour=10)
    joined = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert is_overdue(prefs=prefs, time_zone="America/New_York", joined=joined, last_checkin=last, now=now) is overdue
    assert not is_overdue(
        prefs=prefs, time_zone="America/New_York", joined=now - dt.timedelta(days=1), last_checkin=None, now=now
    )


# ------------------------------------------------------------------ dashboard and call lists


def test_dashboard_times_are_readable_and_rules_go_by_name(client, clinic_admin, nurse, survivor, report):
    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    raised = timezone.now() - dt.timedelta(hours=3, minutes=5)
    Flag.objects.filter(pk=flag.pk).update(created_at=raised)
    flag_claim(flag=flag, nurse=nurse)
    client.force_login(clinic_admin)
    page = client.get(reverse("dashboard"))
    html = page.content.decode()
    assert page.context["figures"][30]["median_first_action_words"] == "3 h 5 min"
    assert "3 h 5 min" in html and "0:00" not in html and "3:05:" not in html
    name = Rule.objects.get(slug="jaundice").current.name
    assert f"<td>{name}</td>" in html and "<code>jaundice</code>" not in html
    assert page.context["chart"]["rules"] == [name]


@pytest.mark.parametrize(
    ("minutes", "words"), [(0, "0 min"), (12, "12 min"), (185, "3 h 5 min"), (60, "1 h"), (3120, "2 d 4 h")]
)
def test_spans_are_written_for_people(minutes, words):
    assert span(dt.timedelta(minutes=minutes, seconds=31)) == words


def test_a_call_note_over_the_limit_is_refused_by_the_field_and_kept(as_nurse, survivor):
    CheckInFactory(survivor=survivor, callback_requested=True)
    note = "She says the pain is worse at night." * 60  # 2,160 characters
    response = as_nurse.post(
        reverse("call_lists"), {"survivor": survivor.pk, "list": "3", "result": "left_message", "note": note}
    )
    assert response.status_code == 200 and not CallLog.objects.exists()
    html = response.content.decode()
    assert "Keep the note to 2000 characters (it has 2160)." in html
    assert f'id="call-3-{survivor.pk}-note_error"' in html
    assert note.strip() in html  # what she typed, all of it
    response = as_nurse.post(reverse("call_lists"), {"survivor": survivor.pk, "list": "3", "note": "Rang"})
    assert "Choose what happened when you called." in response.content.decode() and not CallLog.objects.exists()


# ------------------------------------------------------------------ the flag page's cost


def _long_history(survivor, flag, nurse, report):
    """A year of weekly check-ins, weights, reminders, notes and snoozes."""
    now = timezone.now()
    for week in range(52):
        checkin = CheckInFactory(survivor=survivor, created_at=now - dt.timedelta(weeks=week))
        SymptomEntryFactory(checkin=checkin, created_at=checkin.created_at)
        WeightEntryFactory(survivor=survivor, recorded_at=checkin.created_at, kg=60 + week % 3)
    for _ in range(8):
        report(survivor, code="jaundice", site=None)  # more attachments and reminders
    for n in range(30):
        flag_note_add(flag=flag, nurse=nurse, text=f"note {n}")
    rule = Rule.objects.get(slug="dizziness-new")
    snooze_create(survivor=survivor, by=nurse, ends_at=now + dt.timedelta(days=3), reason="knee", rule=rule)


@pytest.mark.postgresql  # counts the one prepared statement of PostgreSQL's path
def test_the_flag_page_costs_the_same_number_of_queries_whatever_her_history(
    as_nurse, nurse, survivor, same_clinic_survivor, report
):
    def cost(flag):
        url = reverse("nurse_flag", args=[flag.pk])
        as_nurse.get(url)  # the first view also marks it opened
        with CaptureQueriesContext(connection) as queries:
            assert as_nurse.get(url).status_code == 200
        return len(queries)

    short = report(same_clinic_survivor, code="jaundice", site=None)["jaundice"]
    long = report(survivor, code="jaundice", site=None)["jaundice"]
    _long_history(survivor, long, nurse, report)
    # Session, user, her second-factor device (django-otp checks on every
    # request that the device which verified her still stands: a reset or a
    # device removed in the Django admin ends it at once), and the page in
    # one statement.
    assert cost(long) == cost(short) == 4


def _values(obj):
    return None if obj is None else (type(obj).__name__, *(getattr(obj, f.attname) for f in obj._meta.concrete_fields))


def _related(obj, name):
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


def _shown(page):
    """Everything the page reads of the flag, its related objects and lists."""
    flag = page.flag
    followup = _related(flag, "followup")
    return (
        _values(flag),
        _values(flag.survivor),
        _values(flag.survivor.clinic),
        _values(_related(flag.survivor, "preferences")),
        _values(followup),
        _values(followup and followup.claimed_by),
        _values(flag.rule),
        _values(flag.rule_version),
        [
            (_values(a), _values(a.entry), _values(a.entry and a.entry.symptom), _values(a.entry and a.entry.body_site))
            + (_values(a.weight),)
            for a in page.attachments
        ],
        page.attachments_total,
        page.open_flags,
        page.events,
        page.events_total,
        page.reminders,
        page.snoozes,
    )


def test_the_flag_page_statement_returns_what_the_orm_definition_returns(
    nurse, survivor, same_clinic_survivor, report, django_assert_num_queries, monkeypatch
):
    """followup/triage/flag_page_sql.py reads the page (and writes the audit row and
    "first opened") in one statement on PostgreSQL; flag_page_orm is the
    definition. Every related object comes loaded, as select_related would."""
    monkeypatch.setattr(flag_page, "ATTACHMENTS_SHOWN", 5)  # of 9
    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    report(survivor, code="seizure", site=None)
    _long_history(survivor, flag, nurse, report)
    WeightEntryFactory(survivor=survivor, kg=50)  # a weight rule's match too
    flag_nurse_contact(flag=flag, nurse=nurse, result="no_answer", note="")
    flag_claim(flag=flag, nurse=nurse)
    Preferences.objects.create(survivor=survivor, phone="+1 555 0100")
    bare = report(same_clinic_survivor, code="jaundice", site=None)["jaundice"]  # no preferences
    WeightEntryFactory(
        survivor=same_clinic_survivor, kg=Decimal("70"), recorded_at=timezone.now() - dt.timedelta(days=200)
    )
    weight_record(survivor=same_clinic_survivor, value=Decimal("66"), unit="kg", submission_token=uuid.uuid4())
    weight = Flag.objects.get(survivor=same_clinic_survivor, rule__slug="unexplained-weight-loss")  # a weight's match
    now = timezone.now()
    for case in (flag, bare, weight):
        # Its statement reads the rows as they were before its own writes
        # ("first opened", which the page does not show): compare a second view.
        flag_page.flag_page_read(nurse=nurse, flag_id=case.pk, now=now)
        before = AuditEvent.objects.count()
        fast = flag_page.flag_page_read(nurse=nurse, flag_id=case.pk, now=now)
        with django_assert_num_queries(0):
            fast_shown = _shown(fast)
        assert fast_shown == _shown(flag_page.flag_page_orm(nurse=nurse, flag_id=case.pk, now=now))
        assert AuditEvent.objects.count() == before + 1
    fast = flag_page.flag_page_read(nurse=nurse, flag_id=flag.pk, now=now)
    assert fast.events_total == 32 and len(fast.events) == 32 and fast.snoozes and len(fast.reminders) > 10
    assert len(fast.attachments) == 5 and fast.attachments_total == 9
    opened = FlagFollowup.objects.get(flag=flag)
    assert (opened.first_opened_at, opened.first_opened_by) == (now, nurse)
    later = now + dt.timedelta(hours=1)
    flag_page.flag_page_read(nurse=NurseFactory(clinics=[survivor.clinic]), flag_id=flag.pk, now=later)
    opened.refresh_from_db()
    assert (opened.first_opened_at, opened.first_opened_by) == (now, nurse)  # the first nurse stays


def test_the_flag_page_of_another_clinic_is_404_and_writes_nothing(other_nurse, survivor, report):
    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    with pytest.raises(Http404):
        flag_page.flag_page_read(nurse=other_nurse, flag_id=flag.pk)
    assert not AuditEvent.objects.filter(action="flag.view").exists()
    assert not FlagFollowup.objects.filter(flag=flag, first_opened_at__isnull=False).exists()


def test_the_flag_page_lists_are_bounded(monkeypatch, nurse, survivor, report):
    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    for n in range(5):
        flag_note_add(flag=flag, nurse=nurse, text=f"note {n}")
    monkeypatch.setattr(flag_page, "EVENTS_SHOWN", 3)
    page = flag_page.flag_page_read(nurse=nurse, flag_id=flag.pk)
    assert [e.text for e in page.events] == ["note 2", "note 3", "note 4"] and page.events_total == 5
