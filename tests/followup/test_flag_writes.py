"""The follow-up app writes tracker's flags only through tracker's services
(tracker/services/flag_states.py): no ORM write or row lock on Flag, no
save() of a flag, no field of a flag assigned, no SQL that writes
tracker_flag. Reads are its own business. A scan of its source, so that a
new shortcut fails here rather than in review."""

import ast
import re
from pathlib import Path

import followup
from tracker.models import Flag

WRITES = {
    "update",
    "bulk_update",
    "bulk_create",
    "create",
    "get_or_create",
    "update_or_create",
    "delete",
    "select_for_update",
}
FIELDS = {field.name for field in Flag._meta.concrete_fields} | {field.attname for field in Flag._meta.concrete_fields}
SQL_WRITE = re.compile(r"\b(UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+tracker_flag\b", re.IGNORECASE)


def _on_manager(node: ast.AST, model: str = "Flag") -> bool:
    """The call chain starts at <model>.objects (Flag.objects.filter(...).update(...))."""
    while isinstance(node, ast.Attribute | ast.Call):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            return isinstance(node.value, ast.Name) and node.value.id == model
        node = node.func if isinstance(node, ast.Call) else node.value
    return False


def _a_flag(node: ast.AST) -> bool:
    """`flag`, `flags[0]`, `self.flag`, `followup.flag`: what names a Flag instance here."""
    if isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Name):
        return node.id in {"flag", "flags"}
    return isinstance(node, ast.Attribute) and node.attr == "flag"


def flag_writes(source: str) -> list[str]:
    """Each direct write of a flag in the source, "line: what it is", in line order."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in WRITES and _on_manager(node.func.value):
                found.append(f"{node.lineno}: Flag.objects...{node.func.attr}()")
            if node.func.attr in {"save", "delete"} and _a_flag(node.func.value):
                found.append(f"{node.lineno}: a flag's {node.func.attr}()")
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                for part in target.elts if isinstance(target, ast.Tuple) else [target]:
                    if isinstance(part, ast.Attribute) and part.attr in FIELDS and _a_flag(part.value):
                        found.append(f"{node.lineno}: a flag's {part.attr} assigned")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_WRITE.search(node.value):
            found.append(f"{node.lineno}: SQL that writes tracker_flag")
    return sorted(found, key=lambda line: int(line.split(":")[0]))


def test_the_followup_app_writes_no_flag_itself():
    root = Path(followup.__file__).parent
    found = {
        str(path.relative_to(root.parent)): writes
        for path in sorted(root.rglob("*.py"))
        if (writes := flag_writes(path.read_text()))
    }
    assert found == {}, "write flags through tracker/services/flag_states.py"


def test_the_scan_finds_each_kind_of_direct_write():
    """What the follow-up app once did, and the other shapes of it."""
    assert flag_writes(
        """
Flag.objects.filter(survivor_id=survivor_id, status=Flag.Status.OPEN, callback_wanted=True).update(
    callback_wanted=False
)
flags = list(Flag.objects.select_for_update().filter(pk__in=wanted, survivor=survivor))
Flag.objects.create(survivor=survivor)
flag.status = Flag.Status.CLOSED
flag.closed_at, flag.outcome = now, outcome
self.flag.callback_wanted = False
flag.save(update_fields=["status"])
cursor.execute("UPDATE tracker_flag SET callback_wanted = false WHERE survivor_id = %s", [pk])
sql = f'''delete from tracker_flag WHERE id = {pk}'''
"""
    ) == [
        "2: Flag.objects...update()",
        "5: Flag.objects...select_for_update()",
        "6: Flag.objects...create()",
        "7: a flag's status assigned",
        "8: a flag's closed_at assigned",
        "8: a flag's outcome assigned",
        "9: a flag's callback_wanted assigned",
        "10: a flag's save()",
        "11: SQL that writes tracker_flag",
        "12: SQL that writes tracker_flag",
    ]


def test_the_scan_lets_reads_and_the_followups_own_rows_be():
    assert (
        flag_writes(
            """
flags = Flag.objects.filter(status=Flag.Status.OPEN).select_related("survivor")
FlagFollowup.objects.filter(flag=flag).update(claimed_by=None)
followup.save(update_fields=["claimed_by"])
followup.flag_id = flag.pk
Message.objects.filter(flag=flag).update(state="cancelled")
cursor.execute("SELECT id FROM tracker_flag f JOIN tracker_flagentry a ON a.flag_id = f.id")
cursor.execute("INSERT INTO tracker_flagentry (flag_id) VALUES (1); UPDATE followup_flagfollowup SET x = 1")
"""
        )
        == []
    )


# ------------------------------------------------------------ a flag's follow-up row

ROW_CREATES = {"create", "bulk_create", "get_or_create", "update_or_create"}
ROW_INSERT = re.compile(r"\bINSERT\s+INTO\s+followup_flagfollowup\b", re.IGNORECASE)


def followup_row_creates(source: str) -> list[int]:
    """The lines that create a FlagFollowup row."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ROW_CREATES and _on_manager(node.func.value, "FlagFollowup"):
                found.append(node.lineno)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and ROW_INSERT.search(node.value):
            found.append(node.lineno)
    return sorted(found)


def test_a_flags_followup_row_is_written_in_one_place():
    """With the flag's reminders (followup/reminders/schedule.py: in SQL on
    PostgreSQL, by the ORM elsewhere), and by the migration that wrote older
    flags' rows; everything else reads it."""
    root = Path(followup.__file__).parent
    found = {
        str(path.relative_to(root.parent))
        for path in root.rglob("*.py")
        if "migrations" not in path.parts and followup_row_creates(path.read_text())
    }
    assert found == {"followup/reminders/schedule.py"}
    assert followup_row_creates("FlagFollowup.objects.select_for_update().get_or_create(flag=flag)") == [1]
    assert followup_row_creates('sql = """\nINSERT INTO followup_flagfollowup (flag_id) VALUES (1)"""') == [1]
    assert followup_row_creates("FlagFollowup.objects.select_for_update().get(flag=flag)") == []
