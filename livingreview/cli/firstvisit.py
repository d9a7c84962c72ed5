"""What a reader's first visit costs and shows, measured in headless Chromium over loopback HTTP
(for ``make bench``).

For each page, a fresh browser context (empty cache) opens it and waits until the network has
been idle for half a second; every response's bytes (headers and body, as Chromium counts them)
are added up: that is the first visit. Nothing is clicked, hovered or scrolled, so what waits for
the reader (the charts' interactive view, a long table's other rows) is not in it; for chart pages
the bytes a reader then pulls by pointing at a chart are reported beside it.

"Charts at first paint": each chart's drawing is in the HTML (an SVG inside the chart's
container when the document is parsed, before any script) and, with JavaScript off, is laid out
with a visible size.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

MAX_FIRST_VISIT = 1_000_000  # heaviest page's first visit <= 1,000 KB over HTTP

# Before any page script: what the parser has put in place by DOMContentLoaded, and when the
# first contentful paint happened.
_AT_PARSE_JS = """
(() => {
  document.addEventListener("DOMContentLoaded", () => {
    const els = [...document.querySelectorAll("div.lr-vega")];
    window.__lrAtParse = {charts: els.length,
      drawn: els.filter(el => el.querySelector(".lr-vega-target > svg")).length};
  });
})();
"""


def _bytes(requests: list[Any]) -> tuple[int, int]:
    total = 0
    for r in requests:
        s = r.sizes()
        total += max(0, s.get("responseBodySize", 0)) + max(0, s.get("responseHeadersSize", 0))
    return total, len(requests)


def measure(site: Path, pages: list[str]) -> dict[str, dict[str, Any]]:
    from livingreview.cli.browser import site_browser, site_only

    out: dict[str, dict[str, Any]] = {}
    with site_browser(site) as (base, browser):
        for rel in pages:
            outside: list[str] = []
            context = browser.new_context(service_workers="block")
            context.route("**/*", site_only(base, outside))
            context.add_init_script(_AT_PARSE_JS)
            finished: list[Any] = []
            context.on("requestfinished", functools.partial(list.append, finished))
            page = context.new_page()
            page.goto(base + rel, wait_until="networkidle")
            first, requests = _bytes(finished)
            at_parse = page.evaluate("window.__lrAtParse || {charts: 0, drawn: 0}")
            fcp = page.evaluate(
                "(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null"
            )
            entry: dict[str, Any] = {
                "bytes": first,
                "requests": requests,
                "first_contentful_paint_ms": round(fcp, 1) if fcp else None,
                "charts": at_parse["charts"],
                "charts_in_html": at_parse["drawn"],
                "outside_requests": sorted(set(outside)),
            }
            if at_parse["charts"]:
                page.hover("div.lr-vega")
                page.wait_for_function(
                    "() => [...document.querySelectorAll('div.lr-vega')]"
                    ".every(el => el.dataset.lrRendered || el.dataset.lrError)",
                    timeout=60_000,
                )
                page.wait_for_load_state("networkidle")
                entry["bytes_after_chart_interaction"] = _bytes(finished)[0]
            context.close()
            if at_parse["charts"]:
                entry["charts_drawn_without_js"] = _drawn_without_js(browser, base + rel)
            out[rel] = entry
    return out


def _drawn_without_js(browser: Any, url: str) -> int:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(url, wait_until="load")
    drawn = page.eval_on_selector_all(
        "div.lr-vega-target > svg",
        "els => els.filter(s => { const r = s.getBoundingClientRect();"
        " return r.width > 0 && r.height > 0; }).length",
    )
    context.close()
    return int(drawn)


def targets(first_visit: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The first-visit target and the charts-at-first-paint target, with their figures."""
    if not first_visit:
        return []
    page, worst = max(first_visit.items(), key=lambda kv: kv[1]["bytes"])
    clean = all(not e["outside_requests"] for e in first_visit.values())
    out = [
        {
            "target": f"heaviest first visit <= {MAX_FIRST_VISIT // 1000:,} KB over HTTP",
            "figure": f"{worst['bytes'] / 1000:,.0f} KB ({page}, {worst['requests']} requests)"
            + ("" if clean else "; requests outside the site"),
            "pass": worst["bytes"] <= MAX_FIRST_VISIT and clean,
        }
    ]
    charts = sum(e["charts"] for e in first_visit.values())
    in_html = sum(e["charts_in_html"] for e in first_visit.values())
    no_js = sum(e.get("charts_drawn_without_js", 0) for e in first_visit.values())
    out.append(
        {
            "target": "charts visible at first paint (drawn in the HTML, shown without scripts)",
            "figure": f"{in_html} of {charts} in the HTML; {no_js} of {charts} drawn with JavaScript off",
            "pass": charts > 0 and in_html == charts == no_js,
        }
    )
    return out


def markdown(first_visit: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "## First visit over HTTP",
        "",
        "| Page | First visit | Requests | First paint | Charts in HTML | After pointing at a chart |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for page, e in first_visit.items():
        fcp = f"{e['first_contentful_paint_ms']:.0f} ms" if e.get("first_contentful_paint_ms") else "—"
        after = e.get("bytes_after_chart_interaction")
        lines.append(
            f"| {page} | {e['bytes'] / 1000:,.0f} KB | {e['requests']} | {fcp} | "
            f"{e['charts_in_html']} of {e['charts']} | {f'{after / 1000:,.0f} KB' if after else '—'} |"
        )
    return lines
