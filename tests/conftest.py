"""Personas shared by every test: a clinic with its survivor, a second survivor
of the same clinic, its nurse and clinic admin, a nurse of another clinic, and
a superuser (a site administrator, of no clinic)."""

from types import SimpleNamespace

import pytest
from django.db import connection

from tests.factories import (
    PASSWORD,
    CheckInFactory,
    ClinicAdminFactory,
    ClinicFactory,
    NurseFactory,
    SurvivorFactory,
    SymptomEntryFactory,
    WeightEntryFactory,
    entry,
    in_app_reminder,
    record_checkin,
)
from tracker.models import Flag, PreviewJob, Rule, User
from tracker.services.rules import rules_load_defaults


@pytest.fixture
def clinic(db):
    return ClinicFactory(name="Riverside", care_team_phone="555-0100", emergency_number="911")


@pytest.fixture
def other_clinic(db):
    return ClinicFactory(name="Hillside")


@pytest.fixture
def survivor(clinic):
    return SurvivorFactory(clinic=clinic, full_name="Sara Survivor", email="sara@example.org")


@pytest.fixture
def same_clinic_survivor(clinic):
    return SurvivorFactory(clinic=clinic, full_name="Olga Other")


@pytest.fixture
def nurse(clinic):
    return NurseFactory(clinics=[clinic], full_name="Nina Nurse")


@pytest.fixture
def clinic_admin(clinic):
    return ClinicAdminFactory(clinics=[clinic], full_name="Ada Admin")


@pytest.fixture
def other_nurse(other_clinic):
    return NurseFactory(clinics=[other_clinic], full_name="Otto Outsider")


# Privacy between clinics (tests/*/test_outsiders.py): clinic B, a nurse
# who works for both A (`clinic`) and B, and a survivor of B.
@pytest.fixture
def clinic_b(db):
    return ClinicFactory(name="Brookside")


@pytest.fixture
def shared_nurse(clinic, clinic_b):
    return NurseFactory(clinics=[clinic, clinic_b], full_name="Sharon Shared")


@pytest.fixture
def b_survivor(clinic_b):
    return SurvivorFactory(clinic=clinic_b, full_name="Beatrix Brookside", email="beatrix@example.org")


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root@example.org", PASSWORD, full_name="Root")


@pytest.fixture
def her_record(survivor, clinic_admin):
    """One of each row a URL can name about `survivor`: a check-in whose note
    says "private words", a weight, an urgent flag of the default headache
    rule with an in-app reminder, and a rule preview of her clinic admin's.
    For the tests that ask every URL as every persona (tests/test_headers.py,
    tests/tracker/test_permissions.py)."""
    rules_load_defaults()
    checkin = CheckInFactory(survivor=survivor)
    symptom_entry = SymptomEntryFactory(checkin=checkin, note="private words")
    weight = WeightEntryFactory(survivor=survivor)
    rule = Rule.objects.get(slug="headache")
    flag = Flag.objects.create(survivor=survivor, rule=rule, rule_version=rule.current, tier="urgent", evidence="x")
    message = in_app_reminder(survivor, flag, sent=False)
    job = PreviewJob.objects.create(
        requested_by=clinic_admin, rule=rule, condition=rule.current.condition, tier=rule.current.tier, days=30
    )
    return SimpleNamespace(
        checkin=checkin,
        entry=symptom_entry,
        weight=weight,
        rule=rule,
        flag=flag,
        message=message,
        job=job,
    )


@pytest.fixture
def client_for(client):
    """A logged-in test client for any persona (None: anonymous)."""

    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return login


@pytest.fixture(scope="session", autouse=True)
def _force_login_passes_the_second_factor():
    """`client.force_login(user)` stands for a person fully signed in. Staff
    must also pass a second factor (tracker/mfa/gate.py), so for them (and
    for a survivor who turned it on) it marks the session verified by her
    authenticator app or passkey (staff without one get an app), as the
    verify page does after a right code (django_otp.login). Session-scoped,
    so the module-scoped browser sites' logins get it too.

    Tests of the gate sign in with the password step only:
    `client.force_login_password_only(user)` (Django's own force_login).
    Browser tests that sign in on the login page pass the real second step
    (tests/mfa_helpers.py)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from tests.mfa_helpers import verifying_device_for
    from tracker.mfa.selectors import has_factor
    from tracker.mfa.services import user_must_have_factor

    password_only = Client.force_login

    def force_login(self, user, backend=None):
        password_only(self, user, backend)
        if user_must_have_factor(user) or has_factor(user=user):
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = verifying_device_for(user).persistent_id
            session.save()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Client, "force_login", force_login)
        patch.setattr(Client, "force_login_password_only", password_only, raising=False)
        yield


@pytest.fixture(autouse=True)
def enqueued(request, monkeypatch):
    """Unit tests never publish to the shared Redis: tasks sent with
    .delay()/.apply_async() are recorded here instead. Tests marked
    `integration` send for real to a real worker."""
    sent: list[tuple[str, tuple, dict]] = []
    if request.node.get_closest_marker("integration") is None:
        from celery.app.task import Task

        def record(self, args=None, kwargs=None, **options):
            sent.append((self.name, tuple(args or ()), dict(kwargs or {})))

        monkeypatch.setattr(Task, "apply_async", record)
    return sent


@pytest.fixture(scope="session", autouse=True)
def _close_stray_test_db_sessions(django_db_setup, django_db_blocker):
    """The live server's request threads (browser tests) can leave an idle
    connection behind, which would stop the test database from being dropped
    at the end of the run. End those sessions first; only ours, only here."""
    name = connection.settings_dict["NAME"]
    yield
    if connection.vendor != "postgresql" or not name.startswith("test_"):
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )


@pytest.fixture(autouse=True)
def _fresh_rule_cache():
    """Each test sees the rules in its own transaction, not a neighbour's."""
    from tracker.evaluation.inputs import rule_defs_forget

    rule_defs_forget()
    yield
    rule_defs_forget()


@pytest.fixture
def default_rules(db):
    rules_load_defaults()


@pytest.fixture
def report(default_rules):
    """Record a check-in through the real service; returns its flags by rule slug."""

    def do(survivor, code="pain", site="hip", severity=6, new=True, worse=True, note="", callback=False):
        checkin = record_checkin(survivor, entry(code, site, severity, new, worse, note), callback=callback)
        from tracker.models import Flag

        return {f.rule.slug: f for f in Flag.objects.filter(attachments__entry__checkin=checkin).distinct()}

    return do


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The throttles count in Django's cache (in memory under test): each
    test starts with none of a neighbour's counts."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _client_login_passes_a_request():
    """django-axes' backend (first in AUTHENTICATION_BACKENDS) refuses an
    authenticate() without the request, and `client.login(...)` makes none.
    Here it gets a plain request from the test client's address, so a test's
    login is counted, and locked out, as the login page's would be."""
    from django.test import Client, RequestFactory

    plain_login = Client.login

    def login(self, **credentials):
        credentials.setdefault("request", RequestFactory().post("/accounts/login/"))
        return plain_login(self, **credentials)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Client, "login", login)
        yield


@pytest.fixture(autouse=True)
def _english_between_tests():
    """A request activates its language in this thread (LocaleMiddleware,
    her setting) and nothing deactivates it: a Spanish page must not leave
    the next test in Spanish."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")
