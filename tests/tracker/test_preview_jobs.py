"""Rule preview as a background job: asked for on the edit page, run by a
worker in chunks with its progress on the row, cancelled between chunks,
bounded in time, failed when its worker dies, and seen only by the admin who
asked. The last tests run a real Celery worker against the real Redis."""

import datetime as dt
import json
import logging
import re

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.factories import ClinicAdminFactory, ClinicFactory, entry, record_checkin
from tests.integration_helpers import celery_worker, wait_for
from tests.preview_helpers import WORKER_ENV, survivors_with_hip_pain
from tracker.evaluation import preview, preview_jobs
from tracker.models import PreviewJob, Rule
from tracker.services.rules import rules_load_defaults
from tracker.tasks import run_rule_preview

HIP_PAIN = {"all": [{"symptom": ["pain"]}, {"body_site": ["hip"]}]}


@pytest.fixture(autouse=True)
def default_rules(db):
    rules_load_defaults()


@pytest.fixture
def rule(default_rules):
    return Rule.objects.select_related("current").get(slug="bone-pain-new-or-worse")


def new_job(admin, rule, condition=HIP_PAIN, days=30) -> PreviewJob:
    return preview_jobs.preview_job_create(by=admin, rule=rule, condition=condition, tier="urgent", days=days)


def run(job: PreviewJob, **kwargs) -> PreviewJob:
    assert preview_jobs.preview_job_claim(job_id=job.pk)
    preview_jobs.preview_job_run(job_id=job.pk, **kwargs)
    job.refresh_from_db()
    return job


# ------------------------------------------------------------------ the service


def test_it_reports_progress_after_each_chunk_of_survivors(clinic, settings):
    survivors_with_hip_pain(clinic, 5)
    settings.FOLLOWUP_PREVIEW_CHUNK_SURVIVORS = 2
    calls = []
    result = preview.rule_preview(
        condition=HIP_PAIN, tier="urgent", days=30, clinic_ids=[clinic.pk], progress=lambda *a: calls.append(a)
    )
    assert calls == [(0, 5), (2, 5), (4, 5), (5, 5)]
    assert (result.draft.checkin_count, result.draft.survivor_count) == (5, 5)


def test_chunks_find_what_one_pass_finds_history_and_weights_included(survivor, same_clinic_survivor, clinic):
    survivors_with_hip_pain(clinic, 3)
    for who in (survivor, same_clinic_survivor):
        for _ in range(3):
            record_checkin(who, entry("fatigue", site=None, new=False, worse=False))
    persistence = {"persistence": {"symptoms": ["fatigue"], "min_days": 1, "within_days": 14}}
    for condition in (HIP_PAIN, persistence, {"not": {"symptom": ["pain"]}}):
        whole = preview.rule_preview(condition=condition, tier="urgent", days=30, clinic_ids=[clinic.pk], chunk=10_000)
        chunked = preview.rule_preview(condition=condition, tier="urgent", days=30, clinic_ids=[clinic.pk], chunk=1)
        assert chunked.as_json() == whole.as_json()
        assert whole.draft.checkin_count > 0
        assert len(chunked.draft.checkins) <= 1  # only the last chunk's are held


def test_a_job_runs_to_done_with_its_progress_and_result_on_the_row(clinic, clinic_admin, rule, settings):
    survivors_with_hip_pain(clinic, 4)
    survivors_with_hip_pain(clinic, 2, days_ago=60)  # outside the 30 days
    settings.FOLLOWUP_PREVIEW_CHUNK_SURVIVORS = 4
    job = run(new_job(clinic_admin, rule))
    assert job.state == "done" and job.error == ""
    assert (job.done, job.total, job.percent) == (6, 6, 100)
    assert job.result["draft"] == {"entries": 4, "checkins": 4, "survivors": 4}
    assert job.result["current"] is not None  # compared with the rule's current version
    assert job.result["days"] == 30
    assert job.result["by_symptom"][0] == {
        "side": "draft",
        "tier": "urgent",
        "symptom": "pain",
        "body_site": "hip",
        "matches": 4,
    }
    assert job.started_at <= job.progress_at <= job.finished_at


def test_the_result_keeps_no_name_and_none_of_her_words(clinic, clinic_admin, rule, survivor):
    record_checkin(survivor, entry("other", site=None, note="the pain in my right hip keeps getting worse"))
    job = run(new_job(clinic_admin, rule, condition={"text": ["bone_pain"]}))
    assert job.result["draft"]["checkins"] == 1
    stored = json.dumps(job.result)
    assert "right hip keeps" not in stored and survivor.full_name not in stored and survivor.email not in stored


