"""A reader's browser, with the network off: every page of the built book opens in headless
Chromium (Debian's), every chart renders to SVG, no JavaScript error is logged, and no request
leaves the site's own files. Pages are opened both over http (as deployed) and as file://
(a downloaded copy)."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from livingreview.build.site import expected_charts, toc_files
from livingreview.cli.bench import CHROMIUM_FLAGS

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.build, pytest.mark.browser]


def _chromium() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail("no Chromium on this CI machine: .ci/run must install Debian's `chromium`")
    pytest.skip("Chromium not installed (apt-get install chromium); CI fails instead of skipping")


@pytest.fixture(scope="module")
def server(built_book: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser(built_book: Path) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


def _visit(browser: object, url: str, site_prefix: str) -> dict[str, object]:
    """Open one page with every request outside the site aborted; report what happened."""
    context = browser.new_context(service_workers="block")  # type: ignore[attr-defined]
    page = context.new_page()
    outside: list[str] = []
    errors: list[str] = []

    def route(r: object) -> None:
        req_url = r.request.url  # type: ignore[attr-defined]
        if req_url.startswith(site_prefix) or req_url.startswith("data:") or req_url.startswith("blob:"):
            r.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(req_url)
            r.abort()  # type: ignore[attr-defined]

    context.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="load")
    # Every chart container ends rendered or with an error recorded by the loader; if not, the
    # charts are reported below as not drawn, together with any error that stopped them.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            """() => [...document.querySelectorAll('div.lr-vega')]
                     .every(el => el.dataset.lrRendered || el.dataset.lrError)""",
            timeout=20_000,
        )
    charts = page.eval_on_selector_all(
        "div.lr-vega",
        "els => els.map(el => ({error: el.dataset.lrError || null,"
        " drawn: !!el.querySelector('.lr-vega-target svg, .lr-vega-target canvas'),"
        " marks: el.querySelectorAll('.lr-vega-target svg .mark-symbol path, .lr-vega-target svg path,"
        " .lr-vega-target svg rect').length}))",
    )
    context.close()
    return {"outside": outside, "errors": errors, "charts": charts}


PAGES = toc_files(ROOT)


@pytest.mark.parametrize("doc", PAGES)
def test_page_renders_offline_over_http(browser: object, server: str, doc: str) -> None:
    result = _visit(browser, f"{server}{doc}.html", server)
    _assert_clean(doc, result)


@pytest.mark.parametrize("doc", PAGES)
def test_page_renders_offline_from_file(browser: object, built_book: Path, doc: str) -> None:
    prefix = built_book.as_uri() + "/"
    result = _visit(browser, f"{prefix}{doc}.html", prefix)
    _assert_clean(doc, result)


def _assert_clean(doc: str, result: dict[str, object]) -> None:
    assert result["outside"] == [], f"{doc}: requests outside the site: {result['outside']}"
    assert result["errors"] == [], f"{doc}: JavaScript errors: {result['errors']}"
    charts = result["charts"]
    assert isinstance(charts, list)
    want = expected_charts(ROOT / f"{doc}.md") if (ROOT / f"{doc}.md").exists() else 0
    assert len(charts) >= want, f"{doc}: {len(charts)} charts in the browser, front matter declares {want}"
    for i, c in enumerate(charts, 1):
        assert c["error"] is None, f"{doc}: chart {i} failed: {c['error']}"
        assert c["drawn"] and c["marks"] > 0, f"{doc}: chart {i} has no rendered SVG marks"


def _show_all_rows(browser: object, url: str) -> list[dict[str, int]]:
    """Click every long table's "Show all" and report the rows before, after and announced."""
    context = browser.new_context(service_workers="block")  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(url, wait_until="load")
    tables = page.eval_on_selector_all("table[data-lr-rows]", "ts => ts.map(t => t.dataset.lrKey)")
    found = []
    for key in tables:
        table = f'table[data-lr-key="{key}"]'
        before = page.eval_on_selector(table, "t => t.tBodies[0].rows.length")
        total = int(page.eval_on_selector(table, "t => t.dataset.lrTotal"))
        page.click(f'p.lr-more[data-lr-for="{key}"] button.lr-show-all')
        page.wait_for_function(
            f"() => document.querySelector('{table}').tBodies[0].rows.length === {total}", timeout=10_000
        )
        after = page.eval_on_selector(table, "t => t.tBodies[0].rows.length")
        found.append({"before": before, "after": after, "total": total})
    context.close()
    return found


@pytest.mark.parametrize("over", ["http", "file"])
def test_show_all_loads_the_rest_of_a_long_table(
    browser: object, server: str, built_book: Path, over: str
) -> None:
    """The evidence tables' outcomes table is longer than a page carries: the rest comes from
    the site's own script when the reader asks, over http and from a downloaded copy alike."""
    base = server if over == "http" else built_book.as_uri() + "/"
    tables = _show_all_rows(browser, f"{base}chapters/evidence-tables.html")
    assert tables, "no long table on the evidence tables page"
    for t in tables:
        assert t["before"] < t["total"] == t["after"], t
