"""Every write in the tracker app. Keyword-only, typed, full_clean() first."""

import datetime as dt
import logging
import re
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from . import selectors, tasks
from .models import (
    LB_PER_KG,
    AuditEvent,
    BodySite,
    CheckIn,
    Clinic,
    Flag,
    FlagEntry,
    Invitation,
    Rule,
    RuleSwitch,
    RuleVersion,
    Snooze,
    Symptom,
    SymptomEntry,
    User,
    WeightEntry,
)
from .rules import engine, limits, text
from .signals import flags_recorded

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EntryData:
    """One symptom as the survivor reported it, already validated by the form."""

    symptom: Symptom
    body_site: BodySite | None
    severity: int
    is_new: bool
    is_worse: bool
    started_on: dt.date
    note: str = ""


def audit_record(*, actor: User, action: str, survivor: User | None = None, target=None) -> AuditEvent:
    event = AuditEvent(
        actor=actor,
        action=action,
        survivor=survivor,
        object_type=target._meta.model_name if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
    )
    event.save()
    return event


def audit_read(*, reader: User, action: str, survivor: User, target=None) -> None:
    """A read of a survivor's data: one audit row, unless she reads her own."""
    if reader.pk != survivor.pk:
        audit_record(actor=reader, action=action, survivor=survivor, target=target)


def audit_record_list(*, actor: User, action: str, survivor_ids) -> None:
    """A page listing many survivors: one row naming them all (none if the
    page listed nobody). On PostgreSQL the triage queue writes its row inside
    its read (followup.services._QUEUE_SQL)."""
    survivors = sorted(set(survivor_ids))
    if survivors:
        AuditEvent.objects.create(actor=actor, action=action, survivors=survivors)


def invitation_create(*, invited_by: User, clinic: Clinic, email: str, full_name: str) -> Invitation:
    """1. Check the inviter works for the clinic. 2. Save the invitation.
    3. Send the email from a worker once the row is committed."""
    if not invited_by.staff_clinics.filter(pk=clinic.pk).exists():
        raise ValidationError({"clinic": "You can only invite survivors to your own clinic."})
    email = email.strip().lower()
    # An account she may see (a survivor of her clinics, a colleague) is
    # named by the email field. Any other address gets the answer a new one
    # gets, the invitation saved and listed alike, so the form never tells
    # whether someone has an account in another clinic; the worker then
    # emails that person to log in instead of a link (invitation_send_email).
    if User.objects.filter(email__iexact=email).filter(selectors.people_visible_to_staff(invited_by)).exists():
        raise ValidationError({"email": "Someone with this email already has an account."})
    invitation = Invitation(email=email, full_name=full_name.strip(), clinic=clinic, invited_by=invited_by)
    invitation.full_clean()
    invitation.save()
    audit_record(actor=invited_by, action="invitation.create", target=invitation)
    transaction.on_commit(lambda: tasks.send_invite_email.delay(invitation.pk))
    log.info("invitation %s created by user %s", invitation.pk, invited_by.pk)
    return invitation


