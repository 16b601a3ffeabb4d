"""Replay a scenario (a survivor's entries, weights and answers about her
hormone tablets, in days before now)
through the engine, in memory, and judge the result against the scenario's
"expect". Used by `manage.py check_rules` and the admin scenario bench.
Writes nothing."""

from __future__ import annotations

import bisect
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator

from . import engine, limits
from .facts import ENDOCRINE_ANSWERS, Answer, Entry, History, Weight
from .tiers import SEVERITY, TIERS
from .validation import Vocabulary

ENTRY_DEFAULTS = {"body_site": None, "severity": 0, "new": False, "worse": False, "note": ""}
ENTRY_KEYS = {"days_ago", "symptom", *ENTRY_DEFAULTS}
# Replay evaluates each event with the history the rules' windows can see
# (found by bisection), so a scenario costs its events times the events in
# a window, not the square of its events; still bounded. A year of daily
# check-ins fits. What one run of the bench page may hold is in limits.py.
MAX_EVENTS = 1000
MAX_DAYS_AGO = 36_500
EXPECT_KEYS = ("tier", "rules", "forbid")


class ScenarioError(ValueError):
    pass


def run(
    scenario: dict,
    *,
    rules: list[engine.RuleDef],
    vocab: Vocabulary,
    read_note: Callable[[str], dict],
    now: dt.datetime,
) -> dict:
    """{"id", "tier", "flags", "today"} for one scenario.

    flags: [{"rule", "tier", "evidence", "days_ago"}], days_ago being the
    event that opened the flag or last raised its tier. today: {"tier",
    "flags"}, the flags that the last day's events (smallest days_ago)
    opened, raised or attached to, as they stand after that day.

    Entries with the same days_ago form one check-in. Events are replayed
    oldest first; each entry and each weight is evaluated with everything
    logged up to then. One flag per rule, as in the app: later matches attach
    and can raise its tier. An answer ({"days_ago", "answer"}: taken,
    missed_some or stopped) is her check-in's answer about her hormone
    tablets, an event of its own."""
    entries, weights, answers = _parse(scenario, vocab, read_note, now)
    events = (
        [(e.at, 0, days, e) for days, e in entries]
        + [(w.at, 1, days, w) for days, w in weights]
        + [(a.at, 2, days, a) for days, a in answers]
    )
    events.sort(key=lambda item: (item[0], item[1]))
    last_day = min((days for _, _, days, _ in events), default=None)
    # Oldest first (a stable sort: one check-in's entries keep their order),
    # so that each event's history is a slice: what the longest window sees.
    past_entries = sorted((e for _, e in entries), key=lambda e: e.at)
    past_weights = sorted((w for _, w in weights), key=lambda w: w.at)
    past_answers = sorted((a for _, a in answers), key=lambda a: a.at)
    entry_times, weight_times = [e.at for e in past_entries], [w.at for w in past_weights]
    answer_times = [a.at for a in past_answers]
    entry_span = dt.timedelta(days=max((r.entry_days for r in rules), default=0))
    weight_span = dt.timedelta(days=max((r.weight_days for r in rules), default=0))
    answer_span = dt.timedelta(days=max((r.answer_days for r in rules), default=0))
    flags: dict[str, dict] = {}
    touched_today: set[str] = set()
    failures: list[engine.Failure] = []
    for at, _, days, event in events:
        history = History(
            entries=tuple(
                past_entries[bisect.bisect_left(entry_times, at - entry_span) : bisect.bisect_right(entry_times, at)]
            ),
            weights=tuple(
                past_weights[bisect.bisect_left(weight_times, at - weight_span) : bisect.bisect_right(weight_times, at)]
            ),
            answers=tuple(
                past_answers[bisect.bisect_left(answer_times, at - answer_span) : bisect.bisect_right(answer_times, at)]
            ),
        )
        if isinstance(event, Entry):
            hits = engine.evaluate(rules, history=history, entry=event, failures=failures)
        elif isinstance(event, Answer):
            hits = engine.evaluate(rules, history=history, answer=event, failures=failures)
        else:
            hits = engine.evaluate(rules, history=history, weight=event, failures=failures)
        for hit in hits:
            slug, tier = hit.rule.slug, hit.tier
            flag = flags.get(slug)
            if flag is None:
                flags[slug] = {"rule": slug, "tier": tier, "evidence": hit.evidence, "days_ago": days}
            elif SEVERITY[tier] > SEVERITY[flag["tier"]]:
                flag.update(tier=tier, days_ago=days)
            if days == last_day:
                touched_today.add(slug)
    ordered = sorted(flags.values(), key=lambda f: (-SEVERITY[f["tier"]], f["rule"]))
    today = [dict(f) for f in ordered if f["rule"] in touched_today]
    result = {
        "id": scenario.get("id"),
        "tier": engine.highest_tier(f["tier"] for f in ordered),
        "flags": ordered,
        "today": {"tier": engine.highest_tier(f["tier"] for f in today), "flags": today},
    }
    if failures:
        # As in the app, the other rules ran; the result is not to be trusted.
        failed = sorted({f"\u201c{f.rule.slug}\u201d ({f.error})" for f in failures})
        which = ("rule", "was") if len(failed) == 1 else ("rules", "were")
        result["error"] = f"{which[0]} {', '.join(failed)} failed and {which[1]} skipped"
    return result


