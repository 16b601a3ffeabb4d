import datetime as dt
import uuid

import pytest
from django.utils import timezone

from tests.factories import body_site, symptom
from tracker import services as tracker_services


@pytest.fixture
def default_rules(db):
    tracker_services.rules_load_defaults()


@pytest.fixture
def report(default_rules):
    """Record a check-in through the real service; returns its flags by rule slug."""

    def do(survivor, code="pain", site="hip", severity=6, new=True, worse=True, note="", callback=False):
        checkin, _ = tracker_services.checkin_create(
            survivor=survivor,
            callback_requested=callback,
            submission_token=uuid.uuid4(),
            entries=[
                tracker_services.EntryData(
                    symptom=symptom(code),
                    body_site=body_site(site) if site else None,
                    severity=severity,
                    is_new=new,
                    is_worse=worse,
                    started_on=timezone.localdate() - dt.timedelta(days=1),
                    note=note,
                )
            ],
        )
        from tracker.models import Flag

        return {f.rule.slug: f for f in Flag.objects.filter(attachments__entry__checkin=checkin).distinct()}

    return do


@pytest.fixture(autouse=True)
def daytime_in_new_york():
    """Survivors in these tests live in New York (the factory's zone). Run at
    11:00 there, outside quiet hours, unless a test travels elsewhere."""
    import time_machine

    with time_machine.travel(dt.datetime(2026, 6, 2, 15, 0, tzinfo=dt.UTC), tick=True):
        yield
