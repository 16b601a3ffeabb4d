"""Forms and pages (issue 12, section 3): the error summary on every form,
long text fields with a counted limit, weights as she types them, the
time-zone picker, times in her locale, the charts' data and tables, switching
a rule off with a reason, the cadence in hours or days."""

import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from followup.models import Cadence
from tests.factories import CheckInFactory, InvitationFactory, SymptomEntryFactory, WeightEntryFactory, symptom
from tracker.models import NOTE_MAX_LENGTH, TIME_ZONE_CHOICES, Rule, RuleSwitch, User, WeightEntry
from tracker.services.rules import rule_set_active, rules_load_defaults
from tracker.timezones import TIME_ZONE_PICKER_CHOICES
from tracker.tokens import invite_token_make

SUMMARY = re.compile(r'<div class="alert alert-danger error-summary"[^>]*data-error-summary>(.*?)</div>', re.S)


def summary_of(response) -> str:
    match = SUMMARY.search(response.content.decode())
    return match.group(1) if match else ""


def links_of(summary: str) -> list[str]:
    return re.findall(r'href="#([^"]+)"', summary)


@pytest.fixture
def default_rules(db):
    rules_load_defaults()


# ------------------------------------------------------------------ the error summary, on every form


def checkin_data(**change):
    data = {
        "entry-TOTAL_FORMS": "1",
        "entry-INITIAL_FORMS": "0",
        "entry-MIN_NUM_FORMS": "1",
        "entry-MAX_NUM_FORMS": "10",
        "entry-0-symptom": "pain",
        "entry-0-body_site": "hip",
        "entry-0-is_new": "yes",
        "entry-0-is_worse": "no",
        "entry-0-started_on": timezone.localdate().isoformat(),
        "submission_token": str(uuid.uuid4()),
    }
    return data | change


def test_a_failed_weight_shows_the_summary_at_the_top_with_a_link_to_the_field(client, survivor):
    client.force_login(survivor)
    response = client.post(
        reverse("weight_create"), {"value": "seventy", "unit": "kg", "submission_token": uuid.uuid4()}
    )
    html = response.content.decode()
    summary = summary_of(response)
    assert "There is a problem" in summary
    assert links_of(summary) == ["id_value"]
    assert "Please enter your weight as a number" in summary
    # At the top: before the page's heading, focusable for forms.js to move focus there.
    assert html.index("data-error-summary") < html.index("<h1")
    assert 'tabindex="-1"' in html[html.index("error-summary") - 60 : html.index("data-error-summary")]
    assert 'id="id_value"' in html


def test_a_failed_check_in_links_each_symptom_rows_problem_to_its_first_answer(client, survivor):
    client.force_login(survivor)
    response = client.post(reverse("checkin_create"), checkin_data())  # no severity
    summary = summary_of(response)
    assert links_of(summary) == ["id_entry-0-severity_0"]  # a radio group: its first option
    assert "Symptom 1, How bad is it?" in summary
    assert 'id="id_entry-0-severity_0"' in response.content.decode()


def test_a_problem_with_no_field_is_listed_without_a_link(client, survivor):
    response = client.post(reverse("login"), {"username": survivor.email, "password": "not her password"})
    summary = summary_of(response)
    assert "Please enter a correct" in summary
    assert links_of(summary) == []


def test_a_tampered_hidden_field_gets_plain_words_not_its_name(client, survivor):
    client.force_login(survivor)
    response = client.post(reverse("weight_create"), {"value": "70", "unit": "kg", "submission_token": "x"})
    summary = summary_of(response)
    assert "Something went wrong with this form. Please send it again." in summary
    assert "submission_token" not in summary