def invitation_accept(
    *, invitation: Invitation, password: str, time_zone: str, date_of_birth: dt.date, weight_unit: str
) -> User:
    """Create the survivor's account and spend the invitation, atomically.
    A second accept of the same invitation fails on the locked row."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at is not None:
            raise ValidationError("This invitation has already been used.")
        if User.objects.filter(email__iexact=locked.email).exists():
            raise ValidationError("Someone with this email already has an account.")
        user = User(
            email=locked.email,
            full_name=locked.full_name,
            role=User.Role.SURVIVOR,
            clinic=locked.clinic,
            time_zone=time_zone,
            date_of_birth=date_of_birth,
            weight_unit=weight_unit,
            enrolled_on=timezone.localdate(timezone=dt.UTC),
        )
        user.set_password(password)
        user.full_clean()
        user.save()
        locked.accepted_at = timezone.now()
        locked.survivor = user
        locked.save(update_fields=["accepted_at", "survivor"])
    log.info("invitation %s accepted by user %s", locked.pk, user.pk)
    return user


def survivor_profile_update(*, survivor: User, time_zone: str, weight_unit: str) -> User:
    survivor.time_zone = time_zone
    survivor.weight_unit = weight_unit
    survivor.full_clean()
    survivor.save(update_fields=["time_zone", "weight_unit"])
    return survivor


def checkin_create(
    *, survivor: User, entries: list[EntryData], callback_requested: bool, submission_token: uuid.UUID
) -> tuple[CheckIn, bool]:
    """Save a check-in and its entries in one transaction.

    1. If this form was already submitted (same token), return that check-in.
    2. Otherwise create the check-in and every entry, all or nothing.
    Returns (check-in, created).
    """
    if not entries:
        raise ValidationError("Add at least one symptom.")
    existing = CheckIn.objects.filter(survivor=survivor, submission_token=submission_token).first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    # Her notes are read before the transaction opens: CPU work, kept out of
    # the time her rows (and, when flags follow, her user row) are locked.
    readings = [note_fields(note=data.note, survivor_id=survivor.pk) for data in entries]
    try:
        with transaction.atomic():
            checkin = CheckIn(
                survivor=survivor,
                created_at=now,
                callback_requested=callback_requested,
                submission_token=submission_token,
            )
            checkin.full_clean()
            checkin.save()
            rows = []
            for data, reading in zip(entries, readings, strict=True):
                row = SymptomEntry(checkin=checkin, survivor=survivor, created_at=now, **data.__dict__, **reading)
                row.full_clean(exclude=["checkin"])
                rows.append(row)
            saved = SymptomEntry.objects.bulk_create(rows)
            flags_evaluate(survivor=survivor, entries=saved, callback_requested=callback_requested)
    except IntegrityError:
        # Two submissions of one form raced; the other one won. Show it.
        return CheckIn.objects.get(survivor=survivor, submission_token=submission_token), False
    log.info("checkin %s saved for user %s with %d entries", checkin.pk, survivor.pk, len(entries))
    return checkin, True


def note_fields(*, note: str, survivor_id: int) -> dict:
    """SymptomEntry's reading and reading_terms for her note (language,
    concepts, context). A note the reader can't read is kept unread, never
    lost: the rules then see the structured fields only, and the failure is
    logged without her words."""
    if not note.strip():
        return {"reading": None, "reading_terms": ""}
    try:
        reading = text.read(note)
    except Exception as error:  # a reader bug must never cost her check-in
        # The type only: an exception's message could quote her words.
        log.error("note of survivor %s could not be read (%s)", survivor_id, type(error).__name__)
        return {"reading": None, "reading_terms": ""}
    return {"reading": reading.as_json(), "reading_terms": text.reading_terms(reading)}


def notes_reread(*, batch: int = 500) -> int:
    """Store today's reading on every note read by an older reader (or
    never). Rules are not re-run: flags stay as they were raised."""
    stale = SymptomEntry.objects.exclude(note="").exclude(reading_terms__startswith=text.CURRENT_TERMS)
    total, after = 0, 0
    while True:
        # By id, so that a note the reader can't read is passed, not retried forever.
        rows = list(stale.filter(id__gt=after).order_by("id").only("id", "survivor_id", "note")[:batch])
        if not rows:
            return total
        for row in rows:
            for name, value in note_fields(note=row.note, survivor_id=row.survivor_id).items():
                setattr(row, name, value)
        SymptomEntry.objects.bulk_update(rows, ["reading", "reading_terms"])
        total += len(rows)
        after = rows[-1].id


def weight_to_kg(*, value: Decimal, unit: str) -> Decimal:
    kg = value if unit == User.WeightUnit.KG else value / LB_PER_KG
    return kg.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def weight_record(
    *, survivor: User, value: Decimal, unit: str, submission_token: uuid.UUID
) -> tuple[WeightEntry, bool]:
    existing = WeightEntry.objects.filter(survivor=survivor, submission_token=submission_token).first()
    if existing is not None:
        return existing, False
    entry = WeightEntry(survivor=survivor, kg=weight_to_kg(value=value, unit=unit), submission_token=submission_token)
    entry.full_clean()
    try:
        with transaction.atomic():
            entry.save()
            flags_evaluate(survivor=survivor, weight=entry)
    except IntegrityError:
        return WeightEntry.objects.get(survivor=survivor, submission_token=submission_token), False
    return entry, True


def invitation_send_email(*, invitation_id: int) -> bool:
    """Email the invite link. Skips an invitation already used. The email
    names the clinic and its phone number and nothing about health."""
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string
    from django.urls import reverse

    from .tokens import invite_token_make

    invitation = Invitation.objects.select_related("clinic").filter(pk=invitation_id).first()
    if invitation is None or invitation.accepted_at is not None:
        return False
    # Someone who already has an account (in another clinic: see
    # invitation_create) is told to log in; a link could not make a second one.
    template = "invite-existing" if User.objects.filter(email__iexact=invitation.email).exists() else "invite"
    link = settings.SITE_URL.rstrip("/") + (
        reverse("login")
        if template == "invite-existing"
        else reverse("invite_accept", args=[invite_token_make(nonce=str(invitation.nonce))])
    )
    context = {
        "invitation": invitation,
        "clinic": invitation.clinic,
        "link": link,
        "valid_days": settings.INVITE_MAX_AGE // 86400,
    }
    subject = render_to_string(f"emails/{template}-subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template}-body.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string(f"emails/{template}-body.html", context), "text/html")
    message.send()
    log.info("invitation %s emailed", invitation.pk)
    return True


# ------------------------------------------------------------------ flags


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
    return "urgent" if engine.SEVERITY[rule.tier] >= engine.SEVERITY["urgent"] else "routine"


def flags_evaluate(
    *,
    survivor: User,
    entries: list[SymptomEntry] | None = None,
    weight: WeightEntry | None = None,
    callback_requested: bool = False,
) -> list[FlagResult]:
    """Check new entries (or a new weight) against the active rules, inside
    the caller's transaction.

    1. Load the active rules, her active snoozes and the history the rules need.
    2. Run the pure engine on the entries, their notes as read when saved.
    3. Open a flag per rule that fired, or attach to the open one (the tier
       can rise, never fall). A rule that raises is skipped and logged, and
       its flag asks a nurse to read the check-in (_review_tier).
    4. Her reminders (the follow-up app's receivers), in a savepoint: a
       failure there is logged and costs neither her check-in nor her flags.
    """
    rules = selectors.rule_defs_active()  # a rule that can't be loaded is left out (and logged)
    if not rules:
        return []
    facts = [selectors.entry_fact(row, survivor=survivor) for row in entries or []]
    inputs = selectors.rule_inputs(survivor=survivor, rules=rules)
    snoozed_rules, snoozed_symptoms, history = inputs.snoozed_rules, inputs.snoozed_symptoms, inputs.history
    # This check-in's own entries carry their note concepts, so that a
    # combination can pair two of them ("headache" + a note "I threw up").
    by_id = {fact.id: fact for fact in facts}
    history = engine.History(entries=tuple(by_id.get(e.id, e) for e in history.entries), weights=history.weights)
    hits: list[engine.Hit] = []
    events = [(None, selectors.weight_fact(weight))] if weight is not None else []
    for entry, weight_fact in events + [(fact, None) for fact in facts]:
        failures: list[engine.Failure] = []
        hits += engine.evaluate(
            rules,
            history=history,
            entry=entry,
            weight=weight_fact,
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
                "entry" if entry is not None else "weight",
                entry.id if entry is not None else weight_fact.id,
                survivor.pk,
            )
            hits.append(engine.review_hit(failure, entry=entry, weight=weight_fact))
    results = _flags_record(survivor=survivor, hits=hits, callback=callback_requested) if hits else []
    # A flag only a failed rule opened schedules no reminders for her (see _review_tier).
    recorded = [(r.flag, r.first_match, r.tier_raised) for r in results if not r.flag.rule_failed]
    if recorded:
        _reminders_schedule(survivor=survivor, recorded=recorded)
    if results:
        log.info("survivor %s: %d flag(s) raised or updated", survivor.pk, len(results))
    return results


def _reminders_schedule(*, survivor: User, recorded: list) -> None:
    """flags_recorded, whose receivers write her reminders in this
    transaction, inside a savepoint: a bug or a bad row there (a clinic's
    cadence once overflowed the date) is logged, and her check-in and flags
    are kept. Nurses still see the flags in their queue and escalation reads
    flags, not reminders."""
    try:
        with transaction.atomic():
            flags_recorded.send(sender=Flag, recorded=recorded)
    except Exception as error:  # her check-in is worth more than her reminders
        log.error(
            "reminders for flag(s) %s of survivor %s not scheduled (%s)",
            [flag.pk for flag, _, _ in recorded],
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
    function's time in ORM work (bench/README.md). Other databases use the ORM."""
    by_rule: dict[int, list[engine.Hit]] = {}
    for hit in hits:
        by_rule.setdefault(hit.rule.rule_id, []).append(hit)
    now = timezone.now()
    # Her open flags with everything an update writes or set_tier reads (a
    # deferred field would cost a query per flag), in model field order (the
    # SQL below names the same columns).
    loaded = ["id", "rule_id", "tier", "tier_rank", "review_by", "callback_wanted", "created_at", "rule_failed"]
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        # The lock and the read in one round trip, as two statements: in READ
        # COMMITTED the read takes its snapshot after the lock is granted, so
        # it sees the flags of a check-in of hers that held the lock.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM tracker_user WHERE id = %s FOR UPDATE; "
                "SELECT id, rule_id, tier, tier_rank, review_by, callback_wanted, created_at, rule_failed "
                "FROM tracker_flag "
                "WHERE survivor_id = %s AND status = 'open' AND rule_id = ANY(%s)",
                [survivor.pk, survivor.pk, list(by_rule)],
            )
            cursor.nextset()
            rows = cursor.fetchall()
        open_flags = {row[1]: Flag.from_db(connection.alias, loaded, row) for row in rows}
    else:
        _survivor_lock(survivor)
        open_flags = {
            flag.rule_id: flag
            for flag in Flag.objects.filter(survivor=survivor, status=Flag.Status.OPEN, rule_id__in=list(by_rule))
            .order_by()
            .only(*loaded)
        }
    new_flags = []
    for rule_id, rule_hits in by_rule.items():
        if rule_id not in open_flags:
            top = _top_match(rule_hits)
            flag = Flag(
                survivor=survivor,
                rule_id=rule_id,
                rule_version_id=(top or rule_hits[0]).rule.version_id,
                evidence=_flag_evidence(rule_hits),
                callback_wanted=callback,
                created_at=now,
                updated_at=now,
                rule_failed=top is None,
            )
            flag.set_tier(top.tier if top is not None else _review_tier(rule_hits[0].rule))
            new_flags.append(flag)
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
            # Her row is at hand: receivers of flags_recorded read flag.survivor
            # and flag.survivor_id (not loaded above) without two more queries.
            flag.survivor = survivor
            if top is not None and flag.rule_failed:
                # Its first real match: the review tier was no match, so the
                # match's own tier replaces it, up or down.
                flag.rule_failed, first_match = False, True
                flag.set_tier(top.tier)
            elif top is not None and engine.SEVERITY[top.tier] > engine.SEVERITY[flag.tier]:
                flag.set_tier(top.tier)
                raised = True
            flag.evidence = _flag_evidence(rule_hits)
            flag.callback_wanted = flag.callback_wanted or callback
            flag.updated_at = now
            changed.append(flag)
        links += [
            FlagEntry(
                flag=flag,
                entry_id=hit.entry.id if hit.entry is not None else None,
                weight_id=hit.weight.id if hit.weight is not None else None,
                rule_version_id=hit.rule.version_id,
                tier=hit.tier,
                evidence=hit.evidence,
                matched_text=list(hit.matched_text),
                created_at=now,
                rule_failed=hit.failed,
            )
            for hit in rule_hits
        ]
        results.append(FlagResult(flag=flag, created=rule_id in created, tier_raised=raised, first_match=first_match))
    if postgresql:
        import json

        with connection.cursor() as cursor:
            cursor.execute(
                """
                WITH new_flag AS (
                    INSERT INTO tracker_flag (survivor_id, rule_id, rule_version_id, tier, status, tier_rank,
                                              review_by, evidence, callback_wanted, created_at, updated_at,
                                              closed_at, outcome, rule_failed)
                    SELECT n.survivor_id, n.rule_id, n.version_id, n.tier, n.status, n.tier_rank, n.review_by,
                           n.evidence, n.callback_wanted, n.created_at, n.updated_at, NULL, n.outcome, n.failed
                      FROM unnest(%(n_survivor)s::bigint[], %(n_rule)s::bigint[], %(n_version)s::bigint[],
                                  %(n_tier)s::varchar[], %(n_status)s::varchar[], %(n_rank)s::smallint[],
                                  %(n_review)s::timestamptz[], %(n_evidence)s::text[], %(n_callback)s::boolean[],
                                  %(n_created)s::timestamptz[], %(n_updated)s::timestamptz[], %(n_outcome)s::varchar[],
                                  %(n_failed)s::boolean[])
                           WITH ORDINALITY AS n(survivor_id, rule_id, version_id, tier, status, tier_rank, review_by,
                                                evidence, callback_wanted, created_at, updated_at, outcome, failed, k)
                     ORDER BY n.k
                    RETURNING id, rule_id
                ), changed AS (
                    UPDATE tracker_flag f
                       SET tier = c.tier, tier_rank = c.tier_rank, review_by = c.review_by, evidence = c.evidence,
                           callback_wanted = c.callback_wanted, updated_at = c.updated_at, rule_failed = c.failed
                      FROM unnest(%(c_id)s::bigint[], %(c_tier)s::varchar[], %(c_rank)s::smallint[],
                                  %(c_review)s::timestamptz[], %(c_evidence)s::text[], %(c_callback)s::boolean[],
                                  %(c_updated)s::timestamptz[], %(c_failed)s::boolean[])
                           AS c(id, tier, tier_rank, review_by, evidence, callback_wanted, updated_at, failed)
                     WHERE f.id = c.id
                ), attached AS (
                    INSERT INTO tracker_flagentry (flag_id, entry_id, weight_id, rule_version_id, tier, evidence,
                                                   matched_text, created_at, rule_failed)
                    SELECT COALESCE(l.flag_id, new_flag.id), l.entry_id, l.weight_id, l.version_id, l.tier,
                           l.evidence, l.matched::jsonb, l.created_at, l.failed
                      FROM unnest(%(l_rule)s::bigint[], %(l_flag)s::bigint[], %(l_entry)s::bigint[],
                                  %(l_weight)s::bigint[], %(l_version)s::bigint[], %(l_tier)s::varchar[],
                                  %(l_evidence)s::text[], %(l_matched)s::text[], %(l_created)s::timestamptz[],
                                  %(l_failed)s::boolean[])
                           WITH ORDINALITY AS l(rule_id, flag_id, entry_id, weight_id, version_id, tier, evidence,
                                                matched, created_at, failed, k)
                      LEFT JOIN new_flag ON new_flag.rule_id = l.rule_id
                     ORDER BY l.k
                )
                SELECT id, rule_id FROM new_flag
                """,
                {
                    "n_survivor": [f.survivor_id for f in new_flags],
                    "n_rule": [f.rule_id for f in new_flags],
                    "n_version": [f.rule_version_id for f in new_flags],
                    "n_tier": [f.tier for f in new_flags],
                    "n_status": [f.status for f in new_flags],
                    "n_rank": [f.tier_rank for f in new_flags],
                    "n_review": [f.review_by for f in new_flags],
                    "n_evidence": [f.evidence for f in new_flags],
                    "n_callback": [f.callback_wanted for f in new_flags],
                    "n_created": [f.created_at for f in new_flags],
                    "n_updated": [f.updated_at for f in new_flags],
                    "n_outcome": [f.outcome for f in new_flags],
                    "n_failed": [f.rule_failed for f in new_flags],
                    "c_id": [f.pk for f in changed],
                    "c_tier": [f.tier for f in changed],
                    "c_rank": [f.tier_rank for f in changed],
                    "c_review": [f.review_by for f in changed],
                    "c_evidence": [f.evidence for f in changed],
                    "c_callback": [f.callback_wanted for f in changed],
                    "c_updated": [f.updated_at for f in changed],
                    "c_failed": [f.rule_failed for f in changed],
                    "l_rule": [link.flag.rule_id for link in links],
                    "l_flag": [link.flag.pk for link in links],  # None for a new flag: joined by rule
                    "l_entry": [link.entry_id for link in links],
                    "l_weight": [link.weight_id for link in links],
                    "l_version": [link.rule_version_id for link in links],
                    "l_tier": [link.tier for link in links],
                    "l_evidence": [link.evidence for link in links],
                    "l_matched": [json.dumps(link.matched_text) for link in links],
                    "l_created": [link.created_at for link in links],
                    "l_failed": [link.rule_failed for link in links],
                },
            )
            new_ids = {rule_id: pk for pk, rule_id in cursor.fetchall()}
        for flag in new_flags:
            flag.pk = new_ids[flag.rule_id]
            flag._state.adding, flag._state.db = False, connection.alias
        return results
    if changed:
        Flag.objects.bulk_update(
            changed, ["tier", "tier_rank", "review_by", "evidence", "callback_wanted", "updated_at", "rule_failed"]
        )
    FlagEntry.objects.bulk_create(links)
    return results


