"""A chart system reads a clinic's flags for a month through the FHIR
interface (issue 17), against a bare JSON list view of the same flags in
the same run.

A clinic of 1,000 survivors with two flags each in the last 30 days (one
open, one closed) and as many older ones, in the bench database. The
client gets a token from the real token endpoint with a signed assertion,
then pages through `Flag?_lastUpdated=ge<30 days ago>&_count=200` by
Bundle.link "next"; the bare view pages through the same rows (plain
values, keyset on id, 200 a page, no FHIR, no token, no audit). Both
in-process (Django's test client, the whole middleware stack), in
interleaved rounds; throughput is flags a second, and the ratio is the
API's to the bare view's of the same round."""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
from typing import Any

SURVIVORS = 1_000
PAGE = 200


def _fill(clinic) -> None:
    from django.utils import timezone

    from tracker.models import Flag, Rule, User

    if Flag.objects.filter(survivor__clinic=clinic).count() >= SURVIVORS * 4:
        return
    have = User.objects.filter(clinic=clinic).count()
    User.objects.bulk_create(
        User(email=f"fhir-bench-{i}@example.org", full_name=f"Bench Survivor {i}", role="survivor", clinic=clinic)
        for i in range(have, SURVIVORS)
    )
    rules = list(Rule.objects.select_related("current").order_by("slug"))
    now = timezone.now()
    rows = []
    for n, survivor in enumerate(User.objects.filter(clinic=clinic).order_by("pk")):
        for k, days in enumerate((2 + n % 25, 10 + n % 18, 40 + n % 20, 70 + n % 20)):
            rule = rules[(n + k) % len(rules)]
            at = now - dt.timedelta(days=days, minutes=n)
            closed = k != 0
            rows.append(
                Flag(
                    survivor=survivor, rule=rule, rule_version=rule.current, tier=rule.current.tier,
                    tier_rank={"emergency": 0, "urgent": 1}.get(rule.current.tier, 2),
                    status="closed" if closed else "open", evidence="pain at hip, new, severity 6",
                    created_at=at, updated_at=at + dt.timedelta(hours=3 if closed else 0),
                    closed_at=at + dt.timedelta(hours=3) if closed else None,
                    outcome="self_care" if closed else "",
                )
            )  # fmt: skip
    Flag.objects.bulk_create(rows, batch_size=2000)


def _token(http, api_client, key) -> str:
    import time as clock
    import uuid

    import jwt

    now = int(clock.time())
    audience = "http://testserver/fhir/R4/auth/token"
    claims = {"iss": api_client.client_id, "sub": api_client.client_id, "aud": audience, "exp": now + 240}
    assertion = jwt.encode({**claims, "jti": uuid.uuid4().hex}, key, algorithm="ES384", headers={"kid": "bench"})
    response = http.post(
        "/fhir/R4/auth/token",
        {
            "grant_type": "client_credentials",
            "scope": "system/Flag.read",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def bench_fhir(out: list[str], rounds: int = 5) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec
    from django.test import Client
    from django.test.utils import override_settings
    from django.utils import timezone
    from jwt.algorithms import ECAlgorithm

    from fhirapi.models import ApiClient
    from fhirapi.services import api_client_register
    from tracker.models import Clinic, User

    clinic, _ = Clinic.objects.get_or_create(name="Bench FHIR clinic", defaults={"care_team_phone": "555-0100"})
    _fill(clinic)
    admin, _ = User.objects.get_or_create(
        email="fhir-bench-admin@example.org", defaults={"full_name": "Bench Admin", "role": "clinic_admin"}
    )
    admin.staff_clinics.add(clinic)
    key = ec.generate_private_key(ec.SECP384R1())
    jwk = {**json.loads(ECAlgorithm.to_jwk(key.public_key())), "kid": "bench", "alg": "ES384", "use": "sig"}
    ApiClient.objects.filter(clinic=clinic).delete()
    api_client = api_client_register(
        by=admin, clinic=clinic, name="Bench EHR", jwks={"keys": [jwk]}, scopes=["system/Flag.read"]
    )
    since = (timezone.now() - dt.timedelta(days=30)).astimezone(dt.UTC)
    http = Client()

    with override_settings(ROOT_URLCONF="bench.urls", ALLOWED_HOSTS=["testserver"]):
        token = _token(http, api_client, key)
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

        def through_api() -> int:
            count = 0
            url: str | None = f"/fhir/R4/Flag?_lastUpdated=ge{since.isoformat().replace('+00:00', 'Z')}&_count={PAGE}"
            while url:
                response = http.get(url, **auth)
                assert response.status_code == 200, response.content[:300]
                data: dict[str, Any] = json.loads(response.content)
                count += len(data.get("entry", []))
                following = [link["url"] for link in data["link"] if link["relation"] == "next"]
                url = following[0].removeprefix("http://testserver") if following else None
            return count

        def through_bare() -> int:
            count, after = 0, 0
            while True:
                response = http.get(
                    "/bench/bare/flags.json", {"clinic": clinic.pk, "since": since.isoformat(), "after": after}
                )
                rows = json.loads(response.content)["flags"]
                count += len(rows)
                if len(rows) < PAGE:
                    return count
                after = rows[-1]["id"]

        expected = through_bare()
        assert through_api() == expected, "the API and the bare view read different flags"
        api_rates, bare_rates = [], []
        for _ in range(rounds):
            start = time.perf_counter()
            through_bare()
            bare_rates.append(expected / (time.perf_counter() - start))
            start = time.perf_counter()
            through_api()
            api_rates.append(expected / (time.perf_counter() - start))

    ratios = [a / b for a, b in zip(api_rates, bare_rates, strict=True)]
    out += [
        "## A month of a clinic's flags through FHIR (issue 17)",
        "",
        f"{SURVIVORS:,} survivors, {expected:,} flags updated in the last 30 days (of {SURVIVORS * 4:,}); pages of",
        f"{PAGE}; {rounds} interleaved rounds, in-process. Throughput in flags a second (median of rounds).",
        "",
        "| reader | flags / s | ratio to the bare view (rounds' range) | goal |",
        "| --- | --- | --- | --- |",
        f"| bare JSON list view (plain values, keyset pages) | {statistics.median(bare_rates):,.0f} | 1 | |",
        f"| FHIR `Flag` search (R4B JSON, validated with fhir.resources in the tests), token checked, audited | {statistics.median(api_rates):,.0f} | "
        f"**{statistics.median(ratios):.2f}** ({min(ratios):.2f}-{max(ratios):.2f}) | ≥ 0.3 |",
        "",
    ]
