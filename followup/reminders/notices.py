"""Her in-app notices (the messages of the in-app channel): the read that
shows the ones she has not closed on her pages (context_processors.notices)
and her closing one. Writing them is schedule.py's, sending them
delivery.py's (channels.InAppChannel)."""

from __future__ import annotations

from django.utils import timezone

from tracker.models import User

from ..models import Channel, Message


def notices_for(*, survivor: User, limit: int = 5) -> list[Message]:
    """Her in-app notices not yet closed, newest first."""
    return list(
        Message.objects.filter(
            recipient=survivor, channel="in_app", state=Message.State.SENT, dismissed_at__isnull=True
        )
        .select_related("clinic")
        .order_by("-sent_at")[:limit]
    )


def notice_dismiss(*, message: Message, survivor: User) -> None:
    Message.objects.filter(pk=message.pk, recipient=survivor, channel=Channel.IN_APP).update(
        dismissed_at=timezone.now()
    )
