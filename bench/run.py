"""Benchmarks (not tests): `make bench`.

Runs against its own PostgreSQL database (followup_bench, created on first
run and kept, since filling it takes a while) and prints a Markdown table.
Every figure comes with a bare baseline measured in the same run, so the
ratios are comparable across machines. Copy the table into bench/README.md.

  python bench/run.py [--only evaluation|preview|notes|sweep|languages|fhir] [--survivors 20000] [--checkins 1000000]
                      [--plan-survivors 200000]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = os.environ.get("BENCH_DATABASE", "followup_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}"
# Check-ins that raise an emergency enqueue its first reminders on commit, as
# in production (publishing is part of their cost); here no worker consumes
# them, so they go to a queue of the bench's own, deleted at the end.
BENCH_QUEUE = os.environ.setdefault("CELERY_TASK_DEFAULT_QUEUE", f"bench-{uuid.uuid4().hex[:12]}")


def ensure_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone():
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def setup_django() -> None:
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seed_catalog", verbosity=0)


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.2f} ms"


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


# ------------------------------------------------------------------ evaluation


NOTES = [
    "the pain in my right hip keeps getting worse, nothing like my arthritis",
    "no headaches this week, just tired",
    "I had hip pain two years ago",
    "call if I get short of breath",
    "my mother had a seizure",
    "Room spins when I stand up and I feel sick in the mornings",
    "legs feel heavy when I climb the stairs, and my back aches at night",
    "Mostly fine. A bit more tired than usual after the school run.",
]


def synthetic_rules(n: int) -> list[dict]:
    """The shipped rules plus look-alike variants, up to n rules."""
    import itertools

    from tracker.catalog import BODY_SITES, SYMPTOMS
    from tracker.rules.defaults import DEFAULT_RULES

    rules = [dict(r) for r in DEFAULT_RULES]
    codes = [s[0] for s in SYMPTOMS if s[0] != "other"]
    sites = [b[0] for b in BODY_SITES]
    for i, (code, site) in enumerate(itertools.product(codes, sites)):
        if len(rules) >= n:
            break
        shape = i % 3
        if shape == 0:
            condition = {"all": [{"symptom": [code]}, {"body_site": [site]}, {"min_severity": 6}]}
        elif shape == 1:
            condition = {
                "all": [{"symptom": [code]}, {"persistence": {"symptoms": [code], "min_days": 4, "within_days": 21}}]
            }
        else:
            condition = {"combination": {"a": {"symptom": [code]}, "b": {"body_site": [site]}, "within_days": 5}}
        rules.append(
            {
                **DEFAULT_RULES[0],
                "slug": f"bench-{code}-{site}",
                "name": f"Bench {i}",
                "tier": "routine",
                "condition": condition,
            }
        )
    return rules


def bench_evaluation(out: list[str]) -> None:
    import datetime as dt

    from django.conf import settings
    from django.db import transaction
    from django.test import Client
    from django.utils import timezone
    from scale import checkin_form  # bench/scale.py, beside this file

    from tracker.evaluation.inputs import rule_defs_active, rule_defs_forget, rule_inputs
    from tracker.models import CheckIn, Clinic, Flag, Rule, SymptomEntry, User
    from tracker.rules import engine
    from tracker.rules.facts import Entry, History
    from tracker.rules.text import find_mentions, warm_up
    from tracker.services.rules import RULE_FIELDS, rule_save, rule_vocabulary

    settings.ALLOWED_HOSTS = ["testserver"]
    started_at = timezone.now()
    warm_up()
    clinic, _ = Clinic.objects.get_or_create(name="Bench clinic", defaults={"care_team_phone": "555-0199"})
    survivor = User.objects.filter(email="bench-eval@example.org").first()
    if survivor is None:
        survivor = User.objects.create_user(
            "bench-eval@example.org",
            "x",
            full_name="Bench Eval",
            role="survivor",
            clinic=clinic,
            enrolled_on=timezone.localdate() - dt.timedelta(days=400),
        )
    vocab = rule_vocabulary()
    for rule in synthetic_rules(200):
        if not Rule.objects.filter(slug=rule["slug"]).exists():
            rule_save(by=None, slug=rule["slug"], data={k: rule[k] for k in RULE_FIELDS}, vocab=vocab)
    Rule.objects.filter(slug__in=[r["slug"] for r in synthetic_rules(200)]).update(is_active=True)
    Rule.objects.exclude(slug__in=[r["slug"] for r in synthetic_rules(200)]).update(is_active=False)
    active = rule_defs_active()

    # 1. The pure engine: one check-in (two entries) against 200 rules, for a
    # survivor with a year of weekly check-ins.
    history = rule_inputs(survivor=_survivor_pool(clinic, 240)[0], rules=active).history
    now = timezone.now()
    entries = [
        Entry(
            id=10**9,
            symptom="pain",
            body_site="hip",
            severity=6,
            is_new=True,
            is_worse=True,
            at=now,
            day=now.date(),
            mentions=find_mentions(NOTES[0]),
        ),
        Entry(
            id=10**9 + 1,
            symptom="headache",
            body_site=None,
            severity=4,
            is_new=False,
            is_worse=False,
            at=now,
            day=now.date(),
        ),
    ]
    hist = History(entries=tuple(history.entries) + tuple(entries), weights=history.weights)
    engine_times = timed(lambda: [engine.evaluate(active, history=hist, entry=e) for e in entries], 300)

    # 2. medspaCy on one note: the pipeline is built once (warm_up above).
    note_times = []
    for _ in range(40):
        for note in NOTES:
            start = time.perf_counter()
            find_mentions(note)
            note_times.append(time.perf_counter() - start)

    # 3. The whole check-in request, rules on against rules off, interleaved.
    # Realistic survivors: a year of weekly check-ins and monthly weights
    # each; a fresh survivor per request, so history does not pile up.
    pool = _survivor_pool(clinic, 720)
    client = Client()
    # (symptom, site, severity, new, worse, note). About a third of these
    # check-ins raise a flag, as in PRO-TECT (34% of weekly reports alerted).
    checkins = [
        [("pain", "knee", "3", "no", "no", "usual arthritis in my left knee")],
        [("fatigue", "", "3", "no", "no", "")],
        [("pain", "hip", "6", "yes", "yes", NOTES[0]), ("headache", "", "4", "no", "no", NOTES[6])],
        [("cough", "", "2", "no", "no", NOTES[1])],
        [("nausea", "", "3", "yes", "no", ""), ("appetite_loss", "", "2", "no", "no", NOTES[7])],
        [("pain", "shoulder", "2", "no", "no", "stiff in the mornings")],
        [("numbness", "hand", "2", "no", "no", "same tingling fingers since chemo")],
        [("headache", "", "6", "yes", "no", NOTES[5])],
        [("appetite_loss", "", "2", "no", "no", "")],
    ]

    def post(survivor, rows) -> float:
        client.force_login(survivor)
        data = checkin_form(survivor, rows)
        start = time.perf_counter()
        response = client.post("/check-in/", data)
        elapsed = time.perf_counter() - start
        assert response.status_code == 302, response.status_code
        return elapsed

    slugs = [r["slug"] for r in synthetic_rules(200)]
    # Every survivor of the pool starts with no open flag (an interrupted run
    # would otherwise leave some, and a check-in that attaches to an open flag
    # writes no reminders: the rules-on half would get cheaper).
    Flag.objects.filter(survivor__in=pool).delete()
    _vacuum_rules()
    on, off, worst_on, worst_off = [], [], [], []
    try:
        for i in range(4):  # warm both paths
            post(pool[i], checkins[i % len(checkins)])
        for i in range(4, 4 + 720):
            rules_on = i % 2 == 0
            Rule.objects.filter(slug__in=slugs).update(is_active=rules_on, changed_at=timezone.now())
            rule_defs_forget()
            rule_defs_active()  # load outside the timed request, as a warm process has it
            rows = checkins[(i // 2) % len(checkins)]
            elapsed = post(pool[i % len(pool)], rows)
            (on if rules_on else off).append(elapsed)
            if rows is checkins[2]:
                (worst_on if rules_on else worst_off).append(elapsed)
    finally:
        Rule.objects.filter(slug__in=slugs).update(is_active=True)
        # Put the pool back as it was, so the next run measures the same thing.
        with transaction.atomic():
            Flag.objects.filter(survivor__in=pool).delete()
            SymptomEntry.objects.filter(survivor__in=pool, created_at__gte=started_at).delete()
            CheckIn.objects.filter(survivor__in=pool, created_at__gte=started_at).delete()
        _vacuum_rules()

    ratio = statistics.median(on) / statistics.median(off)
    worst = statistics.median(worst_on) / statistics.median(worst_off)
    out += [
        "| evaluation | figure | baseline (same run) | ratio | goal |",
        "| --- | --- | --- | --- | --- |",
        f"| engine: one check-in (2 entries) vs {len(active)} active rules | {ms(engine_times)} median | — | — | — |",
        f"| medspaCy: one note | {ms(note_times)} median, {p95(note_times) * 1000:.2f} ms p95 | — | — | < 10 ms median |",
        f"| check-in request (POST), {len(active)} rules on, a third of check-ins flagged | {ms(on)} median | rules off: {ms(off)} median | "
        f"{ratio:.2f}x (+{(ratio - 1) * 100:.0f}%) | < 1.25x |",
        f"| worst case: a check-in that fires 6+ rules (hip pain new and worse, notes) | {ms(worst_on)} median | "
        f"rules off: {ms(worst_off)} | {worst:.2f}x | — |",
        "",
    ]


def _vacuum_rules() -> None:
    """Switching 200 rules on and off before each request leaves 200 dead row
    versions per request in tracker_rule (changed_at is indexed, so no update
    is HOT): about 145,000 a run. Where autovacuum is off (as on the shared
    development server) they pile up run after run: 200 live rules in 214 MB
    after a few dozen runs, and the rule cache's staleness check (an
    aggregate over tracker_rule, once a second in every process: the triage
    bench's gunicorn workers too) took 45-64 ms instead of 0.15 ms. A plain
    VACUUM leaves the table that size; VACUUM FULL rewrites its 200 rows.
    A real installation changes rules a few times a year."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (FULL, ANALYZE) tracker_rule")