def _top_match(hits: list[engine.Hit]) -> engine.Hit | None:
    """The highest-tier real match among one rule's hits (None: the rule only failed)."""
    matched = [hit for hit in hits if not hit.failed]
    return max(matched, key=lambda h: engine.SEVERITY[h.tier]) if matched else None


def _flag_evidence(hits: list[engine.Hit]) -> str:
    # The latest hit's, unless the rule failed on one of them: the queue
    # shows this line, and "needs review" is what a nurse must see first.
    return next((hit.evidence for hit in reversed(hits) if hit.failed), hits[-1].evidence)


def _survivor_lock(survivor: User) -> None:
    # Plain SQL: this runs in every check-in that raises a flag, and the ORM's
    # query compilation cost as much as the round trip (bench/README.md).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM tracker_user WHERE id = %s FOR UPDATE", [survivor.pk])
    # SQLite (make run on a laptop) takes a database-wide write lock anyway.


def snooze_create(
    *,
    survivor: User,
    by: User,
    ends_at: dt.datetime,
    reason: str,
    rule: Rule | None = None,
    symptom: Symptom | None = None,
) -> Snooze:
    """Silence one rule or one symptom for one survivor, for at most 30 days.
    An emergency-tier rule can never be snoozed."""
    now = timezone.now()
    errors: dict[str, str] = {}
    if (rule is None) == (symptom is None):
        errors["rule"] = "Choose one rule or one symptom to snooze."
    if rule is not None and rule.current is not None and rule.current.tier == "emergency":
        errors["rule"] = "Emergency rules can't be snoozed: these signs always need action."
    if ends_at <= now:
        errors["ends_at"] = "The snooze must end in the future."
    elif ends_at > now + dt.timedelta(days=30):
        errors["ends_at"] = "A snooze can last at most 30 days."
    if not reason.strip():
        errors["reason"] = "Say why, for example \u201cknown arthritis in the left knee\u201d."
    if errors:
        raise ValidationError(errors)
    snooze = Snooze(
        survivor=survivor, rule=rule, symptom=symptom, ends_at=ends_at, reason=reason.strip(), created_by=by
    )
    snooze.full_clean()
    snooze.save()
    audit_record(actor=by, action="snooze.create", survivor=survivor, target=snooze)
    return snooze


