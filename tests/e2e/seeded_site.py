"""One seeded clinic for the page-by-page browser tests (accessibility,
keyboard): the demo clinic and its people, the default rules, and on top an
emergency and an urgent check-in with a call back asked for, a flag she
confirmed, a nurse's reads in the audit trail and an open invitation. Ids
go into the pages' paths; each role gets a logged-in session cookie, made
by signing in with the password and (staff) the second step."""

import uuid
from dataclasses import dataclass, field
from io import StringIO

from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import entry, record_checkin
from tests.mfa_helpers import client_pass_second_step, totp_device_for


@dataclass
class Site:
    url: str
    ids: dict = field(default_factory=dict)
    cookies: dict = field(default_factory=dict)  # role -> session cookie value

    def path(self, template: str) -> str:
        return self.url + template.format(**self.ids)


def seed_site(url: str) -> Site:
    from followup.reminders.loop import flag_survivor_confirm_contact
    from tracker.demo import DEMO_PASSWORD
    from tracker.models import Flag, Invitation, PlanTemplate, Rule, User
    from tracker.services.audit import audit_read
    from tracker.services.checkins import checkin_create
    from tracker.services.rules import rules_load_defaults
    from tracker.tokens import invite_token_make

    call_command("seed_catalog", stdout=StringIO())
    rules_load_defaults()
    call_command("seed_demo", stdout=StringIO())
    maria = User.objects.get(email="maria@demo.followup.test")
    joan = User.objects.get(email="joan@demo.followup.test")
    nurse = User.objects.get(email="nurse@demo.followup.test")
    admin = User.objects.get(email="admin@demo.followup.test")
    today = timezone.localdate()

    _on_hormone_tablets(maria, nurse)
    urgent = record_checkin(maria, entry("jaundice", None, 5, True, False, started_on=today), callback=True)
    emergency = record_checkin(maria, entry("seizure", None, 8, True, True, started_on=today))
    flag = Flag.objects.filter(survivor=maria, status=Flag.Status.OPEN).order_by("tier_rank", "pk").first()
    # Her answer alone, "I have stopped taking them": a check-in with no symptom, and its routine flag.
    stopped, _ = checkin_create(
        survivor=maria, entries=[], callback_requested=False, submission_token=uuid.uuid4(), endocrine_answer="stopped"
    )
    confirmed = record_checkin(joan, entry("jaundice", None, 4, True, False, started_on=today))
    joan_flag = Flag.objects.filter(attachments__entry__checkin=confirmed).first()
    flag_survivor_confirm_contact(flag=joan_flag, survivor=joan)
    audit_read(reader=nurse, action="survivor.history.view", survivor=maria, target=maria)
    invitation = Invitation.objects.create(
        email="nell@example.org", full_name="Nell Newcomer", clinic=maria.clinic, invited_by=nurse
    )
    rule = Rule.objects.order_by("slug").first()
    followup_item = _her_plan(maria, nurse)
    _plan_item_missed(joan, nurse, today)

    site = Site(url=url)
    site.ids = {
        "maria": maria.pk,
        "urgent_checkin": urgent.pk,
        "emergency_checkin": emergency.pk,
        "endocrine_checkin": stopped.pk,
        "flag": flag.pk,
        "rule": rule.slug,
        "entry": urgent.entries.first().pk,
        "weight": maria.weights.order_by("-recorded_at").first().pk,
        "invite_token": invite_token_make(nonce=invitation.nonce),
        "plan_item": followup_item.pk,
        # A clinic's own template (the shipped one can't be edited): its edit page.
        "plan_template": PlanTemplate.objects.get(clinic=joan.clinic, name="Accessibility pages").pk,
    }
    for role, user in {"survivor": maria, "nurse": nurse, "clinic_admin": admin}.items():
        # Signed in as she would be: her password, then (staff) the code her
        # authenticator app shows, computed from its key (tests/mfa_helpers.py).
        client = Client()
        if user.is_clinic_staff:
            totp_device_for(user)
        response = client.post(
            reverse("login"), {"username": user.email, "password": DEMO_PASSWORD, "next": "/"}, follow=True
        )
        if user.is_clinic_staff:
            response = client_pass_second_step(client, user, response)
        assert response.status_code == 200, f"{role} could not sign in"
        site.cookies[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return site


def _her_plan(maria, nurse):
    """Maria's follow-up plan with an item in each state her page shows;
    returns the booked one (her calendar file, "bring to your visit").
    The demo seed starts her plan (tracker/demo.py); this adds the states
    her page shows that the seed lacks."""
    import datetime as dt

    from tracker.models import Plan, PlanItem, PlanTemplate
    from tracker.plans.defaults import ASCO_2013

    today = timezone.localdate()
    plan = Plan.objects.filter(survivor=maria).first()
    if plan is None:
        template, _ = PlanTemplate.objects.get_or_create(
            clinic=maria.clinic,
            builtin=ASCO_2013.key,
            defaults={
                "name": str(ASCO_2013.name),
                "source": ASCO_2013.source,
                "source_note": str(ASCO_2013.source_note),
            },
        )
        plan = Plan.objects.create(
            survivor=maria,
            template=template,
            diagnosis_on=today - dt.timedelta(days=400),
            started_on=today,
            started_by=nurse,
        )
    booked = plan.items.filter(state=PlanItem.State.BOOKED).first()
    day = dt.timedelta(days=1)
    PlanItem.objects.create(plan=plan, key="visit", kind="visit", opens_on=today + 30 * day, due_by=today + 120 * day)
    PlanItem.objects.create(
        plan=plan,
        key="",
        kind="blood_test",
        label="Blood test",
        opens_on=today - 100 * day,
        due_by=today - 40 * day,
        state=PlanItem.State.MISSED,
        missed_at=timezone.now(),
    )
    PlanItem.objects.create(
        plan=plan,
        key="visit",
        kind="visit",
        opens_on=today - 120 * day,
        due_by=today - 20 * day,
        state=PlanItem.State.DONE,
        done_on=today - 30 * day,
    )
    if booked is not None:  # the demo's booking: her questions added, as she would
        booked.her_questions = "Can I have the results by phone?"
        booked.save(update_fields=["her_questions"])
        return booked
    return PlanItem.objects.create(
        plan=plan,
        key="mammogram",
        kind="mammogram",
        opens_on=today - 10 * day,
        due_by=today + 50 * day,
        state=PlanItem.State.BOOKED,
        booked_at=timezone.now() + 12 * day,
        booked_place="Riverside Imaging, 2nd floor",
        her_questions="Can I have the results by phone?",
    )


def _plan_item_missed(survivor, nurse, today) -> None:
    """A mammogram she missed two months ago: a row on the nurses' follow-up
    overdue list (issue 15), so its call form is on the page. The demo
    seed gives her a plan (tracker/demo.py); the item is added to it."""
    import datetime as dt

    from tracker.models import Plan, PlanItem, PlanTemplate

    template, _ = PlanTemplate.objects.get_or_create(clinic=survivor.clinic, name="Accessibility pages")
    plan, _ = Plan.objects.get_or_create(
        survivor=survivor,
        defaults={
            "template": template,
            "diagnosis_on": today - dt.timedelta(days=800),
            "started_on": today,
            "started_by": nurse,
        },
    )
    PlanItem.objects.create(
        plan=plan,
        kind="mammogram",
        opens_on=today - dt.timedelta(days=120),
        due_by=today - dt.timedelta(days=60),
        state=PlanItem.State.MISSED,
        missed_at=timezone.now(),
    )


def _on_hormone_tablets(survivor, nurse) -> None:
    """Her plan says she takes hormone tablets, so her check-in asks about them.
    The demo seed gives her a plan (tracker/demo.py); this only
    makes sure it has hormone therapy, started and not ended."""
    import datetime as dt

    from tracker.models import Plan, PlanTemplate

    plan = Plan.objects.filter(survivor=survivor).first()
    if plan is None:
        template = PlanTemplate.objects.filter(clinic=survivor.clinic).first() or PlanTemplate.objects.create(
            clinic=survivor.clinic, name="Accessibility check"
        )
        plan = Plan(
            survivor=survivor, template=template, diagnosis_on=dt.date(2024, 3, 1), started_on=dt.date(2024, 4, 1)
        )
        plan.started_by = nurse
    plan.endocrine_start_on, plan.endocrine_end_on = dt.date(2024, 6, 1), None
    plan.save()


def log_in(context, site: Site, role: str) -> None:
    """Give a Playwright browser context the role's session (none for anonymous)."""
    if role in site.cookies:
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": site.cookies[role], "url": site.url}])
