import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from tracker.models import User, WeightEntry
from tracker.services.checkins import weight_to_kg

URL = reverse("weight_create")


@pytest.fixture
def as_survivor(client, survivor):
    client.force_login(survivor)
    return client


def post(client, value, unit="kg", token=None):
    return client.post(URL, {"value": value, "unit": unit, "submission_token": token or str(uuid.uuid4())})


def test_it_stores_kilograms_as_typed(as_survivor, survivor):
    response = post(as_survivor, "64.5")
    assert response.status_code == 302
    assert WeightEntry.objects.get(survivor=survivor).kg == Decimal("64.50")


def test_it_converts_pounds_to_kilograms(as_survivor, survivor):
    post(as_survivor, "150", unit="lb")
    assert WeightEntry.objects.get(survivor=survivor).kg == Decimal("68.04")


def test_the_form_starts_in_her_preferred_unit(as_survivor, survivor):
    survivor.weight_unit = User.WeightUnit.LB
    survivor.save(update_fields=["weight_unit"])
    response = as_survivor.get(URL)
    assert response.context["form"].initial["unit"] == "lb"


@pytest.mark.parametrize(
    ("value", "unit", "message"),
    [
        ("0", "kg", "can't be zero"),
        ("1000", "kg", "between 20 and 300 kg"),
        ("1000", "lb", "between 44 and 661 lb"),
        ("ten", "kg", "as a number"),
        ("", "kg", "enter your weight"),
        ("12", "kg", "between 20 and 300 kg"),
    ],
)
def test_it_explains_an_implausible_or_unreadable_weight(as_survivor, survivor, value, unit, message):
    response = post(as_survivor, value, unit)
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["value"])
    assert message in errors
    html = response.content.decode()
    # By the field (and, first, in the error summary at the top).
    assert html.rindex(errors[:25].replace("'", "&#x27;")) > html.index('id="div_id_value"')
    assert html.index("There is a problem") < html.index(errors[:25].replace("'", "&#x27;"))
    if value:
        assert f'value="{value}"' in html
    assert not WeightEntry.objects.exists()


def test_a_double_submit_saves_one_weight(as_survivor, survivor):
    token = str(uuid.uuid4())
    post(as_survivor, "70", token=token)
    post(as_survivor, "70", token=token)
    assert WeightEntry.objects.filter(survivor=survivor).count() == 1


def test_the_service_converts_units():
    assert weight_to_kg(value=Decimal("100"), unit="kg") == Decimal("100.00")
    assert weight_to_kg(value=Decimal("220.462"), unit="lb") == Decimal("100.00")


def test_the_database_refuses_an_implausible_weight(survivor):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        WeightEntry.objects.create(survivor=survivor, kg=0, submission_token=uuid.uuid4())
