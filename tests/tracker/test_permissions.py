"""Who may see what. Every URL in the project is listed here with the status
each persona gets; a URL added without an entry fails test_every_url_is_covered.

Personas: the owner survivor, a nurse of her clinic, the clinic admin of her
clinic, a survivor of the same clinic, a nurse of another clinic, anonymous."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tracker.models import AuditEvent

PERSONAS = ["owner", "nurse", "clinic_admin", "same_clinic_survivor", "other_nurse", "anonymous"]
LOGIN = "login-redirect"
# Her own rows and pages: no one else, her care team included, opens them.
HERS_ALONE = {
    "owner": 200,
    "nurse": 404,
    "clinic_admin": 404,
    "same_clinic_survivor": 404,
    "other_nurse": 404,
    "anonymous": LOGIN,
}

# url name -> (how to build it, {persona: expected status})
CASES = {
    "checkin_detail": (
        lambda d: reverse("checkin_detail", args=[d["checkin"].pk]),
        {
            "owner": 200,
            "nurse": 200,
            "clinic_admin": 404,
            "same_clinic_survivor": 404,
            "other_nurse": 404,
            "anonymous": LOGIN,
        },
    ),
    "survivor_history": (
        lambda d: reverse("survivor_history", args=[d["owner"].pk]),
        {
            "owner": 200,
            "nurse": 200,
            "clinic_admin": 404,
            "same_clinic_survivor": 404,
            "other_nurse": 404,
            "anonymous": LOGIN,
        },
    ),
    "survivor_export": (
        lambda d: reverse("survivor_export", args=[d["owner"].pk]),
        {
            "owner": 200,
            "nurse": 200,
            "clinic_admin": 404,
            "same_clinic_survivor": 404,
            "other_nurse": 404,
            "anonymous": LOGIN,
        },
    ),
    "home": (
        lambda d: reverse("home"),
        {
            "owner": 200,
            "nurse": 302,
            "clinic_admin": 302,
            "same_clinic_survivor": 200,
            "other_nurse": 302,
            "anonymous": LOGIN,
        },
    ),
    "checkin_create": (
        lambda d: reverse("checkin_create"),
        {
            "owner": 200,
            "nurse": 404,
            "clinic_admin": 404,
            "same_clinic_survivor": 200,
            "other_nurse": 404,
            "anonymous": LOGIN,
        },
    ),
    "weight_create": (
        lambda d: reverse("weight_create"),
        {
            "owner": 200,
            "nurse": 404,
            "clinic_admin": 404,
            "same_clinic_survivor": 200,
            "other_nurse": 404,
            "anonymous": LOGIN,
        },
    ),
    # Hers alone: a nurse never withdraws what a survivor reported.
    "entry_entered_in_error": (
        lambda d: reverse("entry_entered_in_error", args=[d["entry"].pk]),
        HERS_ALONE,
    ),
    "weight_correct": (
        lambda d: reverse("weight_correct", args=[d["weight"].pk]),
        HERS_ALONE,
    ),
    "preferences": (
        lambda d: reverse("preferences"),
        {
            "owner": 200,
            "nurse": 404,
            "clinic_admin": 404,
            "same_clinic_survivor": 200,
            "other_nurse": 404,
            "anonymous": LOGIN,
        },
    ),
    "staff_home": (
        lambda d: reverse("staff_home"),
        {
            "owner": 404,
            "nurse": 200,
            "clinic_admin": 200,
            "same_clinic_survivor": 404,
            "other_nurse": 200,
            "anonymous": LOGIN,
        },
    ),
}
ADMIN_ONLY = {
    "owner": 404,
    "nurse": 404,
    "clinic_admin": 200,
    "same_clinic_survivor": 404,
    "other_nurse": 404,
    "anonymous": LOGIN,
}
CASES.update(
    {
        "rule_list": (lambda d: reverse("rule_list"), ADMIN_ONLY),
        "rule_create": (lambda d: reverse("rule_create"), ADMIN_ONLY),
        "rules_export": (lambda d: reverse("rules_export"), ADMIN_ONLY),
        "rules_import": (lambda d: reverse("rules_import"), ADMIN_ONLY),
        "rules_bench": (lambda d: reverse("rules_bench"), ADMIN_ONLY),
        "rules_sentence": (lambda d: reverse("rules_sentence"), ADMIN_ONLY),
        "rule_detail": (lambda d: reverse("rule_detail", args=[d["rule"].slug]), ADMIN_ONLY),
        "rule_edit": (lambda d: reverse("rule_edit", args=[d["rule"].slug]), ADMIN_ONLY),
        # GET asks the admin to confirm (and why, to switch off).
        "rule_toggle": (lambda d: reverse("rule_toggle", args=[d["rule"].slug]), ADMIN_ONLY),
        # The clinic admin's own preview job: nobody else's, not even another admin's.
        "preview_job_detail": (lambda d: reverse("preview_job_detail", args=[d["job"].pk]), ADMIN_ONLY),
        "preview_job_status": (lambda d: reverse("preview_job_status", args=[d["job"].pk]), ADMIN_ONLY),
        "preview_job_cancel": (
            lambda d: reverse("preview_job_cancel", args=[d["job"].pk]),
            {**ADMIN_ONLY, "clinic_admin": 405},
        ),
    }
)
NURSE_ONLY = {
    "owner": 404,
    "nurse": 200,
    "clinic_admin": 404,
    "same_clinic_survivor": 404,
    "other_nurse": 404,
    "anonymous": LOGIN,
}
POST_ONLY = {
    "owner": 405,
    "nurse": 405,
    "clinic_admin": 405,
    "same_clinic_survivor": 405,
    "other_nurse": 405,
    "anonymous": LOGIN,
}
# Her own sessions (anyone signed in; ending another's is a 404,
# tests/tracker/test_sessions.py) and the clinic admin's accounts page
# (tests/tracker/test_accounts.py: her clinics' people only, every outsider).
CASES.update(
    {
        "session_list": (
            lambda d: reverse("session_list"),
            dict.fromkeys(["owner", "nurse", "clinic_admin", "same_clinic_survivor", "other_nurse"], 200)
            | {"anonymous": LOGIN},
        ),
        "sessions_end_others": (lambda d: reverse("sessions_end_others"), POST_ONLY),
        "session_end": (lambda d: reverse("session_end", args=[1]), POST_ONLY),
        "account_list": (lambda d: reverse("account_list"), ADMIN_ONLY),
        "account_deactivate": (lambda d: reverse("account_deactivate", args=[d["owner"].pk]), POST_ONLY),
        "account_reactivate": (lambda d: reverse("account_reactivate", args=[d["owner"].pk]), POST_ONLY),
    }
)
CASES.update(
    {
        "flag_contacted": (
            lambda d: reverse("flag_contacted", args=[d["flag"].pk]),
            {
                "owner": 200,
                "nurse": 404,
                "clinic_admin": 404,
                "same_clinic_survivor": 404,
                "other_nurse": 404,
                "anonymous": LOGIN,
            },
        ),
        "nurse_flag": (lambda d: reverse("nurse_flag", args=[d["flag"].pk]), NURSE_ONLY),
        "nurse_flag_history": (lambda d: reverse("nurse_flag_history", args=[d["flag"].pk]), NURSE_ONLY),
        # Every nurse has a queue and call lists; each shows only her clinics
        # (tests/followup/test_triage.py checks the contents).
        "flag_queue": (lambda d: reverse("flag_queue"), {**NURSE_ONLY, "other_nurse": 200}),
        # "Next in queue" sends her on (a redirect) within her own queue.
        "queue_next": (lambda d: reverse("queue_next"), {**NURSE_ONLY, "nurse": 302, "other_nurse": 302}),
        "survivor_list": (lambda d: reverse("survivor_list"), {**NURSE_ONLY, "other_nurse": 200}),
        "dashboard": (lambda d: reverse("dashboard"), {**NURSE_ONLY, "clinic_admin": 200, "other_nurse": 200}),
        "audit_trail": (lambda d: reverse("audit_trail"), ADMIN_ONLY),
        "security_events": (lambda d: reverse("security_events"), ADMIN_ONLY),
        "call_lists": (lambda d: reverse("call_lists"), {**NURSE_ONLY, "other_nurse": 200}),
        # Every nurse has one; it lists only her clinics' survivors (tests/followup/test_plan_overdue.py).
        "plan_overdue": (lambda d: reverse("plan_overdue"), {**NURSE_ONLY, "other_nurse": 200}),
        "message_list": (lambda d: reverse("message_list"), ADMIN_ONLY),
        "cadence_edit": (lambda d: reverse("cadence_edit"), ADMIN_ONLY),
        "notice_dismiss": (lambda d: reverse("notice_dismiss", args=[d["message"].pk]), POST_ONLY),
        "message_retry": (lambda d: reverse("message_retry", args=[d["message"].pk]), POST_ONLY),
        # Operators' bearer token only, never a login; without METRICS_TOKEN
        # set it is not there at all (tests/followup/test_health.py).
        "metrics": (lambda d: reverse("metrics"), dict.fromkeys(PERSONAS, 404)),
    }
)
# The second factor (tracker/mfa/; tests/tracker/test_mfa.py). Everyone here
# is fully signed in (tests/conftest.py): staff verified, these survivors
# without a second factor. Each person's own factors only.
ALL_SIGNED_IN = dict.fromkeys(PERSONAS[:-1], 200) | {"anonymous": LOGIN}
ALL_SENT_ON = dict.fromkeys(PERSONAS[:-1], 302) | {"anonymous": LOGIN}
CASES.update(
    {
        "mfa_factors": (lambda d: reverse("mfa_factors"), ALL_SIGNED_IN),
        # Staff have an app already (sent to their factors); survivors may set one up.
        "mfa_setup": (
            lambda d: reverse("mfa_setup"),
            {**ALL_SENT_ON, "owner": 200, "same_clinic_survivor": 200},
        ),
        "mfa_verify": (lambda d: reverse("mfa_verify"), ALL_SENT_ON),  # passed already, or nothing to ask
        "mfa_recovery_codes": (lambda d: reverse("mfa_recovery_codes"), ALL_SENT_ON),  # none waiting to be shown
        "mfa_passkey_added": (lambda d: reverse("mfa_passkey_added"), ALL_SENT_ON),  # no passkey
        "mfa_recovery_codes_new": (lambda d: reverse("mfa_recovery_codes_new"), POST_ONLY),
        "mfa_passkey_remove": (lambda d: reverse("mfa_passkey_remove", args=[1]), POST_ONLY),
        "mfa_turn_off": (lambda d: reverse("mfa_turn_off"), POST_ONLY),
        "mfa_reset": (lambda d: reverse("mfa_reset", args=[d["nurse"].pk]), POST_ONLY),
        # django-otp-webauthn's JSON calls (POST), and its script's words.
        "credential-registration-begin": (lambda d: reverse("otp_webauthn:credential-registration-begin"), POST_ONLY),
        "credential-registration-complete": (
            lambda d: reverse("otp_webauthn:credential-registration-complete"),
            POST_ONLY,
        ),
        "credential-authentication-begin": (
            lambda d: reverse("otp_webauthn:credential-authentication-begin"),
            POST_ONLY,
        ),
        "credential-authentication-complete": (
            lambda d: reverse("otp_webauthn:credential-authentication-complete"),
            POST_ONLY,
        ),
        "js-i18n-catalog": (lambda d: reverse("otp_webauthn:js-i18n-catalog"), ALL_SIGNED_IN),
    }
)
# Her follow-up plan, her side (tests/tracker/test_her_plan.py): hers alone;
# her care team reads her plan on their own pages.
CASES.update(
    {
        # Every survivor has her own page (an empty one without a plan).
        "my_followup": (lambda d: reverse("my_followup"), {**HERS_ALONE, "same_clinic_survivor": 200}),
        "plan_item_calendar": (lambda d: reverse("plan_item_calendar", args=[d["plan_item"].pk]), HERS_ALONE),
        "plan_item_visit": (lambda d: reverse("plan_item_visit", args=[d["plan_item"].pk]), HERS_ALONE),
    }
)
# Public by design (no survivor data), or Django's own admin (superusers only).
PUBLIC = {
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "invite_accept",
    "invite_page",
    "healthz",
    "favicon",
    "session_status",  # the idle warning asks it; signed out, it says only that
    "set_language",  # the language switcher before sign-in: a cookie, nobody's data (test_i18n_pages.py)
    # Single sign-on's round trip and its signed-out page: before sign-in by
    # design, and they show nobody's data (tests/tracker/test_sso.py).
    "oidc_authentication_init",
    "oidc_authentication_callback",
    "sso_signed_out",
    # SMART Backend Services (fhirapi/views.py): a system's token request
    # (its signed assertion is its login; tests/fhirapi/test_auth.py) and
    # the discovery document saying how to make one.
    "fhir_token",
    "fhir_smart_configuration",
    # The FHIR CapabilityStatement, public as the standard wants it, and
    # anything else under /fhir/R4/ (an OperationOutcome 404).
    "fhir_metadata",
    "fhir_not_found",
}
LOGIN_ONLY = {"password_change", "password_change_done"}


def _plan_item(d):
    """An item of her plan (issue 15): the world's booked one."""
    return d["plan_item"]