def run_many(lines: Iterable[str], **kwargs) -> Iterator[dict]:
    """One result per non-blank JSONL line; a bad line gives {"id", "error"}."""
    for _, result in _run_lines(lines, **kwargs):
        yield result


def bench_size_problems(lines: list[str]) -> list[str]:
    """What makes a batch of scenarios too big for the bench page to run in
    a web request (limits.MAX_BENCH_*), in plain words; empty when it fits.
    Counting takes one JSON parse of each line, a small share of a run."""
    scenarios = [line for line in lines if line.strip()]
    if len(scenarios) > limits.MAX_BENCH_SCENARIOS:
        return [
            f"At most {limits.MAX_BENCH_SCENARIOS} scenarios at a time (this has {len(scenarios):,}). "
            "Run the rest in another batch, or all of them with manage.py check_rules."
        ]
    events = note_chars = 0
    for line in scenarios:
        try:
            scenario = json.loads(line)
        except (ValueError, RecursionError):
            continue  # reported on its own line when the bench runs
        if not isinstance(scenario, dict):
            continue
        for key in ("entries", "weights", "answers"):
            items = scenario.get(key)
            if isinstance(items, list):
                events += len(items)
                note_chars += sum(
                    len(item["note"]) for item in items if isinstance(item, dict) and isinstance(item.get("note"), str)
                )
    problems = []
    if events > limits.MAX_BENCH_EVENTS:
        problems.append(
            f"At most {limits.MAX_BENCH_EVENTS:,} entries and weights in one run (this has {events:,}). "
            "Split the scenarios into smaller batches."
        )
    if note_chars > limits.MAX_BENCH_NOTE_CHARS:
        problems.append(
            f"At most {limits.MAX_BENCH_NOTE_CHARS:,} characters of notes in one run (this has {note_chars:,}): "
            "every note is read by the note reader. Split the scenarios into smaller batches."
        )
    return problems


def bench(lines: Iterable[str], **kwargs) -> dict:
    """run_many, with a verdict for each scenario that carries "expect".

    {"rows": [{"result", "verdict": "pass" | "fail" | None, "problems"}],
    "passed", "judged", "unjudged"}: judged counts the scenarios with an
    "expect"; unjudged, the other lines (no "expect", or not a JSON object).
    A batch over the page's bounds is refused (ValueError): the form checks
    them first (bench_size_problems), this is the last line of defence."""
    lines = list(lines)
    problems = bench_size_problems(lines)
    if problems:
        raise ValueError(problems[0])
    rows: list[dict] = []
    for scenario, result in _run_lines(lines, **kwargs):
        if scenario is not None and "expect" in scenario:
            problems = judge(result, scenario["expect"])
            rows.append({"result": result, "verdict": "fail" if problems else "pass", "problems": problems})
        else:
            rows.append({"result": result, "verdict": None, "problems": []})
    return {
        "rows": rows,
        "passed": sum(row["verdict"] == "pass" for row in rows),
        "judged": sum(row["verdict"] is not None for row in rows),
        "unjudged": sum(row["verdict"] is None for row in rows),
    }


