"""One home for the tiers (tracker/rules/tiers.py): the engine's order and
the queue's are the same order read from opposite ends, and every place that
names the tiers names the same three."""

from tracker.models import Tier
from tracker.rules import engine, tiers
from tracker.rules.tiers import TIERS


def test_the_queue_order_is_the_severity_order_reversed():
    by_severity = sorted(tiers.TIERS, key=tiers.SEVERITY.__getitem__, reverse=True)
    by_queue = sorted(tiers.TIERS, key=tiers.QUEUE_RANK.__getitem__)
    assert by_severity == by_queue == ["emergency", "urgent", "routine"]
    assert tiers.QUEUE_RANK == {"emergency": 0, "urgent": 1, "routine": 2}  # stored as Flag.tier_rank


def test_every_tier_has_a_label_a_review_window_and_the_engine_knows_it():
    assert set(Tier.values) == set(tiers.TIERS) == set(tiers.REVIEW_WINDOW) == set(TIERS)
    windows = [tiers.REVIEW_WINDOW[t] for t in ("emergency", "urgent", "routine")]
    assert windows == sorted(windows)  # the worse, the sooner
    assert engine.highest_tier(["routine", "emergency", "urgent"]) == "emergency"


def test_lists_and_choices_show_the_highest_tier_first():
    from tracker.forms.rules import RuleForm

    assert tiers.HIGHEST_FIRST == ("emergency", "urgent", "routine")
    assert [value for value, _label in RuleForm.base_fields["tier"].choices] == list(tiers.HIGHEST_FIRST)
