"""Her pages in Spanish against the same pages in English (issue 16).

Two survivors with the same year of history (a weekly check-in of two
entries, a weight a week, open flags of each tier), one reading English and
one Spanish, in the bench database. Her pages are requested in-process
(Django's test client, the whole middleware stack) in interleaved rounds,
with the bench's bare view (50 flag rows, no template) in every round: each
page's ratio is to the bare view of its own round, and Spanish to English
is the ratio of the two. What translation costs: gettext lookups in the
compiled catalog, the Spanish columns of the catalog and advice, locale
formats."""

from __future__ import annotations

import datetime as dt
import statistics
import time
import uuid
from decimal import Decimal

PAGES = {
    "her home page": "home",
    "check-in form": "checkin_create",
    "weight form": "weight_create",
    "settings": "preferences",
}


def _twin(clinic, email: str, language: str):
    from django.utils import timezone

    from tracker.models import BodySite, CheckIn, Symptom, SymptomEntry, User, WeightEntry

    user, created = User.objects.get_or_create(
        email=email,
        defaults={"full_name": "Bench Twin", "role": "survivor", "clinic": clinic, "language": language},
    )
    if not created:
        return user
    user.enrolled_on = timezone.localdate() - dt.timedelta(days=400)
    user.save(update_fields=["enrolled_on"])
    pain, fatigue = Symptom.objects.get(code="pain"), Symptom.objects.get(code="fatigue")
    hip = BodySite.objects.get(code="hip")
    now = timezone.now()
    for week in range(52, 0, -1):
        at = now - dt.timedelta(weeks=week)
        checkin = CheckIn.objects.create(survivor=user, created_at=at, submission_token=uuid.uuid4())
        SymptomEntry.objects.create(
            checkin=checkin, survivor=user, symptom=pain, body_site=hip, severity=3, is_new=False,
            is_worse=False, started_on=at.date(), note="", created_at=at,
        )  # fmt: skip
        SymptomEntry.objects.create(
            checkin=checkin, survivor=user, symptom=fatigue, severity=2, is_new=False, is_worse=False,
            started_on=at.date(), note="", created_at=at,
        )  # fmt: skip
        WeightEntry.objects.create(
            survivor=user, kg=Decimal("68.5") - Decimal(week) / 10, recorded_at=at, submission_token=uuid.uuid4()
        )
    return user


def _flags(user) -> None:
    """An open flag of each tier, raised through the real service."""
    from tests.factories import entry, record_checkin
    from tracker.models import Flag

    if Flag.objects.filter(survivor=user, status="open").exists():
        return
    record_checkin(user, entry("jaundice", None, 5), entry("dizziness", None, 4))
    record_checkin(user, entry("other", None, 6, note="My legs feel weak and heavy since this morning"))


def bench_languages(out: list[str], clinic, rounds: int = 7, requests: int = 40) -> None:
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    english = _twin(clinic, "bench-twin-en@example.org", "en")
    spanish = _twin(clinic, "bench-twin-es@example.org", "es")
    for twin in (english, spanish):
        _flags(twin)
    clients = {}
    for language, twin in (("en", english), ("es", spanish)):
        client = Client()
        client.force_login(twin)
        clients[language] = client

    def timed(client, path: str) -> float:
        start = time.perf_counter()
        for _ in range(requests):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        return (time.perf_counter() - start) / requests * 1000

    with override_settings(ROOT_URLCONF="bench.urls", ALLOWED_HOSTS=["testserver"]):
        paths = {name: reverse(url) for name, url in PAGES.items()}
        assert "Llame al 911 ahora" in clients["es"].get(paths["her home page"]).content.decode()
        for client in clients.values():  # warm: templates, catalogs, prepared statements
            for path in paths.values():
                client.get(path)
        times: dict[tuple[str, str], list[float]] = {}
        bare: list[float] = []
        for _ in range(rounds):
            bare.append(timed(clients["en"], "/bench/bare/"))
            for name, path in paths.items():
                for language, client in clients.items():
                    times.setdefault((name, language), []).append(timed(client, path))

    out += [
        "## Her pages in Spanish (issue 16)",
        "",
        f"In-process, {rounds} interleaved rounds of {requests} requests a page; the twins have a year of",
        "weekly check-ins, weights and three open flags. Times are medians per request; ratios are to",
        "the bare view of the same round (higher is faster), and Spanish / English per round.",
        "",
        f"Bare view: {statistics.median(bare):.2f} ms.",
        "",
        "| page | English | Spanish | English / bare | Spanish / bare | Spanish time / English time |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name in PAGES:
        en, es = times[(name, "en")], times[(name, "es")]
        ratio_en = statistics.median(b / t for b, t in zip(bare, en, strict=True))
        ratio_es = statistics.median(b / t for b, t in zip(bare, es, strict=True))
        cost = statistics.median(s / e for s, e in zip(es, en, strict=True))
        out.append(
            f"| {name} | {statistics.median(en):.2f} ms | {statistics.median(es):.2f} ms | "
            f"{ratio_en:.2f} | {ratio_es:.2f} | {cost:.2f} |"
        )
    out.append("")