def judge(result: dict, expect) -> list[str]:
    """What is wrong with a result, in plain words; empty means it passes.

    expect: {"tier": a tier or null (no flag), "rules": [slugs that must
    fire], "forbid": [slugs that must not fire], "today": {the same three,
    judged against result["today"]}}. A key left out is not checked."""
    problems = _expect_problems(expect, "expect", nested=False)
    if "error" in result:
        problems.append(f"the scenario could not be run: {result['error']}")
    if problems:
        return problems
    problems = _compare(result, expect, "")
    if "today" in expect:
        problems += _compare(result["today"], expect["today"], "today: ")
    return problems


def _expect_problems(expect, where: str, *, nested: bool) -> list[str]:
    allowed = EXPECT_KEYS if nested else (*EXPECT_KEYS, "today")
    if not isinstance(expect, dict):
        return [f"{where} must be an object with any of the keys {', '.join(allowed)}"]
    problems = []
    unknown = sorted(str(key) for key in expect if key not in allowed)
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(unknown)}; use {', '.join(allowed)}")
    if "tier" in expect and expect["tier"] is not None and expect["tier"] not in TIERS:
        problems.append(f"{where}.tier must be one of {', '.join(TIERS)} or null, not {expect['tier']!r}")
    lists = {}
    for key in ("rules", "forbid"):
        value = expect.get(key, [])
        if isinstance(value, list) and all(isinstance(slug, str) for slug in value):
            lists[key] = value
        else:
            problems.append(f"{where}.{key} must be a list of rule slugs (text)")
    both = sorted(set(lists.get("rules", [])) & set(lists.get("forbid", [])))
    if both:
        problems.append(f"{where}: {', '.join(both)} both required (rules) and forbidden (forbid)")
    if "today" in expect:
        problems += _expect_problems(expect["today"], f"{where}.today", nested=True)
    return problems


def _compare(got: dict, expect: dict, prefix: str) -> list[str]:
    problems = []
    if "tier" in expect and got["tier"] != expect["tier"]:
        problems.append(f"{prefix}tier: expected {expect['tier'] or 'no flag'}, got {got['tier'] or 'no flag'}")
    fired = {flag["rule"] for flag in got["flags"]}
    problems += [f"{prefix}{slug} did not fire" for slug in expect.get("rules", []) if slug not in fired]
    problems += [f"{prefix}{slug} fired but is forbidden" for slug in expect.get("forbid", []) if slug in fired]
    return problems


def _run_lines(lines: Iterable[str], **kwargs) -> Iterator[tuple[dict | None, dict]]:
    """(scenario, result) per non-blank line; scenario is None when the line
    is not a JSON object."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            scenario = json.loads(line)
        except json.JSONDecodeError as error:
            yield None, {"id": None, "error": f"line {number}: not valid JSON ({error.msg})"}
            continue
        except RecursionError:
            yield None, {"id": None, "error": f"line {number}: nested too deeply"}
            continue
        if not isinstance(scenario, dict):
            yield None, {"id": None, "error": f"line {number}: each line must be a JSON object"}
            continue
        try:
            result = run(scenario, **kwargs)
        except ScenarioError as error:
            result = {"id": scenario.get("id"), "error": f"line {number}: {error}"}
        yield scenario, result


def _parse(scenario: dict, vocab: Vocabulary, read_note, now: dt.datetime):
    """read_note(note) gives the Entry fields her note's reading sets
    (mentions, set_aside, note_lang, note_has_content): rules/text's
    Reading.entry_fields, passed in so that this module stays pure."""
    """([(days_ago, Entry)], [(days_ago, Weight)], [(days_ago, Answer)]), days_ago as the scenario gave it."""
    raw_entries = scenario.get("entries", [])
    raw_weights = scenario.get("weights", [])
    raw_answers = scenario.get("answers", [])
    if not isinstance(raw_entries, list) or not isinstance(raw_weights, list) or not isinstance(raw_answers, list):
        raise ScenarioError("entries, weights and answers must be lists")
    if len(raw_entries) + len(raw_weights) + len(raw_answers) > MAX_EVENTS:
        raise ScenarioError(f"at most {MAX_EVENTS} entries and weights (answers included) in one scenario")
    entries = [_parse_entry(i, raw, vocab, read_note, now) for i, raw in enumerate(raw_entries)]
    weights = [_parse_weight(i, raw, now) for i, raw in enumerate(raw_weights)]
    answers = [_parse_answer(i, raw, now) for i, raw in enumerate(raw_answers)]
    return entries, weights, answers


def _parse_entry(i: int, raw, vocab: Vocabulary, read_note, now: dt.datetime) -> tuple[float, Entry]:
    """(days_ago, Entry) for the scenario's i-th entry."""
    where = f"entries[{i}]"
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where} must be an object")
    unknown = set(raw) - ENTRY_KEYS
    if unknown:
        raise ScenarioError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    item = {**ENTRY_DEFAULTS, **{k: v for k, v in raw.items() if v is not None or k == "body_site"}}
    days_ago = _days_ago(raw.get("days_ago", 0), where)
    _check_entry_codes(item, vocab, where)
    _check_entry_values(item, where)
    at = now - dt.timedelta(days=days_ago)
    entry = Entry(
        id=i + 1,
        symptom=item["symptom"],
        body_site=item["body_site"],
        severity=item["severity"],
        is_new=item["new"],
        is_worse=item["worse"],
        at=at,
        day=at.date(),
        note=item["note"],
        **read_note(item["note"]),
    )
    return days_ago, entry


