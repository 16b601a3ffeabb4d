"""A survivor's whole record as CSV: hers to keep, or a nurse's to file."""

import csv
import datetime as dt
import io
import uuid
import zoneinfo
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CheckInFactory, SymptomEntryFactory, WeightEntryFactory, body_site, symptom
from tracker.models import AuditEvent, User
from tracker.services.checkins import weight_record


def rows_of(response) -> list[dict]:
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def record(survivor, report):
    survivor.weight_unit = User.WeightUnit.LB
    survivor.save()
    checkin = CheckInFactory(survivor=survivor)
    SymptomEntryFactory(
        checkin=checkin,
        symptom=symptom("pain"),
        body_site=body_site("hip"),
        severity=7,
        is_worse=True,
        note='=HYPERLINK("http://evil") worse at night, <b>bold</b>',
        created_at=timezone.now() - dt.timedelta(days=3),
    )
    weight_record(survivor=survivor, value=Decimal("150.0"), unit="lb", submission_token=uuid.uuid4())
    report(survivor, code="jaundice", site=None, severity=4, worse=False)
    return survivor


def test_a_nurse_downloads_her_record_oldest_first_and_it_is_audited(client, nurse, record):
    client.force_login(nurse)
    rows = rows_of(client.get(reverse("survivor_export", args=[record.pk])))
    assert [r["type"] for r in rows] == ["symptom", "weight", "symptom", "flag"]
    pain = rows[0]
    assert (pain["what"], pain["body site"], pain["severity (0-10)"], pain["getting worse"]) == (
        "Pain",
        "Hip",
        "7",
        "yes",
    )
    assert pain["note"].startswith("'=HYPERLINK")  # a spreadsheet shows it as text, never runs it
    assert "<b>bold</b>" in pain["note"]  # CSV, not HTML: kept as she typed it
    assert (rows[1]["weight"], rows[1]["weight unit"]) == ("150.0", "lb")
    assert (rows[3]["flag tier"], rows[3]["flag status"]) == ("Urgent", "Open")
    local = timezone.now().astimezone(zoneinfo.ZoneInfo(record.time_zone))
    assert rows[3]["recorded (her time zone)"].startswith(local.strftime("%Y-%m-%d"))
    assert list(AuditEvent.objects.values_list("actor", "action", "survivor")) == [
        (nurse.pk, "survivor.export", record.pk)
    ]


def test_she_downloads_her_own_record_without_an_audit_row(client, record):
    client.force_login(record)
    page = client.get(reverse("home")).content.decode()
    assert reverse("survivor_export", args=[record.pk]) in page
    assert len(rows_of(client.get(reverse("survivor_export", args=[record.pk])))) == 4
    assert not AuditEvent.objects.exists()


def test_the_export_runs_a_fixed_number_of_queries(client, nurse, record, django_assert_max_num_queries):
    client.force_login(nurse)
    url = reverse("survivor_export", args=[record.pk])
    # 14 for the first request of a session: it also notes the session in her
    # list (tracker/sessions.py) and loads the device of her second factor.
    with django_assert_max_num_queries(14) as small:
        b"".join(client.get(url).streaming_content)
    for _ in range(20):
        SymptomEntryFactory(checkin=CheckInFactory(survivor=record), symptom=symptom("cough"))
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(rows_of(client.get(url))) == 24


def test_her_own_download_is_in_her_language_and_keeps_numbers_for_a_spreadsheet(client, survivor):
    survivor.language = "es"
    survivor.save(update_fields=["language"])
    SymptomEntryFactory(checkin__survivor=survivor, symptom=symptom("headache"), severity=4, is_new=True)
    WeightEntryFactory(survivor=survivor, kg=Decimal("68.5"))
    client.force_login(survivor)
    response = client.get(reverse("survivor_export", args=[survivor.pk]))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert "tipo" in rows[0] and "type" not in rows[0]
    kinds = {row["tipo"] for row in rows}
    assert kinds == {"síntoma", "peso"}
    headache = next(row for row in rows if row["tipo"] == "síntoma")
    assert headache["qué"] == "Dolor de cabeza" and headache["nuevo"] == "sí"
    assert next(row for row in rows if row["tipo"] == "peso")["peso"] == "68.5"
