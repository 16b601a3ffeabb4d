"""Every page, for every role, at desktop and phone width: zero axe-core
WCAG 2.2 AA violations; no sideways scroll at 390 px; nothing sticking out
at 320 px with text at 200%.

One seeded database, one live server and one Chromium for the whole module
(tests/e2e/conftest.py: module_db): the pages are only read. A test's id
names the role, the page and the width."""

import json
from pathlib import Path

import pytest
from django.template.loader import render_to_string

from tests.e2e.axe import assert_no_axe_violations
from tests.e2e.seeded_site import log_in, seed_site

# The mark makes pytest-django create the test database (and serialize it,
# so module_db can bring the catalog back); each test's own transaction is
# empty: the pages are served from the module's committed data.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(serialized_rollback=True)]

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def _submit(page, selector="main form button[type=submit]"):
    with page.expect_navigation():
        page.locator(selector).last.click()


def checkin_errors(page):
    _submit(page, "main form button[type=submit]:not([name=add_entry])")


def weight_errors(page):
    page.locator("input[name=value]").fill("")
    _submit(page)


def weight_to_confirm(page):
    # Far from her last weight: she is asked to confirm before it is saved.
    page.locator("input[name=value]").fill("60")
    _submit(page, "#weight-form button[type=submit]")


def questions_errors(page):
    # Over the limit (the box's maxlength set aside, as a pasted text past it
    # would be sent by an older browser): refused by the field, nothing saved.
    box = page.locator("textarea[name=her_questions]")
    box.evaluate("el => el.removeAttribute('maxlength')")
    box.fill("Will it come back? " * 106)
    _submit(page)
    assert page.locator("[data-error-summary]").is_visible()
    assert page.locator("textarea[name=her_questions]").input_value().startswith("Will it come back?")


def switch_errors(page):
    # Switching a rule off without a reason: refused, the rule stays on.
    page.locator("main form textarea").fill("")
    _submit(page)


def login_errors(page):
    page.locator("input[name=username]").fill("nobody@example.org")
    page.locator("input[name=password]").fill("not the password")
    _submit(page)


def login_locked_out(page):
    # Five wrong passwords for one email (without the short waits between
    # them, which would only make this slow): the sixth page is the lockout's.
    from django.test import override_settings

    with override_settings(LOGIN_WAIT_SECONDS=0):
        for _ in range(5):
            page.locator("input[name=username]").fill("locked.out@example.org")
            page.locator("input[name=password]").fill("not the password")
            _submit(page)
    assert page.locator("#login-pause").is_visible()


def totp_shape_error(page):
    # Letters where the 6 digits go: refused by its shape, so nothing is
    # counted against her (the pages are shared by the whole module).
    page.locator("input[name=code]").fill("abc")
    _submit(page)


def flag_errors(page):
    # An empty note: an error state that changes nothing (the pages are shared by the whole module).
    with page.expect_navigation():
        page.locator("button[name=note]").click()


def sentence_result(page):
    page.locator("textarea[name=sentence]").fill("No headache, but I can't feel my feet since Monday")
    _submit(page)


def bench_results(page):
    lines = Path(__file__).resolve().parents[1].joinpath("scenarios.jsonl").read_text().splitlines()
    failing = json.loads(lines[0]) | {"id": "judged-wrong", "expect": {"tier": "routine"}}
    page.locator("textarea[name=scenarios]").fill("\n".join([*lines[:3], json.dumps(failing), "not json"]))
    _submit(page)


def plan_add_errors(page):
    # An empty "Add an item" form: refused, nothing written (the pages are shared by the whole module).
    page.locator("details:has(button[name=add]) > summary").click()
    _submit(page, "button[name=add]")


