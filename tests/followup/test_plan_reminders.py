"""Her plan's reminders (issue 15): rows written when tracker says items
changed, once per item and moment, cancelled when they no longer apply, on
her channels, outside her quiet hours; the sweep marks missed items once and
the one "missed" reminder goes through the real delivery path."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from followup.models import Message, Preferences
from followup.reminders.delivery import deliver
from followup.reminders.sweep import sweep
from tests.followup.plan_world import changed, item_for, plan_for, save
from tracker.models import PlanChange, PlanItem

JUNE_2_11AM_NY = dt.datetime(2026, 6, 2, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def plan(survivor, nurse):
    return plan_for(survivor, nurse)


def rows(item, **filters):
    return Message.objects.filter(plan_item=item, **filters).order_by("channel")


def live(item):
    return rows(item, state__in=["pending", "queued"])


def test_a_window_opening_writes_one_time_to_book_reminder_per_channel_at_nine_her_time(plan):
    item = item_for(plan, opens_on=dt.date(2026, 7, 1), due_by=dt.date(2026, 8, 31), kind="mammogram")
    changed(plan, item)
    found = list(rows(item))
    # Email and in-app are on by default, texts off (no number).
    assert [m.channel for m in found] == ["email", "in_app"]
    assert {m.kind for m in found} == {"plan_open"}
    assert {m.dedupe_key for m in found} == {f"plan:{item.pk}:open:2026-07-01:{c}" for c in ("email", "in_app")}
    # 09:00 in New York (EDT, UTC-4) on the day the window opens.
    assert {m.due_at for m in found} == {dt.datetime(2026, 7, 1, 13, 0, tzinfo=dt.UTC)}
    assert {m.state for m in found} == {"pending"}


def test_the_signal_fired_twice_writes_each_row_once(plan):
    item = item_for(plan, opens_on=dt.date(2026, 7, 1), due_by=dt.date(2026, 8, 31))
    changed(plan, item)
    changed(plan, item)
    assert rows(item).count() == 2
    booked = save(item, state="booked", booked_at=dt.datetime(2026, 7, 20, 14, 0, tzinfo=dt.UTC))
    changed(plan, booked)
    changed(plan, booked)
    assert rows(item, kind="plan_booked").count() == 2


def test_a_moved_window_cancels_the_old_reminder_and_writes_the_new(plan):
    item = item_for(plan, opens_on=dt.date(2026, 7, 1), due_by=dt.date(2026, 8, 31))
    changed(plan, item)
    changed(plan, save(item, opens_on=dt.date(2026, 9, 1), due_by=dt.date(2026, 10, 31)))
    assert set(rows(item, dedupe_key__contains="2026-07-01").values_list("state", flat=True)) == {"cancelled"}
    assert {m.due_at for m in live(item)} == {dt.datetime(2026, 9, 1, 13, 0, tzinfo=dt.UTC)}
    # Moved back: the first rows are pending again, the second cancelled.
    changed(plan, save(item, opens_on=dt.date(2026, 7, 1), due_by=dt.date(2026, 8, 31)))
    assert {m.dedupe_key.split(":")[3] for m in live(item)} == {"2026-07-01"}
    assert live(item).count() == 2


def test_booking_replaces_time_to_book_with_a_reminder_three_days_before_her_visit(plan):
    item = item_for(plan, opens_on=dt.date(2026, 7, 1), due_by=dt.date(2026, 8, 31))
    changed(plan, item)
    # 10:00 in New York on 20 July.
    changed(plan, save(item, state="booked", booked_at=dt.datetime(2026, 7, 20, 14, 0, tzinfo=dt.UTC)))
    assert set(rows(item, kind="plan_open").values_list("state", flat=True)) == {"cancelled"}
    booked = list(live(item))
    assert {m.kind for m in booked} == {"plan_booked"}
    assert {m.due_at for m in booked} == {dt.datetime(2026, 7, 17, 13, 0, tzinfo=dt.UTC)}
    # Booked elsewhere (another day): the first booking's reminder goes.
    changed(plan, save(item, booked_at=dt.datetime(2026, 7, 27, 14, 0, tzinfo=dt.UTC)))
    assert {m.due_at for m in live(item)} == {dt.datetime(2026, 7, 24, 13, 0, tzinfo=dt.UTC)}
    assert rows(item, state="cancelled", kind="plan_booked").count() == 2


def test_a_booking_made_the_day_before_is_reminded_at_once(plan):
    item = item_for(plan, opens_on=dt.date(2026, 5, 1), due_by=dt.date(2026, 6, 30))
    with time_machine.travel(JUNE_2_11AM_NY, tick=False):
        changed(plan, save(item, state="booked", booked_at=dt.datetime(2026, 6, 3, 14, 0, tzinfo=dt.UTC)))
    assert {m.due_at for m in live(item)} == {JUNE_2_11AM_NY}


@pytest.mark.parametrize("state", ["done", "not_needed"])
def test_done_or_not_needed_cancels_her_pending_reminders(plan, state):
    item = item_for(plan, opens_on=dt.date(2026, 7, 1), due_by=dt.date(2026, 8, 31))
    changed(plan, item)
    changed(plan, save(item, state=state, done_on=dt.date(2026, 6, 2) if state == "done" else None))
    assert not live(item).exists()
    assert rows(item, state="cancelled").count() == 2


def test_her_channels_are_the_ones_she_chose(plan, survivor):
    Preferences.objects.create(survivor=survivor, email_on=False, sms_on=True, phone="+1 555 0100 200")
    item = item_for(plan, opens_on=dt.date(2026, 7, 1), due_by=dt.date(2026, 8, 31))
    changed(plan, item)
    assert [m.channel for m in rows(item)] == ["in_app", "sms"]
    # She turns texts off: the pending text is cancelled at the next change.
    Preferences.objects.filter(survivor=survivor).update(sms_on=False)
    changed(plan, item)
    assert [m.channel for m in live(item)] == ["in_app"]


def test_rows_roll_back_with_the_change_that_wrote_them(plan):
    item = item_for(plan, opens_on=dt.date(2026, 7, 1), due_by=dt.date(2026, 8, 31))
    with pytest.raises(RuntimeError), transaction.atomic():
        changed(plan, item)
        assert rows(item).exists()
        raise RuntimeError("the plan change fails after the signal")
    assert not rows(item).exists()


# ------------------------------------------------------------------ missed, through the sweep


def sweep_and_deliver(now=None):
    return {pk: deliver(message_id=pk) for pk in sweep(now=now)}


def test_the_sweep_marks_an_item_missed_once_and_she_hears_of_it_once(plan, survivor, clinic):
    item = item_for(plan, opens_on=dt.date(2026, 3, 1), due_by=dt.date(2026, 5, 31), kind="mammogram")
    results = sweep_and_deliver()
    item.refresh_from_db()
    assert item.state == "missed" and item.missed_at is not None
    assert PlanChange.objects.filter(item=item, action="missed", by=None).count() == 1
    missed = rows(item, kind="plan_missed")
    assert [m.channel for m in missed] == ["email", "in_app"]
    assert set(results.values()) == {"sent"}
    assert set(missed.values_list("state", flat=True)) == {"sent"}
    [email] = [m for m in mail.outbox if m.to == [survivor.email]]
    body = (email.subject + email.body + email.alternatives[0][0]).lower()
    assert "overdue" in body and clinic.name.lower() in body
    for health_word in ("mammogram", "scan", "visit", "breast", "2026"):
        assert health_word not in body
    # Later sweeps: no second mark, no second reminder.
    assert sweep_and_deliver() == {}
    assert PlanChange.objects.filter(item=item, action="missed").count() == 1
    assert rows(item, kind="plan_missed").count() == 2
    assert len(mail.outbox) == 1


def test_missed_is_her_day_not_utcs(plan):
    item = item_for(plan, opens_on=dt.date(2026, 4, 1), due_by=dt.date(2026, 6, 1))
    # 22:00 on 1 June in New York (already 2 June in UTC): still in the window.
    with time_machine.travel(dt.datetime(2026, 6, 2, 2, 0, tzinfo=dt.UTC), tick=False):
        sweep()
    item.refresh_from_db()
    assert item.state == "due"
    # 01:00 on 2 June in New York: missed.
    with time_machine.travel(dt.datetime(2026, 6, 2, 5, 0, tzinfo=dt.UTC), tick=False):
        sweep()
    item.refresh_from_db()
    assert item.state == "missed"


def test_a_booking_after_the_window_is_not_missed_before_it_happens(plan):
    item = item_for(
        plan,
        opens_on=dt.date(2026, 3, 1),
        due_by=dt.date(2026, 5, 31),
        state="booked",
        booked_at=dt.datetime(2026, 6, 10, 14, 0, tzinfo=dt.UTC),
    )
    sweep()
    item.refresh_from_db()
    assert item.state == "booked"
    with time_machine.travel(dt.datetime(2026, 6, 11, 15, 0, tzinfo=dt.UTC), tick=False):
        sweep()
    item.refresh_from_db()
    assert item.state == "missed"


def test_quiet_hours_hold_the_missed_reminder_until_eight_her_time(plan, enqueued):
    item = item_for(plan, opens_on=dt.date(2026, 3, 1), due_by=dt.date(2026, 5, 31))
    # 23:00 on 2 June in New York: quiet hours.
    with time_machine.travel(dt.datetime(2026, 6, 3, 3, 0, tzinfo=dt.UTC), tick=False):
        assert sweep() == []
    item.refresh_from_db()
    assert item.state == "missed"
    assert {m.due_at for m in rows(item)} == {dt.datetime(2026, 6, 3, 12, 0, tzinfo=dt.UTC)}
    assert set(rows(item).values_list("state", flat=True)) == {"pending"}
    with time_machine.travel(dt.datetime(2026, 6, 3, 12, 1, tzinfo=dt.UTC), tick=False):
        assert len(sweep()) == 2


def test_a_done_item_is_never_missed(plan):
    item = item_for(
        plan, opens_on=dt.date(2026, 3, 1), due_by=dt.date(2026, 5, 31), state="done", done_on=dt.date(2026, 5, 2)
    )
    sweep()
    item.refresh_from_db()
    assert item.state == "done"
    assert not rows(item).exists()


def test_a_broken_plan_step_does_not_stop_the_sweep(plan, monkeypatch, survivor, report):
    from followup.reminders import sweep as sweep_module

    def broken(**kwargs):
        raise RuntimeError("a bug in the plan step")

    monkeypatch.setattr(sweep_module, "plan_items_mark_missed", broken)
    flag = report(survivor, code="seizure", site=None)["seizure"]
    queued = sweep()
    assert Message.objects.filter(flag=flag, pk__in=queued).exists()


def test_a_plan_item_cascades_its_reminders(plan):
    item = item_for(plan, opens_on=dt.date(2026, 7, 1), due_by=dt.date(2026, 8, 31))
    changed(plan, item)
    PlanItem.objects.filter(pk=item.pk).delete()
    assert not Message.objects.filter(kind="plan_open").exists()


def test_her_in_app_notice_shows_on_her_home_page_while_the_item_is_still_to_book(client, plan, survivor):
    from django.urls import reverse

    item = item_for(plan, opens_on=dt.date(2026, 5, 1), due_by=dt.date(2026, 7, 31), kind="mammogram")
    changed(plan, item)  # the window is open: due at once
    sweep_and_deliver()
    client.force_login(survivor)
    page = client.get(reverse("home")).content.decode()
    assert "You have a follow-up item to book." in page
    changed(plan, save(item, state="done", done_on=dt.date(2026, 6, 1)))
    assert "You have a follow-up item to book." not in client.get(reverse("home")).content.decode()


def test_her_preferences_are_read_once_whatever_the_number_of_items(plan):
    """The receiver's queries do not grow with the items of one signal."""

    def queries(items) -> int:
        with CaptureQueriesContext(connection) as seen:
            changed(plan, *items)
        return len(seen)

    def window(month):
        return item_for(plan, opens_on=dt.date(2026, month, 1), due_by=dt.date(2026, month, 28))

    one = queries([window(7)])
    assert queries([window(month) for month in (8, 9, 10, 11)]) == one
    assert Message.objects.filter(kind="plan_open").count() == 10