def every_form_page(d) -> list[tuple[str, User | str | None, str, dict, str]]:
    """(name, who (a person signed in, or a page opened first, or nobody),
    url, what she sends, the field id the summary must link to; "" for a
    problem of the whole form)."""
    invitation = InvitationFactory(clinic=d["clinic"])
    return [
        ("weight", d["survivor"], reverse("weight_create"), {"value": "", "unit": "kg"}, "id_value"),
        ("check-in", d["survivor"], reverse("checkin_create"), checkin_data(), "id_entry-0-severity_0"),
        (
            "settings",
            d["survivor"],
            reverse("preferences"),
            {
                "time_zone": "Mars/Olympus",
                "weight_unit": "kg",
                "email_on": "on",
                "checkin_weekday": 0,
                "checkin_hour": 10,
            },
            "id_time_zone",
        ),
        (
            # The emailed link puts its token in her session and sends her on
            # to /invite/ (tracker/views/invite.py): the form lives there.
            "invitation",
            reverse("invite_accept", args=[invite_token_make(nonce=str(invitation.nonce))]),
            reverse("invite_page"),
            {"date_of_birth": "1960-01-01", "time_zone": "Europe/Madrid", "weight_unit": "kg"},
            "id_password1",
        ),
        ("invite a survivor", d["nurse"], reverse("staff_home"), {"full_name": "", "email": "x"}, "id_full_name"),
        ("rule edit", d["clinic_admin"], reverse("rule_edit", args=["seizure"]), {"name": ""}, "id_name"),
        ("rule off", d["clinic_admin"], reverse("rule_toggle", args=["seizure"]), {"active": "off"}, "id_reason"),
        ("test a sentence", d["clinic_admin"], reverse("rules_sentence"), {"sentence": ""}, "id_sentence"),
        ("cadence", d["clinic_admin"], reverse("cadence_edit"), {"urgent-every": "soon"}, "id_emergency-first_after"),
        ("password change", d["survivor"], reverse("password_change"), {"old_password": "wrong"}, "id_old_password"),
        ("login", None, reverse("login"), {"username": "nobody@example.org", "password": "wrong"}, ""),
    ]


def test_every_form_page_shows_the_summary_when_it_fails(client, default_rules, survivor, nurse, clinic_admin, clinic):
    people = {"survivor": survivor, "nurse": nurse, "clinic_admin": clinic_admin, "clinic": clinic}
    for name, who, url, data, first_link in every_form_page(people):
        client.logout()
        if isinstance(who, str):
            client.get(who)  # the page that leads to the form (the invitation's link)
        elif who is not None:
            client.force_login(who)
        assert "data-error-summary" not in client.get(url).content.decode(), f"{name}: a summary before any mistake"
        response = client.post(url, data)
        assert response.status_code == 200, name
        summary = summary_of(response)
        assert "There is a problem" in summary, f"{name}: no error summary"
        links = links_of(summary)
        if first_link:
            assert links and links[0] == first_link, f"{name}: {links}"
        else:
            assert "<li>" in summary, name
        for target in links:
            assert f'id="{target}"' in response.content.decode(), f"{name}: #{target} is not on the page"


def test_the_forms_script_is_on_every_page_with_its_words(client, survivor):
    client.force_login(survivor)
    html = client.get(reverse("home")).content.decode()
    assert '<script src="/static/js/forms.js" data-count-text="{count} of {limit} characters"' in html


# ------------------------------------------------------------------ long text fields


def test_a_note_over_the_limit_is_refused_with_a_message_and_kept(client, survivor):
    client.force_login(survivor)
    note = "a" * (NOTE_MAX_LENGTH + 5)
    response = client.post(reverse("checkin_create"), checkin_data(**{"entry-0-severity": "3", "entry-0-note": note}))
    assert response.status_code == 200
    assert "Please keep the note to 2000 characters (it has 2005 now)." in summary_of(response)
    html = response.content.decode()
    assert f">\n{note}</textarea>" in html or f">{note}</textarea>" in html
    # The limit is on the field for forms.js to count against.
    assert f'maxlength="{NOTE_MAX_LENGTH}"' in html


# ------------------------------------------------------------------ weight as she types it


@pytest.mark.parametrize("typed", ["70.5", "70,5", " 70,5 ", "70 , 5", "70 .5"])
def test_weight_accepts_a_decimal_point_or_comma(client, survivor, typed):
    client.force_login(survivor)
    response = client.post(reverse("weight_create"), {"value": typed, "unit": "kg", "submission_token": uuid.uuid4()})
    assert response.status_code == 302
    assert WeightEntry.objects.get(survivor=survivor).kg == Decimal("70.50")


@pytest.mark.parametrize(
    ("typed", "message"),
    [("seventy", "as a number"), ("70,5,1", "as a number"), ("1.070,5", "as a number"), ("70,55", "one decimal place")],
)
def test_weight_text_is_kept_with_its_message(client, survivor, typed, message):
    client.force_login(survivor)
    response = client.post(reverse("weight_create"), {"value": typed, "unit": "kg", "submission_token": uuid.uuid4()})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["value"])
    html = response.content.decode()
    field = re.search(r'<input[^>]*name="value"[^>]*>', html).group(0)
    assert f'value="{typed}"' in field
    assert 'type="text"' in field and 'inputmode="decimal"' in field
    assert not WeightEntry.objects.exists()