def _survivor_pool(clinic, n: int):
    """n survivors, each with a year of weekly check-ins and monthly weights."""
    import datetime as dt
    import random

    from django.utils import timezone

    from tracker.models import CheckIn, Symptom, SymptomEntry, User, WeightEntry

    existing = list(User.objects.filter(email__startswith="bench-pool-").order_by("id"))
    if len(existing) >= n:
        return existing[:n]
    rng = random.Random(7)
    symptoms = list(Symptom.objects.exclude(code="other"))
    now = timezone.now()
    for k in range(len(existing), n):
        user = User.objects.create(
            email=f"bench-pool-{k}@example.org",
            full_name=f"Pool {k}",
            role="survivor",
            clinic=clinic,
            enrolled_on=timezone.localdate() - dt.timedelta(days=400),
            time_zone="America/Chicago",
        )
        for week in range(52):
            at = now - dt.timedelta(weeks=week, hours=rng.randint(1, 60))
            checkin = CheckIn.objects.create(survivor=user, created_at=at, submission_token=uuid.uuid4())
            for _ in range(rng.choice((1, 1, 2))):
                SymptomEntry.objects.create(
                    checkin=checkin,
                    survivor=user,
                    symptom=rng.choice(symptoms),
                    severity=rng.randint(0, 6),
                    is_new=False,
                    is_worse=False,
                    started_on=at.date(),
                    created_at=at,
                )
            if week % 4 == 0:
                WeightEntry.objects.create(
                    survivor=user, kg=65 + rng.random(), recorded_at=at, submission_token=uuid.uuid4()
                )
        existing.append(user)
    return existing


