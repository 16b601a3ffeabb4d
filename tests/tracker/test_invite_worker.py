"""The invite email goes through the real path: the staff page saves the
invitation, transaction.on_commit publishes to Redis, a real Celery worker
process picks it up and sends the mail."""

import pytest
from django.urls import reverse

from tests.integration_helpers import celery_worker, wait_for
from tracker.models import Invitation

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_real_worker_sends_the_invite_email_after_commit(client, tmp_path, clinic, nurse):
    outbox = tmp_path / "mail"
    outbox.mkdir()
    env = {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(outbox)}
    client.force_login(nurse)
    with celery_worker(extra_env=env):
        response = client.post(
            reverse("staff_home"), {"full_name": "Rita Reyes", "email": "rita@example.org", "clinic": clinic.pk}
        )
        assert response.status_code == 302
        files = wait_for(lambda: list(outbox.iterdir()), timeout=60)
    invitation = Invitation.objects.get()
    text = files[0].read_text()
    assert "To: rita@example.org" in text
    assert clinic.care_team_phone in text
    assert "/invite/" in text
    assert invitation.accepted_at is None
