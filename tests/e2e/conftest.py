import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def allow_orm_beside_playwright(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; Django's ORM
    # calls made by fixtures from the same thread are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _chromium():
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (make test does).")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def browser():
    # Function-scoped: Playwright's event loop must be gone before the next
    # (non-browser) test touches the ORM.
    yield from _chromium()


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """One database state for a whole module of read-only browser tests,
    written once by the module's own seeding fixture (module_db first).
    What is written is committed, so the live server's threads see it; at
    the end everything is flushed, as after a transactional test
    (TransactionTestCase's own setup and teardown, run once per module).

    The module's tests are marked django_db(serialized_rollback=True): the
    mark makes pytest-django create and serialize the test database, and
    sorts them among the ordinary `db` tests, which expect the migrated
    data (the symptom catalog). So after the flush that data is put back."""
    import django.test
    from django.db import connection

    class ModuleCase(django.test.TransactionTestCase):
        serialized_rollback = True  # the catalog comes back if a test before us flushed it

    with django_db_blocker.unblock():
        ModuleCase.setUpClass()
        case = ModuleCase(methodName="__init__")
        case._pre_setup()
        try:
            yield
        finally:
            case._post_teardown()
            ModuleCase.tearDownClass()
            if hasattr(connection, "_test_serialized_contents"):
                connection.creation.deserialize_db_from_string(connection._test_serialized_contents)


@pytest.fixture(scope="module")
def module_live_server(module_db):
    """A live server for one module. Not pytest-django's live_server: a test
    that uses that one is made transactional, and its database is flushed
    after every test."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("localhost")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def module_browser(module_live_server):
    # Set up after the module's seeding and closed before its database is
    # flushed. Meanwhile Playwright's event loop lives in this thread, and
    # pytest-django's per-test setup touches the ORM: allow it for as long
    # as the browser lives (the calls are still synchronous).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield from _chromium()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone-width screen
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
