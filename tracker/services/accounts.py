"""People's accounts: a clinic's invitation of a survivor (invitation_create,
invitation_send_email, invitation_accept), her profile (survivor_profile_update),
and the writes that end a person's sessions for good (tracker/sessions.py):
deactivation, re-activation and a password change. Called from the invite
pages, the clinic admin's accounts page, the Django admin and the password
change view; never from save(). Sign-in factors live in tracker/mfa/."""

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .. import scope, sessions, tasks
from ..i18n import DEFAULT_LANGUAGE
from ..models import Clinic, Invitation, User
from ..tokens import invite_token_make
from .audit import audit_record

log = logging.getLogger(__name__)


def invitation_create(
    *, invited_by: User, clinic: Clinic, email: str, full_name: str, language: str = ""
) -> Invitation:
    """1. Check the inviter works for the clinic. 2. Save the invitation.
    3. Send the email from a worker once the row is committed."""
    if not scope.works_for(invited_by, clinic):
        raise ValidationError({"clinic": "You can only invite survivors to your own clinic."})
    email = email.strip().lower()
    # An account she may see (a survivor of her clinics, a colleague) is
    # named by the email field. Any other address gets the answer a new one
    # gets, the invitation saved and listed alike, so the form never tells
    # whether someone has an account in another clinic; the worker then
    # emails that person to log in instead of a link (invitation_send_email).
    if User.objects.filter(email__iexact=email).filter(scope.people_of(invited_by)).exists():
        raise ValidationError({"email": "Someone with this email already has an account."})
    invitation = Invitation(
        email=email, full_name=full_name.strip(), clinic=clinic, invited_by=invited_by, language=language
    )
    invitation.full_clean()
    invitation.save()
    audit_record(actor=invited_by, action="invitation.create", target=invitation)
    transaction.on_commit(lambda: tasks.send_invite_email.delay(invitation.pk))
    log.info("invitation %s created by user %s", invitation.pk, invited_by.pk)
    return invitation


def invitation_accept(
    *,
    invitation: Invitation,
    password: str,
    time_zone: str,
    date_of_birth: dt.date,
    weight_unit: str,
    language: str = DEFAULT_LANGUAGE,
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
            language=language,
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


def survivor_profile_update(*, survivor: User, time_zone: str, weight_unit: str, language: str | None = None) -> User:
    """Her own settings. `language` None keeps hers; full_clean refuses one
    not in settings.LANGUAGES."""
    survivor.time_zone = time_zone
    survivor.weight_unit = weight_unit
    fields = ["time_zone", "weight_unit"]
    if language is not None:
        survivor.language = language
        fields.append("language")
    survivor.full_clean()
    survivor.save(update_fields=fields)
    return survivor


def invitation_send_email(*, invitation_id: int) -> bool:
    """Email the invite link. Skips an invitation already used. The email
    names the clinic and its phone number and nothing about health. It is
    written in the invitation's language; English when her care team left
    it to her browser (a worker knows no browser)."""
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
    with translation.override(invitation.language or DEFAULT_LANGUAGE):
        subject = render_to_string(f"emails/{template}-subject.txt", context).strip()
        body = render_to_string(f"emails/{template}-body.txt", context)
        html = render_to_string(f"emails/{template}-body.html", context)
    message = EmailMultiAlternatives(subject=subject, body=body, to=[invitation.email])
    message.attach_alternative(html, "text/html")
    message.send()
    log.info("invitation %s emailed", invitation.pk)
    return True


def _set_active(*, account: User, active: bool, by: User) -> bool:
    """1. Lock her row; nothing to do if she is already so (a second click).
    2. Write the state. 3. End every session of hers for good: a session
    refused while she was inactive must not come back when she is active
    again. 4. Audit who did it."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=account.pk)
        if locked.is_active == active:
            account.is_active = active
            return False
        account.is_active = active
        account.save(update_fields=["is_active"])
        sessions.sessions_end(user=account)
        audit_record(
            actor=by,
            action="account.reactivate" if active else "account.deactivate",
            survivor=account if account.is_survivor else None,
            target=account,
        )
    log.info("user %s %s by user %s", account.pk, "re-activated" if active else "deactivated", by.pk)
    return True


def account_deactivate(*, account: User, by: User) -> bool:
    """She can no longer sign in, and every session of hers ends now."""
    return _set_active(account=account, active=False, by=by)


def account_reactivate(*, account: User, by: User) -> bool:
    """She can sign in again, with a new sign-in: no old session comes back."""
    return _set_active(account=account, active=True, by=by)


def account_password_changed(*, user: User, keep_session_key: str | None = None) -> int:
    """After her password was changed (by her, by a reset link, or in the
    Django admin): every other session of hers ends for good."""
    return sessions.sessions_end(user=user, keep_session_key=keep_session_key)
