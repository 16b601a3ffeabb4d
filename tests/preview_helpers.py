"""Rule preview tests: many survivors quickly, and the settings a preview
worker runs with in the integration and browser tests."""

import datetime as dt
import uuid

from django.utils import timezone

from tests.factories import body_site, symptom
from tracker.models import CheckIn, SymptomEntry, User

# The worker's settings module: one survivor a chunk, so a preview over a
# thousand survivors takes a second or more and its progress can be seen.
WORKER_ENV = {"DJANGO_SETTINGS_MODULE": "tests.preview_worker_settings"}


def survivors_with_hip_pain(clinic, n: int, *, days_ago: int = 2) -> list[User]:
    """n survivors, each with one check-in of new hip pain (severity 6)."""
    at = timezone.now() - dt.timedelta(days=days_ago)
    tag = uuid.uuid4().hex[:8]
    users = User.objects.bulk_create(
        User(
            email=f"bulk-{tag}-{k}@example.org",
            full_name=f"Bulk {k}",
            password="!",
            role=User.Role.SURVIVOR,
            clinic=clinic,
            time_zone="UTC",
        )
        for k in range(n)
    )
    checkins = CheckIn.objects.bulk_create(
        CheckIn(survivor=u, created_at=at, submission_token=uuid.uuid4()) for u in users
    )
    pain, hip = symptom("pain"), body_site("hip")
    SymptomEntry.objects.bulk_create(
        SymptomEntry(
            checkin=c,
            survivor=c.survivor,
            symptom=pain,
            body_site=hip,
            severity=6,
            is_new=True,
            is_worse=False,
            started_on=at.date(),
            created_at=at,
        )
        for c in checkins
    )
    return users
