"""axe-core (from npm, pinned in package-lock.json; `make test` installs it)
run inside a Playwright page, failing with a readable list of violations.

Our CSP forbids inline script, so page.add_script_tag(path=...) (an inline
<script>) is refused by the page. The file is evaluated through the
DevTools protocol instead, which the page's CSP does not govern; the
context keeps the real CSP (no bypass_csp), so what axe sees is what she
sees."""

from functools import cache
from pathlib import Path

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2, levels A and AA: the success criteria axe can test.
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@cache
def _axe_source() -> str:
    if not AXE_JS.exists():
        raise AssertionError(f"{AXE_JS} is missing: run `make test` (it runs `npm ci`) or `npm ci` at the repo root.")
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page, tags=WCAG_AA_TAGS) -> list[dict]:
    """The violations axe finds on the page as it is now (rule id, impact,
    help, help URL and each failing node's target and summary)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    return page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.map(String), summary: n.failureSummary})),
            }));
        }""",
        tags,
    )


def format_violations(violations: list[dict], *, limit: int = 8) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}  {v['helpUrl']}")
        for node in v["nodes"][:limit]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    {' > '.join(node['target'])}: {summary[:300]}")
        if len(v["nodes"]) > limit:
            lines.append(f"    ... and {len(v['nodes']) - limit} more")
    return "\n".join(lines)


def assert_no_axe_violations(page, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe-core found {len(violations)} WCAG 2.2 AA violation(s) on {where}:\n" + (
        format_violations(violations)
    )