def snooze_end(*, survivor: User, snooze_id: int, by: User) -> None:
    Snooze.objects.filter(pk=snooze_id, survivor=survivor, ended_early_at__isnull=True).update(
        ended_early_at=timezone.now()
    )
    audit_record(actor=by, action="snooze.end", survivor=survivor)


# ------------------------------------------------------------------ rules


RULE_FIELDS = ("name", "tier", "condition", "advice", "nurse_note", "source")


def rule_vocabulary() -> engine.Vocabulary:
    return engine.Vocabulary(
        symptoms=frozenset(Symptom.objects.values_list("code", flat=True)),
        body_sites=frozenset(BodySite.objects.values_list("code", flat=True)),
        concepts=text.concept_codes(),
    )


# Lower-case letters, digits, hyphens (and underscores): what the rules
# pages' URLs accept, in the case the form asks for.
RULE_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")

# Field -> (longest, message when empty or None when it may be empty).
RULE_TEXT_FIELDS = {
    "name": (limits.MAX_NAME, "Give the rule a name."),
    "advice": (limits.MAX_ADVICE, "Write the advice the survivor will see."),
    "nurse_note": (limits.MAX_NURSE_NOTE, None),
    "source": (limits.MAX_SOURCE, "Name the source: the article's section and the guideline that sets the urgency."),
}