def plan_item_errors(page):
    # Booking an item with no day or time: refused, the plan page comes back
    # with that item's forms open (the pages are shared by the whole module).
    book = page.locator("form[action$='/book/']").first
    book.locator("xpath=ancestor::details[1]/summary").click()
    with page.expect_navigation():
        book.locator("button[type=submit]").click()
    assert page.locator("details[open] .invalid-feedback").first.is_visible()


def template_errors(page):
    # A template with no name: refused, nothing saved.
    page.locator("input[name=name]").fill("")
    _submit(page)
    assert page.locator("#id_name.is-invalid").is_visible()


# (role, page name, path with {ids}, what to do once there)
PAGES = [
    ("survivor", "home", "/", None),
    ("survivor", "check-in", "/check-in/", None),
    ("survivor", "check-in with errors", "/check-in/", checkin_errors),
    ("survivor", "check-in result", "/check-ins/{urgent_checkin}/", None),
    ("survivor", "emergency result", "/check-ins/{emergency_checkin}/", None),
    ("survivor", "hormone tablets stopped result", "/check-ins/{endocrine_checkin}/", None),
    ("survivor", "weight", "/weight/", None),
    ("survivor", "weight with errors", "/weight/", weight_errors),
    ("survivor", "weight to confirm", "/weight/", weight_to_confirm),
    ("survivor", "correct a weight", "/weights/{weight}/correct/", None),
    ("survivor", "entered in error", "/entries/{entry}/entered-in-error/", None),
    ("survivor", "settings", "/preferences/", None),
    ("survivor", "I contacted my care team", "/flags/{flag}/contacted/", None),
    ("survivor", "my follow-up", "/my-follow-up/", None),
    ("survivor", "bring to your visit", "/my-follow-up/{plan_item}/bring-to-your-visit/", None),
    ("survivor", "bring to your visit with errors", "/my-follow-up/{plan_item}/bring-to-your-visit/", questions_errors),
    ("survivor", "not found", "/no-such-page/", None),
    ("survivor", "your sessions", "/account/sessions/", None),
    ("survivor", "two-step sign-in", "/accounts/second-factor/", None),
    ("survivor", "set up two-step sign-in", "/accounts/second-factor/set-up/", None),
    ("survivor", "set up two-step sign-in with errors", "/accounts/second-factor/set-up/", totp_shape_error),
    ("nurse", "queue", "/staff/queue/", None),
    ("nurse", "flag", "/staff/flags/{flag}/", None),
    ("nurse", "flag with errors", "/staff/flags/{flag}/", flag_errors),
    ("nurse", "check-in with her hormone tablets answer", "/check-ins/{endocrine_checkin}/", None),
    ("nurse", "call lists", "/staff/call-lists/", None),
    ("nurse", "follow-up overdue", "/staff/call-lists/follow-up-overdue/", None),
    ("nurse", "follow-up overdue with errors", "/staff/call-lists/follow-up-overdue/", lambda page: _submit(page)),
    ("nurse", "dashboard", "/staff/dashboard/", None),
    ("nurse", "survivors", "/staff/survivors/", None),
    ("nurse", "survivors search", "/staff/survivors/?q=Maria", None),
    ("nurse", "invitations", "/staff/", None),
    ("nurse", "survivor history", "/staff/survivors/{maria}/", None),
    ("nurse", "follow-up plan", "/staff/survivors/{maria}/plan/", None),
    ("nurse", "follow-up plan with errors", "/staff/survivors/{maria}/plan/", plan_add_errors),
    ("nurse", "follow-up plan item with errors", "/staff/survivors/{maria}/plan/", plan_item_errors),
    ("nurse", "your sessions", "/account/sessions/", None),
    ("nurse", "two-step sign-in", "/accounts/second-factor/", None),
    ("clinic_admin", "staff home", "/staff/", None),
    ("clinic_admin", "dashboard", "/staff/dashboard/", None),
    ("clinic_admin", "rules", "/rules/", None),
    ("clinic_admin", "rule", "/rules/{rule}/", None),
    ("clinic_admin", "rule edit", "/rules/{rule}/edit/", None),
    ("clinic_admin", "switch a rule off", "/rules/{rule}/toggle/", None),
    ("clinic_admin", "switch a rule off with errors", "/rules/{rule}/toggle/", switch_errors),
    ("clinic_admin", "new rule", "/rules/new/", None),
    ("clinic_admin", "rules import", "/rules/import/", None),
    ("clinic_admin", "scenario bench", "/rules/bench/", None),
    ("clinic_admin", "scenario bench results", "/rules/bench/", bench_results),
    ("clinic_admin", "test a sentence", "/rules/sentence/", None),
    ("clinic_admin", "test a sentence result", "/rules/sentence/", sentence_result),
    ("clinic_admin", "plan templates", "/admin-pages/plan-templates/", None),
    ("clinic_admin", "new plan template", "/admin-pages/plan-templates/new/", None),
    ("clinic_admin", "new plan template with errors", "/admin-pages/plan-templates/new/", template_errors),
    ("clinic_admin", "edit plan template", "/admin-pages/plan-templates/{plan_template}/", None),
    ("clinic_admin", "messages", "/admin-pages/messages/", None),
    ("clinic_admin", "cadence", "/admin-pages/cadence/", None),
    ("clinic_admin", "audit", "/admin-pages/audit/", None),
    ("clinic_admin", "security events", "/admin-pages/security/", None),
    ("clinic_admin", "accounts", "/admin-pages/accounts/", None),
    ("clinic_admin", "accounts search", "/admin-pages/accounts/?q=Maria", None),
    ("clinic_admin", "FHIR clients", "/admin-pages/fhir-clients/", None),
    ("clinic_admin", "register a FHIR client", "/admin-pages/fhir-clients/new/", None),
    (
        "clinic_admin",
        "register a FHIR client with errors",
        "/admin-pages/fhir-clients/new/",
        lambda page: _submit(page),
    ),
    ("nurse", "her MRN", "/staff/mrn/", None),
    ("anonymous", "login", "/accounts/login/", None),
    ("anonymous", "login with errors", "/accounts/login/", login_errors),
    ("anonymous", "login locked out", "/accounts/login/", login_locked_out),
    ("anonymous", "password reset", "/accounts/password-reset/", None),
    ("anonymous", "password reset sent", "/accounts/password-reset/sent/", None),
    ("anonymous", "invite accept", "/invite/{invite_token}/", None),
    ("anonymous", "invite accept with errors", "/invite/{invite_token}/", lambda page: _submit(page)),
    ("anonymous", "invite link broken", "/invite/not-a-token/", None),
    ("anonymous", "not found", "/no-such-page/", None),
    ("anonymous", "server error", "/__server-error__/", None),
]
PAGE_IDS = [f"{role}:{name}" for role, name, _, _ in PAGES]


