"""Call back, one truth: the call list asks for the same call back as her flags (issue 12)."""

import pytest
from django.urls import reverse

from tests.factories import entry, record_checkin


def on_call_back_list(client):
    return [s.pk for s in client.get(reverse("call_lists")).context["lists"]["Asked for a call back"]]


@pytest.mark.parametrize(
    ("where", "result", "listed"),
    [
        ("flag", "reached", False),
        ("flag", "left_message", True),
        ("list", "reached", False),
        ("list", "left_message", True),
    ],
)
def test_the_call_back_list_tells_the_same_truth_as_her_flags(
    client, nurse, survivor, default_rules, where, result, listed
):
    from tracker.models import Flag

    record_checkin(survivor, entry("jaundice", None, 4), callback=True)
    record_checkin(survivor, entry("pain", "knee", 2, False, False), callback=True)  # raised no flag: still hers
    client.force_login(nurse)
    assert on_call_back_list(client) == [survivor.pk]
    if where == "flag":
        flag = Flag.objects.get(survivor=survivor)
        client.post(
            reverse("nurse_flag", args=[flag.pk]), {"contact": "1", "contact-result": result, "contact-note": ""}
        )
    else:
        client.post(reverse("call_lists"), {"survivor": survivor.pk, "result": result, "note": ""})
    assert on_call_back_list(client) == ([survivor.pk] if listed else [])
