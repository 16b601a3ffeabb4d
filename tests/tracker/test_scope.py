"""Who sees which survivors and clinics (tracker/scope.py), for every role.

Two clinics, Riverside and Hillside. Viewers: a survivor of Riverside, a
deactivated one, a nurse of each clinic, a nurse of both, a nurse of none, a
deactivated nurse of Riverside, the clinic admin of each clinic, a superuser
from `createsuperuser` (a clinic admin of no clinic), a superuser made a
clinic admin of Riverside, and an outsider who is not signed in."""

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from followup.triage import flag_page_sql, queue
from tests.factories import ClinicAdminFactory, ClinicFactory, NurseFactory, SurvivorFactory
from tracker import scope
from tracker.models import User

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def people(db):
    riverside = ClinicFactory(name="Riverside")
    hillside = ClinicFactory(name="Hillside")
    superuser = User.objects.create_superuser("root@example.org", "x")
    superuser_admin = User.objects.create_superuser("root-admin@example.org", "x")
    superuser_admin.staff_clinics.add(riverside)
    return {
        "riverside": riverside,
        "hillside": hillside,
        "survivor": SurvivorFactory(clinic=riverside),
        "her neighbour": SurvivorFactory(clinic=riverside),
        "deactivated survivor": SurvivorFactory(clinic=riverside, is_active=False),
        "hillside survivor": SurvivorFactory(clinic=hillside),
        "her nurse": NurseFactory(clinics=[riverside]),
        "hillside nurse": NurseFactory(clinics=[hillside]),
        "nurse of both": NurseFactory(clinics=[riverside, hillside]),
        "nurse of none": NurseFactory(),
        "deactivated nurse": NurseFactory(clinics=[riverside], is_active=False),
        "her clinic admin": ClinicAdminFactory(clinics=[riverside]),
        "hillside admin": ClinicAdminFactory(clinics=[hillside]),
        "superuser": superuser,
        "superuser admin": superuser_admin,
        "outsider": AnonymousUser(),
    }


RIVERSIDE_SURVIVORS = {"survivor", "her neighbour"}  # active ones
RIVERSIDE_STAFF = {"her nurse", "nurse of both", "deactivated nurse", "her clinic admin", "superuser admin"}
HILLSIDE_STAFF = {"hillside nurse", "nurse of both", "hillside admin"}

# viewer: (clinics_of, survivors_of, people_of)
TABLE = {
    "survivor": (set(), {"survivor"}, set()),
    "deactivated survivor": (set(), set(), set()),
    "her nurse": (
        {"riverside"},
        RIVERSIDE_SURVIVORS,
        RIVERSIDE_SURVIVORS | {"deactivated survivor"} | RIVERSIDE_STAFF,
    ),
    "hillside nurse": ({"hillside"}, {"hillside survivor"}, {"hillside survivor"} | HILLSIDE_STAFF),
    "nurse of both": (
        {"riverside", "hillside"},
        RIVERSIDE_SURVIVORS | {"hillside survivor"},
        RIVERSIDE_SURVIVORS | {"deactivated survivor", "hillside survivor"} | RIVERSIDE_STAFF | HILLSIDE_STAFF,
    ),
    "nurse of none": (set(), set(), set()),
    # Sign-in refuses her; scope itself reads roles and clinics only.
    "deactivated nurse": (
        {"riverside"},
        RIVERSIDE_SURVIVORS,
        RIVERSIDE_SURVIVORS | {"deactivated survivor"} | RIVERSIDE_STAFF,
    ),
    # A clinic admin knows her clinics' people and reads no one's health data.
    "her clinic admin": ({"riverside"}, set(), RIVERSIDE_SURVIVORS | {"deactivated survivor"} | RIVERSIDE_STAFF),
    "hillside admin": ({"hillside"}, set(), {"hillside survivor"} | HILLSIDE_STAFF),
    # is_superuser widens nothing here: her role and clinics decide.
    "superuser": (set(), set(), set()),
    "superuser admin": ({"riverside"}, set(), RIVERSIDE_SURVIVORS | {"deactivated survivor"} | RIVERSIDE_STAFF),
    "outsider": (set(), set(), set()),
}


def _names(people, rows) -> set[str]:
    by_key = {(type(p), p.pk): name for name, p in people.items() if getattr(p, "pk", None) is not None}
    return {by_key[type(row), row.pk] for row in rows}