# ------------------------------------------------------------------ time zones


def test_the_picker_has_every_zone_once_with_the_common_ones_first():
    values = [value for _group, zones in TIME_ZONE_PICKER_CHOICES for value, _label in zones]
    assert sorted(values) == sorted(value for value, _label in TIME_ZONE_CHOICES)
    assert len(values) == len(set(values))
    group, common = TIME_ZONE_PICKER_CHOICES[0]
    assert str(group) == "Most used"
    labels = {value: str(label) for value, label in common}
    assert labels["America/New_York"] == "Eastern Time (New York)"
    assert labels["America/Chicago"] == "Central Time (Chicago)"
    assert {"America/Mexico_City", "Europe/Madrid", "Europe/London"} <= labels.keys()
    regions = [str(group) for group, _zones in TIME_ZONE_PICKER_CHOICES[1:]]
    assert regions[:3] == ["Africa", "The Americas", "Antarctica"] and "Europe" in regions
    everything = dict((v, str(label)) for _group, zones in TIME_ZONE_PICKER_CHOICES for v, label in zones)
    assert everything["America/Argentina/Salta"] == "Salta (Argentina)"


def test_invitation_and_settings_use_the_picker(client, clinic, survivor):
    invitation = InvitationFactory(clinic=clinic)
    for html in (
        client.get(
            reverse("invite_accept", args=[invite_token_make(nonce=str(invitation.nonce))]), follow=True
        ).content.decode(),
        (client.force_login(survivor), client.get(reverse("preferences")))[1].content.decode(),
    ):
        select = html[html.index('name="time_zone"') : html.index("</select>", html.index('name="time_zone"'))]
        assert select.index('<optgroup label="Most used">') < select.index('<optgroup label="Europe">')
        assert '<option value="America/New_York" selected>Eastern Time (New York)</option>' in select
        assert '<option value="Europe/Madrid">Madrid</option>' in select


def test_an_old_zone_name_stays_selected_and_a_friendly_one_saves(client, survivor):
    survivor.time_zone = "US/Eastern"
    survivor.save(update_fields=["time_zone"])
    client.force_login(survivor)
    html = client.get(reverse("preferences")).content.decode()
    # Kept, under the old names at the end of the list, where nobody scrolls past it.
    assert html.index('<optgroup label="Other names">') < html.index('<option value="US/Eastern" selected>')
    data = {"time_zone": "America/Mexico_City", "weight_unit": "kg", "in_app_on": "on", "checkin_weekday": 0}
    assert client.post(reverse("preferences"), data | {"checkin_hour": 10}).status_code == 302
    survivor.refresh_from_db()
    assert survivor.time_zone == "America/Mexico_City"


def test_times_follow_her_locale_12_hour_in_us_english_24_hour_in_spanish(client, survivor):
    CheckInFactory(survivor=survivor, created_at=dt.datetime(2026, 11, 20, 20, 30, tzinfo=dt.UTC))  # 15:30 in New York
    client.force_login(survivor)
    assert "Friday 20 Nov 2026, 3:30 p.m." in client.get(reverse("home")).content.decode()
    survivor.language = "es"  # her pages are in her language, whatever the browser's
    survivor.save(update_fields=["language"])
    html = client.get(reverse("home")).content.decode()
    assert "viernes 20 nov 2026, 15:30" in html and "3:30" not in html


def test_settings_write_hours_as_her_locale_does(client, survivor):
    client.force_login(survivor)
    html = client.get(reverse("preferences")).content.decode()
    assert "Between 9 p.m. and 8 a.m. your time" in html
    assert '<option value="8">8 a.m.</option>' in html and '<option value="20">8 p.m.</option>' in html
    survivor.language = "es"
    survivor.save(update_fields=["language"])
    html = client.get(reverse("preferences")).content.decode()
    assert "Entre las 21:00 y las 08:00 (su hora)" in html and '<option value="20">20:00</option>' in html


# ------------------------------------------------------------------ the charts' data and tables


