"""The app's side of a fault test whose database is a private PostgreSQL
cluster: run as `python -m tests.fault_app <command>` with DATABASE_URL set,
so the test process (whose own connection is the shared test database) only
orchestrates, as an operator would. Each command prints one line of JSON.

    setup N         migrate, load the default rules, one clinic, a nurse and
                    N survivors for whom it is midday; prints their ids
    checkin ID CODE record a check-in through the real service; prints the
                    flag ids and the time it was submitted (before the rules)
    checkins IDS CODE GAP
                    one check-in each for the comma-separated survivor ids,
                    GAP seconds apart; prints a list of the above
"""

import datetime as dt
import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


def main(argv: list[str]) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from tests.factories import ClinicFactory, NurseFactory, SurvivorFactory, entry, record_checkin
    from tests.faults import midday_zone
    from tracker.models import Flag, User
    from tracker.services.rules import rules_load_defaults

    if argv[0] == "setup":
        call_command("migrate", verbosity=0, interactive=False)
        rules_load_defaults()
        clinic = ClinicFactory()
        NurseFactory(clinics=[clinic])
        survivors = [
            SurvivorFactory(
                clinic=clinic, time_zone=midday_zone(), enrolled_on=timezone.localdate() - dt.timedelta(days=30)
            ).pk
            for _ in range(int(argv[1]))
        ]
        print(json.dumps({"survivors": survivors}))
    elif argv[0] == "checkin":
        survivor = User.objects.get(pk=int(argv[1]))
        submitted = timezone.now().timestamp()
        checkin = record_checkin(survivor, entry(argv[2], None, 8, True, True, started_on=timezone.localdate()))
        flags = list(Flag.objects.filter(attachments__entry__checkin=checkin).values_list("id", flat=True))
        print(json.dumps({"flags": flags, "at": submitted}))
    elif argv[0] == "checkins":
        import time

        done = []
        for pk in argv[1].split(","):
            survivor = User.objects.get(pk=int(pk))
            submitted = timezone.now().timestamp()
            checkin = record_checkin(survivor, entry(argv[2], None, 8, True, True, started_on=timezone.localdate()))
            flags = list(Flag.objects.filter(attachments__entry__checkin=checkin).values_list("id", flat=True))
            done.append({"flags": flags, "at": submitted})
            time.sleep(float(argv[3]))
        print(json.dumps(done))
    else:
        raise SystemExit(f"unknown command {argv[0]}")


if __name__ == "__main__":
    main(sys.argv[1:])