@pytest.fixture(scope="module")
def site(module_live_server):
    return seed_site(module_live_server.url)


@pytest.fixture(scope="module")
def contexts(site, module_browser):
    """One logged-in browser context per role and viewport, made on first use."""
    made = {}

    def get(role, viewport):
        if (role, viewport) not in made:
            context = module_browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
            context.set_default_timeout(15_000)
            log_in(context, site, role)
            # The 500 page as the server sends it when a view fails: rendered
            # without a request, as Django's server_error handler does.
            server_error = render_to_string("500.html")
            context.route("**/__server-error__/", lambda route: route.fulfill(status=500, body=server_error))
            made[(role, viewport)] = context
        return made[(role, viewport)]

    yield get
    for context in made.values():
        context.close()


def visit(contexts, site, role, path, action, viewport):
    page = contexts(role, viewport).new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = page.goto(site.path(path))
    assert response is not None
    if action is not None:
        action(page)
    page.wait_for_load_state("load")
    return page, errors


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("role", "name", "path", "action"), PAGES, ids=PAGE_IDS)
def test_no_axe_violations(contexts, site, role, name, path, action, width):
    page, errors = visit(contexts, site, role, path, action, WIDTHS[width])
    try:
        assert not errors, f"script errors on {role}:{name}: {errors}"
        assert_no_axe_violations(page, f"{role}:{name} at {width} ({WIDTHS[width][0]} px)")
    finally:
        page.close()


