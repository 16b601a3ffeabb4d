"""Her signed-in sessions: tracking them, listing them, and ending them for good.

Every session of a signed-in person has a UserSession row (who, when, which
kind of device, roughly from where), made on the first request that finds
her signed in (tracker/session_policy.py); its id is kept in the session.

Ending a session for good: `sessions_end` gives her a new session stamp,
which is part of every session's auth hash (User._get_session_auth_hash), so
Django refuses each session she had, including any we never tracked, and
none comes back when she is re-activated; the session rows we know of are
deleted as well. Called on deactivation and re-activation, a password
change or reset, a reset of her second factor, and "sign out everywhere
else".
"""

import datetime as dt
import ipaddress
import logging
import secrets
from importlib import import_module

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from .models import User, UserSession
from .security.identity import client_address
from .user_agents import device_label

log = logging.getLogger(__name__)

# What the session itself holds about its own life (epoch seconds, UTC).
SIGNED_IN_AT = "_session_signed_in_at"
ACTIVE_AT = "_session_active_at"
ROW_ID = "_session_row"


def _store(session_key: str | None = None):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


def is_staff_session(user: User) -> bool:
    """Staff time out sooner and their cookie ends with the browser."""
    return user.is_clinic_staff or user.is_staff or user.is_superuser


def idle_seconds(user: User) -> int:
    return settings.SESSION_IDLE_SECONDS_STAFF if is_staff_session(user) else settings.SESSION_IDLE_SECONDS_SURVIVOR


