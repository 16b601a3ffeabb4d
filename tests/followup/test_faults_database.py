"""Fault tests against a PostgreSQL cluster of their own (pg_createcluster on
a free port, removed at the end): restarted and crashed under real worker
and beat processes. The test process only orchestrates: the app runs in
subprocesses (tests/fault_app.py) pointed at the private cluster."""

import json
import time

import pytest

from tests.faults import PrivatePostgres, cluster, django_run, wait_for

pytestmark = pytest.mark.faults

# Production timings (config/settings/base.py), not the fault tests' fast ones:
# "within one sweep" is measured against what a clinic would run.
PRODUCTION_SWEEPS = {
    "FOLLOWUP_SWEEP_SECONDS": "60",
    "FOLLOWUP_URGENT_SWEEP_SECONDS": "5",
    "FOLLOWUP_QUEUED_TIMEOUT": "120",
    "FOLLOWUP_SENDING_TIMEOUT": "300",
    "FOLLOWUP_URGENT_QUEUED_TIMEOUT": "10",
    "FOLLOWUP_URGENT_SENDING_TIMEOUT": "35",
}


@pytest.fixture(autouse=True)
def daytime_in_new_york():
    """Overrides the package fixture: the real clock, like the processes."""
    yield


@pytest.fixture
def private_pg(request):
    pg = PrivatePostgres(*getattr(request, "param", ()))
    pg.create()
    try:
        yield pg
    finally:
        pg.drop()


def emergency(c, survivor: int) -> float:
    """A seizure check-in; waits for its first email; seconds from submitting to mail."""
    before = len(c.mails())
    committed = json.loads(django_run(c.env, "checkin", str(survivor), "seizure"))["at"]
    wait_for(lambda: len(c.mails()) > before, timeout=120, interval=0.05)
    return time.time() - committed


def test_after_a_restart_and_after_a_crash_the_next_emergency_goes_out_within_seconds(tmp_path, private_pg):
    with cluster(tmp_path, DATABASE_URL=private_pg.url, **PRODUCTION_SWEEPS) as c:
        survivors = json.loads(django_run(c.env, "setup", "3"))["survivors"]
        c.worker("w1")
        c.worker("w2")
        c.beat()
        warm = emergency(c, survivors[0])  # both workers now hold a connection
        time.sleep(6)  # and an emergency-lane sweep has used one
        private_pg.restart()
        after_restart = emergency(c, survivors[1])
        private_pg.crash()
        private_pg.start()
        after_crash = emergency(c, survivors[2])
        print(
            f"check-in to first email: {warm:.2f} s; after restart {after_restart:.2f} s; after crash {after_crash:.2f} s"
        )
        # One emergency-lane sweep (5 s) is the most it may wait; in fact the
        # task sent on commit finds a fresh connection and sends at once.
        assert after_restart < 6, c.log("w1")[-3000:] + c.log("w2")[-3000:]
        assert after_crash < 6, c.log("w1")[-3000:] + c.log("w2")[-3000:]


@pytest.mark.parametrize("private_pg", [("wal_writer_delay=10s",)], indirect=True)
def test_a_crash_right_after_a_send_keeps_its_attempt_row_so_it_is_not_sent_again(tmp_path, private_pg):
    """Asynchronous commit lost the record of a sent email in a crash: the
    message went back to queued and was sent again, one attempt row for two
    sends. The WAL writer waits 10 s here, so an asynchronous commit would
    surely be lost; a synchronous one is on disk before the send returns."""
    fast = {"FOLLOWUP_URGENT_SWEEP_SECONDS": "1", "FOLLOWUP_URGENT_QUEUED_TIMEOUT": "2"}
    with cluster(tmp_path, DATABASE_URL=private_pg.url, **{**PRODUCTION_SWEEPS, **fast}) as c:
        [survivor] = json.loads(django_run(c.env, "setup", "1"))["survivors"]
        c.worker("w1")
        c.beat()
        emergency(c, survivor)
        time.sleep(0.5)  # the attempt row is written right after the send
        private_pg.crash()
        private_pg.start()
        time.sleep(8)  # a lost claim would be put back after 2 s and sent again
        sent = private_pg.sql(
            "SELECT count(*) FROM followup_attempt a JOIN followup_message m ON m.id = a.message_id "
            "WHERE a.outcome = 'sent' AND m.channel = 'email'"
        )[0][0]
        assert len(c.mails()) == 1
        assert sent == 1
