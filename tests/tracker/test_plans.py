"""Her plan's writes: each keeps a PlanChange with who and what changed and
sends plan_items_changed; her dates are checked field by field; done items
roll forward; the sweep finds missed items in HER time zone, once."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.factories import ClinicAdminFactory, NurseFactory, SurvivorFactory
from tracker.models import AuditEvent, Plan, PlanChange, PlanItem, PlanTemplate
from tracker.plans import calendar
from tracker.plans.defaults import DEFAULT_TEMPLATE
from tracker.services import plan_common, plan_items, plans
from tracker.services.plan_templates import plan_template_default, plan_template_save, plan_template_set_active
from tracker.signals import plan_items_changed

TODAY = dt.date(2025, 3, 10)
DATES = {"diagnosis_on": dt.date(2024, 1, 15), "surgery_on": dt.date(2024, 2, 20)}


@pytest.fixture
def sent():
    calls = []

    def hear(sender, plan, items, **kwargs):
        calls.append((plan.pk, [item.pk for item in items]))

    plan_items_changed.connect(hear, weak=False)
    yield calls
    plan_items_changed.disconnect(hear)


@pytest.fixture
def template(clinic):
    return plan_template_default(clinic=clinic)


@pytest.fixture
def plan(nurse, survivor, template):
    return plans.plan_start(by=nurse, survivor=survivor, template=template, today=TODAY, **DATES)


def _visits(plan, state="due"):
    return list(plan.items.filter(key="visit", state=state).order_by("opens_on"))


# ---------------------------------------------------------------- templates


def test_the_default_template_is_made_once_per_clinic(clinic, other_clinic):
    first = plan_template_default(clinic=clinic)
    assert plan_template_default(clinic=clinic) == first
    assert plan_template_default(clinic=other_clinic) != first
    assert first.builtin == DEFAULT_TEMPLATE.key and first.source.startswith("Khatcheressian")
    assert PlanTemplate.objects.filter(clinic=clinic).count() == 1


def test_a_clinic_admin_saves_her_clinics_own_template_checked(clinic, clinic_admin):
    items = (
        '[{"key": "visit", "kind": "visit", "label": "Check-up", "counts_from": ["diagnosis"],'
        ' "phases": [{"from_year": 1, "to_year": null, "every_min_months": 6, "every_max_months": 12}]}]'
    )
    row = plan_template_save(by=clinic_admin, clinic=clinic, name=" Ours ", source="", source_note="", items_json=items)
    assert row.name == "Ours" and row.items[0]["label"] == "Check-up" and row.created_by == clinic_admin
    with pytest.raises(ValidationError) as raised:
        plan_template_save(
            by=clinic_admin, clinic=clinic, name="ours", source="x" * 1001, source_note="", items_json="[]"
        )
    assert raised.value.message_dict == {
        "name": ["Another template of this clinic has this name."],
        "source": ["At most 1000 characters (this has 1,001)."],
        "items_json": ["A template has 1 to 30 items (this has 0)."],
    }
    assert AuditEvent.objects.filter(action="plan_template.save").count() == 1


def test_only_a_clinic_admin_of_the_clinic_changes_its_templates(clinic, other_clinic, nurse, template):
    with pytest.raises(PermissionDenied):
        plan_template_set_active(by=nurse, template=template, active=False)
    with pytest.raises(PermissionDenied):
        plan_template_set_active(by=ClinicAdminFactory(clinics=[other_clinic]), template=template, active=False)
    with pytest.raises(ValidationError, match="can't be changed"):
        plan_template_save(
            by=ClinicAdminFactory(clinics=[clinic]),
            clinic=clinic,
            name="x",
            source="",
            source_note="",
            items_json="[]",
            template=template,
        )


def test_switching_a_template_off_and_on(clinic_admin, template):
    plan_template_set_active(by=clinic_admin, template=template, active=False)
    template.refresh_from_db()
    assert not template.is_active
    plan_template_set_active(by=clinic_admin, template=template, active=True)
    assert PlanTemplate.objects.get(pk=template.pk).is_active


# ---------------------------------------------------------------- start


def test_starting_her_plan_makes_two_years_of_items_a_change_and_a_signal(nurse, survivor, template, sent):
    plan = plans.plan_start(by=nurse, survivor=survivor, template=template, today=TODAY, **DATES)
    items = list(plan.items.all())
    assert {item.key for item in items} == {"visit", "mammogram"}
    assert all(item.state == "due" and item.label == "" for item in items)
    assert min(item.opens_on for item in items) >= TODAY
    assert max(item.opens_on for item in items) <= calendar.horizon(TODAY)
    # Year 2 after surgery: every 3 to 6 months, so 4 to 8 visits in two years (year 3 too).
    assert 4 <= len(_visits(plan)) <= 8
    change = PlanChange.objects.get(plan=plan)
    assert (change.action, change.by, change.after["diagnosis_on"]) == ("started", nurse, "2024-01-15")
    assert sent == [(plan.pk, sorted(item.pk for item in items))]
    assert plan.started_on == TODAY and plan.started_by == nurse


@pytest.mark.parametrize(
    ("dates", "field", "says"),
    [
        ({"diagnosis_on": dt.date(2025, 3, 11)}, "diagnosis_on", "can't be in the future (her today is 10 Mar 2025)"),
        ({"diagnosis_on": dt.date(1899, 12, 31)}, "diagnosis_on", "can't be before 1900"),
        (
            {"surgery_on": dt.date(2024, 1, 14)},
            "surgery_on",
            "The surgery can't be before the diagnosis (15 Jan 2024).",
        ),
        (
            {"radiation_end_on": dt.date(2023, 1, 1)},
            "radiation_end_on",
            "end of radiation can't be before the diagnosis",
        ),
        ({"endocrine_start_on": dt.date(2026, 1, 1)}, "endocrine_start_on", "can't be in the future"),
        ({"first_mammogram_on": dt.date(2026, 1, 1)}, "first_mammogram_on", "can't be in the future"),
    ],
)
def test_her_dates_are_checked_with_a_message_by_each_field(nurse, survivor, template, dates, field, says):
    with pytest.raises(ValidationError) as raised:
        plans.plan_start(by=nurse, survivor=survivor, template=template, today=TODAY, **(DATES | dates))
    assert says in " ".join(raised.value.message_dict[field])
    assert not Plan.objects.exists()


def test_her_first_mammogram_may_come_before_the_diagnosis(nurse, survivor, template):
    plan = plans.plan_start(
        by=nurse, survivor=survivor, template=template, today=TODAY, first_mammogram_on=dt.date(2024, 1, 2), **DATES
    )
    assert plan.first_mammogram_on == dt.date(2024, 1, 2)


def test_a_second_plan_is_refused_with_a_message(nurse, survivor, template, plan):
    with pytest.raises(ValidationError) as raised:
        plans.plan_start(by=nurse, survivor=survivor, template=template, today=TODAY, **DATES)
    assert raised.value.message_dict["__all__"] == ["She already has a plan: change its dates or items instead."]


def test_a_template_of_another_clinic_or_switched_off_is_refused(nurse, survivor, other_clinic, clinic_admin, template):
    with pytest.raises(ValidationError) as raised:
        plans.plan_start(
            by=nurse, survivor=survivor, template=plan_template_default(clinic=other_clinic), today=TODAY, **DATES
        )
    assert "template" in raised.value.message_dict
    plan_template_set_active(by=clinic_admin, template=template, active=False)
    with pytest.raises(ValidationError, match="her clinic's templates"):
        plans.plan_start(by=nurse, survivor=survivor, template=template, today=TODAY, **DATES)


@pytest.mark.parametrize("who", ["other_nurse", "clinic_admin", "survivor"])
def test_only_a_nurse_of_her_clinic_writes_her_plan(request, who, nurse, survivor, template):
    by = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        plans.plan_start(by=by, survivor=survivor, template=template, today=TODAY, **DATES)
    plan = plans.plan_start(by=nurse, survivor=survivor, template=template, today=TODAY, **DATES)
    with pytest.raises(PermissionDenied):
        plan_items.plan_item_note(by=by, item=plan.items.first(), note="x")
    with pytest.raises(PermissionDenied):
        plans.plan_endocrine_end(by=by, plan=plan, end_on=TODAY)


def test_her_today_is_her_date_not_the_servers(nurse, template, clinic):
    tokyo = SurvivorFactory(clinic=clinic, time_zone="Asia/Tokyo")
    now = dt.datetime(2025, 3, 10, 20, 0, tzinfo=dt.UTC)  # 11 March in Tokyo
    assert plan_common.her_today(tokyo, now) == dt.date(2025, 3, 11)


# ---------------------------------------------------------------- dates


def test_changing_her_dates_plans_the_due_items_again_and_keeps_the_booked(nurse, plan, sent):
    booked = _visits(plan)[0]
    at = dt.datetime.combine(booked.opens_on, dt.time(10), tzinfo=dt.UTC)
    plan_items.plan_item_book(
        by=nurse, item=booked, booked_at=at, place="Clinic B", now=dt.datetime(2025, 3, 10, tzinfo=dt.UTC)
    )
    before = {item.pk for item in _visits(plan)}
    sent.clear()
    plans.plan_dates_update(
        by=nurse, plan=plan, today=TODAY, diagnosis_on=dt.date(2024, 1, 15), surgery_on=dt.date(2024, 6, 1)
    )
    plan.refresh_from_db()
    assert plan.surgery_on == dt.date(2024, 6, 1)
    assert PlanItem.objects.get(pk=booked.pk).state == "booked"
    assert not before & {item.pk for item in _visits(plan)}  # the projections were made again
    assert all(item.opens_on > booked.opens_on for item in _visits(plan))  # after the booking
    dates = PlanChange.objects.get(plan=plan, action="dates")
    assert dates.before == {"surgery_on": "2024-02-20"} and dates.after == {"surgery_on": "2024-06-01"}
    assert PlanChange.objects.filter(plan=plan, action="rolled").exists()
    assert len(sent) == 1 and set(sent[0][1]) == {item.pk for item in plan.items.filter(state="due")}


def test_the_end_of_hormone_therapy_needs_its_start_and_a_past_day(nurse, plan, sent):
    with pytest.raises(ValidationError, match="no start of hormone therapy"):
        plans.plan_endocrine_end(by=nurse, plan=plan, end_on=TODAY, today=TODAY)
    plans.plan_dates_update(by=nurse, plan=plan, today=TODAY, endocrine_start_on=dt.date(2024, 3, 1), **DATES)
    assert plan.takes_endocrine
    with pytest.raises(ValidationError, match="can't be before the start"):
        plans.plan_endocrine_end(by=nurse, plan=plan, end_on=dt.date(2024, 2, 1), today=TODAY)
    plans.plan_endocrine_end(by=nurse, plan=plan, end_on=dt.date(2025, 3, 1), today=TODAY)
    assert not Plan.objects.get(pk=plan.pk).takes_endocrine
    change = plan.changes.filter(action="dates").first()
    assert change.after == {"endocrine_end_on": "2025-03-01"} and change.by == nurse


# ---------------------------------------------------------------- items


def test_a_nurse_adds_an_item_of_her_own(nurse, plan, sent):
    item = plan_items.plan_item_add(
        by=nurse,
        plan=plan,
        kind="blood_test",
        label=" Bone density scan ",
        opens_on=TODAY,
        due_by=dt.date(2025, 5, 1),
        note="Before the next visit",
        today=TODAY,
    )
    assert (item.key, item.label, item.state) == ("", "Bone density scan", "due")
    change = PlanChange.objects.get(item=item)
    assert change.action == "added" and change.after["due_by"] == "2025-05-01"
    assert sent[-1] == (plan.pk, [item.pk])


@pytest.mark.parametrize(
    ("opens_on", "due_by", "field", "says"),
    [
        (dt.date(2025, 5, 1), dt.date(2025, 4, 1), "due_by", "must close on or after the day it opens"),
        (dt.date(2025, 1, 1), dt.date(2025, 3, 9), "due_by", "has already closed"),
        (dt.date(1899, 1, 1), dt.date(2025, 4, 1), "opens_on", "can't open before 1900"),
        (dt.date(2025, 4, 1), dt.date(2040, 1, 1), "due_by", "at most ten years ahead"),
    ],
)
def test_an_items_window_is_bounded(nurse, plan, opens_on, due_by, field, says):
    with pytest.raises(ValidationError) as raised:
        plan_items.plan_item_add(
            by=nurse, plan=plan, kind="other", label="x", opens_on=opens_on, due_by=due_by, today=TODAY
        )
    assert says in " ".join(raised.value.message_dict[field])
    item = _visits(plan)[0]
    with pytest.raises(ValidationError):
        plan_items.plan_item_move(by=nurse, item=item, opens_on=opens_on, due_by=due_by, today=TODAY)


def test_moving_an_item_keeps_what_it_was(nurse, plan, sent):
    item = _visits(plan)[0]
    old = (item.opens_on.isoformat(), item.due_by.isoformat())
    plan_items.plan_item_move(
        by=nurse, item=item, opens_on=dt.date(2025, 7, 1), due_by=dt.date(2025, 8, 1), today=TODAY
    )
    change = PlanChange.objects.get(item=item, action="moved")
    assert (change.before["opens_on"], change.before["due_by"]) == old
    assert change.after["opens_on"] == "2025-07-01"
    assert sent[-1] == (plan.pk, [item.pk])


def test_a_missed_item_moved_to_a_window_still_open_is_due_again(nurse, plan):
    item = _visits(plan)[0]
    PlanItem.objects.filter(pk=item.pk).update(state="missed", missed_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
    row = plan_items.plan_item_move(by=nurse, item=item, opens_on=TODAY, due_by=dt.date(2025, 4, 1), today=TODAY)
    assert (row.state, row.missed_at) == ("due", None)


def test_booking_an_item(nurse, plan, survivor, sent):
    item = _visits(plan)[0]
    at = dt.datetime(2025, 6, 2, 14, 30, tzinfo=dt.UTC)
    now = dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC)
    row = plan_items.plan_item_book(by=nurse, item=item, booked_at=at, place=" Clinic B ", now=now)
    assert (row.state, row.booked_at, row.booked_place) == ("booked", at, "Clinic B")
    change = PlanChange.objects.get(item=item, action="booked")
    assert change.after == {"state": "booked", "booked_at": "2025-06-02T14:30:00+00:00", "booked_place": "Clinic B"}
    assert change.before["state"] == "due"
    assert sent[-1] == (plan.pk, [item.pk])
    with pytest.raises(ValidationError, match="today or later"):
        plan_items.plan_item_book(by=nurse, item=item, booked_at=now - dt.timedelta(days=1), place="", now=now)
    with pytest.raises(ValidationError) as raised:
        plan_items.plan_item_book(by=nurse, item=item, booked_at=at, place="x" * 201, now=now)
    assert "place" in raised.value.message_dict
    with pytest.raises(ValueError, match="aware"):
        plan_items.plan_item_book(by=nurse, item=item, booked_at=dt.datetime(2025, 6, 2), place="", now=now)  # noqa: DTZ001


def test_done_rolls_the_later_items_of_its_key_forward_from_that_day(nurse, plan, sent):
    first, *later = _visits(plan)
    mammograms = set(plan.items.filter(key="mammogram").values_list("pk", flat=True))
    done_on = dt.date(2025, 3, 8)  # seen two days ago, before its window opened
    sent.clear()
    plan_items.plan_item_done(by=nurse, item=first, done_on=done_on, today=TODAY)
    assert PlanItem.objects.get(pk=first.pk).state == "done"
    assert not PlanItem.objects.filter(pk__in=[item.pk for item in later]).exists()
    rolled = _visits(plan)
    # Year 2 after surgery (Feb 2024): the next window is 3 to 6 months after the day she was seen.
    assert (rolled[0].opens_on, rolled[0].due_by) == (calendar.add_months(done_on, 3), calendar.add_months(done_on, 6))
    assert rolled[-1].opens_on <= calendar.horizon(TODAY)
    assert set(plan.items.filter(key="mammogram").values_list("pk", flat=True)) == mammograms  # another key: untouched
    assert [c.action for c in PlanChange.objects.filter(item=first).order_by("id")] == ["done", "rolled"]
    rolled_change = PlanChange.objects.get(item=first, action="rolled")
    assert len(rolled_change.before["windows"]) == len(later)
    assert sent == [(plan.pk, [first.pk, *[item.pk for item in rolled]])]


def test_done_skips_windows_that_overlap_a_kept_item(nurse, plan):
    first, second, *_ = _visits(plan)
    at = dt.datetime.combine(second.due_by, dt.time(9), tzinfo=dt.UTC)
    plan_items.plan_item_book(
        by=nurse, item=second, booked_at=at, place="", now=dt.datetime(2025, 3, 10, tzinfo=dt.UTC)
    )
    plan_items.plan_item_done(by=nurse, item=first, done_on=TODAY, today=TODAY)
    due = _visits(plan)
    assert all(item.opens_on > second.due_by for item in due)  # counted on from the booking


def test_done_on_is_checked(nurse, plan):
    item = _visits(plan)[0]
    for day, says in [
        (dt.date(2025, 3, 11), "can't be in the future"),
        (dt.date(2023, 1, 1), "can't be before her diagnosis"),
    ]:
        with pytest.raises(ValidationError) as raised:
            plan_items.plan_item_done(by=nurse, item=item, done_on=day, today=TODAY)
        assert says in raised.value.message_dict["done_on"][0]


def test_a_nurses_own_item_done_does_not_roll(nurse, plan):
    item = plan_items.plan_item_add(
        by=nurse, plan=plan, kind="other", label="Dentist", opens_on=TODAY, due_by=dt.date(2025, 4, 1), today=TODAY
    )
    count = plan.items.count()
    plan_items.plan_item_done(by=nurse, item=item, done_on=TODAY, today=TODAY)
    assert plan.items.count() == count
    assert not PlanChange.objects.filter(action="rolled").exists()


def test_not_needed_and_dropped_items_stay_with_their_reason(nurse, plan, sent):
    first, second, *_ = _visits(plan)
    plan_items.plan_item_not_needed(by=nurse, item=first, reason="Seen at another hospital")
    with pytest.raises(ValidationError) as raised:
        plan_items.plan_item_drop(by=nurse, item=second, reason="  ")
    assert raised.value.message_dict["reason"][0].startswith("Say why it is dropped")
    plan_items.plan_item_drop(by=nurse, item=second, reason="Both breasts removed")
    assert set(PlanItem.objects.filter(pk__in=[first.pk, second.pk]).values_list("state", flat=True)) == {"not_needed"}
    assert PlanChange.objects.get(item=second).after == {"state": "not_needed", "reason": "Both breasts removed"}
    assert PlanChange.objects.get(item=first).action == "not_needed"
    assert sent[-1] == (plan.pk, [second.pk])
    with pytest.raises(ValidationError, match="already not needed"):
        plan_items.plan_item_done(by=nurse, item=second, done_on=TODAY, today=TODAY)


def test_a_note_on_any_item_bounded(nurse, plan, sent):
    item = _visits(plan)[0]
    plan_items.plan_item_note(by=nurse, item=item, note=" Prefers mornings ")
    assert PlanItem.objects.get(pk=item.pk).note == "Prefers mornings"
    assert PlanChange.objects.get(item=item).before == {"note": ""}
    with pytest.raises(ValidationError) as raised:
        plan_items.plan_item_note(by=nurse, item=item, note="x" * 2001)
    assert raised.value.message_dict["note"] == ["At most 2,000 characters (this has 2,001)."]
    assert AuditEvent.objects.filter(action="plan.note", actor=nurse).count() == 1


# ---------------------------------------------------------------- missed


def _item_due_by(clinic, nurse, time_zone, due_by, **fields):
    survivor = SurvivorFactory(clinic=clinic, time_zone=time_zone)
    plan = Plan.objects.create(
        survivor=survivor,
        template=plan_template_default(clinic=clinic),
        diagnosis_on=dt.date(2024, 1, 1),
        started_on=dt.date(2024, 2, 1),
        started_by=nurse,
    )
    return PlanItem.objects.create(
        plan=plan, key="visit", kind="visit", opens_on=due_by - dt.timedelta(days=60), due_by=due_by, **fields
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_missed_is_found_in_her_time_zone_once(clinic, nurse, sent):
    due_by = dt.date(2025, 3, 10)
    tokyo = _item_due_by(clinic, nurse, "Asia/Tokyo", due_by)
    los_angeles = _item_due_by(clinic, nurse, "America/Los_Angeles", due_by)
    # 15:30 UTC: 00:30 on 11 March in Tokyo, 08:30 on 10 March in Los Angeles.
    now = dt.datetime(2025, 3, 10, 15, 30, tzinfo=dt.UTC)
    assert plans.plan_items_mark_missed(now=now, batch=100) == 1
    assert PlanItem.objects.get(pk=tokyo.pk).state == "missed"
    assert PlanItem.objects.get(pk=tokyo.pk).missed_at == now
    assert PlanItem.objects.get(pk=los_angeles.pk).state == "due"
    assert plans.plan_items_mark_missed(now=now, batch=100) == 0  # idempotent
    # 07:30 UTC next day: 00:30 on 11 March in Los Angeles.
    assert plans.plan_items_mark_missed(now=dt.datetime(2025, 3, 11, 7, 30, tzinfo=dt.UTC), batch=100) == 1
    assert PlanItem.objects.get(pk=los_angeles.pk).state == "missed"
    change = PlanChange.objects.get(item=tokyo)
    assert (change.action, change.by, change.before, change.after) == (
        "missed",
        None,
        {"state": "due"},
        {"state": "missed"},
    )
    assert sent == [(tokyo.plan_id, [tokyo.pk]), (los_angeles.plan_id, [los_angeles.pk])]


def test_missed_waits_for_a_booking_after_the_window_and_keeps_to_the_batch(clinic, nurse):
    due_by = dt.date(2025, 3, 1)
    now = dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC)
    booked = _item_due_by(clinic, nurse, "Europe/London", due_by, state="booked", booked_at=now + dt.timedelta(days=2))
    plain = [_item_due_by(clinic, nurse, "Europe/London", due_by) for _ in range(3)]
    assert plans.plan_items_mark_missed(now=now, batch=2) == 2
    assert plans.plan_items_mark_missed(now=now, batch=2) == 1
    assert {item.state for item in PlanItem.objects.filter(pk__in=[p.pk for p in plain])} == {"missed"}
    assert PlanItem.objects.get(pk=booked.pk).state == "booked"
    assert plans.plan_items_mark_missed(now=now + dt.timedelta(days=3), batch=10) == 1


def test_other_nurses_cannot_write_even_through_the_service(other_nurse, plan):
    with pytest.raises(PermissionDenied):
        plan_items.plan_item_done(by=other_nurse, item=plan.items.first(), done_on=TODAY, today=TODAY)
    with pytest.raises(PermissionDenied):
        plan_items.plan_item_add(
            by=NurseFactory(clinics=[]), plan=plan, kind="other", label="x", opens_on=TODAY, due_by=TODAY
        )


def test_a_plan_whose_reminders_fail_is_left_for_the_next_sweep_and_the_others_are_marked(clinic, nurse):
    due_by = dt.date(2025, 3, 1)
    now = dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC)
    broken = _item_due_by(clinic, nurse, "Europe/London", due_by)  # first in the sweep's order
    fine = _item_due_by(clinic, nurse, "Europe/London", due_by)

    def fails(sender, plan, items, **kwargs):
        if plan.pk == broken.plan_id:
            raise RuntimeError("her reminders could not be written")

    plan_items_changed.connect(fails, weak=False)
    try:
        assert plans.plan_items_mark_missed(now=now, batch=10) == 1
    finally:
        plan_items_changed.disconnect(fails)
    assert PlanItem.objects.get(pk=fine.pk).state == "missed"
    assert PlanItem.objects.get(pk=broken.pk).state == "due"  # still open: the next sweep tries again
    assert not PlanChange.objects.filter(item=broken).exists()
    assert plans.plan_items_mark_missed(now=now, batch=10) == 1  # and does, once it works
    assert PlanItem.objects.get(pk=broken.pk).state == "missed"
