"""Per-request costs of a survivor's week at the bench database's size, for
the capacity figures of bench/README.md ("Scale (issue 11)"): the check-in
POST with the active rules (30 shipped ones), the confirmation page it
leads to, and her home page; with the time each spends waiting on
PostgreSQL (Django's execute_wrapper) and its statement count. In-process
(Django's test client), like the evaluation bench; what a check-in
publishes goes to the bench's own queue (bench/run.py). The check-ins,
flags and reminders it makes are deleted at the end."""

from __future__ import annotations

import statistics
import time
import uuid


def checkin_form(survivor, rows) -> dict:
    """The check-in form's POST data: one entry per (symptom, site, severity,
    new, worse, note), started on her own today (between midnight UTC and
    midnight in her zone the server's date is her tomorrow, which the form
    refuses). Shared with bench/run.py's evaluation bench."""
    import zoneinfo

    from django.utils import timezone

    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(survivor.time_zone)).isoformat()
    data = {
        "entry-TOTAL_FORMS": str(len(rows)),
        "entry-INITIAL_FORMS": "0",
        "entry-MIN_NUM_FORMS": "1",
        "entry-MAX_NUM_FORMS": "10",
        "submission_token": str(uuid.uuid4()),
    }
    for i, (code, site, severity, new, worse, note) in enumerate(rows):
        fields = {"symptom": code, "body_site": site, "severity": severity, "is_new": new, "is_worse": worse}
        fields |= {"started_on": today, "note": note}
        data.update({f"entry-{i}-{name}": value for name, value in fields.items()})
    return data


def bench_scale(out: list[str], n: int = 150, *, login) -> None:
    """`login(client, user)`: signs her in fully (bench/run.py: bench_login)."""

    from django.conf import settings
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from tracker import scope
    from tracker.models import CheckIn, Flag, SymptomEntry, User

    settings.ALLOWED_HOSTS = ["testserver"]
    started_at = timezone.now()
    # A spread of survivors across the id range (each has a year of check-ins).
    ids = list(User.objects.filter(email__startswith="bench-s").order_by("id").values_list("id", flat=True))
    sample = list(User.objects.filter(id__in=ids[:: max(1, len(ids) // n)][:n]))
    # (symptom, site, severity, new, worse): about a third raise a flag, as in PRO-TECT.
    kinds = [
        [("pain", "knee", "3", "no", "no")],
        [("fatigue", "", "3", "no", "no")],
        [("pain", "hip", "6", "yes", "yes"), ("headache", "", "4", "no", "no")],
        [("cough", "", "2", "no", "no")],
        [("nausea", "", "3", "yes", "no")],
        [("pain", "shoulder", "2", "no", "no")],
        [("headache", "", "6", "yes", "no")],
        [("appetite_loss", "", "2", "no", "no")],
        [("numbness", "hand", "2", "no", "no")],
    ]
    client = Client()
    timings: dict[str, list[tuple[float, float, int]]] = {"check-in POST": [], "confirmation page": [], "home": []}
    db = [0.0, 0]

    def count_db(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            db[0] += time.perf_counter() - start
            db[1] += 1

    def measured(label, call):
        db[0], db[1] = 0.0, 0
        start = time.perf_counter()
        with connection.execute_wrapper(count_db):
            response = call()
        timings[label].append((time.perf_counter() - start, db[0], db[1]))
        return response

    try:
        for i, survivor in enumerate(sample):
            client.force_login(survivor)
            data = checkin_form(survivor, [(*row, "") for row in kinds[i % len(kinds)]])
            response = measured("check-in POST", lambda data=data: client.post("/check-in/", data))
            assert response.status_code == 302, response.status_code
            location = response["Location"]
            assert measured("confirmation page", lambda location=location: client.get(location)).status_code == 200
            assert measured("home", lambda: client.get("/")).status_code == 200
    finally:
        with transaction.atomic():
            Flag.objects.filter(survivor__in=sample, created_at__gte=started_at).delete()
            SymptomEntry.objects.filter(survivor__in=sample, created_at__gte=started_at).delete()
            CheckIn.objects.filter(survivor__in=sample, created_at__gte=started_at).delete()

    # The nurse's pages, one request at a time (the triage bench loads them
    # with four clients; one at a time is steadier on a shared machine).
    nurse = User.objects.filter(email="bench-nurse@example.org").first()
    if nurse is not None:
        login(client, nurse)  # with her second factor passed
        flag_id = (
            Flag.objects.filter(status="open", survivor__clinic__in=scope.clinics_of(nurse))
            .order_by("id")
            .values_list("id", flat=True)
            .first()
        )
        pages = [
            ("nurse: queue, first page", "/staff/queue/", 40),
            ("nurse: queue, urgent and unclaimed", "/staff/queue/?tier=urgent&unclaimed=1", 40),
            ("nurse: flag detail", f"/staff/flags/{flag_id}/", 40),
            ("nurse: dashboard", "/staff/dashboard/", 10),
        ]
        for label, path, repeat in pages:
            client.get(path)  # warm
            timings[label] = []
            for _ in range(repeat):
                assert measured(label, lambda path=path: client.get(path)).status_code == 200

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
    survivors = User.objects.filter(role="survivor").count()
    entries = SymptomEntry.objects.count()
    open_flags = Flag.objects.filter(status="open").count()
    out += [
        f"Per-request costs: {len(sample)} survivors spread over {survivors:,} ({entries:,} stored entries, "
        f"{open_flags:,} open flags); database {size / 2**30:.1f} GiB ({size / max(entries, 1):.0f} bytes an "
        "entry, all tables and indexes).",
        "",
        "| request | median | p95 | of which PostgreSQL (median) | statements (median) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for label, rows in timings.items():
        walls = sorted(r[0] for r in rows)
        out.append(
            f"| {label} | {statistics.median(walls) * 1000:.1f} ms | {walls[int(len(walls) * 0.95) - 1] * 1000:.1f} ms "
            f"| {statistics.median(r[1] for r in rows) * 1000:.1f} ms | {statistics.median(r[2] for r in rows):.0f} |"
        )
    out.append("")