def _check_entry_codes(item: dict, vocab: Vocabulary, where: str) -> None:
    if not isinstance(item.get("symptom"), str) or item["symptom"] not in vocab.symptoms:
        raise ScenarioError(f"{where}.symptom: unknown symptom {item.get('symptom')!r}")
    if item["body_site"] is not None and (
        not isinstance(item["body_site"], str) or item["body_site"] not in vocab.body_sites
    ):
        raise ScenarioError(f"{where}.body_site: unknown body site {item['body_site']!r}")


def _check_entry_values(item: dict, where: str) -> None:
    severity = item["severity"]
    if not isinstance(severity, int) or isinstance(severity, bool) or not 0 <= severity <= 10:
        raise ScenarioError(f"{where}.severity: must be a whole number from 0 to 10")
    for flag_name in ("new", "worse"):
        if not isinstance(item[flag_name], bool):
            raise ScenarioError(f"{where}.{flag_name}: must be true or false")
    if not isinstance(item["note"], str):
        raise ScenarioError(f"{where}.note: must be text")
    if len(item["note"]) > limits.MAX_NOTE_CHARS:
        raise ScenarioError(f"{where}.note: at most {limits.MAX_NOTE_CHARS:,} characters, as on the check-in form")


def _parse_weight(i: int, raw, now: dt.datetime) -> tuple[float, Weight]:
    """(days_ago, Weight) for the scenario's i-th weight."""
    where = f"weights[{i}]"
    if not isinstance(raw, dict) or "kg" not in raw:
        raise ScenarioError(f"{where} needs kg")
    kg = raw["kg"]
    if not isinstance(kg, int | float) or isinstance(kg, bool) or not 20 <= kg <= 300:
        raise ScenarioError(f"{where}.kg: must be a number from 20 to 300")
    days_ago = _days_ago(raw.get("days_ago", 0), where)
    return days_ago, Weight(id=i + 1, kg=float(kg), at=now - dt.timedelta(days=days_ago))


def _parse_answer(i: int, raw, now: dt.datetime) -> tuple[float, Answer]:
    """(days_ago, Answer) for the scenario's i-th answer about her hormone tablets."""
    where = f"answers[{i}]"
    if not isinstance(raw, dict) or set(raw) - {"days_ago", "answer"}:
        raise ScenarioError(f"{where} must be an object with days_ago and answer")
    if raw.get("answer") not in ENDOCRINE_ANSWERS:
        raise ScenarioError(f"{where}.answer: must be one of {', '.join(ENDOCRINE_ANSWERS)}")
    days_ago = _days_ago(raw.get("days_ago", 0), where)
    return days_ago, Answer(id=i + 1, answer=raw["answer"], at=now - dt.timedelta(days=days_ago))


def _days_ago(value, where: str) -> float:
    # The upper bound keeps the date in range (and rules out infinity and NaN).
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= MAX_DAYS_AGO:
        raise ScenarioError(f"{where}.days_ago: must be a number from 0 to {MAX_DAYS_AGO}")
    return value
