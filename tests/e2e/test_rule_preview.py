"""A clinic admin previews a draft rule in a real browser: the page shows a
progress bar that a real Celery worker moves (the page's script polls the
job's status; nothing reloads), then the result in its place, with the
draft still in the form."""

import pytest

from tests.e2e.axe import assert_no_axe_violations
from tests.factories import PASSWORD, ClinicAdminFactory, ClinicFactory
from tests.integration_helpers import celery_worker
from tests.mfa_helpers import pass_second_step, second_step_ready
from tests.preview_helpers import WORKER_ENV, survivors_with_hip_pain
from tracker.models import PreviewJob

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.integration,  # a real worker: the job is published to Redis, not recorded
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DRAFT = '{"all": [{"symptom": ["pain"]}, {"body_site": ["hip"]}]}'


def test_an_admin_sees_the_progress_bar_move_and_then_the_result(live_server, page):
    from tracker.services.rules import rules_load_defaults

    rules_load_defaults()
    clinic = ClinicFactory()
    admin = ClinicAdminFactory(clinics=[clinic])
    survivors_with_hip_pain(clinic, 1500)
    blocked = []
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    staff = second_step_ready(admin.email)
    page.goto(live_server.url + "/")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    pass_second_step(page, staff)  # the code her authenticator app shows
    with celery_worker(extra_env=WORKER_ENV):
        page.goto(live_server.url + "/rules/bone-pain-new-or-worse/edit/")
        page.get_by_label("Condition").fill(DRAFT)
        page.get_by_role("button", name="Preview").click()
        bar = page.get_by_role("progressbar", name="Preview progress")
        bar.wait_for()
        page.evaluate("window.stillThisPage = true")
        # The script moves the bar as the worker reports (one survivor a chunk here).
        page.wait_for_function(
            "() => { const b = document.querySelector('[role=progressbar]');"
            " return b && +b.getAttribute('aria-valuenow') > 0 && +b.getAttribute('aria-valuenow') < 100; }"
        )
        assert "survivors" in page.locator("[data-preview-label]").inner_text()
        assert_no_axe_violations(page, "the edit page following a preview")
        page.get_by_test_id("preview-result").wait_for(timeout=60_000)
        assert_no_axe_violations(page, "the edit page with a preview's result")
    assert page.evaluate("window.stillThisPage") is True  # no reload: the result came in place
    assert bar.count() == 0
    flagged = int(page.get_by_test_id("draft-checkins").inner_text())
    assert flagged >= 1500
    assert PreviewJob.objects.get().result["draft"]["checkins"] == flagged
    assert page.get_by_label("Condition").input_value() == DRAFT  # the draft is still there to edit
    page.get_by_role("link", name="Open").first.click()  # her recent previews, below the form
    page.get_by_role("heading", name="Preview of a draft").wait_for()
    assert page.get_by_test_id("draft-checkins").inner_text() == str(flagged)
    assert_no_axe_violations(page, "a preview's own page")
    assert blocked == []
