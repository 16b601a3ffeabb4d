import datetime as dt

import pytest


@pytest.fixture(autouse=True)
def daytime_in_new_york():
    """Survivors in these tests live in New York (the factory's zone). Run at
    11:00 there, outside quiet hours, unless a test travels elsewhere."""
    import time_machine

    with time_machine.travel(dt.datetime(2026, 6, 2, 15, 0, tzinfo=dt.UTC), tick=True):
        yield
