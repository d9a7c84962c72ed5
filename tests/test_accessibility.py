"""Accessibility in a real browser: axe-core (pinned in tests/axe, installed by ``make``) run in
every page of the built book finds no serious or critical WCAG 2.1 A/AA violation, before and
after the charts' interactive view has loaded; a page with a planted violation fails the same
check; the interactive parts work from the keyboard; and without JavaScript the charts are
still there, drawn."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from livingreview.build.site import expected_charts, toc_files
from livingreview.cli import axe
from tests.test_browser import browser, server  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.build, pytest.mark.browser]
PAGES = toc_files(ROOT)


def _open(chromium: object, url: str, **options: object) -> tuple[object, object]:
    context = chromium.new_context(service_workers="block", **options)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(url, wait_until="load")
    return context, page


def _settled(page: object) -> None:
    """Wait for the page's CSS transitions to end: the theme sets the colour mode after load and
    Bootstrap's buttons fade their colours in over 0.15 s, and a colour read mid-fade (a dark text
    on the dark background) is not what the reader sees."""
    page.evaluate(  # type: ignore[attr-defined]
        "() => Promise.all(document.getAnimations().filter(a => a instanceof CSSTransition)"
        ".map(a => a.finished.catch(() => null)))"
    )


def _interactive(page: object) -> None:
    """Bring the charts' interactive view, as a reader pointing at a chart does."""
    if page.query_selector("div.lr-vega"):  # type: ignore[attr-defined]
        page.hover("div.lr-vega")  # type: ignore[attr-defined]
        page.wait_for_function(  # type: ignore[attr-defined]
            "() => [...document.querySelectorAll('div.lr-vega')].every(el => el.dataset.lrLabelled)",
            timeout=20_000,
        )


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("doc", PAGES)
def test_no_serious_accessibility_violations(browser: object, server: str, doc: str, scheme: str) -> None:  # noqa: F811
    """In both colour modes (the theme follows the reader's system setting on a first visit)."""
    context, page = _open(browser, f"{server}{doc}.html", color_scheme=scheme)
    try:
        assert page.evaluate("document.documentElement.dataset.theme") == scheme  # type: ignore[attr-defined]
        _settled(page)
        found = axe.violations(page)
        assert not found, f"{doc} ({scheme}) as loaded:\n{axe.summary(found)}"
        _interactive(page)
        _settled(page)
        found = axe.violations(page)
        assert not found, f"{doc} ({scheme}) with interactive charts:\n{axe.summary(found)}"
    finally:
        context.close()  # type: ignore[attr-defined]


def test_a_planted_violation_fails_the_check(browser: object, built_book: Path, tmp_path: Path) -> None:  # noqa: F811
    """A doctored copy of a page, with an image that has no text alternative, is caught."""
    page_path = built_book / "chapters" / "mpal.html"
    text = page_path.read_text(encoding="utf-8")
    base = f'<base href="{page_path.parent.as_uri()}/">'
    planted = text.replace("<head>", f"<head>{base}", 1).replace(
        '<article class="bd-article">', '<article class="bd-article"><img src="../_static/file.png">', 1
    )
    assert planted != text
    doctored = tmp_path / "mpal.html"
    doctored.write_text(planted, encoding="utf-8")
    context, page = _open(browser, doctored.as_uri())
    try:
        found = axe.violations(page)
    finally:
        context.close()  # type: ignore[attr-defined]
    assert [v["id"] for v in found] == ["image-alt"], axe.summary(found)


def _tab_to(page: object, selector: str, limit: int = 200) -> bool:
    """Press Tab until the focused element matches ``selector`` (or ``limit`` presses)."""
    for _ in range(limit):
        page.keyboard.press("Tab")  # type: ignore[attr-defined]
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):  # type: ignore[attr-defined]
            return True
    return False


def test_tables_work_from_the_keyboard(browser: object, server: str) -> None:  # noqa: F811
    context, page = _open(browser, f"{server}chapters/evidence-tables.html")
    try:
        assert _tab_to(page, "input.lr-filter"), "no table filter reachable with Tab"
        page.keyboard.type("zzzz-no-such-row")  # type: ignore[attr-defined]
        page.wait_for_function(  # type: ignore[attr-defined]
            "() => /\\b0 of \\d+ rows/.test(document.activeElement.nextElementSibling.textContent)",
            timeout=10_000,
        )
        assert _tab_to(page, "button.lr-sort"), "no sort button reachable with Tab"
        assert _tab_to(page, "button.lr-show-all"), "'Show all' not reachable with Tab"
        key = page.evaluate("document.activeElement.closest('p.lr-more').dataset.lrFor")  # type: ignore[attr-defined]
        total = int(page.eval_on_selector(f'table[data-lr-key="{key}"]', "t => t.dataset.lrTotal"))  # type: ignore[attr-defined]
        page.keyboard.press("Enter")  # type: ignore[attr-defined]
        page.wait_for_function(  # type: ignore[attr-defined]
            f"() => document.querySelector(`table[data-lr-key='{key}']`).tBodies[0].rows.length === {total}",
            timeout=10_000,
        )
    finally:
        context.close()  # type: ignore[attr-defined]


