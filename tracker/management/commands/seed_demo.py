from django.core.management.base import BaseCommand

from tracker.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create the demo clinic, staff and survivors with a few weeks of entries (idempotent)."

    def handle(self, *args, **options):
        logins = seed_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for role, email in logins:
            self.stdout.write(f"  {role:<13} {email}")
