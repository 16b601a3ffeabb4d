"""Flags: what the rules raise on her entries and weights. The rules run
inside the caller's transaction (flags_evaluate), one open flag per rule is
opened or updated and every hit attached to it (_flags_record; its PostgreSQL
statements are in flags_sql.py), her reminders are scheduled through the
flags_recorded signal in a savepoint. The survivor lock that serialises
every write of her flags (survivor_lock) lives here too. The pure engine is
tracker/rules/; a flag withdrawn because its entry was entered in error is
corrections.py's; what a nurse's follow-up changes on a flag (closing it,
her call back answered) is flag_states.py's, and the rest of what nurses do
with a flag is the followup app's."""

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from ..evaluation.inputs import entry_fact, rule_defs_active, rule_inputs, weight_fact
from ..models import CheckIn, Flag, FlagEntry, SymptomEntry, User, WeightEntry
from ..rules import engine
from ..rules.facts import Answer, Entry, History, Weight
from ..rules.tiers import SEVERITY
from ..signals import flags_recorded
from . import flags_sql

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FlagResult:
    flag: Flag
    created: bool
    tier_raised: bool
    # The flag's first real match: a new flag that matched, or one opened
    # only because its rule failed that now matches (her reminders start).
    first_match: bool = False


# A rule that raised on her entry did not run: it may have missed a red
# flag, or there may have been nothing to miss. Nurses get a flag on that
# rule, marked rule_failed, whose evidence says so and asks them to read the
# check-in. It is filed at most urgent: read within a day, and escalated if
# nobody opens it. Not emergency: that would put a guess ahead of the
# emergencies that really fired, and page the team every hour for what is
# most often nothing. Not routine for an urgent or emergency rule: five days
# is too long to leave a possible cord compression unread. The survivor is
# never told to call anyone on the strength of a rule that did not run, and
# is sent no reminders for it: her page says her check-in is saved and a
# nurse will read it (templates/tracker/checkin_detail.html), and she still
# gets the advice of every rule that did run.
def _review_tier(rule: engine.RuleDef) -> str:
    return "urgent" if SEVERITY[rule.tier] >= SEVERITY["urgent"] else "routine"


def flags_evaluate(
    *,
    survivor: User,
    entries: list[SymptomEntry] | None = None,
    weight: WeightEntry | None = None,
    checkin: CheckIn | None = None,
    callback_requested: bool = False,
) -> list[FlagResult]:
    """Check new entries (or a new weight) against the active rules, inside
    the caller's transaction; and the check-in's answer about her hormone
    tablets, when it has one (its own event: rules/facts.Answer).

    1. Load the active rules, her active snoozes and the history the rules need.
    2. Run the pure engine on the entries, their notes as read when saved.
    3. Open a flag per rule that fired, or attach to the open one (the tier
       can rise, never fall). A rule that raises is skipped and logged, and
       its flag asks a nurse to read the check-in (_review_tier).
    4. Announce the flags (flags_recorded): the follow-up app's receivers
       write each flag's follow-up and her reminders, in a savepoint: a
       failure there is logged and costs neither her check-in nor her flags.
    """
    rules = rule_defs_active()  # a rule that can't be loaded is left out (and logged)
    if not rules:
        return []
    facts = [entry_fact(row, survivor=survivor) for row in entries or []]
    inputs = rule_inputs(survivor=survivor, rules=rules)
    snoozed_rules, snoozed_symptoms, history = inputs.snoozed_rules, inputs.snoozed_symptoms, inputs.history
    # This check-in's own entries carry their note concepts, so that a
    # combination can pair two of them ("headache" + a note "I threw up").
    by_id = {fact.id: fact for fact in facts}
    history = History(
        entries=tuple(by_id.get(e.id, e) for e in history.entries), weights=history.weights, answers=history.answers
    )
    # Her answer is counted once by the rule, whether or not her history
    # (read after it was saved) holds it already (matching._endocrine).
    answer = (
        Answer(id=checkin.pk, answer=checkin.endocrine_answer, at=checkin.created_at)
        if checkin is not None and checkin.endocrine_answer
        else None
    )
    hits: list[engine.Hit] = []
    events: list[tuple[Entry | None, Weight | None, Answer | None]] = (
        [(None, weight_fact(weight), None)] if weight is not None else []
    )
    events += [(fact, None, None) for fact in facts]
    if answer is not None:
        events.append((None, None, answer))
    for entry, weight_event, answer_event in events:
        event = entry or weight_event or answer_event
        assert event is not None  # one of the three, as engine.evaluate requires
        failures: list[engine.Failure] = []
        hits += engine.evaluate(
            rules,
            history=history,
            entry=entry,
            weight=weight_event,
            answer=answer_event,
            snoozed_rules=snoozed_rules,
            snoozed_symptoms=snoozed_symptoms,
            failures=failures,
        )
        for failure in failures:
            # Ids and the exception's class only: no symptom, no note.
            log.error(
                "rule %s (%s) raised %s on %s %s of survivor %s: skipped, flagged for a nurse to review",
                failure.rule.rule_id,
                failure.rule.slug,
                failure.error,
                "entry" if entry is not None else "weight" if weight_event is not None else "check-in",
                event.id,
                survivor.pk,
            )
            hits.append(engine.review_hit(failure, entry=entry, weight=weight_event, answer=answer_event))
    results = _flags_record(survivor=survivor, hits=hits, callback=callback_requested) if hits else []
    # A flag only a failed rule opened schedules no reminders for her (see
    # _review_tier), but is announced all the same: nurses follow it up.
    recorded = [(r.flag, r.first_match, r.tier_raised) for r in results if not r.flag.rule_failed]
    if results:
        _flags_announce(survivor=survivor, flags=[r.flag for r in results], recorded=recorded)
        log.info("survivor %s: %d flag(s) raised or updated", survivor.pk, len(results))
    return results


