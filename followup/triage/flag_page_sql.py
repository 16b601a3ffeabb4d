"""The nurse's flag page in one prepared statement (PostgreSQL).

The flag with everything the page shows of it (her, her clinic and
preferences, its follow-up and who claimed it, the rule and the version
that fired), its latest matches (each with its entry, symptom, body site
or weight), the lists (her open flags, the care-team actions, the
reminders, her snoozes) as JSON, and both writes of opening it: the audit
row and "first opened". Through the ORM that was nine statements and a
nine-table join that PostgreSQL took longer to plan than to run
(bench/README.md); a prepared statement is planned once per connection
(tracker/db.py).

The columns come from the models' own field lists, and the rows become
model instances with their related objects cached as select_related
leaves them, so the template (and anyone adding to it) reads the same
objects as from followup.flag_page.flag_page_orm, the definition a test
holds this to."""

from django.db import connection
from django.db.models import ForeignObjectRel, Model
from django.db.models.fields.related import RelatedField

from tracker import scope
from tracker.models import (
    BodySite,
    Clinic,
    Flag,
    FlagEntry,
    Rule,
    RuleVersion,
    Symptom,
    SymptomEntry,
    User,
    WeightEntry,
)

from ..models import FlagFollowup, Preferences

# (alias, model): the flag and what hangs on it, one row per match shown.
_TABLES = (
    ("f", Flag),
    ("s", User),
    ("cl", Clinic),
    ("p", Preferences),
    ("ff", FlagFollowup),
    ("cb", User),
    ("r", Rule),
    ("v", RuleVersion),
    ("a", FlagEntry),
    ("e", SymptomEntry),
    ("sy", Symptom),
    ("bs", BodySite),
    ("w", WeightEntry),
)
_FIELDS = {alias: model._meta.concrete_fields for alias, model in _TABLES}
_OFFSETS: dict[str, int] = {}  # where each table's columns start in a row
_WIDTH = 0
for _alias, _ in _TABLES:
    _OFFSETS[_alias] = _WIDTH
    _WIDTH += len(_FIELDS[_alias])
_COLUMNS = ",\n       ".join(", ".join(f'{alias}."{field.column}"' for field in _FIELDS[alias]) for alias, _ in _TABLES)

# Her clinics as ARRAY(subquery) of tracker/scope.py's STAFF_CLINIC_IDS_SQL,
# as in the queue (followup/triage/queue.py).
# The writes read `target`: a flag not hers is neither audited nor opened.
# "First opened" is written on the flag's follow-up row (written with its
# reminders, reminders/schedule.py) only when no nurse has opened it (a
# repeated view writes nothing but its audit row, and takes no row lock:
# the condition is checked before the row is locked). The main SELECT reads
# the snapshot taken before the writes, which change nothing it shows.
# `lists` is materialized: computed once, not once per match.
SQL_TEMPLATE = """
WITH target AS (
    SELECT f.id, f.survivor_id FROM tracker_flag f JOIN tracker_user s ON s.id = f.survivor_id
     WHERE f.id = %(flag)s
       AND s.clinic_id = ANY(ARRAY({staff_clinic_ids}))
), opened AS (
    UPDATE followup_flagfollowup x SET first_opened_at = %(now)s, first_opened_by_id = %(nurse)s
      FROM target t
     WHERE x.flag_id = t.id AND x.first_opened_at IS NULL
), seen AS (
    INSERT INTO tracker_auditevent (at, actor_id, action, survivor_id, object_type, object_id, survivors)
    SELECT %(now)s, %(nurse)s, 'flag.view', t.survivor_id, 'flag', t.id::text, NULL FROM target t
), lists AS MATERIALIZED (
    SELECT
    (SELECT json_agg(json_build_array(o.id, o.tier, ov.name) ORDER BY o.tier_rank, o.review_by, o.id)
       FROM tracker_flag o JOIN tracker_ruleversion ov ON ov.id = o.rule_version_id
      WHERE o.survivor_id = t.survivor_id AND o.status = 'open') AS open_flags,
    (SELECT json_agg(json_build_array(x.at, x.full_name, x.kind, x.result, x.text) ORDER BY x.at, x.id)
       FROM (SELECT x.id, x.at, u.full_name, x.kind, x.result, x.text
               FROM followup_flagevent x JOIN tracker_user u ON u.id = x.author_id
              WHERE x.flag_id = t.id ORDER BY x.at DESC, x.id DESC LIMIT {events}) x) AS events,
    (SELECT count(*) FROM followup_flagevent x WHERE x.flag_id = t.id) AS events_total,
    (SELECT json_agg(json_build_array(m.sequence, m.channel, m.due_at, m.state) ORDER BY m.sequence, m.channel, m.id)
       FROM (SELECT id, sequence, channel, due_at, state FROM followup_message m WHERE m.flag_id = t.id
              ORDER BY sequence, channel, id LIMIT {reminders}) m) AS reminders,
    (SELECT json_agg(json_build_array(z.id, COALESCE(zv.name, zs.label, ''), z.ends_at, z.reason)
                     ORDER BY z.ends_at, z.id)
       FROM tracker_snooze z
       LEFT JOIN tracker_rule zr ON zr.id = z.rule_id
       LEFT JOIN tracker_ruleversion zv ON zv.id = zr.current_id
       LEFT JOIN tracker_symptom zs ON zs.id = z.symptom_id
      WHERE z.survivor_id = t.survivor_id AND z.ended_early_at IS NULL AND z.ends_at > %(now)s) AS snoozes,
    (SELECT count(*) FROM tracker_flagentry x WHERE x.flag_id = t.id) AS attachments_total
      FROM target t
)
SELECT {columns},
       lists.open_flags, lists.events, lists.events_total, lists.reminders, lists.snoozes, lists.attachments_total
  FROM target t
  CROSS JOIN lists
  JOIN tracker_flag f ON f.id = t.id
  JOIN tracker_user s ON s.id = f.survivor_id
  LEFT JOIN tracker_clinic cl ON cl.id = s.clinic_id
  LEFT JOIN followup_preferences p ON p.survivor_id = s.id
  LEFT JOIN followup_flagfollowup ff ON ff.flag_id = f.id
  LEFT JOIN tracker_user cb ON cb.id = ff.claimed_by_id
  JOIN tracker_rule r ON r.id = f.rule_id
  JOIN tracker_ruleversion v ON v.id = f.rule_version_id
  LEFT JOIN LATERAL (SELECT * FROM tracker_flagentry x WHERE x.flag_id = f.id
                      ORDER BY x.created_at DESC, x.id DESC LIMIT {attachments}) a ON true
  LEFT JOIN tracker_symptomentry e ON e.id = a.entry_id
  LEFT JOIN tracker_symptom sy ON sy.id = e.symptom_id
  LEFT JOIN tracker_bodysite bs ON bs.id = e.body_site_id
  LEFT JOIN tracker_weightentry w ON w.id = a.weight_id
 ORDER BY a.created_at, a.id
"""


