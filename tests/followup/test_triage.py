"""The nurse's queue, actions on a flag, snoozes and call lists (issue 5, in part)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from followup.models import CallLog, FlagEvent, Message
from tests.factories import CheckInFactory, ClinicFactory, NurseFactory, SurvivorFactory
from tracker.models import AuditEvent, Flag, Snooze


@pytest.fixture
def as_nurse(client, nurse):
    client.force_login(nurse)
    return client


def test_the_queue_is_a_row_a_survivor_by_her_highest_tier_then_the_nearest_deadline(
    as_nurse, survivor, same_clinic_survivor, report
):
    routine = report(survivor, code="dizziness", site=None)["dizziness-new"]
    urgent = report(same_clinic_survivor, code="jaundice", site=None)["jaundice"]
    emergency = report(same_clinic_survivor, code="seizure", site=None)["seizure"]
    old_urgent = report(survivor, code="jaundice", site=None)["jaundice"]
    raised = timezone.now() - dt.timedelta(hours=30)
    Flag.objects.filter(pk=old_urgent.pk).update(created_at=raised, review_by=raised + dt.timedelta(hours=24))
    lonely = report(SurvivorFactory(clinic=survivor.clinic), code="jaundice", site=None)["jaundice"]
    page = as_nurse.get(reverse("flag_queue"))
    rows = [(row.survivor_id, [f.pk for f in row.flags]) for row in page.context["rows"]]
    assert rows == [
        (same_clinic_survivor.pk, [emergency.pk, urgent.pk]),  # her emergency leads, her urgent flag inside
        (survivor.pk, [old_urgent.pk, routine.pk]),  # her urgent flag is overdue: before the newer urgent one
        (lonely.survivor_id, [lonely.pk]),
    ]
    html = page.content.decode()
    assert html.count("<tr") == 1 + 3  # the header and a row a survivor
    assert f'<a id="q-{urgent.pk}" href="{reverse("nurse_flag", args=[urgent.pk])}">' in html
    assert "Overdue" in html and "Emergency" in html  # a word with every colour
    assert 'hx-trigger="every 30s"' in html


def test_the_queue_filters_pick_survivors_and_her_row_still_shows_every_open_flag(
    as_nurse, nurse, survivor, same_clinic_survivor, report
):
    urgent = report(survivor, code="jaundice", site=None)["jaundice"]
    emergency = report(survivor, code="seizure", site=None)["seizure"]
    report(same_clinic_survivor, code="seizure", site=None)

    def rows(query=""):
        return [[f.pk for f in row.flags] for row in as_nurse.get(reverse("flag_queue") + query).context["rows"]]

    # Only she has an urgent flag; her row still leads with her emergency.
    assert rows("?tier=urgent") == [[emergency.pk, urgent.pk]]
    assert rows("?rule=jaundice") == [[emergency.pk, urgent.pk]]
    assert rows("?mine=1") == []
    as_nurse.post(reverse("nurse_flag", args=[urgent.pk]), {"claim": "1"})
    assert rows("?mine=1") == [[emergency.pk, urgent.pk]]
    assert len(rows("?unclaimed=1")) == 2  # her emergency flag is still unclaimed
    assert rows("?unclaimed=1&tier=urgent") == []
    page = as_nurse.get(reverse("flag_queue") + "?tier=urgent", headers={"HX-Request": "true"})
    assert "<html" not in page.content.decode()  # only the table for htmx


def test_each_queue_page_audits_the_survivors_it_lists(as_nurse, nurse, survivor, same_clinic_survivor, report):
    report(survivor, code="jaundice", site=None)
    report(same_clinic_survivor, code="jaundice", site=None)
    as_nurse.get(reverse("flag_queue"))
    rows = list(AuditEvent.objects.filter(actor=nurse, action="queue.view").values_list("survivor", "survivors"))
    assert rows == [(None, sorted([survivor.pk, same_clinic_survivor.pk]))]  # one row for the page, naming both
    as_nurse.get(reverse("flag_queue"), {"tier": "routine"})  # lists nobody: nothing to record
    assert AuditEvent.objects.filter(action="queue.view").count() == 1


def test_the_call_lists_are_one_audit_row_naming_who_they_showed(as_nurse, nurse, survivor, report):
    report(survivor, code="jaundice", site=None, callback=True)
    assert as_nurse.get(reverse("call_lists")).status_code == 200
    rows = list(AuditEvent.objects.filter(action="call_list.view").values_list("actor", "survivors"))
    assert rows == [(nurse.pk, [survivor.pk])]


def test_queue_rows_escape_names_and_link_to_the_flag(as_nurse, clinic, report):
    survivor = SurvivorFactory(clinic=clinic, full_name="<b>Bea</b> & Co")
    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    Flag.objects.filter(pk=flag.pk).update(evidence='yellow eyes, "<i>since Monday</i>"')
    html = as_nurse.get(reverse("flag_queue")).content.decode()
    assert "&lt;b&gt;Bea&lt;/b&gt; &amp; Co" in html and "<b>Bea</b>" not in html
    assert "yellow eyes, &quot;&lt;i&gt;since Monday&lt;/i&gt;&quot;" in html
    assert f'href="{reverse("nurse_flag", args=[flag.pk])}"' in html


def test_the_rule_filter_lists_rules_by_name_escaped_and_keeps_the_choice(as_nurse, default_rules):
    from tracker.models import Rule
    from tracker.rules.defaults import DEFAULT_RULES
    from tracker.services.rules import rule_save

    jaundice = next(r for r in DEFAULT_RULES if r["slug"] == "jaundice")
    rule_save(
        by=None, slug="jaundice", rule=Rule.objects.get(slug="jaundice"), data={**jaundice, "name": "Yellow <skin>"}
    )
    html = as_nurse.get(reverse("flag_queue") + "?rule=jaundice").content.decode()
    assert '<option value="jaundice" selected>Yellow &lt;skin&gt;</option>' in html
    assert "Yellow <skin>" not in html


def test_the_queue_shows_only_her_clinics(client, other_nurse, survivor, report):
    report(survivor, code="seizure", site=None)
    client.force_login(other_nurse)
    assert client.get(reverse("flag_queue")).context["flags"] == []


@pytest.mark.postgresql
def test_the_queue_runs_a_fixed_number_of_queries(as_nurse, survivor, report, django_assert_max_num_queries):
    for _ in range(3):
        report(SurvivorFactory(clinic=survivor.clinic), code="jaundice", site=None)
    with django_assert_max_num_queries(12) as small:
        as_nurse.get(reverse("flag_queue"))
    for _ in range(12):
        report(SurvivorFactory(clinic=survivor.clinic), code="seizure", site=None)
    with django_assert_max_num_queries(len(small.captured_queries)):
        as_nurse.get(reverse("flag_queue"))


def test_call_back_wanted_shows_in_the_queue_until_a_nurse_reaches_her(as_nurse, survivor, report):
    flag = report(survivor, code="jaundice", site=None, callback=True)["jaundice"]
    other = report(SurvivorFactory(clinic=survivor.clinic), code="seizure", site=None)["seizure"]

    def wanted():
        return {row.pk: row.callback_wanted for row in as_nurse.get(reverse("flag_queue")).context["flags"]}

    assert wanted() == {flag.pk: True, other.pk: False}
    assert "Call back wanted" in as_nurse.get(reverse("flag_queue")).content.decode()
    report(survivor, code="jaundice", site=None)  # a later check-in without the tick keeps it
    url = reverse("nurse_flag", args=[flag.pk])
    as_nurse.post(url, {"contact": "1", "contact-result": "no_answer", "contact-note": ""})
    assert wanted()[flag.pk] is True
    as_nurse.post(url, {"contact": "1", "contact-result": "reached", "contact-note": ""})
    assert wanted() == {flag.pk: False, other.pk: False}
    assert "Call back wanted" not in as_nurse.get(reverse("flag_queue")).content.decode()


def test_claim_note_contact_and_resolve_are_recorded_with_who_and_when(as_nurse, nurse, survivor, report):
    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    url = reverse("nurse_flag", args=[flag.pk])
    as_nurse.post(url, {"claim": "1"})
    as_nurse.post(url, {"note": "1", "note-text": "Will call <b>after</b> clinic"})
    as_nurse.post(url, {"contact": "1", "contact-result": "no_answer", "contact-note": ""})
    assert Message.objects.filter(flag=flag, state="pending").exists()  # no answer: reminders go on
    as_nurse.post(url, {"contact": "1", "contact-result": "reached", "contact-note": "Booked in"})
    assert not Message.objects.filter(flag=flag, state="pending").exists()
    as_nurse.post(
        url, {"resolve": "1", "resolve-flags": [flag.pk], "resolve-outcome": "appointment", "resolve-note": "Thursday"}
    )
    flag.refresh_from_db()
    assert (flag.status, flag.outcome) == ("closed", "appointment")
    kinds = list(FlagEvent.objects.filter(flag=flag).values_list("kind", "result", "author"))
    assert kinds == [
        ("claim", "", nurse.pk),
        ("note", "", nurse.pk),
        ("contact", "no_answer", nurse.pk),
        ("contact", "reached", nurse.pk),
        ("resolve", "", nurse.pk),
    ]
    page = as_nurse.get(url).content.decode()
    assert "&lt;b&gt;after&lt;/b&gt;" in page


def test_an_empty_note_is_explained(as_nurse, survivor, report):
    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    response = as_nurse.post(reverse("nurse_flag", args=[flag.pk]), {"note": "1", "note-text": ""})
    assert response.status_code == 200
    assert response.context["forms"]["note"].errors["text"]


def test_a_snooze_silences_a_rule_and_an_emergency_rule_cannot_be_snoozed(as_nurse, survivor, report):
    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    url = reverse("nurse_flag", args=[flag.pk])
    until = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    response = as_nurse.post(
        url, {"snooze": "1", "snooze-what": "rule", "snooze-until": until, "snooze-reason": "Known Gilbert's syndrome"}
    )
    assert response.status_code == 302
    assert Snooze.objects.filter(survivor=survivor, rule=flag.rule).exists()
    emergency = report(survivor, code="seizure", site=None)["seizure"]
    response = as_nurse.post(
        reverse("nurse_flag", args=[emergency.pk]),
        {"snooze": "1", "snooze-what": "rule", "snooze-until": until, "snooze-reason": "x"},
    )
    assert response.status_code == 200
    assert "Emergency rules can't be snoozed" in " ".join(response.context["forms"]["snooze"].errors["what"])
    too_long = (timezone.localdate() + dt.timedelta(days=40)).isoformat()
    response = as_nurse.post(
        url,
        {
            "snooze": "1",
            "snooze-what": "symptom",
            "snooze-symptom": "pain",
            "snooze-until": too_long,
            "snooze-reason": "knee",
        },
    )
    assert "at most 30 days" in " ".join(response.context["forms"]["snooze"].errors["until"])
    snooze = Snooze.objects.get(survivor=survivor, rule=flag.rule)
    as_nurse.post(url, {"end_snooze": str(snooze.pk)})
    snooze.refresh_from_db()
    assert snooze.ended_early_at is not None


def test_call_lists_show_no_checkin_bounced_and_call_back_and_log_calls(
    as_nurse, nurse, survivor, same_clinic_survivor
):
    CheckInFactory(survivor=survivor, callback_requested=True)
    page = as_nurse.get(reverse("call_lists"))
    lists = page.context["lists"]
    assert survivor in lists["Asked for a call back"]
    assert same_clinic_survivor in lists["No check-in for 5 days or more"]
    as_nurse.post(reverse("call_lists"), {"survivor": survivor.pk, "result": "reached", "note": "All fine"})
    assert CallLog.objects.filter(survivor=survivor, nurse=nurse).exists()
    assert survivor not in as_nurse.get(reverse("call_lists")).context["lists"]["Asked for a call back"]


def test_reaching_her_from_the_call_list_clears_call_back_wanted_on_her_flags(as_nurse, survivor, report):
    flag = report(survivor, code="jaundice", site=None, callback=True)["jaundice"]
    as_nurse.post(reverse("call_lists"), {"survivor": survivor.pk, "result": "no_answer"})
    flag.refresh_from_db()
    assert flag.callback_wanted
    as_nurse.post(reverse("call_lists"), {"survivor": survivor.pk, "result": "reached"})
    flag.refresh_from_db()
    assert not flag.callback_wanted


def test_a_nurse_cannot_log_a_call_for_another_clinic(client, other_nurse, survivor):
    client.force_login(other_nurse)
    assert client.post(reverse("call_lists"), {"survivor": survivor.pk, "result": "reached"}).status_code == 404


def test_another_clinics_nurse_sees_none_of_our_survivors_on_her_call_lists(client, other_nurse, survivor):
    CheckInFactory(survivor=survivor, callback_requested=True)
    client.force_login(other_nurse)
    lists = client.get(reverse("call_lists")).context["lists"]
    assert all(survivor not in rows for rows in lists.values())


def test_the_dashboard_counts_open_flags_closing_times_and_rule_records(client, clinic_admin, nurse, survivor, report):
    from followup.triage.actions import flag_claim, flag_nurse_resolve

    urgent = report(survivor, code="jaundice", site=None)["jaundice"]
    report(survivor, code="seizure", site=None)
    flag_claim(flag=urgent, nurse=nurse)
    flag_nurse_resolve(flag=urgent, nurse=nurse, outcome="appointment")
    client.force_login(clinic_admin)
    page = client.get(reverse("dashboard"))
    figures = page.context["figures"][30]
    assert figures["open_by_tier"] == {"emergency": 1, "urgent": 0, "routine": 0}
    assert figures["flags"] == 2 and figures["closed_within_48h"] == 50
    assert figures["median_first_action"] is not None
    jaundice = next(r for r in figures["per_rule"] if r["rule__slug"] == "jaundice")
    assert (jaundice["confirmed"], jaundice["share_confirmed"]) == (1, 100)
    assert '<script src="/static/vendor/chartjs/chart.umd.min.js">' in page.content.decode()


def test_the_dashboard_runs_a_fixed_number_of_queries(
    client, clinic_admin, survivor, report, django_assert_max_num_queries
):
    client.force_login(clinic_admin)
    report(survivor, code="jaundice", site=None)
    with django_assert_max_num_queries(30) as small:
        client.get(reverse("dashboard"))
    for _ in range(10):
        report(SurvivorFactory(clinic=survivor.clinic), code="seizure", site=None)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("dashboard"))


def test_every_audited_action_has_words_in_the_audit_browser():
    import pathlib
    import re

    from tracker.models import AuditEvent, PlanChange

    root = pathlib.Path(__file__).resolve().parents[2]
    source = "".join(p.read_text() for app in ("tracker", "followup") for p in (root / app).rglob("*.py"))
    codes = set(re.findall(r'action="([a-z_.]+)"', source)) | set(re.findall(r"'([a-z_]+\.view)'", source))
    codes |= set(re.findall(r'action="[a-z_.]+" if .+ else "([a-z_.]+)"', source))
    codes |= {f"flag.{kind}" for kind in FlagEvent.Kind.values}
    # A person's change to her plan is audited as plan.<action> (the sweep's "missed" has no person).
    codes |= {f"plan.{action}" for action in PlanChange.Action.values if action != "missed"}
    assert {"queue.view", "survivor.export", "flag.resolve", "rule.disable"} <= codes
    assert codes - set(AuditEvent.ACTION_LABELS) == set()


def test_the_admin_browses_the_audit_trail_of_her_clinic(client, clinic_admin, nurse, other_nurse, survivor):
    from tracker.models import AuditEvent
    from tracker.services.audit import audit_record, audit_record_list

    audit_record(actor=nurse, action="survivor.history.view", survivor=survivor)
    outsider = SurvivorFactory()
    audit_record(actor=other_nurse, action="survivor.history.view", survivor=outsider)
    neighbour = SurvivorFactory(clinic=survivor.clinic, full_name="<i>Nell</i> Neighbour")
    audit_record_list(actor=nurse, action="queue.view", survivor_ids=[neighbour.pk, survivor.pk])
    audit_record_list(actor=other_nurse, action="queue.view", survivor_ids=[outsider.pk])
    client.force_login(clinic_admin)
    page = client.get(reverse("audit_trail"))
    rows = list(page.context["page"])
    assert [r.survivor for r in rows if r.action == "survivor.history.view"] == [survivor]
    assert [r.listed for r in rows if r.action == "queue.view"] == [sorted([neighbour.full_name, survivor.full_name])]
    html = page.content.decode()
    assert "Opened her history" in html and "2 survivors" in html
    assert "&lt;i&gt;Nell&lt;/i&gt; Neighbour" in html and "<i>Nell</i>" not in html

    # Her name finds the rows about her alone and the pages that listed her.
    # (The filter goes by POST and waits in her session: tests/test_access_log.py.)
    def filtered_by(**data):
        return client.post(reverse("audit_trail"), data, follow=True).context["page"]

    hers = filtered_by(survivor="neighbour")
    assert [r.action for r in hers] == ["queue.view"]
    both = filtered_by(survivor=survivor.email)
    assert sorted(r.action for r in both) == ["queue.view", "survivor.history.view"]
    assert list(filtered_by(survivor=outsider.email)) == []
    filtered = filtered_by(staff=nurse.email)
    assert {r.actor for r in filtered} == {nurse}
    none = filtered_by(day_from="2001-01-01", day_to="2001-01-02")
    assert list(none) == []
    bad = client.post(reverse("audit_trail"), {"day_from": "2026-01-05", "day_to": "2026-01-01"})
    assert bad.context["form"].errors["day_to"]
    assert AuditEvent.objects.count() >= 2


def test_the_flag_page_shows_her_90_days_when_asked_and_runs_a_fixed_number_of_queries(
    as_nurse, nurse, survivor, report, django_assert_max_num_queries
):
    flag = report(survivor, code="jaundice", site=None)["jaundice"]
    url = reverse("nurse_flag", args=[flag.pk])
    history = reverse("nurse_flag_history", args=[flag.pk])
    page = as_nurse.get(url).content.decode()
    assert f'hx-get="{history}"' in page and "symptom-chart" not in page  # her 90 days load when asked for
    assert f'href="{reverse("survivor_history", args=[survivor.pk])}" hx-get' in page  # without script: her page
    with django_assert_max_num_queries(12) as small:
        part = as_nurse.get(history).content.decode()
    assert "symptom-chart" in part and "Weight, last 90 days" in part and "<html" not in part
    assert AuditEvent.objects.filter(actor=nurse, action="survivor.history.view", survivor=survivor).count() == 1
    for _ in range(6):
        report(survivor, code="jaundice", site=None)  # more entries, attachments, reminders
    with django_assert_max_num_queries(len(small.captured_queries)):
        as_nurse.get(history)


def test_the_queue_sql_returns_what_the_orm_definition_returns(
    nurse, clinic, other_clinic, survivor, same_clinic_survivor, report, monkeypatch
):
    """followup.triage.queue reads the queue (and writes its audit rows) in one
    hand-written statement on PostgreSQL; selectors.flag_queue is the
    definition. Every filter, every page, two clinics, one outside hers."""
    import itertools

    from followup.triage.actions import flag_claim, flag_unclaim
    from followup.triage.queue import flag_queue, queue_page, queue_page_read

    monkeypatch.setattr("followup.triage.queue.QUEUE_PAGE_SIZE", 2)  # survivors a page
    nurse.staff_clinics.add(other_clinic)
    outsider = SurvivorFactory(clinic=ClinicFactory())
    for person in (survivor, same_clinic_survivor, SurvivorFactory(clinic=other_clinic), outsider):
        report(person, code="jaundice", site=None, callback=person is survivor)
        report(person, code="seizure", site=None)
        report(person, code="dizziness", site=None)
    report(SurvivorFactory(clinic=clinic), code="dizziness", site=None)  # one routine flag alone
    claimed = Flag.objects.filter(survivor=same_clinic_survivor).order_by("id")
    flag_claim(flag=claimed[0], nurse=nurse)
    flag_claim(flag=claimed[1], nurse=NurseFactory(clinics=[clinic]))
    flag_claim(flag=claimed[2], nurse=nurse)
    flag_unclaim(flag=claimed[2], nurse=nurse)  # unclaimed again: a follow-up row with nobody
    raised = timezone.now() - dt.timedelta(days=2)
    Flag.objects.filter(survivor=survivor, tier="urgent").update(created_at=raised, review_by=raised)
    Flag.objects.filter(survivor=survivor, tier="emergency").update(evidence="seizure, " * 30)  # cut to 90 characters
    now = timezone.now()
    shown = set()
    combos = itertools.product(("", "urgent", "emergency"), ("", "jaundice", "no-such-rule"), *[(False, True)] * 3)
    for tier, rule, mine, unclaimed, overdue in combos:
        filters = {"tier": tier, "rule": rule, "mine": mine, "unclaimed": unclaimed, "overdue": overdue}
        for number in ("1", "2", "3", "4", "x"):
            before = AuditEvent.objects.count()
            fast = queue_page_read(nurse=nurse, number=number, now=now, **filters)
            audited = list(AuditEvent.objects.order_by("id")[before:].values_list("actor", "action", "survivors"))
            defined = queue_page(flag_queue(user=nurse, now=now, **filters), number, now=now)
            assert fast == defined, filters
            listed = sorted({row.survivor_id for row in fast.flags})
            assert audited == ([(nurse.pk, "queue.view", listed)] if listed else [])
            shown |= {row.pk for row in fast.flags}
    assert outsider.pk not in Flag.objects.filter(pk__in=shown).values_list("survivor", flat=True)
    assert len(shown) == Flag.objects.filter(status="open").exclude(survivor=outsider).count() == 10


@pytest.mark.postgresql
def test_the_queue_statement_is_prepared_once_and_reused(as_nurse, survivor, report):
    """Planning the queue's join cost three times its execution; the page
    keeps one prepared statement per connection (tracker/db.py)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    report(survivor, code="jaundice", site=None)
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            assert as_nurse.get(reverse("flag_queue")).status_code == 200
        assert any("INSERT INTO tracker_auditevent" in (q["sql"] or "") for q in queries), "the query log shows it"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans + custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%INSERT INTO tracker_auditevent%"],
        )
        assert [row[0] for row in cursor.fetchall()] == [3]


@pytest.mark.parametrize("number", ["0", "-3", "x", "9" * 30])
def test_a_page_number_out_of_range_shows_a_page_not_an_error(as_nurse, survivor, report, number):
    report(survivor, code="jaundice", site=None)
    response = as_nurse.get(reverse("flag_queue") + f"?page={number}")
    assert response.status_code == 200


def test_queue_pages_link_to_each_other_keeping_the_filters(as_nurse, clinic, report, monkeypatch):
    monkeypatch.setattr("followup.triage.queue.QUEUE_PAGE_SIZE", 2)
    for _ in range(3):
        report(SurvivorFactory(clinic=clinic), code="jaundice", site=None)
    first = as_nurse.get(reverse("flag_queue") + "?tier=urgent&unclaimed=1")
    assert 'href="?tier=urgent&amp;unclaimed=1&amp;page=2">Next' in first.content.decode()
    second = as_nurse.get(reverse("flag_queue") + "?tier=urgent&unclaimed=1&page=2")
    html = second.content.decode()
    assert 'href="?tier=urgent&amp;unclaimed=1&amp;page=1">Previous' in html and "Next" not in html
    assert len(second.context["flags"]) == 1