def test_a_cancelled_job_stops_at_the_next_chunk_and_keeps_no_result(clinic, clinic_admin, rule, settings, monkeypatch):
    survivors_with_hip_pain(clinic, 6)
    settings.FOLLOWUP_PREVIEW_CHUNK_SURVIVORS = 1
    job = new_job(clinic_admin, rule)
    chunks = []
    real_run = preview._EntryPass.run

    def cancel_after_the_first_chunk(self, ids):
        chunks.append(ids)
        real_run(self, ids)
        if len(chunks) == 1:
            preview_jobs.preview_job_cancel(job=PreviewJob.objects.get(pk=job.pk))

    monkeypatch.setattr(preview._EntryPass, "run", cancel_after_the_first_chunk)
    job = run(job)
    assert len(chunks) == 1
    assert (job.state, job.result, job.done, job.total) == ("cancelled", None, 0, 6)


def test_the_time_limit_ends_the_job_as_too_broad(clinic, clinic_admin, rule):
    survivors_with_hip_pain(clinic, 2)
    job = run(new_job(clinic_admin, rule), time_limit=0)
    assert (job.state, job.result) == ("failed", None)
    assert job.error == "Too broad: narrow the rule or shorten the period."


def test_celerys_soft_time_limit_ends_the_job_as_too_broad(clinic_admin, rule, monkeypatch):
    def hits_the_soft_limit(**kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(preview_jobs, "rule_preview", hits_the_soft_limit)
    job = new_job(clinic_admin, rule)
    run_rule_preview(job.pk)
    job.refresh_from_db()
    assert (job.state, job.error) == ("failed", preview_jobs.TOO_BROAD)


def test_the_task_has_celery_time_limits_beyond_the_jobs_own():
    assert run_rule_preview.soft_time_limit > preview_jobs.TIME_LIMIT_SECONDS
    assert run_rule_preview.time_limit > run_rule_preview.soft_time_limit


def test_a_failing_preview_fails_the_job_and_logs_no_detail(clinic_admin, rule, monkeypatch, caplog):
    def breaks(**kwargs):
        raise RuntimeError("pain in my right hip")

    monkeypatch.setattr(preview_jobs, "rule_preview", breaks)
    job = new_job(clinic_admin, rule)
    with caplog.at_level(logging.ERROR):
        run_rule_preview(job.pk)
    job.refresh_from_db()
    assert (job.state, job.error) == ("failed", preview_jobs.FAILED)
    assert f"preview job {job.pk} failed: RuntimeError" in caplog.text
    assert "hip" not in caplog.text


def test_the_task_claims_the_job_once_and_never_a_cancelled_one(clinic_admin, rule, monkeypatch):
    runs = []
    monkeypatch.setattr(preview_jobs, "preview_job_run", lambda *, job_id: runs.append(job_id))
    job = new_job(clinic_admin, rule)
    run_rule_preview(job.pk)
    run_rule_preview(job.pk)  # redelivered
    assert runs == [job.pk]
    PreviewJob.objects.filter(pk=job.pk).update(state="done")
    cancelled = new_job(clinic_admin, rule)
    preview_jobs.preview_job_cancel(job=cancelled)
    run_rule_preview(cancelled.pk)  # cancelled before a worker took it
    assert runs == [job.pk]


def test_her_new_preview_cancels_her_earlier_one(clinic_admin, rule):
    first = new_job(clinic_admin, rule)
    preview_jobs.preview_job_claim(job_id=first.pk)
    second = new_job(clinic_admin, rule, days=7)
    first.refresh_from_db()
    assert (first.state, second.state) == ("cancelled", "queued")


def test_stale_jobs_fail_with_what_happened_and_live_ones_run_on(clinic_admin, rule):
    now = timezone.now()
    mins = dt.timedelta(minutes=1)
    lost = PreviewJob.objects.create(
        requested_by=clinic_admin, rule=rule, condition=HIP_PAIN, tier="urgent", days=30, state="running",
        started_at=now - 5 * mins, progress_at=now - 4 * mins,
    )  # fmt: skip
    killed = PreviewJob.objects.create(
        requested_by=clinic_admin, rule=rule, condition=HIP_PAIN, tier="urgent", days=30, state="running",
        started_at=now - 10 * mins, progress_at=now - 5 * mins,
    )  # fmt: skip
    never_taken = PreviewJob.objects.create(
        requested_by=clinic_admin, rule=rule, condition=HIP_PAIN, tier="urgent", days=30, created_at=now - 11 * mins
    )
    alive = PreviewJob.objects.create(
        requested_by=clinic_admin, rule=rule, condition=HIP_PAIN, tier="urgent", days=30, state="running",
        started_at=now - 2 * mins, progress_at=now - 2 * mins,
    )  # fmt: skip
    waiting = PreviewJob.objects.create(
        requested_by=clinic_admin, rule=rule, condition=HIP_PAIN, tier="urgent", days=30, created_at=now - 2 * mins
    )
    assert preview_jobs.preview_jobs_fail_stale(now=now) == 3
    states = {j.pk: (j.state, j.error) for j in PreviewJob.objects.all()}
    assert states[lost.pk] == ("failed", preview_jobs.WORKER_LOST)
    assert states[killed.pk] == ("failed", preview_jobs.TOO_BROAD)
    assert states[never_taken.pk] == ("failed", preview_jobs.NOT_STARTED)
    assert states[alive.pk] == ("running", "") and states[waiting.pk] == ("queued", "")


def test_a_stale_job_does_not_block_a_new_preview(clinic_admin, rule):
    other_admin = ClinicAdminFactory(clinics=[ClinicFactory()])
    past = timezone.now() - dt.timedelta(minutes=30)
    PreviewJob.objects.create(
        requested_by=other_admin, rule=rule, condition=HIP_PAIN, tier="urgent", days=30, state="running",
        started_at=past, progress_at=past,
    )  # fmt: skip
    assert new_job(clinic_admin, rule).state == "queued"


def test_one_preview_at_a_time_in_the_installation(clinic_admin, rule):
    other_admin = ClinicAdminFactory(clinics=[ClinicFactory()])
    new_job(other_admin, rule)
    with pytest.raises(ValidationError) as refused:
        new_job(clinic_admin, rule)
    assert refused.value.messages == [preview_jobs.BUSY]
    assert PreviewJob.objects.filter(requested_by=clinic_admin).count() == 0


def test_an_invalid_draft_is_refused_before_any_job(clinic_admin, rule):
    with pytest.raises(ValidationError) as refused:
        new_job(clinic_admin, rule, condition={"symptom": ["no-such-symptom"]})
    assert "condition" in refused.value.message_dict
    assert not PreviewJob.objects.exists()


def test_drafts_over_the_rule_bounds_are_refused_before_any_job(client, clinic_admin, rule):
    wide = {"any": [{"symptom": ["pain"]}] * 1000}  # 1,000 branches
    deep: dict = {"symptom": ["pain"]}
    for _ in range(400):
        deep = {"not": deep}
    client.force_login(clinic_admin)
    for draft in (wide, deep):
        with pytest.raises(ValidationError) as refused:
            new_job(clinic_admin, rule, condition=draft)
        assert "condition" in refused.value.message_dict
        response = client.post(reverse("rule_edit", args=[rule.slug]), form_data(rule, condition=json.dumps(draft)))
        assert response.status_code == 200 and response.context["form"].errors["condition"]
        assert response.context["job"] is None
    assert not PreviewJob.objects.exists()


# ------------------------------------------------------------------ the pages


def form_data(rule: Rule, **over) -> dict:
    v = rule.current
    data = {
        "name": v.name,
        "tier": v.tier,
        "condition": json.dumps(HIP_PAIN),
        "advice": v.advice,
        "nurse_note": v.nurse_note,
        "source": v.source,
        "change_note": "",
        "preview_days": "30",
        "preview": "1",
    }
    data.update(over)
    return data


def test_preview_queues_a_job_on_commit_and_the_page_shows_its_progress(
    client, clinic_admin, rule, enqueued, django_capture_on_commit_callbacks
):
    client.force_login(clinic_admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("rule_edit", args=[rule.slug]), form_data(rule))
        assert enqueued == []  # nothing is published before the job's row is committed
    for callback in callbacks:
        callback()
    job = PreviewJob.objects.get()
    assert enqueued == [("tracker.tasks.run_rule_preview", (job.pk,), {})]
    assert (job.requested_by, job.rule, job.compare_with, job.condition) == (clinic_admin, rule, rule.current, HIP_PAIN)
    page = response.content.decode()
    assert re.search(r'role="progressbar"[^>]*aria-valuenow="0"', page)
    assert "Waiting for a worker to start it" in page
    assert f'data-preview-status="{reverse("preview_job_status", args=[job.pk])}"' in page
    assert "js/preview-job.js" in page
    assert response.context["form"]["condition"].value() == json.dumps(HIP_PAIN)  # the draft is kept


def test_a_bad_draft_or_a_busy_installation_is_said_by_the_form(client, clinic_admin, rule):
    client.force_login(clinic_admin)
    response = client.post(reverse("rule_edit", args=[rule.slug]), form_data(rule, condition='{"symptom": ["nope"]}'))
    assert "unknown symptom code" in str(response.context["form"].errors["condition"])
    new_job(ClinicAdminFactory(clinics=[ClinicFactory()]), rule)
    response = client.post(reverse("rule_edit", args=[rule.slug]), form_data(rule, preview_days="7"))
    assert response.status_code == 200 and preview_jobs.BUSY in response.content.decode()
    assert response.context["form"]["preview_days"].value() == "7"
    assert PreviewJob.objects.filter(requested_by=clinic_admin).count() == 0


def test_the_status_follows_the_job_and_ends_with_the_result(client, clinic, clinic_admin, rule):
    survivors_with_hip_pain(clinic, 3)
    client.force_login(clinic_admin)
    job = new_job(clinic_admin, rule)
    status = reverse("preview_job_status", args=[job.pk])
    data = client.get(status).json()
    assert (data["state"], data["active"], data["done"], data["total"], data["percent"]) == ("queued", True, 0, None, 0)
    preview_jobs.preview_job_claim(job_id=job.pk)
    PreviewJob.objects.filter(pk=job.pk).update(done=1, total=3)
    data = client.get(status).json()
    assert (data["state"], data["percent"], data["active"]) == ("running", 33, True)
    assert data["label"] == "33%: checked the check-ins of 1 of 3 survivors" and "html" not in data
    preview_jobs.preview_job_run(job_id=job.pk)
    response = client.get(status)
    data = response.json()
    assert (data["state"], data["active"], data["percent"]) == ("done", False, 100)
    assert "no-store" in response["Cache-Control"]
    assert '<td class="text-end" data-testid="draft-checkins">3</td>' in data["html"]


def test_the_admin_comes_back_to_her_previews(client, clinic, clinic_admin, rule):
    survivors_with_hip_pain(clinic, 2)
    client.force_login(clinic_admin)
    job = run(new_job(clinic_admin, rule, days=14))
    for page in (reverse("rule_detail", args=[rule.slug]), reverse("rule_edit", args=[rule.slug])):
        listed = client.get(page)
        assert listed.context["previews"] == [job]
        assert reverse("preview_job_detail", args=[job.pk]) in listed.content.decode()
    detail = client.get(reverse("preview_job_detail", args=[job.pk])).content.decode()
    assert '<td class="text-end" data-testid="draft-checkins">2</td>' in detail
    assert 'http-equiv="refresh"' not in detail  # ended: nothing to follow
    again = client.get(reverse("rule_edit", args=[rule.slug]) + f"?preview={job.pk}")
    form = again.context["form"]
    assert (json.loads(form["condition"].value()), form["preview_days"].value()) == (HIP_PAIN, 14)


def test_without_script_the_job_page_refreshes_itself_while_running(client, clinic_admin, rule):
    client.force_login(clinic_admin)
    job = new_job(clinic_admin, rule)
    page = client.get(reverse("preview_job_detail", args=[job.pk])).content.decode()
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert "Refresh</a>" in page


def test_cancel_from_the_page(client, clinic_admin, rule):
    client.force_login(clinic_admin)
    job = new_job(clinic_admin, rule)
    response = client.post(reverse("preview_job_cancel", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == "cancelled"
    scripted = client.post(reverse("preview_job_cancel", args=[job.pk]), headers={"Accept": "application/json"})
    assert scripted.json()["state"] == "cancelled" and "Cancelled" in scripted.json()["html"]


def test_a_dead_workers_job_shows_as_failed_and_she_can_start_another(client, clinic_admin, rule):
    client.force_login(clinic_admin)
    job = new_job(clinic_admin, rule)
    preview_jobs.preview_job_claim(job_id=job.pk)
    long_ago = timezone.now() - dt.timedelta(minutes=5)
    PreviewJob.objects.filter(pk=job.pk).update(progress_at=long_ago, started_at=long_ago)
    data = client.get(reverse("preview_job_status", args=[job.pk])).json()
    assert (data["state"], data["active"]) == ("failed", False)
    assert preview_jobs.WORKER_LOST in data["html"]
    client.post(reverse("rule_edit", args=[rule.slug]), form_data(rule))
    assert PreviewJob.objects.filter(state="queued").count() == 1


@pytest.mark.parametrize("who", ["other_admin", "nurse", "survivor", "anonymous"])
def test_only_the_admin_who_asked_sees_or_cancels_a_job(client, clinic_admin, rule, nurse, survivor, who):
    job = new_job(clinic_admin, rule)
    user = {
        "other_admin": ClinicAdminFactory(clinics=[ClinicFactory()]),
        "nurse": nurse,
        "survivor": survivor,
        "anonymous": None,
    }[who]
    if user is not None:
        client.force_login(user)
    for method, name in (("get", "preview_job_status"), ("get", "preview_job_detail"), ("post", "preview_job_cancel")):
        response = getattr(client, method)(reverse(name, args=[job.pk]))
        if user is None:
            assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        else:
            assert response.status_code == 404
    job.refresh_from_db()
    assert job.state == "queued"
    if who in ("nurse", "survivor"):  # nor may they start one
        assert client.post(reverse("rule_edit", args=[rule.slug]), form_data(rule)).status_code == 404
        assert PreviewJob.objects.count() == 1
    client.force_login(clinic_admin)
    assert client.get(reverse("preview_job_status", args=[job.pk])).status_code == 200


def test_she_cannot_load_another_admins_draft(client, clinic_admin, rule):
    theirs = new_job(ClinicAdminFactory(clinics=[ClinicFactory()]), rule)
    client.force_login(clinic_admin)
    assert client.get(reverse("rule_edit", args=[rule.slug]) + f"?preview={theirs.pk}").status_code == 404


# ------------------------------------------------------------------ a real worker


@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_runs_the_preview_with_progress_to_its_result(client, clinic, clinic_admin):
    rule = Rule.objects.select_related("current").get(slug="bone-pain-new-or-worse")
    survivors_with_hip_pain(clinic, 600)
    client.force_login(clinic_admin)
    with celery_worker(extra_env=WORKER_ENV):
        response = client.post(reverse("rule_edit", args=[rule.slug]), form_data(rule))
        job = response.context["job"]
        status = reverse("preview_job_status", args=[job.pk])
        midway = wait_for(
            lambda: (d := client.get(status).json())["state"] == "running" and 0 < d["done"] and d, timeout=60
        )
        assert 0 < midway["done"] < midway["total"] == 600 and 0 <= midway["percent"] < 100
        done = wait_for(lambda: not (d := client.get(status).json())["active"] and d, timeout=120)
    assert done["state"] == "done", done
    job.refresh_from_db()
    assert (job.done, job.total) == (600, 600)
    assert job.result["draft"] == {"entries": 600, "checkins": 600, "survivors": 600}
    assert '<td class="text-end" data-testid="draft-checkins">600</td>' in done["html"]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_stops_a_cancelled_preview_between_chunks(client, clinic, clinic_admin):
    rule = Rule.objects.select_related("current").get(slug="bone-pain-new-or-worse")
    survivors_with_hip_pain(clinic, 3000)
    client.force_login(clinic_admin)
    with celery_worker(extra_env=WORKER_ENV):
        job = client.post(reverse("rule_edit", args=[rule.slug]), form_data(rule)).context["job"]
        status = reverse("preview_job_status", args=[job.pk])
        wait_for(lambda: client.get(status).json()["done"] >= 20, timeout=60)
        assert client.post(reverse("preview_job_cancel", args=[job.pk])).status_code == 302
        cancelled_at = timezone.now()
        job.refresh_from_db()
        pace = (cancelled_at - job.started_at) / job.done
        left = pace * (job.total - job.done)  # what the rest would have taken
        # The worker runs one task at a time: a new preview starts once the cancelled one has stopped.
        again = client.post(reverse("rule_edit", args=[rule.slug]), form_data(rule, preview_days="7")).context["job"]
        wait_for(lambda: PreviewJob.objects.get(pk=again.pk).started_at, timeout=60)
        client.post(reverse("preview_job_cancel", args=[again.pk]))  # lets the worker stop at once
    again.refresh_from_db()
    job.refresh_from_db()
    assert (job.state, job.result, job.total) == ("cancelled", None, 3000)
    assert job.done < 3000
    assert again.started_at - cancelled_at < left / 2, (again.started_at - cancelled_at, left)


def test_the_preview_leaves_out_what_she_marked_entered_in_error(clinic):
    from tracker.models import SymptomEntry

    survivors_with_hip_pain(clinic, 3)
    before = preview.rule_preview(condition=HIP_PAIN, tier="urgent", days=30, clinic_ids=[clinic.pk])
    SymptomEntry.objects.filter(pk=SymptomEntry.objects.order_by("id").first().pk).update(
        entered_in_error_at=timezone.now()
    )
    after = preview.rule_preview(condition=HIP_PAIN, tier="urgent", days=30, clinic_ids=[clinic.pk])
    assert (before.draft.checkin_count, after.draft.checkin_count) == (3, 2)