# Every element that sticks out of the viewport, unless a scrolling box of
# its own (a table in .table-responsive) holds it: the outermost ones only.
OVERFLOW_JS = """() => {
    const width = document.scrollingElement.clientWidth;
    const held = (el) => {
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
            const x = getComputedStyle(p).overflowX;
            if (x === "auto" || x === "scroll" || x === "hidden" || x === "clip") return true;
        }
        return false;
    };
    const out = new Set(), positioned = new Set();
    for (const el of document.body.querySelectorAll("*")) {
        const box = el.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) continue;
        if (box.right <= width + 1 && box.left >= -1) continue;
        if (!held(el)) out.add(el);
        // A scrolling box holds an absolutely positioned descendant only if
        // it is positioned itself: named when nothing else explains the width.
        else if (["absolute", "fixed"].includes(getComputedStyle(el).position)) positioned.add(el);
    }
    if (!out.size && document.scrollingElement.scrollWidth > width) positioned.forEach(el => out.add(el));
    const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + [...el.classList].map(c => "." + c).join("");
    return {
        scrollWidth: document.scrollingElement.scrollWidth,
        clientWidth: width,
        outside: [...out].filter(el => !out.has(el.parentElement)).slice(0, 8).map(el => {
            const box = el.getBoundingClientRect();
            return `${name(el)} (${Math.round(box.left)}..${Math.round(box.right)} px): `
                + (el.innerText || "").trim().slice(0, 60);
        }),
    };
}"""


def assert_fits(page, where):
    found = page.evaluate(OVERFLOW_JS)
    assert found["scrollWidth"] <= found["clientWidth"] and not found["outside"], (
        f"{where}: the page is {found['scrollWidth']} px wide in a {found['clientWidth']} px window; "
        f"sticking out: {found['outside']}"
    )


@pytest.mark.parametrize(("role", "name", "path", "action"), PAGES, ids=PAGE_IDS)
def test_no_sideways_scroll_at_390_px(contexts, site, role, name, path, action):
    page, _ = visit(contexts, site, role, path, action, WIDTHS["phone"])
    try:
        assert_fits(page, f"{role}:{name} at 390 px")
    finally:
        page.close()


@pytest.mark.parametrize(("role", "name", "path", "action"), PAGES, ids=PAGE_IDS)
def test_nothing_overflows_at_320_px_with_text_at_200_percent(contexts, site, role, name, path, action):
    # Text at 200% as a person sets it in Chromium's settings (default font
    # size 16 -> 32 px, through the DevTools protocol): everything sized in
    # rem or em doubles, the viewport stays 320 CSS px. Not CSS zoom, which
    # would shrink the viewport to 160 CSS px as page zoom does.
    context = contexts(role, (320, 640))
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Page.enable")
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
    try:
        page.goto(site.path(path))
        if action is not None:
            action(page)
        page.wait_for_load_state("load")
        root = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
        assert root == 32, f"text is not at 200% (root font size {root} px)"
        assert_fits(page, f"{role}:{name} at 320 px, text at 200%")
    finally:
        page.close()