# ------------------------------------------------------------------ preview


def bench_clinic():
    from tracker.models import Clinic

    return Clinic.objects.get_or_create(name="Bench clinic", defaults={"care_team_phone": "555-0199"})[0]


def fill_preview_data(survivors: int, checkins: int) -> None:
    """20,000 survivors and 1,000,000 check-ins (one entry each) over the
    last 365 days, in plain SQL so that filling takes seconds, not hours."""
    from django.db import connection

    from tracker.models import SymptomEntry, WeightEntry
    from tracker.services.checkins import note_fields

    ours = {"survivor__email__startswith": "bench-s"}
    if SymptomEntry.objects.filter(**ours).count() >= checkins and WeightEntry.objects.filter(**ours).exists():
        return
    per = checkins // survivors
    read = [note_fields(note=note, survivor_id=0) for note in NOTES]
    with connection.cursor() as c:
        c.execute("DELETE FROM tracker_flagentry; DELETE FROM tracker_flag;")
        c.execute(
            """DELETE FROM tracker_symptomentry WHERE survivor_id IN (SELECT id FROM tracker_user WHERE email LIKE 'bench-s%%')"""
        )
        c.execute(
            """DELETE FROM tracker_checkin WHERE survivor_id IN (SELECT id FROM tracker_user WHERE email LIKE 'bench-s%%')"""
        )
        c.execute(
            """DELETE FROM tracker_weightentry WHERE survivor_id IN (SELECT id FROM tracker_user WHERE email LIKE 'bench-s%%')"""
        )
        c.execute("DELETE FROM tracker_user WHERE email LIKE 'bench-s%%'")
        clinic_id = bench_clinic().pk
        c.execute(
            """
            INSERT INTO tracker_user (password, last_login, is_superuser, email, full_name, role, clinic_id, time_zone,
                weight_unit, date_of_birth, enrolled_on, is_active, is_staff, date_joined, session_stamp)
            SELECT '!', NULL, false, 'bench-s' || g || '@example.org', 'Bench ' || g, 'survivor', %s, 'UTC', 'kg',
                   DATE '1960-01-01', CURRENT_DATE - 400, true, false, now(), ''
            FROM generate_series(1, %s) g
            """,
            [clinic_id, survivors],
        )
        c.execute(
            """
            INSERT INTO tracker_checkin (survivor_id, created_at, callback_requested, submission_token)
            SELECT u.id, now() - (random() * interval '365 days'), false, md5(u.id || '-' || g)::uuid
            FROM tracker_user u CROSS JOIN generate_series(1, %s) g
            WHERE u.email LIKE 'bench-s%%'
            """,
            [per],
        )
        c.execute("SELECT array_agg(id ORDER BY sort_order) FROM tracker_symptom WHERE code <> 'other'")
        symptom_ids = c.fetchone()[0]
        c.execute("SELECT array_agg(id ORDER BY sort_order) FROM tracker_bodysite")
        site_ids = c.fetchone()[0]
        c.execute(
            """
            INSERT INTO tracker_symptomentry (checkin_id, survivor_id, symptom_id, body_site_id, severity, is_new,
                is_worse, started_on, note, reading, reading_terms, created_at)
            SELECT ci.id, ci.survivor_id,
                   (%(symptoms)s::bigint[])[1 + (ci.id %% array_length(%(symptoms)s::bigint[], 1))],
                   CASE WHEN ci.id %% 3 = 0 THEN (%(sites)s::bigint[])[1 + (ci.id %% array_length(%(sites)s::bigint[], 1))] END,
                   (ci.id * 7) %% 11, ci.id %% 5 = 0, ci.id %% 7 = 0, ci.created_at::date,
                   CASE WHEN ci.id %% 10 = 0 THEN (%(notes)s::text[])[1 + (ci.id / 10) %% %(n_notes)s] ELSE '' END,
                   CASE WHEN ci.id %% 10 = 0 THEN (%(readings)s::jsonb[])[1 + (ci.id / 10) %% %(n_notes)s] END,
                   CASE WHEN ci.id %% 10 = 0 THEN (%(terms)s::text[])[1 + (ci.id / 10) %% %(n_notes)s] ELSE '' END,
                   ci.created_at
            FROM tracker_checkin ci JOIN tracker_user u ON u.id = ci.survivor_id
            WHERE u.email LIKE 'bench-s%%'
            """,
            {
                "symptoms": symptom_ids,
                "sites": site_ids,
                "notes": NOTES,
                "n_notes": len(NOTES),
                # Each note read once, as a check-in stores it (the notes repeat).
                "readings": [json.dumps(fields["reading"]) for fields in read],
                "terms": [fields["reading_terms"] for fields in read],
            },
        )
        c.execute(
            """
            INSERT INTO tracker_weightentry (survivor_id, kg, recorded_at, submission_token)
            SELECT u.id, 60 + (u.id %% 20) + (g * (u.id %% 3) * 0.4), now() - (g * interval '30 days'),
                   md5('w' || u.id || '-' || g)::uuid
            FROM tracker_user u CROSS JOIN generate_series(0, 11) g WHERE u.email LIKE 'bench-s%%'
            """,
            [],
        )
        c.execute("ANALYZE")


