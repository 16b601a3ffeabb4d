import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CheckInFactory, SymptomEntryFactory, WeightEntryFactory, body_site, symptom
from tracker.models import User


@pytest.fixture
def as_survivor(client, survivor):
    client.force_login(survivor)
    return client


def chart_data(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="chart-data" type="application/json">') + len(
        '<script id="chart-data" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_home_lists_recent_checkins_with_their_entries(as_survivor, survivor):
    checkin = CheckInFactory(survivor=survivor, callback_requested=True)
    SymptomEntryFactory(checkin=checkin, symptom=symptom("pain"), body_site=body_site("hip"), severity=7, is_worse=True)
    SymptomEntryFactory(checkin=checkin, symptom=symptom("cough"), severity=3)
    html = as_survivor.get(reverse("home")).content.decode()
    assert "Pain · Hip" in html and "Severity 7/10" in html and "getting worse" in html
    assert "Cough" in html
    assert "Call back requested" in html
    assert 'id="flags-heading"' in html  # the place where open flags will show


def test_home_shows_only_her_own_entries(as_survivor, survivor, same_clinic_survivor):
    SymptomEntryFactory(checkin=CheckInFactory(survivor=same_clinic_survivor), note="someone else's words")
    SymptomEntryFactory(checkin=CheckInFactory(survivor=survivor), note="my words")
    html = as_survivor.get(reverse("home")).content.decode()
    assert "my words" in html
    assert "someone else" not in html


def test_chart_data_holds_weights_in_her_unit_and_symptoms(as_survivor, survivor):
    survivor.weight_unit = User.WeightUnit.LB
    survivor.save(update_fields=["weight_unit"])
    WeightEntryFactory(survivor=survivor, kg=Decimal("70"), recorded_at=timezone.now() - dt.timedelta(days=7))
    WeightEntryFactory(survivor=survivor, kg=Decimal("69"))
    WeightEntryFactory(survivor=survivor, kg=Decimal("80"), recorded_at=timezone.now() - dt.timedelta(days=200))
    SymptomEntryFactory(checkin=CheckInFactory(survivor=survivor), symptom=symptom("headache"), severity=6)
    data = chart_data(as_survivor.get(reverse("home")))
    assert data["weight_unit"] == "lb"
    assert [p["y"] for p in data["weights"]] == [154.3, 152.1]
    assert [(p["symptom"], p["y"]) for p in data["symptoms"]] == [("Headache", 6)]


def test_chart_js_is_served_from_our_own_static_files(as_survivor, survivor):
    WeightEntryFactory(survivor=survivor)
    html = as_survivor.get(reverse("home")).content.decode()
    assert '<script src="/static/vendor/chartjs/chart.umd.min.js">' in html
    assert "cdn" not in html.lower()
    assert "https://" not in html


def test_pages_send_a_strict_content_security_policy(as_survivor):
    policy = as_survivor.get(reverse("home"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_every_form_field_has_a_label(as_survivor):
    import re

    for url in (reverse("checkin_create"), reverse("weight_create"), reverse("preferences")):
        html = as_survivor.get(url).content.decode()
        ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html)
        for field_id in ids:
            if (
                "TOTAL_FORMS" in field_id
                or "INITIAL_FORMS" in field_id
                or "NUM_FORMS" in field_id
                or "submission_token" in field_id
            ):
                continue
            assert f'for="{field_id}"' in html, f"{url}: #{field_id} has no label"


def test_the_page_is_built_for_phones(as_survivor):
    html = as_survivor.get(reverse("home")).content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert 'href="#main"' in html  # skip link for keyboard users


def test_every_page_shows_her_care_team_number(as_survivor, clinic):
    for url in (reverse("home"), reverse("checkin_create"), reverse("weight_create")):
        assert f'href="tel:{clinic.care_team_phone}"' in as_survivor.get(url).content.decode()


def test_settings_change_time_zone_and_unit(as_survivor, survivor):
    response = as_survivor.post(
        reverse("preferences"),
        {
            "time_zone": "Asia/Tokyo",
            "weight_unit": "lb",
            "email_on": "on",
            "in_app_on": "on",
            "phone": "",
            "checkin_weekday": "2",
            "checkin_hour": "10",
        },
    )
    assert response.status_code == 302
    survivor.refresh_from_db()
    assert (survivor.time_zone, survivor.weight_unit) == ("Asia/Tokyo", "lb")


def test_times_show_in_her_time_zone(as_survivor, survivor):
    survivor.time_zone = "Asia/Tokyo"
    survivor.save(update_fields=["time_zone"])
    CheckInFactory(survivor=survivor, created_at=dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.UTC))
    html = as_survivor.get(reverse("home")).content.decode()
    assert "Saturday 21 Nov 2026, 8:30 AM" in html