def _own_template(d):
    from tracker.models import PlanTemplate

    return PlanTemplate.objects.create(clinic=d["owner"].clinic, name="Ours", items=[])


# Her plan as her nurse keeps it, and the clinic admin's templates (issue 15;
# tests/tracker/test_plan_pages.py asks a clinic admin of another clinic too).
CASES.update(
    {
        "survivor_plan": (lambda d: reverse("survivor_plan", args=[d["owner"].pk]), NURSE_ONLY),
        "plan_item_update": (
            lambda d: reverse("plan_item_update", args=[d["owner"].pk, _plan_item(d).pk, "note"]),
            {**NURSE_ONLY, "nurse": 405, "other_nurse": 405},
        ),
        "plan_template_list": (lambda d: reverse("plan_template_list"), ADMIN_ONLY),
        "plan_template_create": (lambda d: reverse("plan_template_create"), ADMIN_ONLY),
        "plan_template_edit": (lambda d: reverse("plan_template_edit", args=[_own_template(d).pk]), ADMIN_ONLY),
        "plan_template_toggle": (
            lambda d: reverse("plan_template_toggle", args=[_own_template(d).pk]),
            {**ADMIN_ONLY, "clinic_admin": 405},
        ),
    }
)


# The FHIR API reads with a bearer token only (tests/fhirapi/test_api.py):
# a session, whoever's, gets a 401 OperationOutcome and no data.
SYSTEMS_ONLY = dict.fromkeys(PERSONAS, 401)
CASES.update(
    {
        "fhir_search": (
            lambda d: reverse("fhir:fhir_search", args=["Flag"]) + f"?patient={d['owner'].pk}",
            SYSTEMS_ONLY,
        ),
        "fhir_read": (lambda d: reverse("fhir:fhir_read", args=["Flag", d["flag"].pk]), SYSTEMS_ONLY),
    }
)


