"""The audit trail's writes: who did what to whose data (audit_record), who
read a survivor's data (audit_read), and who listed many survivors at once
(audit_record_list): the other services write their audit rows through
here. Security events (sign-ins, refusals) are written by
tracker/security/events.py; the audit page reads the trail in
followup/audit_trail.py."""

from collections.abc import Iterable

from ..models import AuditEvent, User


def audit_record(*, actor: User | None, action: str, survivor: User | None = None, target=None) -> AuditEvent:
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
    its read (followup.triage.queue._QUEUE_SQL)."""
    survivors = sorted(set(survivor_ids))
    if survivors:
        AuditEvent.objects.create(actor=actor, action=action, survivors=survivors)


def audit_record_system(
    *, via: str, action: str, object_type: str, object_id: str = "", survivor_ids: Iterable[int] = ()
) -> None:
    """A system's read (the FHIR interface): no person is the actor; `via`
    names the registered client. One row a request: a read names its
    survivor, a search page the survivors it returned (none if it was empty
    and named none: the request itself is still recorded)."""
    survivors = sorted(set(survivor_ids))
    AuditEvent.objects.create(
        actor=None,
        via=via,
        action=action,
        object_type=object_type,
        object_id=object_id,
        survivor_id=survivors[0] if len(survivors) == 1 and object_id else None,
        survivors=survivors if not object_id else None,
    )
