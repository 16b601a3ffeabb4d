"""Privacy between clinics and roles (issue 13, section 4), the tracker's
pages: the rule preview and the invite form, as the admin of clinic A and
her nurse see them when survivors are in clinics A and B."""

import datetime as dt
import json
import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import NurseFactory
from tests.preview_helpers import survivors_with_hip_pain
from tracker.evaluation import preview_jobs
from tracker.models import Clinic, Invitation, Rule
from tracker.services.accounts import invitation_send_email
from tracker.services.rules import rules_load_defaults

HIP_PAIN = {"all": [{"symptom": ["pain"]}, {"body_site": ["hip"]}]}


# ------------------------------------------------------------------ the rule preview


@pytest.fixture
def preview_page(client, clinic, clinic_b, clinic_admin):
    """Clinic A's admin previews a hip-pain draft: 3 survivors of hers match,
    5 of clinic B's do too."""
    rules_load_defaults()
    survivors_with_hip_pain(clinic, 3, days_ago=3)
    theirs = survivors_with_hip_pain(clinic_b, 5, days_ago=4)
    rule = Rule.objects.select_related("current").get(slug="bone-pain-new-or-worse")
    job = preview_jobs.preview_job_create(by=clinic_admin, rule=rule, condition=HIP_PAIN, tier="urgent", days=30)
    assert preview_jobs.preview_job_claim(job_id=job.pk)
    preview_jobs.preview_job_run(job_id=job.pk)
    job.refresh_from_db()
    client.force_login(clinic_admin)
    response = client.get(reverse("preview_job_detail", args=[job.pk]))
    assert response.status_code == 200
    return {"job": job, "html": response.content.decode(), "theirs": theirs}


def test_a_preview_counts_the_admins_own_clinics_only(preview_page, clinic):
    job = preview_page["job"]
    assert list(job.clinics.all()) == [clinic]  # the job keeps the clinics it was run for
    assert (job.total, job.result["draft"]["checkins"], job.result["draft"]["survivors"]) == (3, 3, 3)
    assert '<td class="text-end" data-testid="draft-checkins">3</td>' in preview_page["html"]


def test_a_preview_shows_counts_by_symptom_site_and_tier_and_no_entry(preview_page):
    job, html = preview_page["job"], preview_page["html"]
    assert job.result["by_symptom"][0] == {
        "side": "draft",
        "tier": "urgent",
        "symptom": "pain",
        "body_site": "hip",
        "matches": 3,
    }
    assert set(job.result) == {"days", "scanned", "draft", "current", "by_symptom"}
    stored = json.dumps(job.result)
    # No date, no id, no words of any survivor's entry: in the stored result or on the page.
    assert re.search(r"\d{4}-\d{2}-\d{2}", stored) is None
    for day in (3, 4):
        when = job.created_at - dt.timedelta(days=day)
        assert when.strftime("%-d %b %Y") not in html
    entry_ids = {str(pk) for pk in job.clinics.values_list("survivors__symptom_entries__id", flat=True)}
    assert not entry_ids & set(re.findall(r"\d+", stored)) - {"3", "0", "30", "1"}
    assert "Sample of matches" not in html and "Matches by symptom, body site and tier" in html


def test_a_preview_names_no_other_clinic(preview_page):
    for person in preview_page["theirs"]:
        assert person.full_name not in preview_page["html"]
    assert "Brookside" not in preview_page["html"]


# ------------------------------------------------------------------ the invite form


def invite(client, email: str):
    clinic = Clinic.objects.get(name="Riverside")  # the inviter's (tests/conftest.py)
    data = {"full_name": "Rita Reyes", "email": email, "clinic": clinic.pk}
    return client.post(reverse("staff_home"), data, follow=True)


def answer(response, email: str) -> tuple:
    """What the inviter learns: the status, the messages, the errors by the
    fields, her invitation's line in the pending list, and the rest of the
    page (the email itself, the form's CSRF token and the session's countdown
    in seconds made alike: a second may pass between two requests)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", response.content.decode())
    html = re.sub(r'data-(idle|absolute)-left="\d+"', r"data-\1-left=SECONDS", html)
    line = re.search(rf"<li>[^<]*&lt;{re.escape(email)}&gt;[^<]*</li>", html)
    rest = re.sub(r"Invitations not yet accepted</h2>\s*<ul>.*?</ul>", "PENDING", html, flags=re.S)
    return (
        response.status_code,
        [str(m).replace(email, "EMAIL") for m in response.context["messages"]],
        dict(response.context["form"].errors),
        line and line.group(0).replace(email, "EMAIL"),
        rest.replace(email, "EMAIL"),
    )


@pytest.mark.parametrize("inviter", ["nurse", "clinic_admin"])
def test_the_invite_form_answers_alike_for_an_account_in_another_clinic(
    request, client, clinic, clinic_b, b_survivor, inviter
):
    client.force_login(request.getfixturevalue(inviter))
    colleague_elsewhere = NurseFactory(clinics=[clinic_b], email="nora@example.org")
    new = answer(invite(client, "nobody@example.org"), "nobody@example.org")
    assert new[3] is not None  # her invitation is listed as pending
    for email in (b_survivor.email, colleague_elsewhere.email):
        assert answer(invite(client, email), email) == new
    assert Invitation.objects.count() == 3


def test_an_account_she_may_see_is_still_named_by_the_email_field(client, clinic, nurse, survivor):
    client.force_login(nurse)
    response = invite(client, survivor.email)
    assert "already has an account" in response.context["form"].errors["email"][0]
    colleague = NurseFactory(clinics=[clinic])
    response = invite(client, colleague.email)
    assert "already has an account" in response.context["form"].errors["email"][0]
    assert not Invitation.objects.exists()


def test_someone_with_an_account_elsewhere_is_emailed_to_log_in_not_a_link(
    client, clinic, b_survivor, nurse, django_capture_on_commit_callbacks
):
    client.force_login(nurse)
    invite(client, b_survivor.email)
    invitation = Invitation.objects.get()
    assert invitation_send_email(invitation_id=invitation.pk) is True
    [message] = mail.outbox
    assert message.to == [b_survivor.email]
    assert message.subject == f"{clinic.name} invites you to Follow-up"  # the same subject as a new account's
    assert "already has a Follow-up account" in message.body
    assert reverse("login") in message.body and "/invite/" not in message.body
