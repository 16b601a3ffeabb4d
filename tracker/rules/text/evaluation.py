"""Score the note reader on a labelled set of notes (manage.py text_eval).

A line: {"id", "lang", "note", "expect": [{"concept", "context"}], "trap"}
(tests/text_notes.jsonl; tests/text_notes_README.md defines the contexts).
"text" is accepted for "note". Contexts "affirmed" and "explained" are red
flags she reports now; the others must not count.

- recall of red-flag mentions: expected affirmed/explained mentions read as
  counting, over all of them;
- false mentions on traps: trap notes in which anything was read as
  counting, over all trap notes;
- per concept: precision and recall of counting mentions;
- per context kind: precision and recall of the context the reader gave
  each expected mention (a mention not found at all counts as "missed").
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

PRESENT = ("affirmed", "explained")
KINDS = ("affirmed", "explained", "negated", "resolved", "historical", "hypothetical", "other_person", "chronic")


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Report:
    notes: Counter = field(default_factory=Counter)
    red_flags: Counter = field(default_factory=Counter)  # per language: expected present mentions
    found: Counter = field(default_factory=Counter)  # ... of which read as counting
    traps: Counter = field(default_factory=Counter)
    false_on_traps: Counter = field(default_factory=Counter)
    concepts: dict = field(default_factory=lambda: defaultdict(Scores))
    kinds: dict = field(default_factory=lambda: defaultdict(Scores))
    misses: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    def recall(self, lang: str | None = None) -> float:
        total = sum(v for k, v in self.red_flags.items() if lang in (None, k))
        hit = sum(v for k, v in self.found.items() if lang in (None, k))
        return hit / total if total else 1.0

    def false_rate(self, lang: str | None = None) -> float:
        total = sum(v for k, v in self.traps.items() if lang in (None, k))
        bad = sum(v for k, v in self.false_on_traps.items() if lang in (None, k))
        return bad / total if total else 0.0


def _context_read(concept: str, reading) -> str:
    for m in reading.mentions:
        if m.concept == concept:
            return "explained" if m.explained else "affirmed"
    for s in reading.set_aside:
        if s.concept == concept:
            return s.why
    return "missed"


def evaluate(lines: Iterable[str], read: Callable) -> Report:
    report = Report()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item, note, expect, lang, reading = _read_line(line, read)
        except (ValueError, TypeError, AttributeError) as error:
            report.errors.append(f"line {number}: {error}")
            continue
        lang = lang or reading.lang
        report.notes[lang] += 1
        expected = {e["concept"]: e["context"] for e in expect if isinstance(e, dict)}
        judged = _Line(
            ident=item.get("id", f"line {number}"),
            lang=lang,
            note=note,
            reading=reading,
            expected=expected,
            present={c for c, k in expected.items() if k in PRESENT},
            counted={m.concept for m in reading.mentions},
        )
        _score_red_flags(report, judged, item)
        _score_concepts(report, judged)
        _score_contexts(report, judged)
    return report


def _read_line(line: str, read: Callable):
    """(item, note, expect, lang, reading) for one JSON line; raises
    ValueError, TypeError or AttributeError on a line that is not one."""
    item = json.loads(line)
    note = item.get("note", item.get("text"))
    expect = item.get("expect", [])
    if not isinstance(note, str) or not isinstance(expect, list):
        raise ValueError("needs a note (text) and an expect list")
    lang = item.get("lang") or None
    return item, note, expect, lang, read(note, lang=lang)


@dataclass
class _Line:
    """One labelled note, read: what was expected and what counted."""

    ident: str
    lang: str
    note: str
    reading: Any
    expected: dict[str, str]  # concept -> context
    present: set[str]  # expected concepts she reports now
    counted: set[str]  # concepts the reader counted


def _score_red_flags(report: Report, line: _Line, item: dict) -> None:
    lang, counted = line.lang, line.counted
    for concept in line.present:
        report.red_flags[lang] += 1
        if concept in counted:
            report.found[lang] += 1
    is_trap = item.get("trap", not line.present)
    if is_trap:
        report.traps[lang] += 1
        if counted:
            report.false_on_traps[lang] += 1


def _score_concepts(report: Report, line: _Line) -> None:
    present, counted = line.present, line.counted
    for concept in counted | present:
        scores = report.concepts[concept]
        if concept in counted and concept in present:
            scores.tp += 1
        elif concept in counted:
            scores.fp += 1
            report.misses.append((line.ident, line.lang, "false", concept, line.expected.get(concept, "-"), line.note))
        else:
            scores.fn += 1
            report.misses.append((line.ident, line.lang, "missed", concept, line.expected[concept], line.note))


def _score_contexts(report: Report, line: _Line) -> None:
    for concept, kind in line.expected.items():
        got = _context_read(concept, line.reading)
        if got == kind:
            report.kinds[kind].tp += 1
            continue
        report.kinds[kind].fn += 1
        if got in KINDS:
            report.kinds[got].fp += 1
        if concept not in line.present and concept not in line.counted:
            report.misses.append((line.ident, line.lang, f"context {got}", concept, kind, line.note))


def format_report(report: Report) -> str:
    out = []
    for lang in sorted(report.notes):
        out.append(
            f"{lang}: {report.notes[lang]} notes; recall of red-flag mentions {report.recall(lang):.3f} "
            f"({report.found[lang]}/{report.red_flags[lang]}); false mentions on traps "
            f"{report.false_rate(lang):.3f} ({report.false_on_traps[lang]}/{report.traps[lang]})"
        )
    out.append(f"all: recall {report.recall():.3f}; false mentions on traps {report.false_rate():.3f}")
    out.append("")
    out.append(f"{'concept':<20} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}")
    for concept, s in sorted(report.concepts.items()):
        out.append(f"{concept:<20} {s.precision:>9.3f} {s.recall:>7.3f} {s.tp:>4} {s.fp:>4} {s.fn:>4}")
    out.append("")
    out.append(f"{'context':<20} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}")
    for kind in KINDS:
        s = report.kinds.get(kind, Scores())
        out.append(f"{kind:<20} {s.precision:>9.3f} {s.recall:>7.3f} {s.tp:>4} {s.fp:>4} {s.fn:>4}")
    if report.misses:
        out.append("")
        out.append("misses (id, language, what, concept, expected context, note):")
        for ident, lang, what, concept, kind, note in report.misses:
            out.append(f"  {ident} [{lang}] {what}: {concept} (expected {kind}): {note}")
    for error in report.errors:
        out.append(f"error: {error}")
    return "\n".join(out)
