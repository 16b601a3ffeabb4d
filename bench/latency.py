"""Check-in to first emergency delivery, in seconds (issue 11).

Real processes at production timings (config/settings/base.py): web code in a
subprocess (tests/fault_app.py) committing check-ins, two prefork workers
and beat on a private redis-server, all on a private PostgreSQL cluster
created for the run and removed after (tests/faults.py). Normal running:
emergency check-ins one after another, each a different survivor. Then each
single fault of the fault tests, with an emergency in flight when it
strikes, a few times each; the figure is the time from the check-in's
submission (before its rules run) to its first email attempt that
succeeded (followup_attempt.at).

    .venv/bin/python bench/run.py --only latency
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from tests.faults import PrivatePostgres, cluster, django_run, wait_for

PRODUCTION = {
    "FOLLOWUP_SWEEP_SECONDS": "60",
    "FOLLOWUP_URGENT_SWEEP_SECONDS": "5",
    "FOLLOWUP_QUEUED_TIMEOUT": "120",
    "FOLLOWUP_SENDING_TIMEOUT": "300",
    "FOLLOWUP_URGENT_QUEUED_TIMEOUT": "10",
    "FOLLOWUP_URGENT_SENDING_TIMEOUT": "35",
}
NORMAL_CHECKINS = 40
REPEATS = 3


class Run:
    def __init__(self, pg: PrivatePostgres, survivors: list[int]):
        self.pg = pg
        self.survivors = survivors

    def next_survivor(self) -> int:
        return self.survivors.pop()

    def first_sent(self, flags: list[int]) -> float | None:
        [(at,)] = self.pg.sql(
            "SELECT extract(epoch FROM min(a.at)) FROM followup_attempt a JOIN followup_message m ON m.id = a.message_id"
            " WHERE m.flag_id = ANY(%s) AND m.channel = 'email' AND a.outcome = 'sent'",
            [flags],
        )
        return None if at is None else float(at)

    def latency(self, done: dict, timeout: float = 180) -> float:
        sent = wait_for(lambda: self.first_sent(done["flags"]), timeout=timeout, interval=0.05)
        return sent - done["at"]

    def checkin(self, env: dict) -> dict:
        return json.loads(django_run(env, "checkin", str(self.next_survivor()), "seizure"))

    def email_state(self, done: dict) -> str:
        rows = self.pg.sql(
            "SELECT state FROM followup_message WHERE flag_id = ANY(%s) AND channel = 'email' AND sequence = 1",
            [done["flags"]],
        )
        return rows[0][0] if rows else ""


def _stop(proc) -> None:
    os.killpg(proc.pid, signal.SIGSTOP)


def _cont(proc) -> None:
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGCONT)


def normal(run: Run, tmp: Path) -> list[float]:
    with cluster(_dir(tmp), DATABASE_URL=run.pg.url, **PRODUCTION) as c:
        c.worker("w1")
        c.worker("w2")
        c.beat()
        run.latency(run.checkin(c.env), timeout=120)  # warm: workers up and connected
        ids = ",".join(str(run.next_survivor()) for _ in range(NORMAL_CHECKINS))
        done = json.loads(django_run(c.env, "checkins", ids, "seizure", "0.5"))
        return [run.latency(d) for d in done]


def fault_worker_killed_while_sending(run: Run, tmp: Path) -> float:
    """kill -9 of the worker (pool and all) in the middle of the send; its
    supervisor starts a new one at once."""
    with cluster(_dir(tmp), DATABASE_URL=run.pg.url, FAULT_SEND_DELAY=2, **PRODUCTION) as c:
        worker = c.worker("w1")
        c.beat()
        run.latency(run.checkin(c.env), timeout=120)
        done = run.checkin(c.env)
        wait_for(lambda: run.email_state(done) == "sending", timeout=30, interval=0.05)
        c.kill(worker)
        c.worker("w2")
        return run.latency(done)


def fault_worker_hung_while_sending(run: Run, tmp: Path) -> float:
    """The worker holding the send stops (SIGSTOP) and never answers; the
    other worker is healthy."""
    with cluster(_dir(tmp), DATABASE_URL=run.pg.url, FAULT_SEND_DELAY=2, **PRODUCTION) as c:
        hung = c.worker("w1")
        c.beat()
        run.latency(run.checkin(c.env), timeout=120)
        done = run.checkin(c.env)
        wait_for(lambda: run.email_state(done) == "sending", timeout=30, interval=0.05)
        _stop(hung)
        c.worker("w2")
        try:
            return run.latency(done)
        finally:
            _cont(hung)


def fault_broker_down(run: Run, tmp: Path) -> float:
    """Redis killed before the check-in, back 5 s later."""
    with cluster(_dir(tmp), DATABASE_URL=run.pg.url, **PRODUCTION) as c:
        c.worker("w1")
        c.beat()
        run.latency(run.checkin(c.env), timeout=120)
        c.redis.stop()
        done = run.checkin(c.env)
        time.sleep(5)
        c.redis.start()
        return run.latency(done)


def fault_broker_flushed(run: Run, tmp: Path) -> float:
    """The delivery task published on commit is lost: Redis flushed before
    any worker took it."""
    with cluster(_dir(tmp), DATABASE_URL=run.pg.url, **PRODUCTION) as c:
        worker = c.worker("w1")
        beat = c.beat()
        run.latency(run.checkin(c.env), timeout=120)
        _stop(worker)
        _stop(beat)
        done = run.checkin(c.env)
        c.redis.flush()
        _cont(worker)
        _cont(beat)
        return run.latency(done)


def _database_fault(run: Run, tmp: Path, fault: Callable[[], None]) -> float:
    """Both workers hold a connection when the fault strikes; then a check-in."""
    with cluster(_dir(tmp), DATABASE_URL=run.pg.url, **PRODUCTION) as c:
        c.worker("w1")
        c.worker("w2")
        c.beat()
        run.latency(run.checkin(c.env), timeout=120)
        time.sleep(6)  # an emergency-lane sweep has used the other connection too
        fault()
        return run.latency(run.checkin(c.env))


def fault_database_restarted(run: Run, tmp: Path) -> float:
    return _database_fault(run, tmp, run.pg.restart)


def fault_database_crashed(run: Run, tmp: Path) -> float:
    def crash_and_start() -> None:
        run.pg.crash()
        run.pg.start()

    return _database_fault(run, tmp, crash_and_start)


def fault_two_beats(run: Run, tmp: Path) -> float:
    with cluster(_dir(tmp), DATABASE_URL=run.pg.url, **PRODUCTION) as c:
        c.worker("w1")
        c.worker("w2")
        c.beat("b1")
        c.beat("b2")
        run.latency(run.checkin(c.env), timeout=120)
        return run.latency(run.checkin(c.env))


FAULTS: dict[str, Callable[[Run, Path], float]] = {
    "worker killed (kill -9) while sending, restarted": fault_worker_killed_while_sending,
    "worker hung (SIGSTOP) while sending, a second worker up": fault_worker_hung_while_sending,
    "broker (Redis) down at check-in, back after 5 s": fault_broker_down,
    "broker flushed: the task published on commit lost": fault_broker_flushed,
    "PostgreSQL restarted just before the check-in": fault_database_restarted,
    "PostgreSQL crashed (stop -m immediate) and started": fault_database_crashed,
    "two beats running": fault_two_beats,
}


def bench_latency(out: list[str]) -> None:
    pg = PrivatePostgres()
    pg.create()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **os.environ,
                "DATABASE_URL": pg.url,
                "DJANGO_SETTINGS_MODULE": "config.settings.test",
                "CONN_MAX_AGE": "60",
            }
            survivors = json.loads(django_run(env, "setup", str(NORMAL_CHECKINS + 2 + 3 * REPEATS * len(FAULTS))))[
                "survivors"
            ]
            run = Run(pg, survivors)
            times = normal(run, Path(tmp) / "normal")
            out += [
                "### Check-in to first emergency delivery (issue 11)",
                "",
                f"Production timings (sweep 60 s, emergency lane 5 s, emergency put back after 10 s queued / 35 s"
                f" sending), two prefork workers, a private redis-server and PostgreSQL cluster; {len(times)}"
                " emergency check-ins 0.5 s apart, then each fault "
                f"{REPEATS} times with an emergency in flight. {time.strftime('%Y-%m-%d')}.",
                "",
                "| running | median | p95 | worst | goal |",
                "| --- | --- | --- | --- | --- |",
                f"| normal | {statistics.median(times):.2f} s | {_p95(times):.2f} s | {max(times):.2f} s | p95 < 10 s |",
            ]
            for label, fault in FAULTS.items():
                runs = []
                for n in range(REPEATS):
                    runs.append(fault(run, Path(tmp) / f"{fault.__name__}-{n}"))
                out.append(f"| {label} | {statistics.median(runs):.2f} s | — | {max(runs):.2f} s | worst < 60 s |")
                print(out[-1], flush=True)
            out.append("")
    finally:
        pg.drop()


def _dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