def rule_slug_errors(slug) -> list[str]:
    """Messages for a new rule's slug; empty when it is valid. The edit
    form, the import and the shipped defaults all come through here: one
    slug no page can link to broke the rules page for every admin."""
    if not isinstance(slug, str) or not slug:
        return ["Give the rule a slug, e.g. \u201cbone-pain\u201d."]
    if len(slug) > limits.MAX_SLUG:
        return [f"A slug has at most {limits.MAX_SLUG} characters (this one has {len(slug):,})."]
    if not RULE_SLUG.match(slug):
        return ["Use lower-case letters, digits and hyphens only, e.g. \u201cbone-pain\u201d."]
    return []


def rule_content_errors(data: dict, vocab: engine.Vocabulary | None = None) -> dict[str, list[str]]:
    """Field -> messages for a rule's content; empty when it is valid. The
    edit form and the import both call this, so both hold a rule to the
    same fields, lengths and condition bounds."""
    errors: dict[str, list[str]] = {}
    for name, (longest, when_empty) in RULE_TEXT_FIELDS.items():
        value = data.get(name, "")
        if not isinstance(value, str):
            errors[name] = ["Must be text."]
        elif when_empty and not value.strip():
            errors[name] = [when_empty]
        elif len(value) > longest:
            errors[name] = [f"At most {longest:,} characters (this has {len(value):,})."]
    if not isinstance(data.get("tier"), str) or data["tier"] not in engine.TIERS:
        errors["tier"] = [f"Tier must be one of: {', '.join(engine.TIERS)}."]
    problems = engine.validate_condition(data.get("condition"), vocab or rule_vocabulary())
    if problems:
        errors["condition"] = problems
    return errors