def _flags_announce(*, survivor: User, flags: list[Flag], recorded: list[tuple[Flag, bool, bool]]) -> None:
    """flags_recorded, whose receivers write the follow-up of every flag and
    her reminders in this transaction, inside a savepoint: a bug or a bad row
    there (a clinic's cadence once overflowed the date) is logged, and her
    check-in and flags are kept. Nurses still see the flags in their queue
    and escalation reads flags, not reminders; so that the follow-up rows
    their claims and escalation need outlive a failure of her reminders, the
    signal then goes once more asking no reminders (recorded=[])."""
    try:
        with transaction.atomic():
            flags_recorded.send(sender=Flag, recorded=recorded, flags=flags)
        return
    except Exception as error:  # her check-in is worth more than her reminders
        log.error(
            "reminders for flag(s) %s of survivor %s not scheduled (%s)",
            [flag.pk for flag in flags],
            survivor.pk,
            type(error).__name__,
        )
    if not recorded:
        return  # it asked no reminders: the second would fail as the first did
    try:
        with transaction.atomic():
            flags_recorded.send(sender=Flag, recorded=[], flags=flags)
    except Exception as error:
        log.error(
            "follow-up of flag(s) %s of survivor %s not recorded (%s)",
            [flag.pk for flag in flags],
            survivor.pk,
            type(error).__name__,
        )


def _flags_record(*, survivor: User, hits: list[engine.Hit], callback: bool = False) -> list[FlagResult]:
    """One open flag per rule that fired: open the missing ones, attach every
    hit, raise (never lower) tiers. A fixed handful of queries however many
    rules fired.

    A failed rule's hit (hit.failed) is an attachment marked rule_failed; it
    never raises a tier. A flag that has only those is marked rule_failed and
    filed at _review_tier; its first real match makes it a flag like any
    other, at that match's tier.

    Locking her user row serialises two check-ins of the same survivor, so
    the "one open flag per rule" index is never raced; it stays as the
    database's guarantee.

    On PostgreSQL the new flags, the changed ones and every attachment are
    written by one statement (data-modifying CTEs): as bulk_create,
    bulk_update and bulk_create they cost three round trips and most of this
    function's time in ORM work (bench/README.md; the statements are in
    flags_sql.py). Other databases use the ORM."""
    by_rule: dict[int, list[engine.Hit]] = {}
    for hit in hits:
        by_rule.setdefault(_rule_id(hit.rule), []).append(hit)
    now = timezone.now()
    postgresql = connection.vendor == "postgresql"
    open_flags = _open_flags_locked(survivor=survivor, rule_ids=list(by_rule), postgresql=postgresql)
    new_flags = [
        _flag_new(survivor=survivor, rule_id=rule_id, rule_hits=rule_hits, callback=callback, now=now)
        for rule_id, rule_hits in by_rule.items()
        if rule_id not in open_flags
    ]
    if postgresql:
        created = {flag.rule_id for flag in new_flags}  # written below, with the attachments
    else:
        created = {flag.rule_id for flag in Flag.objects.bulk_create(new_flags)}
    open_flags.update({flag.rule_id: flag for flag in new_flags})
    changed, links, results = [], [], []
    for rule_id, rule_hits in by_rule.items():
        flag = open_flags[rule_id]
        top = _top_match(rule_hits)
        raised, first_match = False, rule_id in created and top is not None
        if rule_id not in created:
            raised, first_match = _flag_update(
                flag=flag, survivor=survivor, top=top, rule_hits=rule_hits, callback=callback, now=now
            )
            changed.append(flag)
        links += _flag_links(flag=flag, rule_hits=rule_hits, now=now)
        results.append(FlagResult(flag=flag, created=rule_id in created, tier_raised=raised, first_match=first_match))
    if postgresql:
        flags_sql.flags_write(new_flags=new_flags, changed=changed, links=links)
        return results
    if changed:
        Flag.objects.bulk_update(
            changed, ["tier", "tier_rank", "review_by", "evidence", "callback_wanted", "updated_at", "rule_failed"]
        )
    FlagEntry.objects.bulk_create(links)
    return results