def chart_json(response) -> dict:
    import json

    html = response.content.decode()
    start = html.index('<script id="chart-data" type="application/json">') + len(
        '<script id="chart-data" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_chart_points_keep_their_real_time_and_the_tables_hold_the_same_data(client, survivor):
    now = timezone.now()
    morning = now - dt.timedelta(days=3, hours=2)
    WeightEntryFactory(survivor=survivor, kg=Decimal("70.0"), recorded_at=morning)
    WeightEntryFactory(survivor=survivor, kg=Decimal("70.2"), recorded_at=morning + dt.timedelta(hours=1))
    WeightEntryFactory(survivor=survivor, kg=Decimal("70.1"), recorded_at=now - dt.timedelta(days=40))
    SymptomEntryFactory(checkin=CheckInFactory(survivor=survivor), symptom=symptom("headache"), severity=6)
    client.force_login(survivor)
    response = client.get(reverse("home"))
    data = chart_json(response)
    xs = [point["x"] for point in data["weights"]]
    assert len(set(xs)) == 3  # two the same day are an hour apart, not one date twice
    assert dt.datetime.fromisoformat(xs[2]) - dt.datetime.fromisoformat(xs[1]) == dt.timedelta(hours=1)
    assert dt.datetime.fromisoformat(data["until"]) - dt.datetime.fromisoformat(data["since"]) == dt.timedelta(days=90)
    assert (data["time_zone"], data["locale"], data["weight_min_span"]) == ("America/New_York", "en", 5)
    assert data["symptoms"] == [
        {"x": data["symptoms"][0]["x"], "y": 6, "symptom": "Headache", "site": ""},
    ]
    html = response.content.decode()
    weights_table = html[html.index('data-chart-table="weights"') : html.index("</table>", html.index("weights"))]
    assert weights_table.count("<tr>") == 1 + 3
    assert "<td>70.2</td>" in weights_table
    symptoms_table = html[html.index('data-chart-table="symptoms"') :]
    assert "<td>Headache</td><td>6</td>" in symptoms_table
    assert html.index("<summary>Symptoms as a table</summary>") < html.index('data-chart-table="symptoms"')


def test_the_weight_axis_spans_ten_pounds_for_her_in_pounds(client, survivor):
    survivor.weight_unit = User.WeightUnit.LB
    survivor.save(update_fields=["weight_unit"])
    WeightEntryFactory(survivor=survivor)
    client.force_login(survivor)
    assert chart_json(client.get(reverse("home")))["weight_min_span"] == 10


def test_charts_load_the_time_adapter_from_our_static_files(client, survivor):
    WeightEntryFactory(survivor=survivor)
    client.force_login(survivor)
    html = client.get(reverse("home")).content.decode()
    chart = html.index("/static/vendor/chartjs/chart.umd.min.js")
    luxon = html.index("/static/vendor/chartjs-adapter-luxon/luxon.min.js")
    adapter = html.index("/static/vendor/chartjs-adapter-luxon/chartjs-adapter-luxon.umd.min.js")
    assert chart < luxon < adapter < html.index("/static/js/history-charts.js")


# ------------------------------------------------------------------ switching a rule off


@pytest.fixture
def as_admin(client, clinic_admin, default_rules):
    client.force_login(clinic_admin)
    return client


def test_switching_an_emergency_rule_off_says_what_it_means_and_asks_why(as_admin):
    rule = Rule.objects.get(slug="seizure")
    html = as_admin.get(reverse("rule_toggle", args=["seizure"])).content.decode()
    assert f"While it is off, no one will be told to call 911 for \u201c{rule.current.name}\u201d." in html
    assert "Why are you switching it off?" in html
    response = as_admin.post(reverse("rule_toggle", args=["seizure"]), {"active": "off", "reason": "  "})
    assert response.status_code == 200
    assert "Please say why you are switching this rule off." in summary_of(response)
    assert Rule.objects.get(slug="seizure").is_active and not RuleSwitch.objects.exists()


def test_a_routine_rule_is_explained_without_the_emergency_words(as_admin):
    slug = Rule.objects.filter(current__tier="routine").values_list("slug", flat=True).first()
    html = as_admin.get(reverse("rule_toggle", args=[slug])).content.decode()
    assert "call 911" not in html and "it raises no new flags" in html


def test_the_reason_is_kept_in_the_rules_history_and_shown_on_its_page(as_admin, clinic_admin):
    url = reverse("rule_toggle", args=["seizure"])
    response = as_admin.post(url, {"active": "off", "reason": "Replaced by seizure-any", "next": "/rules/seizure/"})
    assert response.status_code == 302 and response["Location"] == "/rules/seizure/"
    switch = RuleSwitch.objects.get()
    assert (switch.is_active, switch.reason, switch.by) == (False, "Replaced by seizure-any", clinic_admin)
    assert not Rule.objects.get(slug="seizure").is_active
    html = as_admin.get(reverse("rule_detail", args=["seizure"])).content.decode()
    assert "switched it <strong>off</strong>: <q" in html and "Replaced by seizure-any" in html
    assert clinic_admin.full_name in html[html.index("data-switch-history") :]
    # A second click (or an old page) changes nothing and writes nothing.
    again = as_admin.post(url, {"active": "off", "reason": "again"}, follow=True)
    assert "was already off" in again.content.decode() and RuleSwitch.objects.count() == 1
    as_admin.post(url, {"active": "on"})
    assert Rule.objects.get(slug="seizure").is_active and RuleSwitch.objects.count() == 2


def test_a_reason_is_bounded_and_next_stays_on_this_site(as_admin):
    url = reverse("rule_toggle", args=["seizure"])
    response = as_admin.post(url, {"active": "off", "reason": "x" * 301})
    assert "Please keep the reason to 300 characters (it has 301 now)." in summary_of(response)
    response = as_admin.post(url, {"active": "off", "reason": "ok", "next": "https://elsewhere.example/"})
    assert response["Location"] == reverse("rule_list")


def test_the_service_refuses_to_switch_off_without_a_reason(default_rules, clinic_admin):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        rule_set_active(rule=Rule.objects.get(slug="seizure"), active=False, by=clinic_admin)
    assert "reason" in error.value.message_dict
    assert Rule.objects.get(slug="seizure").is_active


# ------------------------------------------------------------------ the cadence in hours or days


def cadence_data(**change):
    data = {}
    for tier in ("emergency", "urgent", "routine"):
        data |= {f"{tier}-first_after": "0", f"{tier}-first_after_unit": "hours", f"{tier}-every": "2"}
        data |= {f"{tier}-every_unit": "hours", f"{tier}-max_count": "3"}
    return data | change


def test_the_cadence_is_entered_in_hours_or_days_and_stored_in_minutes(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    page = client.get(reverse("cadence_edit"))
    html = page.content.decode()
    routine = page.context["forms"]["routine"]
    assert (routine["every"].value(), routine["every_unit"].value()) == (7, "days")
    assert re.search(r'<input type="text" name="routine-every" id="id_routine-every" value="7"', html)
    change = {"urgent-every": "3", "urgent-every_unit": "days", "routine-first_after": "90"}
    response = client.post(reverse("cadence_edit"), cadence_data(**change, **{"routine-first_after_unit": "minutes"}))
    assert response.status_code == 302
    urgent = Cadence.objects.get(clinic=clinic, tier="urgent")
    assert (urgent.first_after_minutes, urgent.every_minutes) == (0, 3 * 24 * 60)
    assert Cadence.objects.get(clinic=clinic, tier="routine").first_after_minutes == 90
    shown = client.get(reverse("cadence_edit")).context["forms"]
    assert (shown["urgent"]["every"].value(), shown["urgent"]["every_unit"].value()) == (3, "days")
    assert (shown["routine"]["first_after"].value(), shown["routine"]["first_after_unit"].value()) == (90, "minutes")


def test_text_in_a_cadence_number_is_kept_with_its_message(client, clinic_admin):
    client.force_login(clinic_admin)
    response = client.post(reverse("cadence_edit"), cadence_data(**{"urgent-every": "soon"}))
    assert response.context["forms"]["urgent"].errors["every"] == ["Please enter a whole number."]
    assert 'name="urgent-every" id="id_urgent-every" value="soon"' in response.content.decode()
    assert not Cadence.objects.exists()


def test_the_check_in_page_says_its_time_as_her_locale_does(client, survivor):
    checkin = CheckInFactory(survivor=survivor, created_at=dt.datetime(2026, 11, 20, 20, 30, tzinfo=dt.UTC))
    client.force_login(survivor)
    html = client.get(reverse("checkin_detail", args=[checkin.pk])).content.decode()
    assert "Friday 20 Nov 2026, 3:30 p.m." in html and "15:30" not in html
