"""`python -m livingreview pdf` (``make pdf``): the whole book as one PDF, printed from the built
site by headless Chromium (Debian's, as in the browser test), offline.

One print document is made from the built pages, in table-of-contents order: a title page
(title from ``_config.yml``; version, release date and search date from the latest row of
``data/releases.csv``; how to cite from ``CITATION.cff``), a contents list, then each page's
article from a new page (a long table with all its rows; ids made unique per chapter, links
between pages turned into links within the PDF). Scripts are off while printing: the charts are
their build-time SVG drawings, so they stay vectors. Page numbers are in the footer.

The PDF goes beside the dataset in the site's ``downloads/`` (``PDF_NAME``), and the pages'
link to it is shown (:func:`livingreview.build.reader.show_pdf_link`); a later build that rewrites
the site removes it (it would describe the previous build) and hides the link again, until
``make pdf`` prints it anew.
"""

from __future__ import annotations

import html
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from livingreview.build import ASSETS
from livingreview.build.reader import show_pdf_link
from livingreview.build.site import toc_files
from livingreview.cli.browser import CHROMIUM_FLAGS, chromium_path
from livingreview.review.living import DOWNLOADS, PDF_NAME, latest_release

_ARTICLE = re.compile(r'<article class="bd-article">(?P<body>.*?)</article>', re.S)
_TITLE = re.compile(r"<h1[^>]*>(?P<t>.*?)</h1>", re.S)
_TAGS = re.compile(r"<[^>]+>")
_ROWS_TABLE = re.compile(
    r'<table(?P<attrs>[^>]*?)data-lr-rows="(?P<src>[^"]+)"(?P<rest>[^>]*)>(?P<table>.*?)</table>', re.S
)
_ROWS_JS = re.compile(r'\)\["(?P<key>[0-9a-f]+)"\] = (?P<json>".*")\s*;?\s*$', re.S)
_MORE = re.compile(r'<p class="lr-more"[^>]*>.*?</p>', re.S)
_HEADERLINK = re.compile(r'<a class="headerlink"[^>]*>.*?</a>', re.S)
_SCRIPT = re.compile(r"<script\b(?![^>]*application/json)[^>]*>.*?</script>", re.S)


def plain(fragment: str) -> str:
    return html.unescape(_TAGS.sub("", fragment)).replace("¶", "").strip()


def _full_table(page: Path, m: re.Match[str]) -> str:
    """A long table with every row: the rows its page loads on demand, put back in place."""
    script = (page.parent / m.group("src").split("?")[0]).resolve()
    rows = _ROWS_JS.search(script.read_text(encoding="utf-8"))
    if rows is None:
        raise ValueError(f"{script}: not a rows script")
    table = m.group("table")
    end = table.rfind("</tbody>")
    table = table[:end] + json.loads(rows.group("json")) + table[end:]
    return f"<table{m.group('attrs')}{m.group('rest')}>{table}</table>"


def chapter_html(page: Path, index: int, anchors: dict[str, str]) -> tuple[str, str]:
    """(title, HTML) of one built page's article, ready for the combined document."""
    text = page.read_text(encoding="utf-8")
    m = _ARTICLE.search(text)
    if m is None:
        raise ValueError(f"{page}: no <article class='bd-article'> in the built page")
    body = m.group("body")
    body = _ROWS_TABLE.sub(lambda t: _full_table(page, t), body)
    body = _MORE.sub("", body)
    body = _HEADERLINK.sub("", body)
    body = _SCRIPT.sub("", body)
    prefix = f"c{index}-"
    body = re.sub(r'\bid="([^"]+)"', lambda i: f'id="{prefix}{i.group(1)}"', body)
    body = re.sub(r"url\(#([^)]+)\)", lambda u: f"url(#{prefix}{u.group(1)})", body)

    def link(h: re.Match[str]) -> str:
        target = h.group(1)
        if target.startswith("#"):
            return f'href="#{prefix}{target[1:]}"'
        path, _, frag = target.partition("#")
        name = Path(path).name
        if name in anchors and "://" not in target:
            other = anchors[name]
            return f'href="#{other}{frag}"' if frag else f'href="#{other}top"'
        return h.group(0)

    body = re.sub(r'href="([^"]*)"', link, body)
    title_match = _TITLE.search(body)
    title = plain(title_match.group("t")) if title_match else page.stem
    return title, f'<section class="lr-pdf-chapter" id="{prefix}top">{body}</section>'


def citation(cff: dict[str, Any]) -> str:
    """How to cite, from CITATION.cff: authors, title, version, date, and DOI or URL if given."""
    authors = ", ".join(
        a.get("name") or " ".join(p for p in (a.get("given-names"), a.get("family-names")) if p)
        for a in cff.get("authors", [])
    )
    parts = [authors, " ".join(str(cff["title"]).split()), f"Version {cff['version']}"]
    parts.append(f"Released {cff['date-released']}")
    if cff.get("doi"):
        parts.append(f"doi:{cff['doi']}")
    elif cff.get("url"):
        parts.append(str(cff["url"]))
    return ". ".join(p for p in parts if p) + "."


