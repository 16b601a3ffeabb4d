"""Privacy between clinics and roles (issue 13, section 4), the follow-up
app's pages: the audit trail and the messages page, as the admin of clinic A
sees them when a nurse works for both A and B and survivors are in both."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from followup.admin_actions import cadence_save
from followup.models import Message
from tests.factories import ClinicAdminFactory, InvitationFactory, SurvivorFactory
from tracker.models import Flag, Rule
from tracker.services.audit import audit_record, audit_record_list


@pytest.fixture
def as_admin_a(client, clinic_admin):
    client.force_login(clinic_admin)
    return client


def body(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


# ------------------------------------------------------------------ the audit trail


@pytest.fixture
def audit_rows(clinic, clinic_b, shared_nurse, survivor, b_survivor):
    """What the shared nurse did in both clinics, and an admin of both."""
    record = audit_record
    record(actor=shared_nurse, action="survivor.history.view", survivor=survivor)
    record(actor=shared_nurse, action="survivor.history.view", survivor=b_survivor)
    audit_record_list(actor=shared_nurse, action="queue.view", survivor_ids=[survivor.pk, b_survivor.pk])
    audit_record_list(actor=shared_nurse, action="call_list.view", survivor_ids=[b_survivor.pk])
    record(actor=shared_nurse, action="invitation.create", target=InvitationFactory(clinic=clinic))
    record(actor=shared_nurse, action="invitation.create", target=InvitationFactory(clinic=clinic_b))
    both_admin = ClinicAdminFactory(clinics=[clinic, clinic_b])
    cadence_save(clinic=clinic_b, tier="urgent", by=both_admin, first_after_minutes=0, every_minutes=60, max_count=3)


def test_the_audit_trail_shows_no_row_name_or_count_of_another_clinic(as_admin_a, audit_rows, survivor, b_survivor):
    page = as_admin_a.get(reverse("audit_trail"))
    html = body(page)
    rows = list(page.context["page"])
    assert sorted((r.action, r.object_type) for r in rows) == [
        ("invitation.create", "invitation"),
        ("queue.view", ""),
        ("survivor.history.view", ""),
    ]
    [history] = [r for r in rows if r.action == "survivor.history.view"]
    assert history.survivor == survivor
    [queue] = [r for r in rows if r.action == "queue.view"]
    assert queue.listed == [survivor.full_name]  # the page listed two; hers is the one named and counted
    assert "1 survivor<" in html and "2 survivors" not in html
    for words in (b_survivor.full_name, b_survivor.email, "Brookside"):
        assert words not in html


@pytest.mark.parametrize("typed", ["Beatrix", "beatrix@example.org"])
def test_the_audit_filter_finds_nothing_for_another_clinics_survivor(as_admin_a, audit_rows, typed):
    page = as_admin_a.post(reverse("audit_trail"), {"survivor": typed}, follow=True)
    assert list(page.context["page"]) == []
    assert "Beatrix Brookside" not in body(page)


def test_the_audit_filter_still_finds_her_own_clinics_survivor(as_admin_a, audit_rows, survivor):
    page = as_admin_a.post(reverse("audit_trail"), {"survivor": survivor.email}, follow=True)
    assert sorted(r.action for r in page.context["page"]) == ["queue.view", "survivor.history.view"]


def test_the_other_clinics_admin_sees_her_own_side_only(client, clinic_b, audit_rows, survivor, b_survivor):
    client.force_login(ClinicAdminFactory(clinics=[clinic_b]))
    page = client.get(reverse("audit_trail"))
    rows = list(page.context["page"])
    assert {r.survivor for r in rows if r.survivor} == {b_survivor}
    assert [r.listed for r in rows if r.action == "queue.view"] == [[b_survivor.full_name]]
    assert survivor.full_name not in body(page)


# ------------------------------------------------------------------ the messages page


@pytest.fixture
def messages_of_both(survivor, b_survivor, default_rules):
    """A red-flag reminder that failed and was cancelled for a survivor of
    clinic A, a weekly check-in for another, and a reminder in clinic B."""
    rule = Rule.objects.get(slug="headache")
    now = timezone.now()
    made, flags = [], {}
    for who, kind, state, error in (
        (survivor, "reminder", "failed", "email: SMTPRecipientsRefused"),
        (survivor, "reminder", "cancelled", "loop closed"),
        (b_survivor, "reminder", "failed", "email: SMTPRecipientsRefused"),
    ):
        if who not in flags:
            flags[who] = Flag.objects.create(
                survivor=who, rule=rule, rule_version=rule.current, tier="urgent", evidence="x"
            )
        flag = flags[who]
        made.append(
            Message.objects.create(
                kind=kind,
                channel="email",
                recipient=who,
                survivor=who,
                clinic=who.clinic,
                flag=flag,
                dedupe_key=f"{kind}:{flag.pk}:{state}",
                due_at=now,
                state=state,
                last_error=error,
                tries=1,
            )
        )
    other = SurvivorFactory(clinic=survivor.clinic, full_name="Cora Checkin")
    Message.objects.create(
        kind="checkin", channel="sms", recipient=other, survivor=other, clinic=other.clinic, dedupe_key="c", due_at=now
    )
    return made


def test_the_messages_page_shows_delivery_by_name_and_kinds_only_as_counts(
    as_admin_a, messages_of_both, survivor, b_survivor
):
    html = body(as_admin_a.get(reverse("message_list")))
    counts, _, by_name = html.partition("Delivery to each person")
    # By name: her deliveries, their state and error, and no kind of message.
    assert survivor.full_name in by_name and "Cora Checkin" in by_name
    for kind in Message.Kind:
        assert kind.label not in by_name, kind.label
    assert "SMTPRecipientsRefused" in by_name
    assert "loop closed" not in html  # a cancelled reminder's reason would tell its kind
    assert re.search(r"\b\d{1,2}:\d{2}\b", by_name) is None  # the day, not the time of a series
    # As counts: kinds and states, no name.
    reminders = re.search(r"Contact your care team</th>(.*?)</tr>", counts, re.S).group(1)
    assert re.findall(r">(\d+)<", reminders) == ["0", "0", "0", "0", "1", "1"]  # failed 1, cancelled 1 (A's only)
    assert survivor.full_name not in counts and "Cora Checkin" not in counts
    assert b_survivor.full_name not in html


def test_the_admin_still_retries_a_failed_message_from_the_page(as_admin_a, messages_of_both):
    failed = messages_of_both[0]
    html = body(as_admin_a.get(reverse("message_list") + "?state=failed"))
    assert reverse("message_retry", args=[failed.pk]) in html
    assert reverse("message_retry", args=[messages_of_both[2].pk]) not in html  # clinic B's
