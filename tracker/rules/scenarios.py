"""Replay a scenario (a survivor's entries and weights, in days before now)
through the engine, in memory. Used by `manage.py check_rules` and the admin
rules bench. Writes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from . import engine

ENTRY_DEFAULTS = {"body_site": None, "severity": 0, "new": False, "worse": False, "note": ""}
ENTRY_KEYS = {"days_ago", "symptom", *ENTRY_DEFAULTS}


class ScenarioError(ValueError):
    pass


def run(
    scenario: dict,
    *,
    rules: list[engine.RuleDef],
    vocab: engine.Vocabulary,
    find_mentions: Callable[[str], tuple[engine.Mention, ...]],
    now: dt.datetime,
) -> dict:
    """{"id", "tier", "flags": [{"rule", "tier", "evidence"}]} for one scenario.

    Entries with the same days_ago form one check-in. Events are replayed
    oldest first; each entry and each weight is evaluated with everything
    logged up to then. One flag per rule, as in the app: later matches attach
    and can raise its tier."""
    entries, weights = _parse(scenario, vocab, find_mentions, now)
    flags: dict[str, dict] = {}
    events = [(e.at, 0, e) for e in entries] + [(w.at, 1, w) for w in weights]
    for at, _, event in sorted(events, key=lambda item: (item[0], item[1])):
        history = engine.History(
            entries=tuple(e for e in entries if e.at <= at), weights=tuple(w for w in weights if w.at <= at)
        )
        if isinstance(event, engine.Entry):
            hits = engine.evaluate(rules, history=history, entry=event)
        else:
            hits = engine.evaluate(rules, history=history, weight=event)
        for hit in hits:
            flag = flags.get(hit.rule.slug)
            if flag is None:
                flags[hit.rule.slug] = {"rule": hit.rule.slug, "tier": hit.rule.tier, "evidence": hit.evidence}
            elif engine.TIER_RANK[hit.rule.tier] > engine.TIER_RANK[flag["tier"]]:
                flag["tier"] = hit.rule.tier
    ordered = sorted(flags.values(), key=lambda f: (-engine.TIER_RANK[f["tier"]], f["rule"]))
    return {"id": scenario.get("id"), "tier": engine.highest_tier(f["tier"] for f in ordered), "flags": ordered}


def run_many(lines: Iterable[str], **kwargs) -> Iterable[dict]:
    """One result per non-blank JSONL line; a bad line gives {"id", "error"}."""
    import json

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        scenario_id = None
        try:
            scenario = json.loads(line)
            if not isinstance(scenario, dict):
                raise ScenarioError("each line must be a JSON object")
            scenario_id = scenario.get("id")
            yield run(scenario, **kwargs)
        except json.JSONDecodeError as error:
            yield {"id": scenario_id, "error": f"line {number}: not valid JSON ({error.msg})"}
        except ScenarioError as error:
            yield {"id": scenario_id, "error": f"line {number}: {error}"}


def _parse(scenario: dict, vocab: engine.Vocabulary, find_mentions, now: dt.datetime):
    raw_entries = scenario.get("entries", [])
    raw_weights = scenario.get("weights", [])
    if not isinstance(raw_entries, list) or not isinstance(raw_weights, list):
        raise ScenarioError("entries and weights must be lists")
    entries = []
    for i, raw in enumerate(raw_entries):
        where = f"entries[{i}]"
        if not isinstance(raw, dict):
            raise ScenarioError(f"{where} must be an object")
        unknown = set(raw) - ENTRY_KEYS
        if unknown:
            raise ScenarioError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        item = {**ENTRY_DEFAULTS, **{k: v for k, v in raw.items() if v is not None or k == "body_site"}}
        days_ago = _days_ago(raw.get("days_ago", 0), where)
        if item.get("symptom") not in vocab.symptoms:
            raise ScenarioError(f"{where}.symptom: unknown symptom {item.get('symptom')!r}")
        if item["body_site"] is not None and item["body_site"] not in vocab.body_sites:
            raise ScenarioError(f"{where}.body_site: unknown body site {item['body_site']!r}")
        severity = item["severity"]
        if not isinstance(severity, int) or isinstance(severity, bool) or not 0 <= severity <= 10:
            raise ScenarioError(f"{where}.severity: must be a whole number from 0 to 10")
        for flag_name in ("new", "worse"):
            if not isinstance(item[flag_name], bool):
                raise ScenarioError(f"{where}.{flag_name}: must be true or false")
        if not isinstance(item["note"], str):
            raise ScenarioError(f"{where}.note: must be text")
        at = now - dt.timedelta(days=days_ago)
        entries.append(
            engine.Entry(
                id=i + 1,
                symptom=item["symptom"],
                body_site=item["body_site"],
                severity=severity,
                is_new=item["new"],
                is_worse=item["worse"],
                at=at,
                day=at.date(),
                note=item["note"],
                mentions=find_mentions(item["note"]),
            )
        )
    weights = []
    for i, raw in enumerate(raw_weights):
        where = f"weights[{i}]"
        if not isinstance(raw, dict) or "kg" not in raw:
            raise ScenarioError(f"{where} needs kg")
        kg = raw["kg"]
        if not isinstance(kg, int | float) or isinstance(kg, bool) or not 20 <= kg <= 300:
            raise ScenarioError(f"{where}.kg: must be a number from 20 to 300")
        weights.append(
            engine.Weight(id=i + 1, kg=float(kg), at=now - dt.timedelta(days=_days_ago(raw.get("days_ago", 0), where)))
        )
    return entries, weights


def _days_ago(value, where: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise ScenarioError(f"{where}.days_ago: must be a number, 0 or more")
    return value