def sql(*, events: int, reminders: int, attachments: int) -> str:
    return SQL_TEMPLATE.format(
        columns=_COLUMNS,
        staff_clinic_ids=scope.STAFF_CLINIC_IDS_SQL,
        events=events,
        reminders=reminders,
        attachments=attachments,
    )


def _instance(model: type[Model], fields, values) -> Model | None:
    """A model instance as the ORM would load it (None for a missing row of
    an outer join), its values through the fields' own converters (JSON)."""
    if values[0] is None:  # the primary key
        return None
    converted = list(values)
    for i, field in enumerate(fields):
        converters = field.get_db_converters(connection)
        if converters and converted[i] is not None:
            for convert in converters:
                converted[i] = convert(converted[i], field.cached_col, connection)
    return model.from_db(connection.alias, [field.attname for field in fields], converted)


def _cache(model: type[Model], name: str, instance: Model, value) -> None:
    """Cache a related object (or its absence) as select_related does."""
    field = model._meta.get_field(name)
    if isinstance(field, ForeignObjectRel):  # a reverse one-to-one
        field.set_cached_value(instance, value)
        if value is not None:
            field.field.set_cached_value(value, instance)
    else:
        assert isinstance(field, RelatedField), name  # only relations are cached
        field.set_cached_value(instance, value)


def from_rows(rows) -> tuple[Flag, list[FlagEntry], tuple]:
    """The flag with its related objects, its matches shown (oldest first),
    and the six list columns of the statement."""
    first = rows[0]
    lists = tuple(first[_WIDTH:])

    def split(row, tables):
        objects = {}
        for alias, model in tables:
            start = _OFFSETS[alias]
            objects[alias] = _instance(model, _FIELDS[alias], row[start : start + len(_FIELDS[alias])])
        return objects

    top = split(first, _TABLES[:8])
    flag, survivor = top["f"], top["s"]
    _cache(Flag, "survivor", flag, survivor)
    _cache(User, "clinic", survivor, top["cl"])
    _cache(User, "preferences", survivor, top["p"])
    _cache(Flag, "followup", flag, top["ff"])
    if top["ff"] is not None:
        _cache(FlagFollowup, "claimed_by", top["ff"], top["cb"])
    _cache(Flag, "rule", flag, top["r"])
    _cache(Flag, "rule_version", flag, top["v"])
    attachments = []
    for row in rows:
        objects = split(row, _TABLES[8:])
        match = objects["a"]
        if match is None:
            continue
        _cache(FlagEntry, "entry", match, objects["e"])
        if objects["e"] is not None:
            _cache(SymptomEntry, "symptom", objects["e"], objects["sy"])
            _cache(SymptomEntry, "body_site", objects["e"], objects["bs"])
        _cache(FlagEntry, "weight", match, objects["w"])
        attachments.append(match)
    return flag, attachments, lists
