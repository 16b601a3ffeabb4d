"""Read again every stored note that an older note reader read (or none):
after an upgrade that changes the lexicon, so that nurses' pages, history
tests and rule preview see today's reading. Idempotent; batches of 500."""

from django.core.management.base import BaseCommand

from tracker.services.checkins import notes_reread


class Command(BaseCommand):
    help = "Read again the notes stored with an older reading (after a lexicon upgrade)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=500, help="rows per transaction (1-5000)")

    def handle(self, *args, **options):
        batch = max(1, min(options["batch"], 5000))
        total = notes_reread(batch=batch)
        self.stdout.write(f"{total} note(s) read again.")
