"""Reads of the follow-up app that depend on who asks. 404 alike for
"missing" and "not yours"."""

import datetime as dt

from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from tracker.models import CheckIn, Clinic, Flag, User

from . import cadence
from .models import Message, Preferences


def flag_get_for_survivor(*, user: User, flag_id: int) -> Flag:
    flag = (
        Flag.objects.filter(pk=flag_id, survivor=user, survivor__role=User.Role.SURVIVOR)
        .select_related("rule_version", "survivor__clinic")
        .first()
    )
    if flag is None or not user.is_survivor:
        raise Http404
    return flag


def flag_get_for_nurse(*, user: User, flag_id: int) -> Flag:
    if not user.is_authenticated or not user.is_nurse:
        raise Http404
    flag = (
        Flag.objects.filter(pk=flag_id, survivor__clinic__in=user.staff_clinics.all())
        .select_related("rule_version", "rule", "survivor__clinic")
        .first()
    )
    if flag is None:
        raise Http404
    return flag


def admin_clinics(*, user: User) -> QuerySet[Clinic]:
    if not user.is_authenticated or not user.is_clinic_admin:
        raise Http404
    return user.staff_clinics.all()


def messages_for_admin(*, user: User, state: str | None) -> QuerySet[Message]:
    rows = Message.objects.filter(clinic__in=admin_clinics(user=user)).select_related("recipient", "clinic")
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-due_at", "-id")


def message_get_for_admin(*, user: User, message_id: int) -> Message:
    message = Message.objects.filter(pk=message_id, clinic__in=admin_clinics(user=user)).first()
    if message is None:
        raise Http404
    return message


def notices_for(*, survivor: User, limit: int = 5) -> list[Message]:
    """Her in-app notices not yet closed, newest first."""
    return list(
        Message.objects.filter(
            recipient=survivor, channel="in_app", state=Message.State.SENT, dismissed_at__isnull=True
        )
        .select_related("clinic")
        .order_by("-sent_at")[:limit]
    )


def _clinic_survivors(user: User) -> QuerySet[User]:
    if not user.is_authenticated or not user.is_nurse:
        return User.objects.none()
    return User.objects.filter(role=User.Role.SURVIVOR, is_active=True, clinic__in=user.staff_clinics.all())


def call_list_no_recent_checkin(*, user: User, now: dt.datetime | None = None) -> QuerySet[User]:
    """Survivors of her clinics with no check-in for 5 days or more."""
    now = now or timezone.now()
    recent = CheckIn.objects.filter(survivor=OuterRef("pk"), created_at__gte=now - cadence.NO_CHECKIN_CALL_LIST)
    return (
        _clinic_survivors(user)
        .exclude(Exists(recent))
        .annotate(last_checkin=Max("checkins__created_at"))
        .order_by("last_checkin", "full_name")
    )


def call_list_bounced(*, user: User) -> QuerySet[User]:
    """Survivors whose email or texts failed for good: someone must call."""
    failed = Preferences.objects.filter(survivor=OuterRef("pk")).filter(
        Q(email_failed_at__isnull=False) | Q(sms_failed_at__isnull=False)
    )
    return _clinic_survivors(user).filter(Exists(failed)).order_by("full_name")
