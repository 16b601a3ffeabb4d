import datetime as dt
import functools
import uuid

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from followup.models import Message
from tracker.models import BodySite, CheckIn, Clinic, Invitation, Symptom, SymptomEntry, User, WeightEntry

PASSWORD = "correct-horse-battery"


@functools.cache
def password_hash() -> str:
    # Argon2 is slow by design; hash the shared test password once per run.
    return make_password(PASSWORD)


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")
    care_team_phone = factory.Sequence(lambda n: f"555-01{n:02d}")
    emergency_number = "911"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name")
    password = factory.LazyFunction(password_hash)


class SurvivorFactory(UserFactory):
    role = User.Role.SURVIVOR
    clinic = factory.SubFactory(ClinicFactory)
    date_of_birth = dt.date(1960, 5, 17)
    enrolled_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=60))
    time_zone = "America/New_York"


class NurseFactory(UserFactory):
    role = User.Role.NURSE

    @factory.post_generation
    def clinics(self, create, extracted, **kwargs):
        if create and extracted:
            self.staff_clinics.add(*extracted)


class ClinicAdminFactory(NurseFactory):
    role = User.Role.CLINIC_ADMIN


def symptom(code: str) -> Symptom:
    return Symptom.objects.get(code=code)


def body_site(code: str) -> BodySite:
    return BodySite.objects.get(code=code)


def entry(code="pain", site="hip", severity=6, new=True, worse=True, note="", started_on=None):
    """One symptom entry as the check-in form would send it (started yesterday unless told)."""
    from tracker.services.checkins import EntryData

    return EntryData(
        symptom=symptom(code),
        body_site=body_site(site) if site else None,
        severity=severity,
        is_new=new,
        is_worse=worse,
        started_on=started_on or timezone.localdate() - dt.timedelta(days=1),
        note=note,
    )


def record_checkin(survivor, *entries, callback=False) -> CheckIn:
    """A check-in recorded through the real service, so the rules run."""
    from tracker.services.checkins import checkin_create

    checkin, _ = checkin_create(
        survivor=survivor, entries=list(entries), callback_requested=callback, submission_token=uuid.uuid4()
    )
    return checkin


def in_app_reminder(survivor, flag, *, urgent: bool | None = None, sent=True) -> Message:
    """A reminder about `flag` among her in-app notices: sent (so her pages
    show it), or with sent=False still waiting to be delivered. Urgent (sent
    even in quiet hours) when the flag is an emergency, unless told."""
    now = timezone.now()
    return Message.objects.create(
        kind="reminder",
        channel="in_app",
        recipient=survivor,
        survivor=survivor,
        clinic=survivor.clinic,
        flag=flag,
        dedupe_key=f"reminder:{flag.pk}:0:in_app",
        urgent=flag.tier == "emergency" if urgent is None else urgent,
        due_at=now,
        **({"state": "sent", "sent_at": now} if sent else {}),
    )


class CheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckIn

    survivor = factory.SubFactory(SurvivorFactory)
    submission_token = factory.LazyFunction(uuid.uuid4)


class SymptomEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SymptomEntry

    checkin = factory.SubFactory(CheckInFactory)
    survivor = factory.SelfAttribute("checkin.survivor")
    symptom = factory.LazyFunction(lambda: symptom("headache"))
    severity = 5
    is_new = True
    is_worse = False
    started_on = factory.LazyFunction(timezone.localdate)
    note = ""


class WeightEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WeightEntry

    survivor = factory.SubFactory(SurvivorFactory)
    kg = 65
    submission_token = factory.LazyFunction(uuid.uuid4)


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    email = factory.Sequence(lambda n: f"invitee{n}@example.org")
    full_name = factory.Faker("name")
    clinic = factory.SubFactory(ClinicFactory)
    invited_by = factory.LazyAttribute(lambda o: NurseFactory(clinics=[o.clinic]))


# Her follow-up plan (issue 15): rows made directly, for the tests of her
# pages (tests/tracker/test_her_plan.py); the plan services are tested on their own.
class PlanTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "tracker.PlanTemplate"

    clinic = factory.SubFactory(ClinicFactory)
    name = "Breast cancer follow-up (ASCO guidance, 2013)"
    builtin = "asco-2013-breast"


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "tracker.Plan"

    survivor = factory.SubFactory(SurvivorFactory)
    template = factory.LazyAttribute(lambda o: PlanTemplateFactory(clinic=o.survivor.clinic))
    diagnosis_on = dt.date(2025, 1, 15)
    surgery_on = dt.date(2025, 2, 10)
    started_on = factory.LazyFunction(timezone.localdate)
    started_by = factory.LazyAttribute(lambda o: NurseFactory(clinics=[o.survivor.clinic]))


class PlanItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "tracker.PlanItem"

    plan = factory.SubFactory(PlanFactory)
    key = "visit"
    kind = "visit"
    opens_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))
    due_by = factory.LazyAttribute(lambda o: o.opens_on + dt.timedelta(days=90))
