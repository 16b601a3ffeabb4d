"""Rule preview: a draft condition (and the rule's current version, to
compare) run over the stored check-ins of the last N days. Reads only.

It walks survivors in chunks of consecutive ids, one short query each, so
that a caller can report progress and stop between chunks (the preview job,
tracker/evaluation/preview_jobs.py), and memory stays one chunk's worth
whatever the size of the database. Within a chunk, SQL drops every row that
cannot match (the filters are built in candidates.py), and the engine sees
each candidate with the history its windows can reach. Notes come as read when saved; a note read by an older
reader is read again.

Snoozes are not applied: the preview shows what the rule itself catches.

Who is read: the survivors of the clinics the preview is run for (the
asking admin's, tracker/evaluation/preview_jobs.py), never another
clinic's. What comes out is counts only: matches, check-ins and survivors,
and matches by symptom, body site and tier. A clinic admin never reads
symptoms, so no survivor's entry, note, date or id leaves this module.
"""

import bisect
import datetime as dt
import functools
import itertools
import operator
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.db.models import BooleanField, Case, Q, Value, When
from django.utils import timezone

from ..models import CheckIn, SymptomEntry, User, WeightEntry
from ..rules import engine, text
from ..rules.facts import Answer, Entry, History, Weight
from ..rules.shape import leaves, max_window_days, trigger
from .candidates import history_qs, superset_q

# Survivors per chunk: at a year of weekly check-ins, about 13,000 rows
# (a few thousand candidates) between two progress reports.
CHUNK_SURVIVORS = 250

Progress = Callable[[int, int], None]  # (survivors done, survivors in all)


@dataclass
class PreviewSide:
    """Matches, and the distinct check-ins and survivors they fall on. Chunks
    split survivors (and so check-ins) apart: each chunk's sets are counted
    and dropped when it ends, so memory stays one chunk's worth."""

    entries: int = 0
    checkins: set = field(default_factory=set)
    survivors: set = field(default_factory=set)
    _counted: tuple[int, int] = (0, 0)

    def end_chunk(self) -> None:
        checkins, survivors = self._counted
        self._counted = (checkins + len(self.checkins), survivors + len(self.survivors))
        self.checkins, self.survivors = set(), set()

    @property
    def checkin_count(self) -> int:
        return self._counted[0] + len(self.checkins)

    @property
    def survivor_count(self) -> int:
        return self._counted[1] + len(self.survivors)

    def as_json(self) -> dict:
        return {"entries": self.entries, "checkins": self.checkin_count, "survivors": self.survivor_count}


WEIGHT = "weight"  # the "symptom" a weight rule's match is counted under
ANSWER = "endocrine"  # and an answer rule's (her answer about hormone tablets)


@dataclass
class Preview:
    days: int
    scanned: int
    draft: PreviewSide
    current: PreviewSide | None
    # (side, tier, symptom code, body site code or "") -> matches
    groups: Counter = field(default_factory=Counter)

    def count(self, hit: engine.Hit, *, survivor_id: int, checkin, symptom: str, body_site: str | None) -> None:
        """One match: on its side's totals (the event, its check-in and
        survivor) and in its group. A weight counts under WEIGHT, an answer
        under ANSWER, in place of a symptom."""
        side = self.draft if hit.rule.slug == "draft" else self.current
        assert side is not None  # a hit of the current version: it was previewed
        side.entries += 1
        side.checkins.add(checkin)
        side.survivors.add(survivor_id)
        name = "draft" if hit.rule.slug == "draft" else "current"
        self.groups[(name, hit.tier, symptom, body_site or "")] += 1

    def as_json(self) -> dict:
        """What the page shows, and nothing more: counts."""
        return {
            "days": self.days,
            "scanned": self.scanned,
            "draft": self.draft.as_json(),
            "current": self.current.as_json() if self.current is not None else None,
            "by_symptom": [
                {"side": side, "tier": tier, "symptom": symptom, "body_site": site, "matches": n}
                for (side, tier, symptom, site), n in sorted(
                    self.groups.items(), key=lambda kv: (kv[0][0] != "draft", -kv[1], kv[0])
                )
            ],
        }