def rule_save(
    *,
    by: User | None,
    slug: str,
    data: dict,
    change_note: str = "",
    rule: Rule | None = None,
    vocab: engine.Vocabulary | None = None,
) -> RuleVersion:
    """Create the rule if needed and a new version of it; the new version
    becomes current. Nothing is ever overwritten: flags keep their version."""
    errors = rule_content_errors(data, vocab)
    if rule is None and rule_slug_errors(slug):
        errors["slug"] = rule_slug_errors(slug)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if rule is None:
            rule, _ = Rule.objects.get_or_create(slug=slug)
        rule = Rule.objects.select_for_update().get(pk=rule.pk)
        last = rule.versions.order_by("-number").values_list("number", flat=True).first() or 0
        version = RuleVersion(
            rule=rule,
            number=last + 1,
            created_by=by,
            change_note=change_note,
            **{name: data[name] if name != "nurse_note" else data.get(name, "") for name in RULE_FIELDS},
        )
        version.full_clean()
        version.save()
        rule.current = version
        rule.changed_at = timezone.now()
        rule.save(update_fields=["current", "changed_at"])
        if by is not None:
            audit_record(actor=by, action="rule.save", target=version)
        transaction.on_commit(selectors.rule_defs_forget)
    selectors.rule_defs_forget()
    return version