def _open_flags_locked(*, survivor: User, rule_ids: list[int], postgresql: bool) -> dict[int, Flag]:
    """Her row locked, then her open flags of these rules (rule id -> flag)."""
    if postgresql:
        return flags_sql.open_flags_lock_and_read(survivor=survivor, rule_ids=rule_ids)
    survivor_lock(survivor)
    return {
        flag.rule_id: flag
        for flag in Flag.objects.filter(survivor=survivor, status=Flag.Status.OPEN, rule_id__in=rule_ids)
        .order_by()
        .only(*flags_sql.OPEN_FLAG_FIELDS)
    }


def _flag_new(*, survivor: User, rule_id: int, rule_hits: list[engine.Hit], callback: bool, now: dt.datetime) -> Flag:
    """A new flag for a rule that fired (not saved yet): at its top match's
    tier, or marked rule_failed and filed at _review_tier when the rule only
    failed."""
    top = _top_match(rule_hits)
    flag = Flag(
        survivor=survivor,
        rule_id=rule_id,
        rule_version_id=_version_id((top or rule_hits[0]).rule),
        evidence=_flag_evidence(rule_hits),
        callback_wanted=callback,
        created_at=now,
        updated_at=now,
        rule_failed=top is None,
    )
    flag.set_tier(top.tier if top is not None else _review_tier(rule_hits[0].rule))
    return flag


def _flag_update(
    *,
    flag: Flag,
    survivor: User,
    top: engine.Hit | None,
    rule_hits: list[engine.Hit],
    callback: bool,
    now: dt.datetime,
) -> tuple[bool, bool]:
    """An open flag of hers that fired again (not saved yet): its tier may
    rise, never fall. Returns (its tier was raised, this is its first real
    match)."""
    raised, first_match = False, False
    # Her row is at hand: receivers of flags_recorded read flag.survivor
    # and flag.survivor_id (not loaded: OPEN_FLAG_FIELDS) without two more queries.
    flag.survivor = survivor
    if top is not None and flag.rule_failed:
        # Its first real match: the review tier was no match, so the
        # match's own tier replaces it, up or down.
        flag.rule_failed, first_match = False, True
        flag.set_tier(top.tier)
    elif top is not None and SEVERITY[top.tier] > SEVERITY[flag.tier]:
        flag.set_tier(top.tier)
        raised = True
    flag.evidence = _flag_evidence(rule_hits)
    flag.callback_wanted = flag.callback_wanted or callback
    flag.updated_at = now
    return raised, first_match


def _flag_links(*, flag: Flag, rule_hits: list[engine.Hit], now: dt.datetime) -> list[FlagEntry]:
    """One attachment per hit (not saved yet)."""
    return [
        FlagEntry(
            flag=flag,
            entry_id=hit.entry.id if hit.entry is not None else None,
            weight_id=hit.weight.id if hit.weight is not None else None,
            checkin_id=hit.answer.id if hit.answer is not None else None,
            rule_version_id=_version_id(hit.rule),
            tier=hit.tier,
            evidence=hit.evidence,
            matched_text=list(hit.matched_text),
            created_at=now,
            rule_failed=hit.failed,
        )
        for hit in rule_hits
    ]


# A stored rule's ids: only a preview runs a draft, which has none.
def _rule_id(rule: engine.RuleDef) -> int:
    assert rule.rule_id is not None
    return rule.rule_id


def _version_id(rule: engine.RuleDef) -> int:
    assert rule.version_id is not None
    return rule.version_id


def _top_match(hits: list[engine.Hit]) -> engine.Hit | None:
    """The highest-tier real match among one rule's hits (None: the rule only failed)."""
    matched = [hit for hit in hits if not hit.failed]
    return max(matched, key=lambda h: SEVERITY[h.tier]) if matched else None


def _flag_evidence(hits: list[engine.Hit]) -> str:
    # The latest hit's, unless the rule failed on one of them: the queue
    # shows this line, and "needs review" is what a nurse must see first.
    return next((hit.evidence for hit in reversed(hits) if hit.failed), hits[-1].evidence)


def survivor_lock(survivor: User) -> None:
    # Plain SQL: this runs in every check-in that raises a flag, and the ORM's
    # query compilation cost as much as the round trip (bench/README.md).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM tracker_user WHERE id = %s FOR UPDATE", [survivor.pk])
    # SQLite (make run on a laptop) takes a database-wide write lock anyway.