def network_of(address: str | None) -> str:
    """The address cut to its network, never the address: 203.0.113.x, or
    the first 48 bits of an IPv6 address."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    if ip.version == 4:
        return ".".join(str(ip).split(".")[:3]) + ".x"
    if ip.ipv4_mapped:
        return network_of(str(ip.ipv4_mapped))
    net = ipaddress.ip_network(f"{ip}/48", strict=False)
    return str(net.network_address).rstrip(":") + "::/48"


# ------------------------------------------------------------------ services


def session_track(*, request, user: User) -> UserSession:
    """1. Note when she signed in (now) and that she is active.
    2. A staff session's cookie ends with the browser.
    3. Her list gets a row for this session; rows of sessions that are
       over by time go."""
    now = timezone.now()
    session = request.session
    session.setdefault(SIGNED_IN_AT, int(now.timestamp()))
    session[ACTIVE_AT] = int(now.timestamp())
    if is_staff_session(user):
        session.set_expiry(0)
    if session.session_key is None:
        session.save()
    sessions_prune(user=user, now=now)
    row = UserSession(
        user=user,
        session_key=session.session_key,
        created_at=dt.datetime.fromtimestamp(session[SIGNED_IN_AT], tz=dt.UTC),
        last_seen_at=now,
        device=device_label(request.headers.get("User-Agent", "")),
        network=network_of(client_address(request)),
    )
    # One statement that also takes over a row of the same key: two requests
    # of a session not tracked yet (signed in before this existed) may race.
    [row] = UserSession.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["session_key"],
        update_fields=["user", "created_at", "last_seen_at", "device", "network"],
    )
    session[ROW_ID] = row.pk
    return row


def session_touch(*, request, user: User) -> None:
    """Her activity: written into the session and her list (at most once a
    minute, by the caller's choice). Her row follows the session's key,
    which Django changes at sign-in and password change; a row that is gone
    (her sessions were ended but this one kept) is made again."""
    now = timezone.now()
    request.session[ACTIVE_AT] = int(now.timestamp())
    row_id = request.session.get(ROW_ID)
    updated = UserSession.objects.filter(pk=row_id, user=user).update(
        last_seen_at=now, session_key=request.session.session_key
    )
    if not updated:
        session_track(request=request, user=user)


def session_rekeyed(*, request, user: User) -> None:
    """Django gave this session a new key (sign-in, password change): her
    row follows at once, so ending this one session still finds it."""
    row_id = request.session.get(ROW_ID)
    if not UserSession.objects.filter(pk=row_id, user=user).update(session_key=request.session.session_key):
        session_track(request=request, user=user)


def session_forget(*, user_id: int, row_id: int | None) -> None:
    """This session ended here (she signed out, or it timed out)."""
    if row_id is not None:
        UserSession.objects.filter(pk=row_id, user_id=user_id).delete()


def sessions_prune(*, user: User, now: dt.datetime | None = None) -> int:
    """Her rows of sessions that are over by time (idle or too old)."""
    idle_since, signed_in_since = _alive_since(user, now or timezone.now())
    deleted, _ = (
        UserSession.objects.filter(user=user)
        .filter(Q(last_seen_at__lt=idle_since) | Q(created_at__lt=signed_in_since))
        .delete()
    )
    return deleted


def _alive_since(user: User, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """A session is alive if seen since the first and signed in since the
    second (its last activity is written once a minute: a minute's slack)."""
    idle = idle_seconds(user) + settings.SESSION_ACTIVITY_WRITE_SECONDS
    return now - dt.timedelta(seconds=idle), now - dt.timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS)


def sessions_end(*, user: User, keep_session_key: str | None = None) -> int:
    """End every session of `user` for good, except `keep_session_key`.
    1. A new session stamp: every session she had fails Django's auth hash
       check from now on (tracked or not), whatever becomes of her account.
    2. The kept session, if it is hers, gets the new hash written into it.
    3. The session rows we know of are deleted, and her list with them.
    Returns how many of her other sessions we knew of and ended."""
    with transaction.atomic():
        user.session_stamp = secrets.token_hex(16)
        user.save(update_fields=["session_stamp"])
        if keep_session_key:
            kept = _store(keep_session_key)
            if kept.get(SESSION_KEY) == str(user.pk):
                kept[HASH_SESSION_KEY] = user.get_session_auth_hash()
                kept.save()
        rows = UserSession.objects.filter(user=user)
        if keep_session_key:
            rows = rows.exclude(session_key=keep_session_key)
        keys = list(rows.values_list("session_key", flat=True))
        for key in keys:
            _store(key).delete(key)
        rows.delete()
    log.info("sessions of user %s ended (%s known)", user.pk, len(keys))
    return len(keys)


def sessions_end_others(*, request) -> int:
    """ "Sign out everywhere else", and after she changed her password: every
    session of hers but this one ends for good; this one carries on."""
    user = request.user
    if request.session.session_key is None:
        request.session.save()
    key = request.session.session_key
    UserSession.objects.filter(pk=request.session.get(ROW_ID), user=user).update(session_key=key)
    ended = sessions_end(user=user, keep_session_key=key)
    # The middleware saves this request's session after us: with the new hash.
    request.session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    return ended


def session_end_one(*, user: User, session_id: int) -> bool:
    """She signs out one of her other sessions (a lost phone). Its stored
    session is deleted: the cookie finds nothing, and a deleted key is never
    given out again."""
    row = UserSession.objects.filter(pk=session_id, user=user).first()
    if row is None:
        return False
    _store(row.session_key).delete(row.session_key)
    row.delete()
    log.info("session %s of user %s ended", session_id, user.pk)
    return True


# ------------------------------------------------------------------ reads


def sessions_active_for(*, user: User) -> list[UserSession]:
    """Her own sessions that can still be used, most recent first. A row
    whose session is over by time, gone from the store, or no longer
    carries her current auth hash (her password changed, by whatever path)
    is dropped here, so the list never shows a dead session."""
    idle_since, signed_in_since = _alive_since(user, timezone.now())
    rows = list(UserSession.objects.filter(user=user).order_by("-last_seen_at", "-pk"))
    current = user.get_session_auth_hash()
    alive: list[UserSession] = []
    dead: list[UserSession] = []
    for row in rows:
        data = _store(row.session_key).load() if row.last_seen_at >= idle_since else {}
        usable = (
            row.created_at >= signed_in_since
            and data.get(SESSION_KEY) == str(user.pk)
            and constant_time_compare(data.get(HASH_SESSION_KEY, ""), current)
        )
        (alive if usable else dead).append(row)
    if dead:
        UserSession.objects.filter(pk__in=[row.pk for row in dead]).delete()
    return alive