# What the keyboard focus looks like on the focused element (or, for the
# severity scale's hidden radio, on its label): the outline, and the
# background it is drawn on (the first opaque one behind the element).
FOCUS_JS = """() => {
    let el = document.activeElement;
    if (!el || el === document.body) return null;
    const describe = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + (el.getAttribute("name") ? `[name=${el.getAttribute("name")}]` : "")
        + " " + (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 40);
    if (getComputedStyle(el).opacity === "0" && el.labels && el.labels.length) el = el.labels[0];
    const style = getComputedStyle(el);
    let bg = "rgb(255, 255, 255)";
    for (let p = el.parentElement; p; p = p.parentElement) {
        const c = getComputedStyle(p).backgroundColor;
        if (c !== "rgba(0, 0, 0, 0)" && c !== "transparent") { bg = c; break; }
    }
    return {what: describe, style: style.outlineStyle, width: parseFloat(style.outlineWidth),
            color: style.outlineColor, background: bg};
}"""


def _luminance(rgb: str) -> float:
    r, g, b = (int(v) / 255 for v in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3])
    return sum(
        k * (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
        for k, c in zip((0.2126, 0.7152, 0.0722), (r, g, b), strict=True)
    )


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


FOCUS_PAGES = [
    ("survivor", "home", "/"),
    ("survivor", "check-in", "/check-in/"),
    ("survivor", "my follow-up", "/my-follow-up/"),
    ("survivor", "bring to your visit", "/my-follow-up/{plan_item}/bring-to-your-visit/"),
    ("nurse", "queue", "/staff/queue/"),
    ("nurse", "flag", "/staff/flags/{flag}/"),
    ("clinic_admin", "rules", "/rules/"),
    ("survivor", "set up two-step sign-in", "/accounts/second-factor/set-up/"),
    ("anonymous", "login", "/accounts/login/"),
]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("role", "name", "path"), FOCUS_PAGES, ids=[f"{r}:{n}" for r, n, _ in FOCUS_PAGES])
def test_every_control_shows_a_visible_focus_ring(contexts, site, role, name, path, width):
    """Tab through the whole page: each stop has a solid outline at least
    2 px wide with 3:1 contrast against what is behind it (the navigation
    bar included)."""
    page, _ = visit(contexts, site, role, path, None, WIDTHS[width])
    try:
        # Start at the top of the page, not at a field the page focused itself.
        page.evaluate("const r = document.documentElement; r.tabIndex = -1; r.focus(); r.removeAttribute('tabindex')")
        seen, problems = set(), []
        for _ in range(150):
            page.keyboard.press("Tab")
            focus = page.evaluate(FOCUS_JS)
            if focus is None or focus["what"] in seen:
                break
            seen.add(focus["what"])
            ratio = _contrast(focus["color"], focus["background"])
            if focus["style"] in ("none", "hidden") or focus["width"] < 2 or ratio < 3:
                problems.append(f"{focus['what']}: outline {focus['style']} {focus['width']} px, {ratio:.1f}:1")
        assert len(seen) > 3, f"only {len(seen)} focus stops on {role}:{name}"
        assert not problems, f"focus not visible on {role}:{name} at {width}:\n" + "\n".join(problems)
    finally:
        page.close()


def test_her_visit_summary_prints_on_one_page_without_the_menu(contexts, site):
    """Bring to your visit, printed: the menu, the care-team bar, buttons
    and the form go (static/css/app.css @media print); her questions print
    as text; it fits one A4 sheet."""
    import re

    page = contexts("survivor", WIDTHS["desktop"]).new_page()
    try:
        page.goto(site.path("/my-follow-up/{plan_item}/bring-to-your-visit/"))
        assert page.locator("header nav").is_visible()
        assert not page.locator("[data-questions-printed]").is_visible()
        page.emulate_media(media="print")
        for hidden in ("header nav", ".care-team-bar", "main form", "[data-print]"):
            assert not page.locator(hidden).first.is_visible(), hidden
        printed = page.locator("[data-questions-printed]")
        assert printed.is_visible()
        assert "Can I have the results by phone?" in printed.inner_text()
        assert page.locator("h1").is_visible() and page.locator("[data-visit=symptoms]").is_visible()
        pdf = page.pdf(format="A4")
        assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    finally:
        page.close()
