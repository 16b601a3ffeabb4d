"""What a nurse's follow-up changes on a flag once it is raised: closed with
her outcome (flag_close), "call back wanted" answered on every open flag of
the survivor she reached (flags_callback_clear), and one survivor's flags
locked for a batch of such changes (flags_lock_for_update). The follow-up
app calls these and never writes tracker.Flag itself; its own rows (a
flag's follow-up, claims, events) stay its own. Recording flags is
flags.py's."""

from collections.abc import Collection

from django.core.exceptions import ValidationError
from django.utils import timezone

from ..models import Flag, User
from .audit import audit_record


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


def flags_callback_clear(*, survivor_id: int) -> int:
    """A nurse reached her: her "call back wanted" is answered. A call back
    is about her, not one flag, so it is cleared on every open flag of hers,
    and only hers. One statement; the caller's event or call row is the
    record of the call. Returns how many flags it cleared."""
    return Flag.objects.filter(survivor_id=survivor_id, status=Flag.Status.OPEN, callback_wanted=True).update(
        callback_wanted=False
    )


def flags_lock_for_update(*, survivor: User, flag_ids: Collection[int]) -> list[Flag]:
    """Lock these flags of hers (and her row) until the caller's transaction
    ends, in queue order, each with her row loaded: a colleague resolving one
    of them meanwhile waits, then finds it closed. A flag that is not hers is
    left out, so the caller sees fewer than it asked for; a closed one is
    returned, for the caller to refuse. Outside a transaction it raises
    (select_for_update)."""
    return list(
        Flag.objects.select_for_update()
        .filter(pk__in=flag_ids, survivor=survivor)
        .select_related("survivor")
        .order_by("tier_rank", "review_by", "id")
    )
