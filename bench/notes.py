"""The note reader on its own (issue 10): time per note with the full
lexicon, and what the fuzzy (typo) matching costs and gains.

Notes: tests/text_notes.jsonl (611 labelled notes, English and Spanish,
written the way survivors write), read in turn three times, each note once
per pass, so spaCy's tokenizer cache helps no more than real, varied notes
would let it. The baseline in the same run is spaCy's bare tokenizer on the
same notes (what any reading must at least do).

    python bench/notes.py          (also: bench/run.py --only notes)
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

NOTES = Path(__file__).resolve().parent.parent / "tests" / "text_notes.jsonl"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_notes(out: list[str], passes: int = 3) -> None:
    from tracker.rules.text import read, tokens, warm_up
    from tracker.rules.text.evaluation import evaluate

    lines = NOTES.read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines if line.strip()]
    started = time.perf_counter()
    warm_up()
    warm = time.perf_counter() - started

    def timed_pass(fn) -> list[float]:
        times = []
        for _ in range(passes):
            for item in items:
                start = time.perf_counter()
                fn(item)
                times.append((time.perf_counter() - start) * 1000)
        return times

    bare = timed_pass(lambda item: tokens.blank(item["lang"]).make_doc(item["note"]))
    full = timed_pass(lambda item: read(item["note"]))
    report_on = evaluate(lines, read)

    # The same without typo correction: every unknown word left as typed.
    original = tokens.Vocabulary.correct
    tokens.Vocabulary.correct = lambda self, norm: None
    try:
        no_fuzzy = timed_pass(lambda item: read(item["note"]))
        report_off = evaluate(lines, read)
    finally:
        tokens.Vocabulary.correct = original
    corrected = sum(1 for item in items if read(item["note"]).corrected)

    unread = _read_her_words_cost(items, read)

    out.append("## Note reader (issue 10)")
    out.append("")
    out.append(
        f"{len(items)} labelled notes x {passes} passes; start-up (lexicon, spelling lists, ConText): {warm:.2f} s"
    )
    out.append("")
    out.append("| reading one note | median | p95 | max |")
    out.append("| --- | --- | --- | --- |")
    for name, values in (
        ("spaCy tokenizer alone (baseline)", bare),
        ("full reader, typo matching on (what ships)", full),
        ("full reader, typo matching off", no_fuzzy),
    ):
        out.append(
            f"| {name} | {statistics.median(values):.2f} ms | {_pct(values, 0.95):.2f} ms | {max(values):.2f} ms |"
        )
    out.append("")
    out.append("| typo matching | recall en / es | false on traps en / es | notes with a corrected word |")
    out.append("| --- | --- | --- | --- |")
    for name, report, fixed in (("on", report_on, corrected), ("off", report_off, 0)):
        out.append(
            f"| {name} | {report.recall('en'):.3f} / {report.recall('es'):.3f} | "
            f"{report.false_rate('en'):.3f} / {report.false_rate('es'):.3f} | {fixed if name == 'on' else '-'} |"
        )

    out.append("")
    out.append(
        "Every labelled note as a \u201cSomething else\u201d entry, against the shipped rules (no history): "
        "which rule reaches a nurse."
    )
    out.append("")
    out.append("| notes | another rule fires | only \u201cPlease read her words\u201d | nothing |")
    out.append("| --- | --- | --- | --- |")
    for name, counts in unread.items():
        out.append(f"| {name} ({sum(counts)}) | {counts[0]} | {counts[1]} | {counts[2]} |")


def _read_her_words_cost(items: list[dict], read) -> dict[str, list[int]]:
    import datetime as dt

    from tracker.rules import engine
    from tracker.rules.defaults import DEFAULT_RULES
    from tracker.rules.facts import History
    from tracker.rules.text import something_else

    rules = [engine.RuleDef(slug=r["slug"], tier=r["tier"], condition=r["condition"]) for r in DEFAULT_RULES]
    now = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)
    counts = {"traps": [0, 0, 0], "red flags in her words": [0, 0, 0]}
    for item in items:
        reading = read(item["note"], lang=item["lang"])
        entry = something_else(note=item["note"], reading=reading, at=now)
        slugs = {h.rule.slug for h in engine.evaluate(rules, history=History(entries=(entry,)), entry=entry)}
        row = counts["traps" if item["trap"] else "red flags in her words"]
        row[0 if slugs - {"read-her-words"} else 1 if slugs else 2] += 1
    return counts


if __name__ == "__main__":
    import os
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    lines: list[str] = []
    bench_notes(lines)
    print("\n".join(lines))
