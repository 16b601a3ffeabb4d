"""Score the note reader on a labelled set of notes; prints precision and
recall per concept and per context kind, and every miss."""

import sys

from django.core.management.base import BaseCommand

from tracker.rules.text import read
from tracker.rules.text.evaluation import evaluate, format_report


class Command(BaseCommand):
    help = "Score the note reader on FILE.jsonl (see tests/text_notes_README.md for the format)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .jsonl file of labelled notes, or - for standard input")

    def handle(self, *args, **options):
        path = options["file"]
        stream = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
        try:
            report = evaluate(stream, read)
        finally:
            if stream is not sys.stdin:
                stream.close()
        self.stdout.write(format_report(report))
