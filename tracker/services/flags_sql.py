"""The PostgreSQL statements of recording flags (flags.py's _flags_record):
her row lock with the read of her open flags in one round trip, and the one
statement (data-modifying CTEs) that writes the new flags, the changed ones
and every attachment. As bulk_create, bulk_update and bulk_create they cost
three round trips and most of the recording's time in ORM work
(bench/README.md). Other databases use the ORM in flags.py; what to write is
decided there, not here."""

import json

from django.db import connection

from ..models import Flag, FlagEntry, User

# Her open flags with everything an update writes or set_tier reads (a
# deferred field would cost a query per flag), in model field order (the
# SQL below names the same columns).
OPEN_FLAG_FIELDS = ["id", "rule_id", "tier", "tier_rank", "review_by", "callback_wanted", "created_at", "rule_failed"]


def open_flags_lock_and_read(*, survivor: User, rule_ids: list[int]) -> dict[int, Flag]:
    """Lock her row and read her open flags of these rules (rule id -> flag)."""
    # The lock and the read in one round trip, as two statements: in READ
    # COMMITTED the read takes its snapshot after the lock is granted, so
    # it sees the flags of a check-in of hers that held the lock.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM tracker_user WHERE id = %s FOR UPDATE; "
            "SELECT id, rule_id, tier, tier_rank, review_by, callback_wanted, created_at, rule_failed "
            "FROM tracker_flag "
            "WHERE survivor_id = %s AND status = 'open' AND rule_id = ANY(%s)",
            [survivor.pk, survivor.pk, rule_ids],
        )
        cursor.nextset()
        rows = cursor.fetchall()
    return {row[1]: Flag.from_db(connection.alias, OPEN_FLAG_FIELDS, row) for row in rows}


def flags_write(*, new_flags: list[Flag], changed: list[Flag], links: list[FlagEntry]) -> None:
    """Insert new_flags (and set their ids on them), update changed, and
    insert links, whose flag is joined by rule when it is one of new_flags."""
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
                INSERT INTO tracker_flagentry (flag_id, entry_id, weight_id, checkin_id, rule_version_id, tier,
                                               evidence, matched_text, created_at, rule_failed)
                SELECT COALESCE(l.flag_id, new_flag.id), l.entry_id, l.weight_id, l.checkin_id, l.version_id,
                       l.tier, l.evidence, l.matched::jsonb, l.created_at, l.failed
                  FROM unnest(%(l_rule)s::bigint[], %(l_flag)s::bigint[], %(l_entry)s::bigint[],
                              %(l_weight)s::bigint[], %(l_checkin)s::bigint[], %(l_version)s::bigint[],
                              %(l_tier)s::varchar[], %(l_evidence)s::text[], %(l_matched)s::text[],
                              %(l_created)s::timestamptz[], %(l_failed)s::boolean[])
                       WITH ORDINALITY AS l(rule_id, flag_id, entry_id, weight_id, checkin_id, version_id, tier,
                                            evidence, matched, created_at, failed, k)
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
                "l_checkin": [link.checkin_id for link in links],
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