def _our_api_client(d):
    from fhirapi.models import ApiClient

    return ApiClient.objects.create(
        clinic=d["owner"].clinic, name="Our EHR", jwks={"keys": []}, scopes=[], created_by=d["clinic_admin"]
    )


# The FHIR interface's pages (issue 17; tests/fhirapi/test_clients.py asks
# another clinic's admin too): her clinics' clients are the clinic admin's;
# a survivor's MRN is filled by her clinic's staff (any nurse has the form,
# which finds only her clinics' survivors).
CASES.update(
    {
        "fhir_client_list": (lambda d: reverse("fhir_client_list"), ADMIN_ONLY),
        "fhir_client_register": (lambda d: reverse("fhir_client_register"), ADMIN_ONLY),
        "fhir_client_deactivate": (
            lambda d: reverse("fhir_client_deactivate", args=[_our_api_client(d).pk]),
            ADMIN_ONLY,
        ),
        "fhir_mrn_system": (lambda d: reverse("fhir_mrn_system"), POST_ONLY),
        "survivor_mrn": (
            lambda d: reverse("survivor_mrn"),
            {**NURSE_ONLY, "clinic_admin": 200, "other_nurse": 200},
        ),
    }
)


@pytest.fixture
def her_plan_item(survivor):
    """A booked item of her plan (whose place says "private words")."""
    import datetime as dt

    from django.utils import timezone

    from tests.factories import PlanFactory, PlanItemFactory

    return PlanItemFactory(
        plan=PlanFactory(survivor=survivor),
        state="booked",
        booked_at=timezone.now() + dt.timedelta(days=10),
        booked_place="private words",
    )


