from django.core.management.base import BaseCommand

from tracker.services.rules import rules_load_defaults


class Command(BaseCommand):
    help = "Load the shipped red-flag rules (idempotent; never overwrites a rule an admin changed)."

    def handle(self, *args, **options):
        counts = rules_load_defaults()
        self.stdout.write("Default rules: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
