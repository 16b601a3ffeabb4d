"""Reminders and contact attempts as Communication.

- A Message (Communication/m<pk>): a reminder, check-in prompt or plan
  reminder to her, or an escalation to a nurse; its status follows delivery.
- A CallLog (Communication/c<pk>): a nurse's call from the call lists. It
  names no flag or plan item (a call is about her), so it is about nothing
  narrower than its subject.
- A contact attempt on a flag (FlagEvent of kind "contact",
  Communication/e<pk>): a nurse's call about that flag.

What a nurse typed with a call (CallLog.note, FlagEvent.text) never goes
out: it is a working note, free text of any length that may name other
people or things she said in confidence, and the chart needs only that she
was called, when, by whom and with what result; clinical findings belong
in the chart's own note, written there. The result goes out coded. A
message's body is not stored (it is made from templates at sending), and
its last error may hold an address: neither goes out."""

from __future__ import annotations

from typing import Any

from followup.models import CallLog, Channel, FlagEvent, Message

from . import codes, ids
from .common import choice_label, latest, meta, resource

# communication_reminder(message) reads only its row.
MESSAGE_SELECT: tuple[str, ...] = ()
# communication_contact(event) reads its flag (whose survivor it is):
# FlagEvent.objects.select_related(*CONTACT_SELECT).
CONTACT_SELECT = ("flag",)

# Message.State -> Communication.status (preparation | in-progress | not-done | completed ...).
MESSAGE_STATUS = {
    Message.State.PENDING: "preparation",
    Message.State.QUEUED: "in-progress",
    Message.State.SENDING: "in-progress",
    Message.State.SENT: "completed",
    Message.State.FAILED: "not-done",
    Message.State.CANCELLED: "not-done",
}
MESSAGE_NOT_DONE_REASON = {
    Message.State.FAILED: "Could not be delivered",
    Message.State.CANCELLED: "No longer needed (she checked in, or the loop was closed)",
}
# Channel -> v3 ParticipationMode.
CHANNEL_MEDIUM = {
    Channel.EMAIL: ("EMAILWRIT", "email"),
    Channel.SMS: ("SMSWRIT", "SMS message"),
    Channel.IN_APP: ("ONLINEWRIT", "online written"),
}
PHONE = ("PHONE", "telephone")


def communication_reminder(message: Message) -> dict[str, Any]:
    patient = ids.ref("patient", message.survivor_id)
    to_her = message.recipient_id == message.survivor_id
    kind_label = choice_label(Message.Kind, message.kind)
    data: dict[str, Any] = {
        "resourceType": "Communication",
        "id": ids.make("reminder", message.pk),
        "meta": meta(latest(message.created_at, message.state_changed_at, message.sent_at)),
        "status": MESSAGE_STATUS[Message.State(message.state)],
        "category": [{"coding": [codes.coding(codes.MESSAGE_KIND, message.kind, kind_label)], "text": kind_label}],
        "priority": "urgent" if message.urgent else "routine",
        "medium": [codes.participation_mode(*CHANNEL_MEDIUM[Channel(message.channel)])],
        "subject": patient,
        "topic": {"text": kind_label},
        "recipient": [patient if to_her else ids.ref("practitioner", message.recipient_id)],
        "sender": ids.ref("organization", message.clinic_id),
    }
    reason = MESSAGE_NOT_DONE_REASON.get(Message.State(message.state))
    if reason:
        data["statusReason"] = {"text": reason}
    about = []
    if message.flag_id is not None:
        about.append(ids.ref("flag", message.flag_id))
    if message.plan_item_id is not None:
        about.append(ids.ref("service_request", message.plan_item_id))
    if about:
        data["about"] = about
    if message.sent_at is not None:
        data["sent"] = message.sent_at
    return resource(data)


def communication_call(call: CallLog) -> dict[str, Any]:
    return resource(
        _call(
            id_=ids.make("call", call.pk),
            survivor_id=call.survivor_id,
            nurse_id=call.nurse_id,
            result=call.result,
            at=call.at,
        )
    )


def communication_contact(event: FlagEvent) -> dict[str, Any]:
    """A contact attempt on a flag (the caller passes only events of kind
    contact; another kind is refused)."""
    if event.kind != FlagEvent.Kind.CONTACT:
        raise ValueError("not a contact attempt")
    data = _call(
        id_=ids.make("contact", event.pk),
        survivor_id=event.flag.survivor_id,
        nurse_id=event.author_id,
        result=event.result or FlagEvent.Result.REACHED,
        at=event.at,
    )
    data["about"] = [ids.ref("flag", event.flag_id)]
    return resource(data)


def _call(*, id_: str, survivor_id: int, nurse_id: int, result: str, at) -> dict[str, Any]:
    """A call: completed when she was reached or a message was left (it
    was conveyed), not-done when no one answered. The result is coded in an
    extension of ours (Communication has no element for it), and in words as
    the payload."""
    label = choice_label(FlagEvent.Result, result)
    result_coding = codes.coding(codes.CONTACT_RESULT, result, label)
    data: dict[str, Any] = {
        "resourceType": "Communication",
        "id": id_,
        "meta": meta(latest(at)),
        "status": "not-done" if result == FlagEvent.Result.NO_ANSWER else "completed",
        "category": [{"coding": [codes.coding(codes.MESSAGE_KIND, "call", "Call from a nurse")]}],
        "medium": [codes.participation_mode(*PHONE)],
        "subject": ids.ref("patient", survivor_id),
        "recipient": [ids.ref("patient", survivor_id)],
        "sender": ids.ref("practitioner", nurse_id),
        "sent": at,
        "payload": [{"contentString": label}],
        "extension": [{"url": codes.canonical(codes.CONTACT_RESULT_EXTENSION), "valueCoding": result_coding}],
    }
    if result == FlagEvent.Result.NO_ANSWER:
        data["statusReason"] = {"coding": [result_coding], "text": label}
    return data
