"""The output check after the build: every toc entry has its page with content, pages carry the
charts their front matter declares, and nothing is loaded from another origin. The real build
must pass it; damaged copies of it must not."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from livingreview.build.site import check_site, expected_charts, toc_files

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.build


@pytest.fixture()
def site_copy(built_book: Path, tmp_path: Path) -> Path:
    """A copy of the project's sources that matter to the check, with a copy of the built HTML."""
    root = tmp_path / "book"
    root.mkdir()
    shutil.copy(ROOT / "_toc.yml", root / "_toc.yml")
    shutil.copytree(ROOT / "chapters", root / "chapters")
    shutil.copytree(built_book, root / "_build" / "html")
    return root


def test_real_build_passes_the_output_check(built_book: Path) -> None:
    assert check_site(ROOT, built_book) == []


def test_every_toc_entry_has_a_page(built_book: Path) -> None:
    docs = toc_files(ROOT)
    assert "chapters/index" in docs and len(docs) >= 4
    for doc in docs:
        assert (built_book / f"{doc}.html").is_file(), doc


def test_missing_page_is_reported(site_copy: Path) -> None:
    (site_copy / "_build/html/chapters/infant-kmt2a.html").unlink()
    assert any("chapters/infant-kmt2a: no page" in str(p) for p in check_site(site_copy))


def test_page_without_its_charts_is_reported(site_copy: Path) -> None:
    assert expected_charts(site_copy / "chapters/infant-kmt2a.md") >= 1
    page = site_copy / "_build/html/chapters/infant-kmt2a.html"
    html = re.sub(r'<div class="lr-vega".*?</script>', "", page.read_text(encoding="utf-8"), flags=re.S)
    page.write_text(html, encoding="utf-8")
    assert any("0 chart(s) on the page" in str(p) for p in check_site(site_copy))


def test_empty_page_is_reported(site_copy: Path) -> None:
    page = site_copy / "_build/html/chapters/data-dictionary.html"
    page.write_text("<html><body><main></main></body></html>", encoding="utf-8")
    assert any("nearly empty" in str(p) for p in check_site(site_copy))


def test_long_table_without_its_other_rows_is_reported(site_copy: Path) -> None:
    page = site_copy / "_build/html/chapters/evidence-tables.html"
    urls = re.findall(r'data-lr-rows="([^"]+)"', page.read_text(encoding="utf-8"))
    assert urls  # the outcomes table is long
    assert check_site(site_copy) == []
    (page.parent / urls[0]).unlink()
    assert any("other rows are missing" in str(p) for p in check_site(site_copy))


def test_script_from_another_origin_is_reported(site_copy: Path) -> None:
    page = site_copy / "_build/html/chapters/index.html"
    html = page.read_text(encoding="utf-8").replace(
        "</head>", '<script src="https://cdn.jsdelivr.net/npm/vega@6"></script></head>'
    )
    page.write_text(html, encoding="utf-8")
    problems = [str(p) for p in check_site(site_copy)]
    assert any("loads from another origin" in p and "cdn.jsdelivr.net" in p for p in problems)


def test_no_built_page_fetches_from_another_origin(built_book: Path) -> None:
    # Acceptance: no <script src> or <link href> to another origin anywhere in the built HTML.
    offenders = []
    for page in built_book.rglob("*.html"):
        for m in re.finditer(
            r'<(script|link)\b[^>]*\b(src|href)="((?:https?:)?//[^"]+)"', page.read_text(encoding="utf-8")
        ):
            tag = m.group(0)
            if m.group(1) == "link" and not re.search(
                r'rel="[^"]*(stylesheet|preload|icon|modulepreload)', tag
            ):
                continue
            offenders.append(f"{page.relative_to(built_book)}: {m.group(3)}")
    assert offenders == []
