"""Her plan's staff pages and the clinic admin's templates: who may open
them (outsiders get 404, the anonymous the login page), a nurse's read is
audited, and each form writes through its service or comes back with the
service's message by its field, keeping what was typed."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from tests.factories import ClinicAdminFactory
from tracker.models import AuditEvent, Plan, PlanChange, PlanItem, PlanTemplate
from tracker.services import plan_common, plans
from tracker.services.plan_templates import plan_template_default

DATES = {"diagnosis_on": dt.date(2024, 1, 15), "surgery_on": dt.date(2024, 2, 20)}


@pytest.fixture
def plan(nurse, survivor, clinic):
    return plans.plan_start(by=nurse, survivor=survivor, template=plan_template_default(clinic=clinic), **DATES)


def _url(survivor):
    return reverse("survivor_plan", args=[survivor.pk])


def _item_url(plan, item, action):
    return reverse("plan_item_update", args=[plan.survivor_id, item.pk, action])


@pytest.mark.parametrize(
    ("persona", "status"),
    [("nurse", 200), ("other_nurse", 404), ("clinic_admin", 404), ("survivor", 404), ("same_clinic_survivor", 404)],
)
def test_her_plan_page_is_her_nurses_only(request, client_for, plan, survivor, persona, status):
    response = client_for(request.getfixturevalue(persona)).get(_url(survivor))
    assert response.status_code == status
    if status != 200:
        assert b"Follow-up plan" not in response.content


def test_the_anonymous_are_sent_to_sign_in(client_for, plan, survivor):
    for url in (_url(survivor), reverse("plan_template_list")):
        response = client_for(None).get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["other_nurse", "clinic_admin", "survivor"])
def test_outsiders_cannot_change_her_items(request, client_for, plan, persona):
    item = plan.items.first()
    response = client_for(request.getfixturevalue(persona)).post(
        _item_url(plan, item, "note"), {f"item{item.pk}-note-note": "x"}
    )
    assert response.status_code == 404
    assert PlanItem.objects.get(pk=item.pk).note == ""


def test_a_nurses_read_of_her_plan_is_audited(client_for, nurse, plan, survivor):
    client_for(nurse).get(_url(survivor))
    assert AuditEvent.objects.filter(actor=nurse, action="plan.view", survivor=survivor).count() == 1


def test_her_history_links_to_her_plan_for_her_nurse(client_for, nurse, survivor):
    html = client_for(nurse).get(reverse("survivor_history", args=[survivor.pk])).content.decode()
    assert _url(survivor) in html


def test_the_page_lists_her_items_by_state_and_the_history(client_for, nurse, plan, survivor):
    html = client_for(nurse).get(_url(survivor)).content.decode()
    assert "Check-up with your care team" in html and "Mammogram" in html
    assert "Plan started" in html and "Nina Nurse" in html
    assert html.count('data-plan-item="due"') == plan.items.count()


def test_a_nurse_starts_her_plan_from_the_page(client_for, nurse, survivor, clinic):
    client = client_for(nurse)
    html = client.get(_url(survivor)).content.decode()
    assert "Start her plan" in html
    template = PlanTemplate.objects.get(clinic=clinic)
    response = client.post(
        _url(survivor), {"start": "1", "start-template": template.pk, "start-diagnosis_on": "2024-01-15"}
    )
    assert response.status_code == 302
    assert Plan.objects.get(survivor=survivor).items.exists()


def test_her_dates_errors_come_back_by_the_field_keeping_what_was_typed(client_for, nurse, survivor, clinic):
    template = plan_template_default(clinic=clinic)
    response = client_for(nurse).post(
        _url(survivor),
        {
            "start": "1",
            "start-template": template.pk,
            "start-diagnosis_on": "2024-01-15",
            "start-surgery_on": "2023-12-01",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The surgery can&#x27;t be before the diagnosis (15 Jan 2024)." in html
    assert 'value="2023-12-01"' in html
    assert 'href="#id_start-surgery_on"' in html  # the error summary links to the field
    assert not Plan.objects.exists()


def test_item_forms_write_through_the_services(client_for, nurse, plan, survivor):
    client = client_for(nurse)
    item = plan.items.filter(key="visit").first()
    day = (plan_common.her_today(survivor) + dt.timedelta(days=10)).isoformat()
    response = client.post(
        _item_url(plan, item, "book"),
        {
            f"item{item.pk}-book-booked_on": day,
            f"item{item.pk}-book-booked_time": "09:15",
            f"item{item.pk}-book-place": "Clinic B",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == "booked" and item.booked_place == "Clinic B"
    # Her time (New York), whoever books it.
    assert item.booked_at.astimezone(plan_common.her_zone(survivor)).strftime("%H:%M") == "09:15"
    today = plan_common.her_today(survivor).isoformat()
    # Seen before her booking: confirmed (test_done_before_the_booked_day_needs_her_nurse_to_confirm).
    done = {f"item{item.pk}-done-done_on": today, f"item{item.pk}-done-seen_early": "on"}
    assert client.post(_item_url(plan, item, "done"), done).status_code == 302
    assert PlanItem.objects.get(pk=item.pk).state == "done"
    other = plan.items.filter(key="mammogram").first()
    assert (
        client.post(_item_url(plan, other, "drop"), {f"item{other.pk}-drop-reason": "No breast tissue"}).status_code
        == 302
    )
    assert PlanChange.objects.filter(item=other, action="dropped").exists()
    assert "Drop" in client.get(_url(survivor)).content.decode()


def test_a_failed_item_form_shows_the_services_message_by_the_field(client_for, nurse, plan):
    item = plan.items.first()
    response = client_for(nurse).post(_item_url(plan, item, "done"), {f"item{item.pk}-done-done_on": "2099-01-01"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "can&#x27;t be in the future" in html
    assert f'href="#id_item{item.pk}-done-done_on"' in html
    assert re.search(rf'id="item-{item.pk}".*?<details open>', html, re.S)


def test_an_unknown_action_or_an_item_of_another_plan_changes_nothing(
    client_for, nurse, plan, same_clinic_survivor, clinic
):
    other = plans.plan_start(
        by=nurse, survivor=same_clinic_survivor, template=plan_template_default(clinic=clinic), **DATES
    )
    item = other.items.first()
    client = client_for(nurse)
    assert client.post(_item_url(plan, item, "note"), {}).status_code == 404  # her item, through another's plan
    assert client.post(_item_url(plan, plan.items.first(), "explode"), {}).status_code == 302
    assert client.get(_item_url(plan, plan.items.first(), "note")).status_code == 405


# ---------------------------------------------------------------- templates


def test_the_templates_page_shows_the_default_with_its_source(client_for, clinic_admin, clinic):
    html = client_for(clinic_admin).get(reverse("plan_template_list")).content.decode()
    assert "Breast cancer follow-up (ASCO guidance, 2013)" in html
    assert "Khatcheressian JL" in html
    assert "years 1\u20133: every 3\u20136 months" in html
    assert PlanTemplate.objects.filter(clinic=clinic, builtin="asco-2013-breast").count() == 1
    assert reverse("plan_template_list") in html  # in the admin's nav


@pytest.mark.parametrize("persona", ["nurse", "other_nurse", "survivor"])
def test_only_clinic_admins_reach_templates(request, client_for, persona, clinic):
    template = plan_template_default(clinic=clinic)
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("plan_template_list")).status_code == 404
    assert client.get(reverse("plan_template_create")).status_code == 404
    assert client.get(reverse("plan_template_edit", args=[template.pk])).status_code == 404
    assert client.post(reverse("plan_template_toggle", args=[template.pk])).status_code == 404


def test_a_clinic_admin_of_another_clinic_gets_404_on_ours(client_for, other_clinic, clinic):
    template = plan_template_default(clinic=clinic)
    client = client_for(ClinicAdminFactory(clinics=[other_clinic]))
    assert client.get(reverse("plan_template_edit", args=[template.pk])).status_code == 404
    assert client.post(reverse("plan_template_toggle", args=[template.pk])).status_code == 404
    assert PlanTemplate.objects.get(pk=template.pk).is_active
    assert "Riverside" not in client.get(reverse("plan_template_list")).content.decode()


def test_a_clinic_admin_creates_edits_and_switches_off_a_template(client_for, clinic_admin, clinic):
    client = client_for(clinic_admin)
    form = client.get(reverse("plan_template_create")).content.decode()
    assert "&quot;mammogram&quot;" in form  # the example in the box
    items = (
        '[{"key": "visit", "kind": "visit", "label": "Check-up", "counts_from": ["diagnosis"],'
        ' "phases": [{"from_year": 1, "to_year": null, "every_min_months": 6, "every_max_months": 12}]}]'
    )
    data = {"clinic": clinic.pk, "name": "Twice a year", "source": "", "source_note": "", "items_json": items}
    assert client.post(reverse("plan_template_create"), data).status_code == 302
    template = PlanTemplate.objects.get(name="Twice a year")
    bad = data | {"items_json": items.replace('"visit", "label"', '"scan", "label"')}
    response = client.post(reverse("plan_template_edit", args=[template.pk]), bad)
    assert response.status_code == 200
    assert "kind: one of visit" in response.content.decode()
    assert 'href="#id_items_json"' in response.content.decode()
    assert client.post(reverse("plan_template_toggle", args=[template.pk])).status_code == 302
    assert not PlanTemplate.objects.get(pk=template.pk).is_active


def test_the_shipped_template_is_not_edited(client_for, clinic_admin, clinic):
    template = plan_template_default(clinic=clinic)
    response = client_for(clinic_admin).get(reverse("plan_template_edit", args=[template.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("plan_template_list")


# ---------------------------------------------------------------- history in words, in her zone


def test_the_history_is_in_her_zone_with_readable_details(client_for, nurse, plan, survivor):
    survivor.time_zone = "Asia/Tokyo"
    survivor.save(update_fields=["time_zone"])
    nurse.time_zone = "America/Los_Angeles"
    nurse.save(update_fields=["time_zone"])
    item = plan.items.filter(key="visit").first()
    client = client_for(nurse)
    day = plan_common.her_today(survivor) + dt.timedelta(days=10)
    client.post(
        _item_url(plan, item, "book"),
        {f"item{item.pk}-book-booked_on": day.isoformat(), f"item{item.pk}-book-booked_time": "09:15"},
    )
    plan.changes.update(at=dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC))  # 2 Mar 08:30 in Tokyo
    item.refresh_from_db()
    other = plan.items.filter(key="mammogram").first()
    client.post(
        _item_url(plan, other, "move"),
        {
            f"item{other.pk}-move-opens_on": other.opens_on.isoformat(),
            f"item{other.pk}-move-due_by": (other.due_by + dt.timedelta(days=7)).isoformat(),
        },
    )
    html = client.get(_url(survivor)).content.decode()
    assert "2 Mar 2026 08:30" in html  # her time, not the nurse's (1 Mar 15:30)
    assert f"booked for: \u2014 \u2192 {day:%-d %b %Y}, 09:15" in html  # her 09:15, not UTC's 00:15
    assert "+00:00" not in html and "booked at" not in html and "endocrine start on" not in html
    assert "state: Due \u2192 Booked" in html
    assert "Due \u2192 Due" not in html  # a move keeps the state: not said
    moved = f"due by: {other.due_by:%-d %b %Y} \u2192 {other.due_by + dt.timedelta(days=7):%-d %b %Y}</td>"
    assert moved in html  # only what changed: not its opening day nor its state


# ---------------------------------------------------------------- item forms


def test_adding_an_item_reports_every_problem_at_once(client_for, nurse, plan, survivor):
    today = plan_common.her_today(survivor)
    response = client_for(nurse).post(
        _url(survivor),
        {
            "add": "1",
            "add-kind": "blood_test",
            "add-label": "Bone profile",
            "add-opens_on": (today + dt.timedelta(days=30)).isoformat(),
            "add-due_by": (today + dt.timedelta(days=10)).isoformat(),
            "add-note": "x" * 3000,
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The window must close on or after the day it opens." in html  # with the note's, not after it
    assert "at most" in html  # the note's length
    assert "New item, Due by:" in html
    assert not plan.items.filter(label="Bone profile").exists()


def test_the_error_summary_names_the_item(client_for, nurse, plan):
    item = plan.items.filter(key="mammogram").first()
    response = client_for(nurse).post(
        _item_url(plan, item, "move"),
        {f"item{item.pk}-move-opens_on": "2030-03-01", f"item{item.pk}-move-due_by": "2030-01-01"},
    )
    html = response.content.decode()
    summary = html.split("data-error-summary", 1)[1].split("</div>", 1)[0]
    assert "Mammogram, Due by:" in summary
    assert "The window must close on or after the day it opens." in summary


def _book(client, plan, item, day):
    return client.post(
        _item_url(plan, item, "book"),
        {f"item{item.pk}-book-booked_on": day.isoformat(), f"item{item.pk}-book-booked_time": "10:00"},
    )


def test_done_before_the_booked_day_needs_her_nurse_to_confirm(client_for, nurse, plan, survivor):
    client = client_for(nurse)
    item = plan.items.filter(key="visit").first()
    today = plan_common.her_today(survivor)
    booked = today + dt.timedelta(days=7)
    assert _book(client, plan, item, booked).status_code == 302
    response = client.post(_item_url(plan, item, "done"), {f"item{item.pk}-done-done_on": today.isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"It is booked for {booked:%-d %B %Y}; mark it done on or after that day, or move the booking." in html
    assert PlanItem.objects.get(pk=item.pk).state == "booked"
    # She was seen early: confirmed, it is done.
    response = client.post(
        _item_url(plan, item, "done"),
        {f"item{item.pk}-done-done_on": today.isoformat(), f"item{item.pk}-done-seen_early": "on"},
    )
    assert response.status_code == 302
    assert PlanItem.objects.get(pk=item.pk).state == "done"


def test_the_seen_early_box_is_only_on_a_booked_item(client_for, nurse, plan, survivor):
    item = plan.items.filter(key="visit").first()
    html = client_for(nurse).get(_url(survivor)).content.decode()
    assert f"item{item.pk}-done-seen_early" not in html


def test_a_move_onto_another_open_item_of_its_kind_is_saved_with_a_warning(client_for, nurse, plan):
    first, second = plan.items.filter(key="visit").order_by("opens_on")[:2]
    response = client_for(nurse).post(
        _item_url(plan, first, "move"),
        {
            f"item{first.pk}-move-opens_on": first.opens_on.isoformat(),
            f"item{first.pk}-move-due_by": second.opens_on.isoformat(),
        },
        follow=True,
    )
    html = response.content.decode()
    assert PlanItem.objects.get(pk=first.pk).due_by == second.opens_on  # saved, not refused
    assert (
        f"It now overlaps Check-up with your care team (due {second.opens_on:%-d %b %Y} to {second.due_by:%-d %b %Y})"
        in html
    )
    assert "Moved." in html


def test_a_move_clear_of_other_items_says_nothing_more(client_for, nurse, plan):
    first = plan.items.filter(key="visit").order_by("opens_on").first()
    response = client_for(nurse).post(
        _item_url(plan, first, "move"),
        {
            f"item{first.pk}-move-opens_on": first.opens_on.isoformat(),
            f"item{first.pk}-move-due_by": (first.due_by - dt.timedelta(days=1)).isoformat(),
        },
        follow=True,
    )
    assert "overlaps" not in response.content.decode()


def test_an_item_named_like_its_kind_is_not_named_twice(client_for, nurse, plan, survivor):
    """The template's mammogram is "Mammogram": its heading says so once; a
    nurse's own label keeps its kind beside it."""
    PlanItem.objects.create(
        plan=plan,
        key="",
        kind="blood_test",
        label="Vitamin D level",
        opens_on=dt.date(2030, 1, 1),
        due_by=dt.date(2030, 1, 1),
    )
    page = client_for(nurse).get(_url(survivor)).content.decode()
    assert "Mammogram <span" not in page and "(Mammogram)" not in page
    assert re.search(r"Vitamin D level\s*<span[^>]*>\(Blood test\)</span>", page)