def test_charts_and_their_menu_work_from_the_keyboard(browser: object, server: str) -> None:  # noqa: F811
    context, page = _open(browser, f"{server}chapters/blinatumomab.html")
    try:
        assert _tab_to(page, "div.lr-vega"), "no chart reachable with Tab"
        page.wait_for_function(  # type: ignore[attr-defined]
            "() => document.activeElement.dataset.lrLabelled", timeout=20_000
        )
        assert _tab_to(page, "div.lr-vega details > summary", limit=5), (
            "the chart's menu is not next with Tab"
        )
        assert page.evaluate("document.activeElement.getAttribute('aria-label')")  # type: ignore[attr-defined]
        page.keyboard.press("Enter")  # type: ignore[attr-defined]
        assert page.evaluate("document.activeElement.parentElement.open")  # type: ignore[attr-defined]
        assert _tab_to(page, "div.lr-vega details a", limit=3), "the menu's items are not reachable with Tab"
        assert re.search(r"SVG|PNG", page.evaluate("document.activeElement.textContent"))  # type: ignore[attr-defined]
    finally:
        context.close()  # type: ignore[attr-defined]


CHART_PAGES = [d for d in PAGES if (ROOT / f"{d}.md").exists() and expected_charts(ROOT / f"{d}.md")]


@pytest.mark.parametrize("doc", CHART_PAGES)
def test_charts_are_drawn_without_javascript(browser: object, server: str, doc: str) -> None:  # noqa: F811
    context, page = _open(browser, f"{server}{doc}.html", java_script_enabled=False)
    try:
        sizes = page.eval_on_selector_all(  # type: ignore[attr-defined]
            "div.lr-vega-target > svg[role=img]",
            "els => els.map(s => { const r = s.getBoundingClientRect(); return [r.width, r.height,"
            " s.querySelectorAll('path, rect, text').length]; })",
        )
        charts = page.eval_on_selector_all("div.lr-vega", "els => els.length")  # type: ignore[attr-defined]
    finally:
        context.close()  # type: ignore[attr-defined]
    assert len(sizes) == charts >= expected_charts(ROOT / f"{doc}.md")
    for i, (w, h, parts) in enumerate(sizes, 1):
        assert w > 100 and h > 50 and parts > 5, (
            f"{doc}: chart {i} not drawn without JavaScript ({w}x{h}, {parts})"
        )


@pytest.mark.parametrize("scripts", [True, False], ids=["js", "nojs"])
def test_phone_width_needs_no_horizontal_scrolling(browser: object, server: str, scripts: bool) -> None:  # noqa: F811
    """At 375 px every page's text fits the screen: the page itself does not scroll sideways
    (a wide table scrolls in its own box), and every chart fits the column."""
    problems, wide_tables = [], 0
    for doc in PAGES:
        context, page = _open(
            browser,
            f"{server}{doc}.html",
            viewport={"width": 375, "height": 740},
            java_script_enabled=scripts,
        )
        try:
            widths = page.evaluate(  # type: ignore[attr-defined]
                """() => ({page: document.documentElement.scrollWidth,
                  screen: document.documentElement.clientWidth,
                  article: document.querySelector('.bd-article').getBoundingClientRect().right,
                  charts: [...document.querySelectorAll('div.lr-vega-target > svg')]
                          .map(s => s.getBoundingClientRect().right),
                  wide: [...document.querySelectorAll('.bd-article table')]
                        .filter(t => t.scrollWidth > t.clientWidth + 1
                                     || t.getBoundingClientRect().width > innerWidth)
                        .map(t => { for (let e = t; e && e !== document.body; e = e.parentElement) {
                                      const o = getComputedStyle(e).overflowX;
                                      if (o === 'auto' || o === 'scroll') return true; }
                                    return false; })})"""
            )
        finally:
            context.close()  # type: ignore[attr-defined]
        if widths["page"] > widths["screen"]:
            problems.append(f"{doc}: the page is {widths['page']} px wide on a {widths['screen']} px screen")
        if any(right > widths["screen"] + 1 for right in widths["charts"]):
            problems.append(f"{doc}: a chart is wider than the screen: {widths['charts']}")
        if not all(widths["wide"]):
            problems.append(f"{doc}: a wide table does not scroll in its own box")
        wide_tables += len(widths["wide"])
    assert not problems, "\n".join(problems)
    assert wide_tables > 0, "no table is wider than a phone: the check above saw nothing to check"