def rule_set_active(*, rule: Rule, active: bool, by: User | None, reason: str = "") -> RuleSwitch | None:
    """Switch a rule on or off, kept in its history with who, when and why.
    Switching off stops new flags (existing flags are left as they are) and
    needs a reason. None when the rule already was in that state (a second
    click, or another admin first): nothing is written.

    1. Lock the rule's row, so that two admins switching at once write one
       history row per real change.
    2. Check the history row (a reason for switching off, its length).
    3. Save the state, the row and the audit event; processes drop their
       cached rules."""
    reason = reason.strip()
    with transaction.atomic():
        locked = Rule.objects.select_for_update().get(pk=rule.pk)
        if locked.is_active == active:
            rule.is_active = locked.is_active
            return None
        switch = RuleSwitch(rule=locked, is_active=active, reason=reason, by=by)
        if not active and not reason:
            raise ValidationError({"reason": "Please say why you are switching this rule off."})
        switch.full_clean()
        rule.is_active = active
        rule.changed_at = timezone.now()
        rule.save(update_fields=["is_active", "changed_at"])
        switch.save()
        audit_record(actor=by, action="rule.enable" if active else "rule.disable", target=rule)
    selectors.rule_defs_forget()
    transaction.on_commit(selectors.rule_defs_forget)
    return switch


