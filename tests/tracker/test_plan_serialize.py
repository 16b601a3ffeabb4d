"""A clinic's own template as JSON: the shipped one goes there and back
unchanged, and every bound gives a sentence naming the item."""

import json

import pytest

from tracker.models.plans import PLAN_LABEL_MAX_LENGTH, PlanItem, PlanTemplate
from tracker.plans import serialize
from tracker.plans.defaults import ASCO_2013, DEFAULT_TEMPLATE
from tracker.plans.spec import MAX_ITEMS


def _item(**changes):
    data = serialize.item_to_json(DEFAULT_TEMPLATE.items[0])
    data.update(changes)
    return data


def _problems(data) -> list[str]:
    with pytest.raises(serialize.TemplateItemsError) as raised:
        serialize.items_from_json(data)
    return raised.value.messages


def test_the_shipped_template_goes_to_json_and_back_unchanged():
    text = serialize.items_to_text(DEFAULT_TEMPLATE.items)
    back = serialize.items_from_text(text)
    assert [serialize.item_to_json(spec) for spec in back] == serialize.items_to_json(DEFAULT_TEMPLATE.items)
    assert back[1].not_before == DEFAULT_TEMPLATE.items[1].not_before
    assert back[1].first_window_months == 2


def test_its_bounds_match_the_models():
    assert serialize.MAX_LABEL == PLAN_LABEL_MAX_LENGTH
    assert serialize.MAX_KEY == PlanItem._meta.get_field("key").max_length


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({}, "must be a JSON list"),
        ([], "1 to 30 items"),
        ([_item()] * (MAX_ITEMS + 1), "1 to 30 items"),
        ([_item(key="Visit!")], "Item 1 (Visit!): key: lower-case"),
        ([_item(kind="scan")], "kind: one of visit, mammogram"),
        ([_item(label="")], "label: say what it is"),
        ([_item(label="x" * 121)], "label: at most 120 characters (this has 121)"),
        ([_item(counts_from=["birthday"])], "counts_from: a list of her dates"),
        ([_item(phases=[])], "phases: a list of 1 to 10 phases"),
        (
            [_item(phases=[{"from_year": 1, "to_year": None, "every_min_months": 0, "every_max_months": 3}])],
            "phase 1: every_min_months: a whole number of months, 1 to 120",
        ),
        (
            [_item(phases=[{"from_year": 1, "to_year": None, "every_min_months": True, "every_max_months": 3}])],
            "every_min_months: a whole number",
        ),
        (
            [_item(phases=[{"from_year": 1, "to_year": None, "every_min_months": 6, "every_max_months": 3}])],
            "phase 1: every 6-3 months",
        ),
        (
            [_item(phases=[{"from_year": 1, "to_year": 2, "every_min_months": 3, "every_max_months": 6}])],
            "the last phase must run on",
        ),
        (
            [_item(phases=[{"from_year": 2, "to_year": None, "every_min_months": 3, "every_max_months": 6}])],
            "the first phase starts in year 2",
        ),
        (
            [_item(not_before=[{"months": 999, "after": ["diagnosis"]}])],
            "not_before 1: months: a whole number, 0 to 120",
        ),
        ([_item(first_window_months=2)], "a first window needs a not_before date"),
        ([_item(colour="blue")], "unknown field colour"),
        ([_item(), _item()], "repeated: visit"),
        (["visit"], "Item 1: must be an object"),
    ],
)
def test_each_problem_is_a_sentence_naming_the_item(data, says):
    assert any(says in message for message in _problems(data)), _problems(data)


def test_every_problem_of_every_item_is_told_at_once():
    problems = _problems([_item(kind="scan", label=""), _item(key="b", counts_from=[])])
    assert len(problems) == 3
    assert problems[0].startswith("Item 1 (visit): kind")
    assert problems[2].startswith("Item 2 (b): counts_from")


def test_text_that_is_not_json_or_too_long_is_refused_with_a_sentence():
    with pytest.raises(serialize.TemplateItemsError, match=r"not valid JSON \(line 1, column 2\)"):
        serialize.items_from_text("[x]")
    with pytest.raises(serialize.TemplateItemsError, match="At most 20,000 characters"):
        serialize.items_from_text(" " * 20_001)
    with pytest.raises(serialize.TemplateItemsError, match="not valid JSON"):
        serialize.items_from_text("[" * 19_000)  # deeper than the parser goes


def test_a_builtin_row_reads_the_codes_template_and_a_clinic_row_its_json():
    # Unsaved rows: no database.
    assert serialize.template_spec(PlanTemplate(builtin=ASCO_2013.key)) is ASCO_2013
    own = PlanTemplate(pk=7, name="Ours", source="Us", source_note="", items=[_item(label="Our visit")])
    spec = serialize.template_spec(own)
    assert spec.key == "clinic-7" and spec.name == "Ours" and spec.items[0].label == "Our visit"
    with pytest.raises(serialize.TemplateItemsError, match="No shipped template"):
        serialize.template_spec(PlanTemplate(builtin="gone"))
    assert json.dumps(serialize.items_to_json(spec.items))  # JSON-safe