def rule_preview(
    *,
    condition: dict,
    tier: str,
    days: int,
    clinic_ids: list[int],
    current: engine.RuleDef | None = None,
    now=None,
    progress: Progress | None = None,
    chunk: int | None = None,
) -> Preview:
    """Run a draft condition (and the rule's current version) over the last
    `days` of stored check-ins of these clinics' survivors. `progress(done,
    total)` is called after each chunk of survivors; whatever it raises
    stops the preview."""
    now = now or timezone.now()
    draft = engine.RuleDef(slug="draft", tier=tier, condition=condition)
    rules = [draft] + (
        [engine.RuleDef(slug="current", tier=current.tier, condition=current.condition)] if current else []
    )
    start = now - dt.timedelta(days=days)
    result = Preview(days=days, scanned=0, draft=PreviewSide(), current=PreviewSide() if current else None)
    if all(trigger(r.condition) == "weight" for r in rules):
        one_chunk: Callable[[list[int]], None] = functools.partial(_preview_weights, rules, start, now, result)
    elif all(trigger(r.condition) == "answer" for r in rules):
        one_chunk = functools.partial(_preview_answers, rules, start, now, result)
    else:
        # A draft on answers against a current version on entries (or the
        # other way round) counts the entries' side only: rare, and conservative.
        one_chunk = _EntryPass(rules, start, now, result).run
    chunks = survivor_chunks(
        chunk or int(getattr(settings, "FOLLOWUP_PREVIEW_CHUNK_SURVIVORS", CHUNK_SURVIVORS)), clinic_ids
    )
    total = sum(len(ids) for ids in chunks)
    done = 0
    if progress:
        progress(done, total)
    for ids in chunks:
        one_chunk(ids)
        for side in (result.draft, result.current):
            if side is not None:
                side.end_chunk()
        done += len(ids)
        if progress:
            progress(done, total)
    return result


def survivor_chunks(chunk: int, clinic_ids: list[int]) -> list[list[int]]:
    """The ids of these clinics' survivors, ascending, `chunk` at a time.
    A survivor belongs to one clinic (User.clinic): a person whose role
    changed since keeps her clinic, and her rows are read with it."""
    ids = list(User.objects.filter(clinic_id__in=clinic_ids).order_by("id").values_list("id", flat=True))
    return [ids[i : i + chunk] for i in range(0, len(ids), chunk)]


def _in_chunk(ids: list[int]) -> Q:
    # The bounds as well as the list: the planner can scan the ids' range.
    return Q(survivor_id__gte=ids[0], survivor_id__lte=ids[-1], survivor_id__in=ids)


_COLUMNS = (
    "id",
    "survivor_id",
    "checkin_id",
    "symptom__code",
    "body_site__code",
    "severity",
    "is_new",
    "is_worse",
    "created_at",
    "note",
    "reading",
    "is_candidate",
)


class _EntryPass:
    """The entry rules over one chunk of survivors at a time: the query is
    planned once, each chunk adds its survivor range."""

    def __init__(self, rules: list[engine.RuleDef], start, now, result: Preview):
        self.rules, self.now, self.result = rules, now, result
        candidate_q = [superset_q(r.condition) for r in rules]
        candidate = None if any(q is None for q in candidate_q) else functools.reduce(operator.or_, candidate_q)
        history_filters = [q for r in rules for q in history_qs(r.condition)]
        self.history_start = start - dt.timedelta(days=max_window_days(r.condition for r in rules) + 1)
        self.needs_weights = any("weight_loss" in leaves(r.condition) for r in rules)
        rows = SymptomEntry.objects.filter(created_at__lte=now, entered_in_error_at__isnull=True)
        in_window = Q(created_at__gte=start) & (candidate if candidate is not None else Q())
        if not history_filters:  # no history tests: only the window's candidates
            rows = rows.filter(in_window)
        elif any(q is None for q in history_filters):  # any entry may count as history
            rows = rows.filter(created_at__gte=self.history_start)
        else:
            rows = rows.filter(created_at__gte=self.history_start).filter(
                functools.reduce(operator.or_, [q for q in history_filters if q is not None], in_window)
            )
        self.rows = rows.annotate(
            is_candidate=Case(When(in_window, then=Value(True)), default=Value(False), output_field=BooleanField())
        ).order_by("survivor_id", "created_at", "id")
        self.window = dt.timedelta(days=max((r.entry_days for r in rules), default=0) + 1)

    def run(self, ids: list[int]) -> None:
        weights = (
            _weights_by_survivor(self.history_start - dt.timedelta(days=366), self.now, ids)
            if self.needs_weights
            else {}
        )
        survivor_id: int | None = None
        facts: list[Entry] = []
        candidates: list[tuple[int, int]] = []  # (index in facts, check-in id)
        for row in self.rows.filter(_in_chunk(ids)).values_list(*_COLUMNS):
            (entry_id, sid, checkin_id, symptom, site, severity, is_new, is_worse, at, note, reading, candidate) = row
            if sid != survivor_id:
                self._flush(survivor_id, facts, candidates, weights)
                survivor_id, facts, candidates = sid, [], []
            fact = Entry(
                id=entry_id,
                symptom=symptom,
                body_site=site,
                severity=severity,
                is_new=is_new,
                is_worse=is_worse,
                at=at,
                day=at.date(),
            )
            # Nine rows in ten have no note: they skip the reading altogether.
            facts.append(replace(fact, note=note, **_preview_reading(note, reading).entry_fields()) if note else fact)
            if candidate:
                self.result.scanned += 1
                candidates.append((len(facts) - 1, checkin_id))
        self._flush(survivor_id, facts, candidates, weights)

    def _flush(self, survivor_id, facts, candidates, weights) -> None:
        if not candidates:
            return
        result = self.result
        her_weights = weights.get(survivor_id, ())
        times = [f.at for f in facts]
        for index, checkin_id in candidates:
            fact = facts[index]
            # Only the entries the rules' windows can see: sorted, so bisect.
            lo, hi = bisect.bisect_left(times, fact.at - self.window), bisect.bisect_right(times, fact.at)
            history = History(entries=tuple(facts[lo:hi]), weights=her_weights)
            for hit in engine.evaluate(self.rules, history=history, entry=fact):
                result.count(
                    hit, survivor_id=survivor_id, checkin=checkin_id, symptom=fact.symptom, body_site=fact.body_site
                )