@pytest.fixture
def world(survivor, nurse, clinic_admin, same_clinic_survivor, other_nurse, her_record, her_plan_item):
    return {
        "plan_item": her_plan_item,
        "job": her_record.job,
        "flag": her_record.flag,
        "message": her_record.message,
        "rule": her_record.rule,
        "owner": survivor,
        "nurse": nurse,
        "clinic_admin": clinic_admin,
        "same_clinic_survivor": same_clinic_survivor,
        "other_nurse": other_nurse,
        "anonymous": None,
        "checkin": her_record.checkin,
        "entry": her_record.entry,
        "weight": her_record.weight,
    }


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_it_checks_ownership(client_for, world, name, persona):
    build, expected = CASES[name]
    url = build(world)
    response = client_for(world[persona]).get(url)
    want = expected[persona]
    if want == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == want, f"{persona} on {url}"
    if want != 200:
        assert b"private words" not in response.content


def test_the_other_clinics_nurse_does_not_see_our_survivors_in_her_list(client_for, world):
    response = client_for(world["other_nurse"]).get(reverse("staff_home"))
    assert world["owner"].email not in response.content.decode()
    ours = client_for(world["nurse"]).get(reverse("staff_home"))
    assert world["owner"].email in ours.content.decode()


def test_a_clinic_admin_sees_accounts_but_no_link_to_health_data(client_for, world):
    html = client_for(world["clinic_admin"]).get(reverse("staff_home")).content.decode()
    assert world["owner"].full_name in html
    assert reverse("survivor_history", args=[world["owner"].pk]) not in html


