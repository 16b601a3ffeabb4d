"""Her symptom catalog and her check-in and weight forms in her language
(issue 16): the Spanish labels and help she reads wherever she meets a
symptom or a body site, English where the Spanish is not written, and a
weight typed and shown with a decimal comma."""

import datetime as dt
import io
import uuid
from decimal import Decimal
from importlib import import_module

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import PlanFactory, PlanItemFactory, WeightEntryFactory, entry, record_checkin
from tracker import history_page
from tracker.catalog import BODY_SITES, BODY_SITES_ES, SYMPTOMS, SYMPTOMS_ES
from tracker.models import BodySite, Symptom, Tier, User, WeightEntry
from tracker.selectors.her_plan import visit_summary

PAIN_HELP_ES = "Un dolor en cualquier parte, también en los huesos o las articulaciones. Díganos dónde."
PAIN_HELP_EN = "An ache or pain anywhere, including in bones or joints. Tell us where it is."


@pytest.fixture
def spanish(survivor):
    survivor.language = "es"
    survivor.save(update_fields=["language"])
    return survivor


@pytest.fixture
def as_spanish(client, spanish):
    client.force_login(spanish)
    return client


def checkin_post(**row) -> dict:
    fields = {
        "symptom": "pain",
        "body_site": "hip",
        "severity": "6",
        "is_new": "yes",
        "is_worse": "no",
        "started_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        "note": "",
    } | row
    return {
        "entry-TOTAL_FORMS": "1",
        "entry-INITIAL_FORMS": "0",
        "entry-MIN_NUM_FORMS": "1",
        "entry-MAX_NUM_FORMS": "10",
        "submission_token": str(uuid.uuid4()),
    } | {f"entry-0-{name}": value for name, value in fields.items()}


def test_every_symptom_and_body_site_has_its_spanish_within_the_columns():
    assert set(SYMPTOMS_ES) == {code for code, *_ in SYMPTOMS}
    assert set(BODY_SITES_ES) == {code for code, _ in BODY_SITES}
    for label, help_text in SYMPTOMS_ES.values():
        assert label and help_text
        assert len(label) <= Symptom._meta.get_field("label_es").max_length
        assert len(help_text) <= Symptom._meta.get_field("help_text_es").max_length
    assert all(0 < len(label) <= BodySite._meta.get_field("label_es").max_length for label in BODY_SITES_ES.values())


def test_the_migration_fills_blank_spanish_and_keeps_what_an_admin_wrote(db):
    # The migration's own copy of the words (stable), the same as catalog.py today.
    migration = import_module("tracker.migrations.0022_catalog_spanish")
    assert migration.SYMPTOMS_ES == SYMPTOMS_ES and migration.BODY_SITES_ES == BODY_SITES_ES
    assert Symptom.objects.get(code="pain").label_es == "Dolor"  # the test database came through it
    Symptom.objects.filter(code="pain").update(label_es="", help_text_es="Escrito por la clínica.")
    BodySite.objects.filter(code="hip").update(label_es="")
    from django.apps import apps

    migration.fill_spanish(apps, None)
    pain = Symptom.objects.get(code="pain")
    assert (pain.label_es, pain.help_text_es) == ("Dolor", "Escrito por la clínica.")
    assert BodySite.objects.get(code="hip").label_es == "Cadera"


def test_seed_catalog_writes_the_spanish(db):
    Symptom.objects.update(label_es="", help_text_es="")
    BodySite.objects.update(label_es="")
    call_command("seed_catalog", stdout=io.StringIO())
    assert Symptom.objects.filter(label_es="").count() == 0
    assert Symptom.objects.get(code="fatigue").label_es == "Cansancio"
    assert BodySite.objects.get(code="abdomen").label_es == "Barriga (abdomen)"


def test_a_spanish_survivors_check_in_form_names_symptoms_and_body_sites_in_spanish(as_spanish):
    html = as_spanish.get(reverse("checkin_create")).content.decode()
    assert '<option value="pain">Dolor</option>' in html
    assert '<option value="hip">Cadera</option>' in html
    assert PAIN_HELP_ES in html and PAIN_HELP_EN not in html
    assert "¿Qué notó?" in html and "What did you notice?" not in html
    assert ">Pain<" not in html and ">Hip<" not in html


def test_an_english_survivor_reads_the_english_catalog(client, survivor):
    client.force_login(survivor)
    html = client.get(reverse("checkin_create")).content.decode()
    assert '<option value="pain">Pain</option>' in html and '<option value="hip">Hip</option>' in html
    assert PAIN_HELP_EN in html and "Dolor" not in html


def test_a_blank_spanish_label_falls_back_to_the_english(as_spanish):
    Symptom.objects.filter(code="pain").update(label_es="", help_text_es="")
    BodySite.objects.filter(code="hip").update(label_es="")
    html = as_spanish.get(reverse("checkin_create")).content.decode()
    assert '<option value="pain">Pain</option>' in html and PAIN_HELP_EN in html
    assert '<option value="hip">Hip</option>' in html
    assert '<option value="headache">Dolor de cabeza</option>' in html  # the others stay Spanish


def test_her_check_in_errors_are_in_spanish_and_name_the_symptom_in_spanish(as_spanish):
    response = as_spanish.post(reverse("checkin_create"), checkin_post(body_site=""))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Por favor, elija dónde tiene dolor." in html
    response = as_spanish.post(reverse("checkin_create"), checkin_post(symptom="cough"))
    assert "«Tos» no necesita una parte del cuerpo." in response.content.decode()


