"""Demo clinic, staff and survivors with a few weeks of believable entries.
Idempotent: running it again changes nothing that is already there."""

import datetime as dt
import random
import uuid
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .models import BodySite, CheckIn, Clinic, Plan, Symptom, SymptomEntry, User, WeightEntry
from .plans.calendar import add_months
from .services.flags import flags_evaluate
from .services.plan_common import her_today
from .services.plan_items import plan_item_book
from .services.plan_templates import plan_template_default
from .services.plans import plan_start
from .timezones import her_zone

DEMO_PASSWORD = "followup-demo"
CLINIC = {"name": "Riverside Cancer Centre (demo)", "care_team_phone": "555-0142", "emergency_number": "911"}
STAFF = [
    ("nurse@demo.followup.test", "Nora Nurse", User.Role.NURSE),
    ("admin@demo.followup.test", "Alex Admin", User.Role.CLINIC_ADMIN),
]
# (email, name, date of birth, time zone, unit, start kg, kg change per week, story)
SURVIVORS = [
    ("maria@demo.followup.test", "Maria Lopez", dt.date(1961, 4, 12), "America/New_York", "lb", 71.0, 0.0, "steady"),
    ("joan@demo.followup.test", "Joan Miller", dt.date(1955, 9, 3), "America/Chicago", "kg", 68.0, -0.45, "hip"),
    ("aisha@demo.followup.test", "Aisha Khan", dt.date(1970, 1, 28), "Europe/London", "kg", 62.5, -0.05, "headache"),
    (
        "rosa@demo.followup.test",
        "Rosa Martínez",
        dt.date(1958, 6, 21),
        "America/Los_Angeles",
        "kg",
        66.5,
        0.0,
        "estable",
    ),
]
# Rosa reads Spanish: her pages, advice, emails and texts are in Spanish, and
# the nurses' pages say so next to her name.
LANGUAGES = {"rosa@demo.followup.test": "es"}
WEEKS = 6
# Her key dates, in months before today: (diagnosis, surgery, end of
# radiation or None, start of hormone therapy or None).
PLAN_DATES = {
    "maria@demo.followup.test": (30, 29, 25, None),
    "joan@demo.followup.test": (14, 13, None, 12),
    "aisha@demo.followup.test": (8, 7, 3, None),
    "rosa@demo.followup.test": (40, 39, 35, None),
}


def seed_demo() -> list[tuple[str, str]]:
    """Returns the demo logins as (role, email)."""
    with transaction.atomic():
        clinic, _ = Clinic.objects.get_or_create(name=CLINIC["name"], defaults=CLINIC)
        logins = []
        for email, name, role in STAFF:
            user = _user(email, full_name=name, role=role)
            user.staff_clinics.add(clinic)
            logins.append((role.label, email))
        today = timezone.localdate()
        for email, name, dob, tz, unit, kg, trend, story in SURVIVORS:
            user = _user(
                email,
                full_name=name,
                role=User.Role.SURVIVOR,
                clinic=clinic,
                date_of_birth=dob,
                time_zone=tz,
                weight_unit=unit,
                language=LANGUAGES.get(email, "en"),
                enrolled_on=today - dt.timedelta(weeks=WEEKS + 1),
            )
            logins.append(("Survivor", email))
            if not user.checkins.exists():
                _history(user, story=story, start_kg=kg, trend=trend)
                _raise_recent_flags(user)
        nurse = User.objects.get(email=STAFF[0][0])
        for email, *_rest in SURVIVORS:
            _plan(User.objects.get(email=email), nurse=nurse, clinic=clinic)
    return logins