def test_staff_reads_of_survivor_data_are_audited_and_her_own_are_not(client_for, world):
    client_for(world["nurse"]).get(reverse("survivor_history", args=[world["owner"].pk]))
    client_for(world["nurse"]).get(reverse("checkin_detail", args=[world["checkin"].pk]))
    client_for(world["owner"]).get(reverse("checkin_detail", args=[world["checkin"].pk]))
    client_for(world["other_nurse"]).get(reverse("checkin_detail", args=[world["checkin"].pk]))
    rows = list(AuditEvent.objects.order_by("id").values_list("actor", "action", "survivor"))
    assert rows == [
        (world["nurse"].pk, "survivor.history.view", world["owner"].pk),
        (world["nurse"].pk, "checkin.view", world["owner"].pk),
    ]


def test_the_audit_trail_cannot_be_changed_or_deleted(world, django_db_blocker):
    from django.db import DatabaseError, transaction

    from tracker.services.audit import audit_record

    event = audit_record(actor=world["nurse"], action="survivor.history.view", survivor=world["owner"])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="nothing")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "survivor.history.view"


def _names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            yield from _names(entry, entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            yield entry.name


def test_every_url_is_covered():
    names = set(_names())
    uncovered = names - set(CASES) - PUBLIC - LOGIN_ONLY
    assert not uncovered, f"URLs with no permission test: {sorted(uncovered)}"
    assert None not in names, "every URL needs a name"


# Our pages for every signed-in person about her own account (no survivor's
# data): signing out, her password, her second factor, her sessions, and the
# home page, which sends each role to its own.
FOR_EVERY_SIGNED_IN_PERSON = {
    "logout",
    "password_change",
    "mfa_factors",
    "mfa_setup",
    "mfa_verify",
    "mfa_recovery_codes",
    "mfa_recovery_codes_new",
    "mfa_passkey_added",
    "mfa_passkey_remove",
    "mfa_turn_off",
    "session_list",
    "sessions_end_others",
    "session_end",
    "home",
}


def _our_views(resolver=None):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _our_views(entry)
        elif entry.callback.__module__.split(".")[0] in ("tracker", "followup"):
            yield entry.name, entry.callback


def test_every_page_behind_a_login_checks_the_role_at_the_door():
    """Which rows: the selectors. Which roles may open the page at all: a
    role decorator (tracker/access.py) on every view of ours behind a login,
    so a selector's slip never opens a page to a role that should not have
    it (a clinic admin never reads symptoms)."""
    unguarded = sorted(
        name
        for name, view in _our_views()
        if getattr(view, "login_required", True)
        and not hasattr(view, "role_required")
        and name not in FOR_EVERY_SIGNED_IN_PERSON
    )
    assert not unguarded, f"views with no role check: {unguarded}"


def test_a_clinic_admin_never_opens_a_survivors_health_pages(client_for, world):
    client = client_for(world["clinic_admin"])
    for url in (
        reverse("checkin_detail", args=[world["checkin"].pk]),
        reverse("survivor_history", args=[world["owner"].pk]),
        reverse("survivor_export", args=[world["owner"].pk]),
        reverse("nurse_flag", args=[world["flag"].pk]),
        reverse("flag_queue"),
    ):
        assert client.get(url).status_code == 404, url
    refused = AuditEvent.objects.filter(actor=world["clinic_admin"], action="security.access_denied")
    assert refused.exists()  # refused at the door, and kept as a security event


@pytest.mark.parametrize("name", sorted(LOGIN_ONLY))
def test_login_only_pages_need_a_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ["login", "password_reset", "password_reset_done", "password_reset_complete"])
def test_public_pages_need_no_login(client, name):
    assert client.get(reverse(name)).status_code == 200