@pytest.mark.parametrize("viewer", sorted(TABLE))
def test_it_gives_each_role_its_clinics(people, viewer):
    assert _names(people, scope.clinics_of(people[viewer])) == TABLE[viewer][0]
    ids = {people[name].pk for name in TABLE[viewer][0]}
    assert set(scope.clinic_ids_of(people[viewer])) == ids


@pytest.mark.parametrize("viewer", sorted(TABLE))
def test_it_gives_each_role_the_survivors_whose_health_data_she_reads(people, viewer):
    assert _names(people, scope.survivors_of(people[viewer])) == TABLE[viewer][1]


@pytest.mark.parametrize("viewer", sorted(TABLE))
def test_it_gives_each_role_the_people_she_may_know_exist(people, viewer):
    assert _names(people, User.objects.filter(scope.people_of(people[viewer]))) == TABLE[viewer][2]


@pytest.mark.parametrize("viewer", sorted(TABLE))
def test_it_says_which_clinic_each_role_works_for(people, viewer):
    for clinic in ("riverside", "hillside"):
        assert scope.works_for(people[viewer], people[clinic]) is (clinic in TABLE[viewer][0]), clinic


def test_a_clinics_nurses_are_its_active_nurses(people):
    assert _names(people, scope.nurses_of(people["riverside"].pk)) == {"her nurse", "nurse of both"}
    assert _names(people, scope.nurses_of(people["hillside"].pk)) == {"hillside nurse", "nurse of both"}


def test_staff_who_also_work_elsewhere_are_marked(people):
    riverside = [people["riverside"].pk]
    rows = User.objects.filter(scope.people_in(riverside)).annotate(elsewhere=scope.works_outside(riverside))
    assert _names(people, [row for row in rows if row.elsewhere]) == {"nurse of both"}
    rows = User.objects.filter(scope.people_in(riverside)).prefetch_related(
        scope.clinics_among(riverside, to_attr="shared")
    )
    shared = {row.pk: [c.pk for c in row.shared] for row in rows}
    assert shared[people["nurse of both"].pk] == riverside
    assert shared[people["survivor"].pk] == []


def _sql_survivor_ids(nurse: User) -> set[int]:
    """The active survivors of her clinics, through the SQL form, as the
    queue and the flag page use it."""
    if connection.vendor == "postgresql":
        where = f"clinic_id = ANY(ARRAY({scope.STAFF_CLINIC_IDS_SQL}))"
    else:
        where = f"clinic_id IN ({scope.STAFF_CLINIC_IDS_SQL})"
    # The table's name from the model too, as scope's own SQL.
    sql = f"SELECT id FROM {User._meta.db_table} WHERE role = 'survivor' AND is_active AND {where}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, {"nurse": nurse.pk})
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.parametrize("nurse", ["nurse of both", "her nurse", "hillside nurse", "nurse of none"])
def test_the_sql_form_gives_the_survivors_the_orm_form_does(people, nurse):
    orm = set(scope.survivors_of(people[nurse]).values_list("pk", flat=True))
    assert _sql_survivor_ids(people[nurse]) == orm
    assert bool(orm) is (nurse != "nurse of none")


# Who works for which clinic is read in tracker/scope.py only. The model
# declares it, the Django admin edits it, and setting someone's clinics
# (demo data, benchmarks' seeds, tests) writes it: none of those decides who
# sees whom.
ALLOWED = {"tracker/scope.py", "tracker/models/people.py", "tracker/admin.py"}
SKIPPED_DIRS = {".venv", "node_modules", "migrations", "tests", ".git", "var", "static"}
MEMBERSHIP_WRITE = re.compile(r"\.staff_clinics\.(add|set|remove|clear)\(")


def _sources():
    for folder, dirs, files in os.walk(ROOT):  # symlinks (.venv) not followed
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        for file in files:
            if file.endswith(".py"):
                path = Path(folder, file)
                yield path.relative_to(ROOT).as_posix(), path


def test_no_one_but_scope_reads_who_works_where():
    found = []
    for name, path in _sources():
        if name in ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = MEMBERSHIP_WRITE.sub("", line)
            if "staff_clinics" in line:
                found.append(f"{name}:{number}: {line.strip()}")
    assert not found, "read who works where through tracker/scope.py:\n" + "\n".join(found)


def test_the_hand_written_statements_take_her_clinics_from_scope():
    assert "{staff_clinic_ids}" in queue._QUEUE_SQL
    assert "{staff_clinic_ids}" in flag_page_sql.SQL_TEMPLATE
    assert scope.STAFF_CLINIC_IDS_SQL in flag_page_sql.sql(events=1, reminders=1, attachments=1)
