"""Accessibility checks with axe-core, run inside a real page (Playwright).

axe-core is pinned in ``tests/axe/package.json`` / ``package-lock.json`` and installed by
``make`` (``npm ci``) into ``tests/axe/node_modules``; nothing is fetched when a check runs.
Only WCAG 2.0/2.1 level A and AA rules are run, and a violation counts when axe rates its
impact serious or critical.
"""

from __future__ import annotations

from typing import Any

from livingreview.core.paths import REPO_ROOT

AXE_JS = REPO_ROOT / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
COUNTED_IMPACTS = {"serious", "critical"}

_RUN = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html.slice(0, 200),
                               summary: (n.failureSummary || "").slice(0, 300)}))}));
}"""


def axe_source() -> str:
    if not AXE_JS.is_file():
        raise FileNotFoundError(
            f"{AXE_JS} is missing: `make` installs it (cd tests/axe && npm ci) from the pinned lock file"
        )
    return AXE_JS.read_text(encoding="utf-8")


def violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical WCAG 2.1 A/AA violations on the page Playwright has open."""
    page.add_script_tag(content=axe_source())
    found = page.evaluate(_RUN, WCAG_TAGS)
    return [v for v in found if v["impact"] in COUNTED_IMPACTS]


def summary(found: list[dict[str, Any]]) -> str:
    """One line per rule, with its first nodes: what a failing test prints."""
    lines = []
    for v in found:
        where = "; ".join(n["target"] for n in v["nodes"][:4])
        lines.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} node(s)): {v['help']} — {where}")
    return "\n".join(lines)
