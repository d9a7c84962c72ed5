"""`make pdf`: the whole book in one PDF, printed by headless Chromium from the built site.

Its text has every chapter's title (each chapter's first heading in its source) and the
version of the latest release; every page is numbered; the charts are vector drawings (their
titles are text in the PDF, and the PDF holds no raster image at all); the site offers it beside
the dataset."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from livingreview.build.reader import pdf_link_shown
from livingreview.build.site import toc_files
from livingreview.cli import pdf
from livingreview.review.changes import latest_release
from livingreview.review.living import DOWNLOADS, PDF_NAME

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.build, pytest.mark.browser]


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).replace("*", "").split())


def _images(obj: object, seen: set[int]) -> int:
    """Raster images reachable from a page's resources, through form XObjects too."""
    resources = obj.get("/Resources") if hasattr(obj, "get") else None  # type: ignore[union-attr]
    xobjects = resources.get_object().get("/XObject") if resources else None
    count = 0
    for ref in (xobjects.get_object() if xobjects is not None else {}).values():
        x = ref.get_object()
        if id(x) in seen:
            continue
        seen.add(id(x))
        if x.get("/Subtype") == "/Image":
            count += 1
        elif x.get("/Subtype") == "/Form":
            count += _images(x, seen)
    return count


@pytest.fixture(scope="module")
def printed(built_book: Path) -> tuple[Path, PdfReader, list[str]]:
    from tests.test_browser import _chromium

    _chromium()  # skip (or fail on CI) without Chromium, as the browser test does
    # As built: the site offers a PDF only if it has one (a build removes an earlier one).
    offered = pdf_link_shown((built_book / "chapters" / "evidence-tables.html").read_text(encoding="utf-8"))
    assert offered == (built_book / DOWNLOADS / PDF_NAME).is_file()
    target = pdf.make_pdf(ROOT, built_book)
    reader = PdfReader(target)
    return target, reader, [p.extract_text() or "" for p in reader.pages]


def test_pdf_has_every_chapter_title_and_the_version(printed: tuple[Path, PdfReader, list[str]]) -> None:
    _, _, pages = printed
    text = _norm(" ".join(pages))
    for doc in toc_files(ROOT):
        source = (ROOT / f"{doc}.md").read_text(encoding="utf-8")
        title = re.search(r"^# (.+)$", source, re.M)
        assert title, f"{doc}: no title"
        assert _norm(title.group(1)) in text, f"{doc}: title {title.group(1)!r} not in the PDF"
    release = latest_release(ROOT)
    first = _norm(pages[0])
    assert f"Version {release.version}" in first
    assert str(release.search_date) in first and str(release.date) in first
    assert "How to cite" in first


def test_pdf_pages_are_numbered(printed: tuple[Path, PdfReader, list[str]]) -> None:
    _, reader, pages = printed
    n = len(reader.pages)
    assert n > len(toc_files(ROOT))  # a title page and at least a page per chapter
    for i, page in enumerate(pages, 1):
        assert f"Page {i} of {n}" in _norm(page), f"page {i}: no page number"


def test_pdf_charts_are_vector(printed: tuple[Path, PdfReader, list[str]], built_book: Path) -> None:
    _, reader, pages = printed
    seen: set[int] = set()
    assert sum(_images(p, seen) for p in reader.pages) == 0, "raster images in the PDF"
    # Each chart's drawing is in the PDF as vector text and paths: its title (the first text of
    # its SVG, Vega's title mark) is found in the PDF's text.
    text = _norm(" ".join(pages))
    titles = []
    for page in built_book.glob("chapters/*.html"):
        for svg in re.findall(
            r'<div class="lr-vega-target">(<svg.*?</svg>)', page.read_text(encoding="utf-8"), re.S
        ):
            m = re.search(r'class="mark-text role-title-text"[^>]*>.*?<text[^>]*>([^<]+)</text>', svg, re.S)
            if m:
                titles.append(_norm(m.group(1).replace("&amp;", "&")))
    assert titles, "no chart titles found in the built pages"
    missing = [t for t in titles if t not in text]
    assert not missing, f"chart titles not in the PDF's text: {missing}"


def test_site_offers_the_pdf_beside_the_dataset(
    printed: tuple[Path, PdfReader, list[str]], built_book: Path
) -> None:
    target, _, _ = printed
    page = built_book / "chapters" / "evidence-tables.html"
    text = page.read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]*livingreview\.pdf)"', text)
    assert links and pdf_link_shown(text), "the evidence tables page does not offer the PDF"
    assert all((page.parent / link).resolve() == target.resolve() for link in links)
    assert (target.parent / "livingreview-data.zip").is_file()


def _png(width: int = 8, height: int = 8) -> bytes:
    """A small red RGB PNG, made here (no file needed)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_the_raster_check_finds_a_raster_image(
    printed: tuple[Path, PdfReader, list[str]], tmp_path: Path
) -> None:
    """The vector check is not blind: a page with a PNG printed the same way has an image."""
    import base64

    site = tmp_path / "site" / "chapters"
    site.mkdir(parents=True)
    uri = "data:image/png;base64," + base64.b64encode(_png()).decode()
    target = tmp_path / "raster.pdf"
    pdf.print_pdf(
        f'<html><body><p>A raster</p><img alt="red" src="{uri}" width="80"></body></html>', site, target
    )
    reader = PdfReader(target)
    assert sum(_images(p, set()) for p in reader.pages) >= 1


def test_a_single_page_prints_without_navigation(built_book: Path) -> None:
    """The print stylesheet: a page printed on its own shows its content and charts, not the
    site's header, sidebars or buttons."""
    from playwright.sync_api import sync_playwright

    from livingreview.cli.browser import CHROMIUM_FLAGS
    from tests.test_browser import _chromium

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            page.goto((built_book / "chapters" / "blinatumomab.html").as_uri(), wait_until="load")
            page.emulate_media(media="print")
            shown = page.evaluate(
                """() => Object.fromEntries(['.bd-header', '.bd-sidebar-primary', '.bd-sidebar-secondary',
                    '.prev-next-area', 'input.lr-filter', '.bd-article', 'div.lr-vega-target > svg']
                  .map(s => [s, [...document.querySelectorAll(s)]
                    .some(e => e.getBoundingClientRect().height > 0
                               && getComputedStyle(e).display !== 'none')]))"""
            )
        finally:
            browser.close()
    assert shown == {
        ".bd-header": False,
        ".bd-sidebar-primary": False,
        ".bd-sidebar-secondary": False,
        ".prev-next-area": False,
        "input.lr-filter": False,
        ".bd-article": True,
        "div.lr-vega-target > svg": True,
    }
