"""Pages with health data are not kept (issue 13, section 3), in a real
browser: after the nurse logs out, Back does not bring a flag page's note
out of the browser's cache; and the browser reads the Permissions-Policy
header as meant (no feature it does not know, the camera off, passkeys on)."""

import pytest
from django.utils import timezone

from tests.e2e.conftest import CHROMIUM
from tests.factories import PASSWORD, NurseFactory, SurvivorFactory, entry, record_checkin
from tests.mfa_helpers import pass_second_step, second_step_ready
from tracker.models import Flag
from tracker.services.rules import rules_load_defaults

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NOTE = "the lump under my arm is bigger"


def login(page, base, user):
    staff = second_step_ready(user.email)
    page.set_viewport_size({"width": 1280, "height": 900})  # the menu open: "Log out" in sight
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if staff:
        pass_second_step(page, staff)


def test_the_flag_pages_note_is_not_in_the_browsers_cache_after_logout(live_server, tmp_path):
    """A browser with a profile on disk, as on a clinic's shared computer:
    the nurse opens a flag page, logs out and closes the browser; her
    survivor's words are in none of the profile's files (the disk cache
    kept them before: issue 13)."""
    from playwright.sync_api import sync_playwright

    rules_load_defaults()
    survivor = SurvivorFactory()
    nurse = NurseFactory(clinics=[survivor.clinic])
    record_checkin(survivor, entry("pain", "hip", 7, True, True, note=NOTE, started_on=timezone.localdate()))
    flag = Flag.objects.filter(survivor=survivor).order_by("id").first()
    profile = tmp_path / "profile"
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        login(page, live_server.url, nurse)
        page.goto(f"{live_server.url}/staff/flags/{flag.pk}/")
        assert NOTE in page.content()
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url("**/accounts/login/**")
        context.close()
    kept = [path for path in profile.rglob("*") if path.is_file() and NOTE.encode() in path.read_bytes()]
    assert not kept


def test_the_browser_reads_the_permissions_policy(live_server, page):
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(live_server.url + "/accounts/login/")
    allows = page.evaluate(
        "names => names.map(name => document.featurePolicy.allowsFeature(name))",
        ["camera", "microphone", "geolocation", "payment", "usb", "publickey-credentials-get"],
    )
    assert allows == [False, False, False, False, False, True]
    assert not [m for m in messages if "Permissions-Policy" in m or "Unrecognized feature" in m]
