"""Machinery for the fault tests: a private redis-server on a free port (never
the shared one), real Celery worker and beat processes pointed at it and at
the test database, and a mail backend that writes files (optionally slowly)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend as FileBackend

from tests.integration_helpers import ROOT, test_database_url, wait_for


class SlowFileBackend(FileBackend):
    """Writes each email to a file after FAULT_SEND_DELAY seconds, so that a
    test can kill the worker in the middle of a send."""

    def send_messages(self, email_messages):
        time.sleep(float(os.environ.get("FAULT_SEND_DELAY", "0")))
        return super().send_messages(email_messages)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, timeout=10)

    def ping(self) -> bool:
        import redis

        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
        except redis.RedisError:
            return False

    def flush(self) -> None:
        import redis

        redis.Redis(port=self.port).flushall()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


class Cluster:
    """Worker and beat processes for one test, all killed at the end."""

    def __init__(self, redis: PrivateRedis, tmp: Path, **env):
        self.redis = redis
        self.tmp = tmp
        self.outbox = tmp / "mail"
        self.outbox.mkdir(exist_ok=True)
        self.procs: list[subprocess.Popen] = []
        self.env = {
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": test_database_url(),
            "CELERY_BROKER_URL": redis.url,
            "EMAIL_BACKEND": "tests.faults.SlowFileBackend",
            "EMAIL_FILE_PATH": str(self.outbox),
            "FOLLOWUP_SWEEP_SECONDS": "1",
            "FOLLOWUP_QUEUED_TIMEOUT": "4",
            "FOLLOWUP_SENDING_TIMEOUT": "6",
            "PYTHONPATH": str(ROOT),
            "CONN_MAX_AGE": "60",
            **{k: str(v) for k, v in env.items()},
        }

    def _spawn(self, args: list[str], name: str) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def worker(self, name: str = "w1", concurrency: int = 1) -> subprocess.Popen:
        return self._spawn(
            [
                "worker",
                "--pool=prefork",
                f"--concurrency={concurrency}",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{name}@%h",
            ],
            name,
        )

    def beat(self, name: str = "b1") -> subprocess.Popen:
        return self._spawn(["beat", "--loglevel=INFO", "-s", str(self.tmp / f"{name}-schedule")], name)

    def kill(self, proc: subprocess.Popen) -> None:
        """kill -9 the process and its children (a prefork worker's pool)."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                self.kill(proc)

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text()

    def mails(self) -> list[str]:
        """Every email written. Django's file backend appends to a file named
        by time and object id, so two processes may share a file: split it."""
        separator = "-" * 79
        found = []
        for path in sorted(self.outbox.iterdir()):
            found += [part for part in path.read_text().split(separator) if part.strip()]
        return found


@contextmanager
def cluster(tmp: Path, *, redis_running: bool = True, **env):
    redis = PrivateRedis()
    if redis_running:
        redis.start()
    c = Cluster(redis, tmp, **env)
    try:
        yield c
    finally:
        c.stop_all()
        redis.stop()


def midday_zone(now: dt.datetime | None = None) -> str:
    """A fixed-offset zone where it is around midday now, so that a test on
    a real clock never falls into quiet hours, whenever CI runs."""
    now = now or dt.datetime.now(dt.UTC)
    offset = (12 - now.hour + 12) % 24 - 12  # -12..11 hours from UTC
    # Etc/GMT zones have POSIX signs: Etc/GMT-3 is three hours ahead of UTC.
    return "Etc/UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def midnight_zone(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    offset = (0 - now.hour + 12) % 24 - 12
    return "Etc/UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


class PrivatePostgres:
    """A PostgreSQL cluster of its own on a free port (pg_createcluster), so
    that a test can restart and crash it; the shared one is never touched.
    Settings go in as `guc=value` strings (e.g. wal_writer_delay=10s)."""

    VERSION = "15"

    def __init__(self, *settings: str):
        self.port = free_port()
        self.name = f"fault{self.port}"
        self.settings = settings

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/followup"

    def _ctl(self, *args: str) -> None:
        subprocess.run(["pg_ctlcluster", self.VERSION, self.name, *args], check=True, capture_output=True)

    def create(self) -> None:
        options = [arg for guc in self.settings for arg in ("-o", guc)]
        subprocess.run(
            ["pg_createcluster", self.VERSION, self.name, "-p", str(self.port), "--start-conf=manual", *options]
            + ["--", "--auth=trust"],
            check=True,
            capture_output=True,
        )
        self.start()
        self.sql("CREATE DATABASE followup", database="postgres")

    def start(self) -> None:
        self._ctl("start")
        wait_for(self.ready, timeout=30)

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")
        wait_for(self.ready, timeout=30)

    def crash(self) -> None:
        """Every server process killed at once, no checkpoint: recovery
        replays the WAL on the next start, as after a power cut."""
        self._ctl("stop", "-m", "immediate")

    def ready(self) -> bool:
        try:
            self.sql("SELECT 1", database="postgres")
            return True
        except Exception:  # noqa: BLE001 - not up yet
            return False

    def sql(self, query: str, params=None, *, database: str = "followup") -> list[tuple]:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, autocommit=True, connect_timeout=2
        ) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def drop(self) -> None:
        subprocess.run(["pg_dropcluster", "--stop", self.VERSION, self.name], capture_output=True)


def django_run(env: dict, *args: str, timeout: float = 300) -> str:
    """python -m tests.fault_app <args> with the given environment (its
    DATABASE_URL names the private cluster); returns what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.fault_app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise AssertionError(f"tests.fault_app {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip()
