"""Evaluate scenarios (JSON lines) against the active rules. Writes nothing."""

import json
import sys

from django.core.management.base import BaseCommand
from django.utils import timezone

from tracker.evaluation.inputs import rule_defs_active
from tracker.rules import scenarios
from tracker.rules.text import read_note_fields
from tracker.services.rules import rule_vocabulary


class Command(BaseCommand):
    help = "Evaluate scenarios in FILE.jsonl against the active rules and print one JSON result per line."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .jsonl file of scenarios, or - for standard input")

    def handle(self, *args, **options):
        path = options["file"]
        stream = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
        try:
            results = scenarios.run_many(
                stream,
                rules=rule_defs_active(),
                vocab=rule_vocabulary(),
                read_note=read_note_fields,
                now=timezone.now(),
            )
            for result in results:
                self.stdout.write(json.dumps(result, ensure_ascii=False))
        finally:
            if stream is not sys.stdin:
                stream.close()