@pytest.mark.parametrize("path", ["sql", "orm"])
def test_her_cards_and_charts_name_her_symptoms_in_spanish(as_spanish, spanish, monkeypatch, path):
    if path == "orm":
        monkeypatch.setattr(history_page.connection, "vendor", "sqlite")
    record_checkin(spanish, entry("pain", "hip", severity=6), entry("cough", None, severity=3))
    html = as_spanish.get(reverse("home")).content.decode()
    assert "<strong>Dolor · Cadera</strong>" in html and "<strong>Tos</strong>" in html
    assert "Intensidad 6/10" in html
    assert "<td>Dolor · Cadera</td>" in html  # the chart's table
    data = as_spanish.get(reverse("home")).context["chart_data"]
    assert {(p["symptom"], p["site"]) for p in data["symptoms"]} == {("Dolor", "Cadera"), ("Tos", "")}
    assert "Pain" not in html


@pytest.mark.postgresql
def test_the_statement_and_the_orm_give_the_same_spanish_labels(spanish):
    Symptom.objects.filter(code="cough").update(label_es="")  # and fall back alike
    record_checkin(spanish, entry("pain", "hip"), entry("cough", None))
    with translation.override("es"):
        orm = history_page.history_page_orm(survivor=spanish, days=90)
        sql = history_page.history_page_sql(survivor=User.objects.get(pk=spanish.pk), days=90, reader=spanish)
    assert sql.recent_checkins == orm.recent_checkins
    assert sql.symptoms == orm.symptoms
    assert {(row.symptom, row.site) for row in sql.recent_checkins[0].entries} == {("Dolor", "Cadera"), ("Cough", "")}


def test_a_check_in_page_shows_its_entries_and_tier_in_spanish(as_spanish, spanish):
    checkin = record_checkin(spanish, entry("pain", "lower_back", severity=8))
    html = as_spanish.get(reverse("checkin_detail", args=[checkin.pk])).content.decode()
    assert "Dolor · Parte baja de la espalda" in html and "Esto fue un error" in html
    with translation.override("es"):
        assert [str(label) for _, label in Tier.choices] == ["De rutina", "Urgente", "Emergencia"]


def test_the_visit_summary_names_her_symptoms_in_spanish(spanish):
    record_checkin(spanish, entry("fatigue", None, severity=5))
    item = PlanItemFactory(plan=PlanFactory(survivor=spanish))
    with translation.override("es"):
        summary = visit_summary(survivor=spanish, item=item)
    assert [line.label for line in summary.symptoms] == ["Cansancio"]


def test_a_spanish_survivor_types_her_weight_with_a_decimal_comma(as_spanish, spanish):
    response = as_spanish.post(
        reverse("weight_create"), {"value": "68,5", "unit": "kg", "submission_token": str(uuid.uuid4())}
    )
    assert response.status_code == 302
    assert WeightEntry.objects.get(survivor=spanish).kg == Decimal("68.50")
    html = as_spanish.get(reverse("weight_create")).content.decode()
    assert "68,5 kg" in html and "68.5" not in html


def test_her_weight_comes_back_in_the_box_with_a_decimal_comma(as_spanish):
    response = as_spanish.post(
        reverse("weight_create"), {"value": "68,55", "unit": "kg", "submission_token": str(uuid.uuid4())}
    )
    assert response.status_code == 200  # two decimals: she is asked again
    assert "un solo decimal" in response.content.decode()
    assert 'value="68,55"' in response.content.decode()  # what she typed, as she typed it
    with translation.override("es"):
        widget = response.context["form"].fields["value"].widget
        assert widget.is_localized and widget.format_value(Decimal("68.5")) == "68,5"


def test_the_question_about_a_far_weight_is_in_spanish_with_a_decimal_comma(as_spanish, spanish):
    WeightEntryFactory(survivor=spanish, kg=Decimal("70.0"), recorded_at=timezone.now() - dt.timedelta(days=3))
    response = as_spanish.post(
        reverse("weight_create"), {"value": "50,5", "unit": "kg", "submission_token": str(uuid.uuid4())}
    )
    assert response.status_code == 200
    assert response.context["form"].question == "Son 19,5 kg menos que hace 3 días. ¿Es correcto 50,5 kg?"
    assert not WeightEntry.objects.filter(survivor=spanish, kg=Decimal("50.5")).exists()


def test_an_english_survivor_still_types_a_decimal_comma_or_point(client, survivor):
    client.force_login(survivor)
    for value in ("64,5", "64.5"):
        token = str(uuid.uuid4())
        assert client.post(reverse("weight_create"), {"value": value, "unit": "kg", "submission_token": token})[
            "Location"
        ] == reverse("home")
    assert list(WeightEntry.objects.filter(survivor=survivor).values_list("kg", flat=True)) == [Decimal("64.50")] * 2


def test_the_queues_tier_badges_stay_english_whatever_page_first_loads_them():
    # The template engine imports every tag library at once, maybe while a
    # Spanish survivor's page renders: the nurses' queue must not keep her words.
    import importlib

    from followup.templatetags import triage

    with translation.override("es"):
        importlib.reload(triage)
    assert ">Emergency</span>" in triage._BADGE["emergency"] and ">De rutina<" not in triage._BADGE["routine"]