def _preview_reading(note: str, stored):
    """A stored reading by the current reader, else the note read now
    (rows saved before the reader, or by an older one). The ORM hands back
    the JSON decoded on every database."""
    if not note:
        return text.EMPTY
    return text.Reading.from_json(stored) or text.read(note)


def _weights_by_survivor(since, now, ids: list[int]) -> dict[int, tuple[Weight, ...]]:
    rows = (
        WeightEntry.objects.filter(
            _in_chunk(ids), recorded_at__gte=since, recorded_at__lte=now, entered_in_error_at__isnull=True
        )
        .order_by("survivor_id", "recorded_at")
        .values_list("survivor_id", "id", "kg", "recorded_at")
    )
    return {
        sid: tuple(Weight(id=pk, kg=float(kg), at=at) for _, pk, kg, at in group)
        for sid, group in itertools.groupby(rows, key=operator.itemgetter(0))
    }


def _preview_weights(rules, start, now, result: Preview, ids: list[int]) -> None:
    window = max_window_days(r.condition for r in rules)
    rows = (
        WeightEntry.objects.filter(
            _in_chunk(ids), recorded_at__gte=start - dt.timedelta(days=window), entered_in_error_at__isnull=True
        )
        .filter(recorded_at__lte=now)
        .order_by("survivor_id", "recorded_at")
        .values_list("id", "survivor_id", "kg", "recorded_at")
    )
    for survivor_id, group in itertools.groupby(rows, key=operator.itemgetter(1)):
        weights = [Weight(id=pk, kg=float(kg), at=at) for pk, _, kg, at in group]
        for weight in weights:
            if weight.at < start:
                continue
            history = History(weights=tuple(w for w in weights if w.at <= weight.at))
            for hit in engine.evaluate(rules, history=history, weight=weight):
                result.count(hit, survivor_id=survivor_id, checkin=("w", weight.id), symptom=WEIGHT, body_site=None)
            result.scanned += 1


def _preview_answers(rules, start, now, result: Preview, ids: list[int]) -> None:
    """Answer rules over her check-ins' answers about her hormone tablets."""
    window = max((r.answer_days for r in rules), default=0)
    rows = (
        CheckIn.objects.filter(_in_chunk(ids), created_at__gte=start - dt.timedelta(days=window), created_at__lte=now)
        .exclude(endocrine_answer="")
        .order_by("survivor_id", "created_at", "id")
        .values_list("id", "survivor_id", "endocrine_answer", "created_at")
    )
    for survivor_id, group in itertools.groupby(rows, key=operator.itemgetter(1)):
        answers = [Answer(id=pk, answer=answer, at=at) for pk, _, answer, at in group]
        for answer in answers:
            if answer.at < start:
                continue
            history = History(answers=tuple(a for a in answers if a.at <= answer.at))
            for hit in engine.evaluate(rules, history=history, answer=answer):
                result.count(hit, survivor_id=survivor_id, checkin=answer.id, symptom=ANSWER, body_site=None)
            result.scanned += 1