def bench_preview(out: list[str], survivors: int, checkins: int) -> None:
    """The preview as the admin gets it: a job row claimed and run by the
    service the Celery task calls (tracker.evaluation.preview_jobs), in this
    process (no broker: the bench must not publish to the shared Redis).
    Wall time from claim to the result on the row; the time to the first
    progress report (when the bar first moves); progress writes; and the
    process's peak memory, which chunks keep to one chunk's worth."""
    import resource

    from tracker.evaluation import preview, preview_jobs
    from tracker.models import PreviewJob, Rule, SymptomEntry, User
    from tracker.rules.defaults import DEFAULT_RULES

    started = time.perf_counter()
    fill_preview_data(survivors, checkins)
    fill = time.perf_counter() - started
    n_entries = SymptomEntry.objects.count()
    n_survivors = User.objects.filter(role="survivor").count()
    defaults = {r["slug"]: r for r in DEFAULT_RULES}
    admin, _ = User.objects.get_or_create(
        email="bench-admin@example.org", defaults={"full_name": "Bench Admin", "role": "clinic_admin"}
    )

    # Baseline: stream every stored entry once, doing nothing with it.
    def bare_scan():
        count = 0
        for _ in SymptomEntry.objects.values_list("id", "survivor_id", "severity").iterator(chunk_size=5000):
            count += 1
        return count

    baseline = timed(bare_scan, 1)[0]
    out += [
        f"Preview data: {n_entries:,} stored entries (one per check-in) from {n_survivors:,} survivors "
        f"(filled in {fill:.0f} s, kept between runs).",
        "",
        "| preview job over 365 days | wall time | first progress | progress writes | bare scan (same run) "
        "| ratio | peak memory | goal |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    real_preview = preview_jobs.rule_preview
    for slug in (
        "bone-pain-new-or-worse",
        "persistent-fatigue-appetite-nausea",
        "headache-with-nausea-vomiting-dizziness",
        "unexplained-weight-loss",
    ):
        rule = Rule.objects.select_related("current").get(slug=slug)
        job = PreviewJob.objects.create(
            requested_by=admin,
            rule=rule,
            compare_with=rule.current,
            condition=defaults[slug]["condition"],
            tier=defaults[slug]["tier"],
            days=365,
        )
        job.clinics.add(bench_clinic())  # a preview reads its clinics' survivors: here, all of them
        reports: list[float] = []

        def timed_preview(*, progress, reports=reports, **kwargs):
            def report(done, total):
                reports.append(time.perf_counter())
                progress(done, total)

            return real_preview(progress=report, **kwargs)

        preview_jobs.rule_preview = timed_preview
        try:
            start = time.perf_counter()
            assert preview_jobs.preview_job_claim(job_id=job.pk)
            preview_jobs.preview_job_run(job_id=job.pk, time_limit=3600)
            elapsed = time.perf_counter() - start
        finally:
            preview_jobs.rule_preview = real_preview
        job.refresh_from_db()
        assert job.state == "done", (job.state, job.error)
        first = reports[1] - start if len(reports) > 1 else elapsed  # reports[0] is "0 of N", before any work
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out.append(
            f"| `{slug}` draft + current ({job.result['scanned']:,} candidates, "
            f"{job.result['draft']['checkins']:,} flagged) | {elapsed:.2f} s | {first:.2f} s | {len(reports)} "
            f"| {baseline:.2f} s | {elapsed / baseline:.2f}x | {peak:.0f} MB | "
            f"< {preview_jobs.TIME_LIMIT_SECONDS} s (the job's limit) |"
        )
    out += ["", f"Chunks of {preview.CHUNK_SURVIVORS} survivors; peak memory is this process's high-water mark.", ""]


# ------------------------------------------------------------------ reminders


def bench_reminders(out: list[str], n: int) -> None:
    """Drain n due reminders with 2 worker processes (mail backend that
    writes nothing) against draining n no-op tasks, same private broker."""
    import subprocess

    import redis as redis_lib
    from django.db import connection
    from django.utils import timezone

    from followup.models import Attempt, Message
    from followup.reminders.sweep import claim_due
    from tests.faults import PrivateRedis, midday_zone
    from tracker.models import Clinic, User

    broker = PrivateRedis()
    broker.start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "CELERY_BROKER_URL": broker.url,
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "PYTHONPATH": str(ROOT),
        "CONN_MAX_AGE": "60",
    }

    def workers():
        return [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "-I",
                    "bench.tasks",
                    "--pool=prefork",
                    "--concurrency=1",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=WARNING",
                    "-n",
                    f"bench{i}@%h",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for i in range(2)
        ]

    def stop(procs):
        for p in procs:
            p.kill()
            p.wait()

    r = redis_lib.Redis(port=broker.port)
    from config.celery import app

    app.conf.broker_url = broker.url
    try:
        # Baseline: n no-op tasks, published first, then drained by 2 workers.
        with app.connection_for_write(broker.url) as conn:
            with app.producer_or_acquire() as producer:
                for i in range(n):
                    app.send_task("bench.noop", args=[i], connection=conn, producer=producer)
        procs = workers()
        start = time.perf_counter()
        while int(r.get("bench:noop") or 0) < n:
            time.sleep(0.05)
        noop_s = time.perf_counter() - start
        stop(procs)

        # The real thing: n reminder rows due now, one sweep after another
        # claiming them (as beat would, every second), 2 workers delivering.
        clinic = Clinic.objects.get(name="Bench clinic")
        survivors = list(User.objects.filter(email__startswith="bench-s").values_list("id", flat=True)[: n // 5 + 1])
        User.objects.filter(id__in=survivors).update(time_zone=midday_zone())
        with connection.cursor() as c:
            c.execute("DELETE FROM followup_attempt; DELETE FROM followup_message;")
        now = timezone.now()
        # Their zone is set to where it is midday now: quiet hours would hold the rows back.
        Message.objects.bulk_create(
            [
                Message(
                    kind="checkin",
                    channel="email",
                    recipient_id=sid,
                    survivor_id=sid,
                    clinic=clinic,
                    iso_week=f"B{k}",
                    dedupe_key=f"bench:{sid}:{k}",
                    due_at=now,
                    state_changed_at=now,
                )
                for sid in survivors
                for k in range(5)
            ][:n],
            batch_size=5000,
        )
        procs = workers()
        start = time.perf_counter()
        while Message.objects.filter(state__in=["pending", "queued", "sending"]).exists():
            ids = claim_due(now=timezone.now(), batch=2000)
            if not ids:
                time.sleep(0.2)
        sent_s = time.perf_counter() - start
        stop(procs)
        sent = Attempt.objects.filter(outcome="sent").count()
        distinct = Attempt.objects.filter(outcome="sent").values("message").distinct().count()
        noop_rate, sent_rate = n / noop_s, n / sent_s
        out += [
            f"| delivery, {n:,} messages, 2 worker processes | throughput | baseline: no-op task, same broker | ratio | goal |",
            "| --- | --- | --- | --- | --- |",
            f"| sweep claims + deliver (mail backend writes nothing) | {sent_rate:,.0f} msg/s ({sent_s:.1f} s) | "
            f"{noop_rate:,.0f} tasks/s ({noop_s:.1f} s) | {sent_rate / noop_rate:.2f} | >= 0.5 |",
            "",
            f"Sent exactly once: {sent:,} sent attempts for {distinct:,} messages "
            f"({Message.objects.filter(state='sent').count():,} rows sent, {n:,} expected).",
            "",
        ]
    finally:
        broker.stop()


# ------------------------------------------------------------------ triage web


def fill_open_flags(target: int) -> None:
    """Open flags for the bench survivors, two or three rules each, in SQL."""
    from django.db import connection

    from tracker.models import Flag

    if Flag.objects.filter(status="open", survivor__email__startswith="bench-s").count() >= target:
        return
    with connection.cursor() as c:
        c.execute("DELETE FROM followup_flagevent; DELETE FROM followup_flagfollowup; DELETE FROM followup_attempt;")
        c.execute("DELETE FROM followup_message;")
        c.execute("DELETE FROM tracker_flagentry; DELETE FROM tracker_flag;")
        c.execute(
            """
            INSERT INTO tracker_flag (survivor_id, rule_id, rule_version_id, tier, tier_rank, review_by, status,
                                      evidence, created_at, updated_at, outcome, callback_wanted)
            SELECT u.id, r.id, r.current_id, v.tier, 0, now(), 'open', 'pain at hip, new, severity 6, getting worse',
                   now() - (random() * interval '6 days'), now(), '', random() < 0.1
              FROM tracker_user u
              JOIN LATERAL (SELECT * FROM tracker_rule ORDER BY md5(u.id::text || tracker_rule.slug) LIMIT 3) r ON true
              JOIN tracker_ruleversion v ON v.id = r.current_id
             WHERE u.email LIKE 'bench-s%%'
             LIMIT %s
            """,
            [target],
        )
        c.execute(
            """UPDATE tracker_flag SET tier_rank = CASE tier WHEN 'emergency' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END,
                   review_by = created_at + CASE tier WHEN 'emergency' THEN interval '1 hour'
                                                      WHEN 'urgent' THEN interval '24 hours' ELSE interval '5 days' END"""
        )
        # Every flag has its follow-up row, as a check-in writes it (followup/reminders/schedule.py).
        c.execute("INSERT INTO followup_flagfollowup (flag_id, escalated_tier) SELECT id, '' FROM tracker_flag")
        c.execute("ANALYZE")


def second_factor_passed(session, user) -> None:
    """Mark a staff member's session as past her second factor (her
    authenticator app, made if she has none), as the verify page does after a
    right code: the pages measured are those she reaches, not the gate."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tracker.mfa.services import user_must_have_factor

    if user_must_have_factor(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        device = device or TOTPDevice.objects.create(user=user, name="Bench app", confirmed=True)
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def bench_login(client, user) -> None:
    """client.force_login, and her second factor passed (staff)."""
    client.force_login(user)
    second_factor_passed(client.session, user)


def _session_cookie(user) -> str:
    """A fully signed-in session for `user` (password and, for staff, the
    second factor), as its cookie."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(user.pk), "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    second_factor_passed(session, user)
    return f"sessionid={session.session_key}"


def bench_triage(out: list[str], survivors: int, checkins: int, seconds: float = 15.0, rounds: int = 5) -> None:
    """gunicorn with 2 workers; the pages a nurse lives in (the queue, a row
    per survivor: first page, filtered, its 30 s htmx refresh; a flag's page;
    a survivor's page as she and as the nurse see it; the survivors page; the
    dashboard) against a bare view listing 50 flags, in the same run.
    Throughput from the client (4 threads); median and p95 server time from
    gunicorn's access log (%(D)s, microseconds).

    The pages take turns: `rounds` rounds of seconds/rounds each, so a slow
    spell of this shared machine falls on every page alike. Each page's ratio
    is the median of its ratios to the bare view of the same round; the
    range shows how far the rounds spread."""
    import http.client
    import subprocess
    import tempfile
    import threading

    from django.conf import settings

    from tests.faults import free_port, wait_for
    from tracker.models import Flag, User

    fill_preview_data(survivors, checkins)
    # 2.5 open flags a survivor, as at the first size (50,000 for 20,000): the queue grows with the clinic.
    fill_open_flags(max(50_000, survivors * 5 // 2))
    clinic = bench_clinic()
    nurse, _ = User.objects.get_or_create(
        email="bench-nurse@example.org", defaults={"full_name": "Bench Nurse", "role": "nurse"}
    )
    nurse.staff_clinics.add(clinic)
    port = free_port()
    access_log = Path(tempfile.mkstemp(prefix="bench-access-", suffix=".log")[1])
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "CONN_MAX_AGE": "60", "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bench.wsgi_bench:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--access-logfile",
            str(access_log),
            "--access-logformat",
            "%(D)s",
        ],
        cwd=ROOT,
        env=env,
    )
    flag_id, survivor_id = (
        Flag.objects.filter(status="open", survivor__clinic=clinic).order_by("id").values_list("id", "survivor").first()
    )
    # The nurse's session loads her pages; the survivor of that flag's, her home.
    cookies = {"nurse": _session_cookie(nurse), "survivor": _session_cookie(User.objects.get(pk=survivor_id))}

    def load(
        path: str, headers: dict, seconds: float, threads: int = 4, who: str = "nurse"
    ) -> tuple[float, list[float]]:
        """Requests per second for `seconds`, and the server times (s) of
        exactly these requests (the access log lines written meanwhile)."""
        count = [0]
        lock = threading.Lock()
        offset = access_log.stat().st_size
        stop = time.perf_counter() + seconds

        def run():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            done = 0
            while time.perf_counter() < stop:
                conn.request("GET", path, headers={"Cookie": cookies[who], "Host": "127.0.0.1", **headers})
                response = conn.getresponse()
                response.read()
                assert response.status == 200, (path, response.status)
                done += 1
            conn.close()
            with lock:
                count[0] += done

        workers = [threading.Thread(target=run) for _ in range(threads)]
        started = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        rate = count[0] / (time.perf_counter() - started)
        time.sleep(0.2)  # gunicorn writes the log line after the response
        with access_log.open() as f:
            f.seek(offset)
            server_times = [int(line) / 1e6 for line in f.read().split()]
        return rate, server_times

    hx = {"HX-Request": "true"}
    # (label, path, headers, whose session, goal)
    pages = [
        ("bare view, 50 flags (baseline)", "/bench/bare/", {}, "nurse", "—"),
        ("queue, first page (a row per survivor)", "/staff/queue/", {}, "nurse", "≥ 0.5"),
        ("queue, filtered (urgent, unclaimed)", "/staff/queue/?tier=urgent&unclaimed=1", {}, "nurse", "≥ 0.5"),
        ("queue, 30 s refresh (htmx: the table only)", "/staff/queue/", hx, "nurse", "—"),
        ("flag detail", f"/staff/flags/{flag_id}/", {}, "nurse", "≥ 0.35"),
        ("flag detail: her last 90 days (when asked for)", f"/staff/flags/{flag_id}/history/", hx, "nurse", "—"),
        ("her home page (the survivor)", "/", {}, "survivor", "≥ 0.35"),
        ("her page (the nurse: her history)", f"/staff/survivors/{survivor_id}/", {}, "nurse", "≥ 0.35"),
        ("survivors page", "/staff/survivors/", {}, "nurse", "—"),
        ("dashboard", "/staff/dashboard/", {}, "nurse", "< 300 ms median"),
    ]
    try:
        wait_for(lambda: _port_open(port), timeout=30)
        # A browser sends back the CSRF cookie the first page set; without it
        # every page with a form would make a new CSRF secret and cookie.
        for who, first_path in (("nurse", "/staff/queue/"), ("survivor", "/")):
            first = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            first.request("GET", first_path, headers={"Cookie": cookies[who], "Host": "127.0.0.1"})
            response = first.getresponse()
            response.read()
            set_cookie = response.headers.get_all("Set-Cookie") or []
            cookies[who] += "".join(
                f"; {c.split(';')[0]}" for c in set_cookie if c.startswith(settings.CSRF_COOKIE_NAME)
            )
            assert settings.CSRF_COOKIE_NAME in cookies[who], (who, set_cookie)
            first.close()
        for _, path, headers, who, _ in pages:  # warm up
            load(path, headers, seconds=1.0, threads=1, who=who)
        rates: dict[str, list[float]] = {label: [] for label, *_ in pages}
        times: dict[str, list[float]] = {label: [] for label, *_ in pages}
        for _ in range(rounds):
            for label, path, headers, who, _ in pages:
                rate, server_times = load(path, headers, seconds / rounds, who=who)
                rates[label].append(rate)
                times[label] += server_times
        bare = rates[pages[0][0]]
        out += [
            f"Triage data: {Flag.objects.filter(status='open').count():,} open flags, "
            f"{User.objects.filter(role='survivor').count():,} survivors; gunicorn 2 workers, "
            f"4 client threads, {seconds:.0f} s a page in {rounds} rounds taking turns.",
            "",
            "| page | throughput | server time median | p95 | throughput / bare view (rounds' range) | goal |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for label, _, _, _, goal in pages:
            ratios = [rate / base for rate, base in zip(rates[label], bare, strict=True)]
            out.append(
                f"| {label} | {statistics.median(rates[label]):.0f} req/s | {ms(times[label])} "
                f"| {p95(times[label]) * 1000:.1f} ms | {statistics.median(ratios):.2f} "
                f"({min(ratios):.2f}-{max(ratios):.2f}) | {goal} |"
            )
        out.append("")
    finally:
        server.kill()
        server.wait()
        access_log.unlink(missing_ok=True)


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--only",
        choices=[
            "evaluation",
            "preview",
            "reminders",
            "triage",
            "notes",
            "latency",
            "scale",
            "sweep",
            "languages",
            "fhir",
        ],
    )
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--survivors", type=int, default=20_000)
    parser.add_argument("--checkins", type=int, default=1_000_000)
    parser.add_argument("--plan-survivors", type=int, default=200_000)
    args = parser.parse_args()
    setup_django()
    from tracker.services.rules import rules_load_defaults

    rules_load_defaults()
    out = [f"Machine: {os.cpu_count()} cores; PostgreSQL on 127.0.0.1; {time.strftime('%Y-%m-%d')}", ""]
    if args.only in (None, "notes"):
        from notes import bench_notes  # bench/notes.py, beside this file

        bench_notes(out)
    if args.only in (None, "latency"):
        from latency import bench_latency  # bench/latency.py, beside this file

        bench_latency(out)
    if args.only in (None, "evaluation"):
        bench_evaluation(out)
    if args.only in (None, "preview"):
        bench_preview(out, args.survivors, args.checkins)
    if args.only in (None, "reminders"):
        bench_reminders(out, args.messages)
    if args.only in (None, "triage"):
        bench_triage(out, args.survivors, args.checkins)
    if args.only in (None, "scale"):
        from scale import bench_scale  # bench/scale.py, beside this file

        fill_preview_data(args.survivors, args.checkins)
        bench_scale(out, login=bench_login)
    if args.only in (None, "sweep"):
        from sweep import bench_sweep  # bench/sweep.py, beside this file

        bench_sweep(out, args.plan_survivors, bench_clinic())
    if args.only in (None, "languages"):
        from languages import bench_languages  # bench/languages.py, beside this file

        bench_languages(out, bench_clinic())
    if args.only in (None, "fhir"):
        from fhir_reads import bench_fhir  # bench/fhir_reads.py, beside this file (not "fhir": fhir.resources)

        bench_fhir(out)
    print("\n".join(out))


def drop_bench_queue() -> None:
    if not BENCH_QUEUE.startswith("bench-"):
        return
    from config.celery import app

    if app.conf.broker_url.startswith("redis://"):
        import redis

        # The reminders bench points the app at its own redis-server, gone by now.
        with contextlib.suppress(redis.exceptions.ConnectionError):
            redis.Redis.from_url(app.conf.broker_url).delete(BENCH_QUEUE)


if __name__ == "__main__":
    try:
        main()
    finally:
        drop_bench_queue()