def _plan(survivor: User, *, nurse: User, clinic: Clinic) -> None:
    """Her follow-up plan from the clinic's default template, with the
    first item still due booked, so the demo shows each kind of row."""
    if Plan.objects.filter(survivor=survivor).exists():
        return
    today = her_today(survivor)
    diagnosis, surgery, radiation, endocrine = PLAN_DATES[survivor.email]
    plan = plan_start(
        by=nurse,
        survivor=survivor,
        template=plan_template_default(clinic=clinic),
        diagnosis_on=add_months(today, -diagnosis),
        surgery_on=add_months(today, -surgery),
        radiation_end_on=add_months(today, -radiation) if radiation else None,
        endocrine_start_on=add_months(today, -endocrine) if endocrine else None,
    )
    first = plan.items.order_by("opens_on").first()
    if first is not None:
        day = max(first.opens_on, today + dt.timedelta(days=7))
        booked_at = dt.datetime.combine(day, dt.time(10, 30), tzinfo=her_zone(survivor))
        plan_item_book(by=nurse, item=first, booked_at=booked_at, place="Riverside Cancer Centre, clinic B")


def _raise_recent_flags(user: User) -> None:
    """Run the rules over the last three weeks of the story, oldest first, so
    the demo shows flags as the app would have raised them."""
    since = timezone.now() - dt.timedelta(weeks=3)
    for checkin in user.checkins.filter(created_at__gte=since).order_by("created_at"):
        flags_evaluate(survivor=user, entries=list(checkin.entries.select_related("symptom", "body_site")))


def _user(email: str, **fields) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, **fields)
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _history(user: User, *, story: str, start_kg: float, trend: float) -> None:
    rng = random.Random(user.email)
    symptoms = {s.code: s for s in Symptom.objects.all()}
    sites = {b.code: b for b in BodySite.objects.all()}
    now = timezone.now()
    for week in range(WEEKS, -1, -1):
        day = now - dt.timedelta(weeks=week, hours=rng.randint(0, 30))
        kg = Decimal(str(round(start_kg + trend * (WEEKS - week) + rng.uniform(-0.3, 0.3), 1)))
        WeightEntry.objects.create(survivor=user, kg=kg, recorded_at=day, submission_token=uuid.uuid4())
        for entry in _story(story, week, rng):
            code, site, severity, new, worse, note = entry
            checkin, _ = CheckIn.objects.get_or_create(
                survivor=user, created_at=day, defaults={"submission_token": uuid.uuid4()}
            )
            SymptomEntry.objects.create(
                checkin=checkin,
                survivor=user,
                symptom=symptoms[code],
                body_site=sites.get(site),
                severity=severity,
                is_new=new,
                is_worse=worse,
                started_on=(day - dt.timedelta(days=rng.randint(0, 3))).date(),
                note=note,
                created_at=day,
            )


def _story(story: str, week: int, rng: random.Random):
    return _STORIES[story](week, rng)


def _steady(week: int, rng: random.Random):
    yield ("pain", "knee", rng.randint(2, 4), False, False, "Usual arthritis in my left knee.")
    if week % 2 == 0:
        yield ("fatigue", None, rng.randint(2, 4), False, False, "")


def _estable(week: int, rng: random.Random):
    """Steady, in her own words in Spanish."""
    yield ("pain", "knee", rng.randint(2, 3), False, False, "La artritis de siempre en la rodilla derecha.")
    if week % 3 == 0:
        yield ("fatigue", None, rng.randint(2, 3), False, False, "Un poco cansada, como siempre.")


def _hip(week: int, rng: random.Random):
    if week <= 3:
        yield ("pain", "hip", 3 + (3 - week), week == 3, week < 3, "Right hip aches more at night.")
    if week <= 1:
        yield ("trouble_walking", None, 4, True, week == 0, "Harder to get up from a chair.")
    if week >= 4:
        yield ("fatigue", None, 3, False, False, "")


def _headache(week: int, rng: random.Random):
    if week <= 2:
        yield ("headache", None, 4 + (2 - week), week == 2, week < 2, "Mostly in the mornings.")
    if week <= 1:
        yield ("nausea", None, 3, True, False, "")
    if week > 2:
        yield ("appetite_loss", None, 2, False, False, "")


_STORIES = {"steady": _steady, "estable": _estable, "hip": _hip, "headache": _headache}