def rules_load_defaults() -> dict[str, int]:
    """Create the shipped rules, and refresh the ones no admin has touched.
    Idempotent; never overwrites a rule an admin changed."""
    from .rules.defaults import DEFAULT_RULES

    counts = {"created": 0, "updated": 0, "unchanged": 0, "kept_admin_changes": 0}
    vocab = rule_vocabulary()
    for default in DEFAULT_RULES:
        data = {name: default[name] for name in RULE_FIELDS}
        rule = Rule.objects.filter(slug=default["slug"]).select_related("current").first()
        if rule is None:
            rule_save(by=None, slug=default["slug"], data=data, change_note="Shipped default", vocab=vocab)
            counts["created"] += 1
        elif rule.current is not None and rule.current.created_by_id is not None:
            counts["kept_admin_changes"] += 1
        elif rule.current is not None and all(getattr(rule.current, n) == data[n] for n in RULE_FIELDS):
            counts["unchanged"] += 1
        else:
            rule_save(
                by=None, slug=default["slug"], data=data, change_note="Updated shipped default", rule=rule, vocab=vocab
            )
            counts["updated"] += 1
    return counts


def rules_import(*, payload, by: User) -> dict[str, int]:
    """Apply an exported rule set: validated in full first, then applied all
    at once, or not at all (ValidationError lists every problem)."""
    problems: list[str] = []
    if not isinstance(payload, dict) or not isinstance(payload.get("rules"), list):
        raise ValidationError(['The file must be a JSON object with a "rules" list (as exported).'])
    count = len(payload["rules"])
    if count > limits.MAX_IMPORT_RULES:
        raise ValidationError([f"At most {limits.MAX_IMPORT_RULES} rules in one import (this file has {count:,})."])
    vocab = rule_vocabulary()
    existing = set(Rule.objects.values_list("slug", flat=True))
    seen: set[str] = set()
    for i, item in enumerate(payload["rules"]):
        where = f"rules[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be an object")
            continue
        slug = item.get("slug")
        # A new slug as the edit form checks it; an existing rule keeps its own.
        new_slug_errors = [] if isinstance(slug, str) and slug in existing else rule_slug_errors(slug)
        if new_slug_errors:
            problems += [f"{where}.slug: {message}" for message in new_slug_errors]
        elif slug in seen:
            problems.append(f"{where}.slug: \u201c{slug}\u201d appears twice")
        else:
            seen.add(slug)
            where = f"rule \u201c{slug}\u201d"
        if "is_active" in item and not isinstance(item["is_active"], bool):
            problems.append(f"{where}.is_active: must be true or false")
        for field_name, messages in rule_content_errors(item, vocab).items():
            problems += [f"{where}.{field_name}: {m}" for m in messages]
    if problems:
        raise ValidationError(problems)
    counts = {"created": 0, "new_versions": 0, "unchanged": 0}
    with transaction.atomic():
        for item in payload["rules"]:
            data = {name: item.get(name, "") for name in RULE_FIELDS}
            rule = Rule.objects.filter(slug=item["slug"]).select_related("current").first()
            if (
                rule is not None
                and rule.current is not None
                and all(getattr(rule.current, n) == data[n] for n in RULE_FIELDS)
            ):
                counts["unchanged"] += 1
            else:
                counts["created" if rule is None else "new_versions"] += 1
                rule_save(by=by, slug=item["slug"], data=data, change_note="Imported", rule=rule, vocab=vocab)
                rule = Rule.objects.get(slug=item["slug"])
            if "is_active" in item and rule.is_active != item["is_active"]:
                rule_set_active(rule=rule, active=item["is_active"], by=by, reason="Set by an import of rules")
    return counts


def flag_close(*, flag: Flag, by: User, outcome: str) -> Flag:
    """Close a flag with a nurse's outcome (feeds the rules page's confirmed /
    dismissed counts). The follow-up app stops reminders when it hears of it."""
    if outcome not in Flag.Outcome.values:
        raise ValidationError({"outcome": "Choose an outcome from the list."})
    flag.status = Flag.Status.CLOSED
    flag.outcome = outcome
    flag.closed_at = timezone.now()
    flag.save(update_fields=["status", "outcome", "closed_at"])
    audit_record(actor=by, action="flag.close", survivor=flag.survivor, target=flag)
    return flag