def title_page(root: Path) -> str:
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    cff = yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))
    release = latest_release(root)
    e = html.escape
    return (
        '<section class="lr-pdf-titlepage">'
        f'<h1 class="lr-pdf-title">{e(str(config["title"]))}</h1>'
        f'<p class="lr-pdf-authors">{e(str(config.get("author", "")))}</p>'
        "<dl>"
        f"<dt>Version</dt><dd>{e(str(release.version))}</dd>"
        f"<dt>Released</dt><dd>{e(str(release.date))}</dd>"
        f"<dt>Evidence searched up to</dt><dd>{e(str(release.search_date))}</dd>"
        "</dl>"
        "<h2>How to cite</h2>"
        f'<p class="lr-pdf-cite">{e(citation(cff))}</p>'
        f"<p>{e(' '.join(str(cff.get('message', '')).split()))}</p>"
        "</section>"
    )


def combined_html(root: Path, site: Path) -> str:
    """The print document: title page, contents, every chapter (a file in the site's pages
    folder, so that the pages' relative links to images and styles still resolve)."""
    docs = toc_files(root)
    anchors = {f"{Path(d).name}.html": f"c{i}-" for i, d in enumerate(docs)}
    chapters = [chapter_html(site / f"{d}.html", i, anchors) for i, d in enumerate(docs)]
    contents = "".join(
        f'<li><a href="#c{i}-top">{html.escape(title)}</a></li>' for i, (title, _) in enumerate(chapters)
    )
    css = (ASSETS / "book-print.css").read_text(encoding="utf-8")
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(str(config['title']))}</title><style>{css}</style></head><body>"
        + title_page(root)
        + f'<nav class="lr-pdf-contents"><h2>Contents</h2><ol>{contents}</ol></nav>'
        + "".join(body for _, body in chapters)
        + "</body></html>"
    )


FOOTER = (
    '<div style="font-size:8px;width:100%;text-align:center;font-family:sans-serif">'
    'Page <span class="pageNumber"></span> of <span class="totalPages"></span></div>'
)


def print_pdf(document: str, base_dir: Path, target: Path) -> None:
    """Print ``document`` (its relative links resolved from ``base_dir``) to ``target``."""
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if not exe:
        raise RuntimeError("no Chromium found: apt-get install chromium")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".html", dir=base_dir, delete=False, encoding="utf-8") as f:
        f.write(document)
        page_file = Path(f.name)
    tmp = target.with_suffix(".pdf.tmp")
    outside: list[str] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS)
            try:
                context = browser.new_context(java_script_enabled=False)
                site_prefix = base_dir.parent.resolve().as_uri()

                def route(r: Any) -> None:
                    if r.request.url.startswith((site_prefix, "data:")):
                        r.continue_()
                    else:
                        outside.append(r.request.url)
                        r.abort()

                context.route("**/*", route)
                page = context.new_page()
                page.goto(page_file.as_uri(), wait_until="load")
                page.emulate_media(media="print")
                page.pdf(
                    path=str(tmp),
                    format="A4",
                    print_background=True,
                    display_header_footer=True,
                    header_template="<div></div>",
                    footer_template=FOOTER,
                    margin={"top": "18mm", "bottom": "20mm", "left": "16mm", "right": "16mm"},
                    outline=True,
                    tagged=True,
                )
            finally:
                browser.close()
    finally:
        page_file.unlink(missing_ok=True)
    if outside:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"the print document asked for files outside the site: {sorted(set(outside))}")
    tmp.replace(target)


def make_pdf(root: Path, site: Path | None = None) -> Path:
    site = site or root / "_build" / "html"
    first = site / f"{toc_files(root)[0]}.html"
    if not first.is_file():
        raise FileNotFoundError(f"{first}: no built site; run `make book` first")
    target = site / DOWNLOADS / PDF_NAME
    print_pdf(combined_html(root, site), first.parent, target)
    show_pdf_link(site, True)
    return target


def main(root: Path) -> int:
    from livingreview import cli

    last = cli._last_build(root)
    up_to_date = last.get("inputs") == cli.inputs_digest(root) and last.get("outputs") == cli.outputs_digest(
        root
    )
    try:
        target = make_pdf(root)
    except (OSError, RuntimeError, ValueError) as err:
        print(f"pdf: {err}", file=sys.stderr)
        return 1
    if up_to_date:  # the PDF is part of that build's output: a next `make book` has nothing to do
        cli._record_build(root, last["inputs"])
    size = target.stat().st_size
    print(f"pdf: {target} ({size / 1000:,.0f} KB)")
    return 0
