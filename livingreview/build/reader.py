"""What the reader's browser gets beyond the book's content: accessible theme markup, the few
icons used instead of the theme's icon script, charts that are drawn before any script runs
(their interactive view loaded on demand), and styles for phones and print.

- Templates in ``livingreview/build/templates`` override the theme's where it is wrong (asset
  macros without the icon script; buttons named by what they show).
- Its files in ``livingreview/build/assets`` are copied to the site's ``_static/livingreview/``;
  ``icons.css`` is made there from the icons the built pages use (:mod:`livingreview.build.icons`).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config

from livingreview.build import ASSETS, STATIC_DIR, icons
from livingreview.review.living import DOWNLOADS, PDF_NAME

TEMPLATES = Path(__file__).resolve().parent / "templates"
CHARTS_JS = "charts.js"
ICONS_CSS = "icons.css"
READER_CSS = "reader.css"
PRINT_CSS = "print.css"

# Sphinx marks each bibliography entry with the DPub role doc-biblioentry, deprecated in
# WAI-ARIA 1.1 and not a child that the list role allows: a list item it is.
_BIBLIOENTRY = re.compile(r'(<div class="citation" [^>]*?)role="doc-biblioentry"')


def _add_templates(app: Sphinx, config: Config) -> None:
    if str(TEMPLATES) not in config.templates_path:
        config.templates_path.insert(0, str(TEMPLATES))


def fix_body(body: str) -> str:
    return _BIBLIOENTRY.sub(r'\1role="listitem"', body)


def _page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if app.builder.format == "html" and "body" in context:
        context["body"] = fix_body(context["body"])


# The PDF is printed after a build, from its pages (`make pdf`), and a later build removes it: a
# page offers it in an element marked data-lr-pdf, hidden (the HTML attribute, so with or without
# scripts) while there is no PDF. The build hides it, `make pdf` shows it once the PDF is written.
PDF_LINK_ATTR = "data-lr-pdf"
_PDF_LINK = re.compile(rf"<(?P<tag>[a-z]+) {PDF_LINK_ATTR}(?P<hidden> hidden)?>")


def pdf_link_shown(page_html: str) -> bool:
    """Whether the page offers the PDF: an element marked data-lr-pdf without ``hidden``."""
    return any(m.group("hidden") is None for m in _PDF_LINK.finditer(page_html))


def show_pdf_link(site: Path, shown: bool) -> list[Path]:
    """Show (or hide) the PDF's download link on every built page that has one; return the
    pages changed (only those are written)."""
    changed = []
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        if PDF_LINK_ATTR not in text:
            continue
        new = _PDF_LINK.sub(lambda m: f"<{m.group('tag')} {PDF_LINK_ATTR}{'' if shown else ' hidden'}>", text)
        if new != text:
            page.write_text(new, encoding="utf-8")
            changed.append(page)
    return changed


def charts_script(src: str, bundle_src: str) -> str:
    """The tag a page with charts carries: the small loader, which fetches the Vega bundle
    (``bundle_src``) only when the reader reaches for a chart."""
    return f'\n<script defer src="{src}" data-lr-bundle="{bundle_src}"></script>\n'


def _write_static(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir) / "_static" / STATIC_DIR
    out.mkdir(parents=True, exist_ok=True)
    for name in (CHARTS_JS, READER_CSS, PRINT_CSS):
        shutil.copyfile(ASSETS / name, out / name)
    icons.write_icons_css(Path(app.outdir), out / ICONS_CSS)
    # A PDF printed from an earlier build would not match these pages: `make pdf` prints anew.
    # Until it does, the pages offer no PDF (their link to it is hidden, not dead).
    (Path(app.outdir) / DOWNLOADS / PDF_NAME).unlink(missing_ok=True)
    show_pdf_link(Path(app.outdir), False)


def setup(app: Sphinx) -> None:
    app.connect("config-inited", _add_templates)
    app.add_css_file(f"{STATIC_DIR}/{ICONS_CSS}", priority=600)
    app.add_css_file(f"{STATIC_DIR}/{READER_CSS}", priority=600)
    app.add_css_file(f"{STATIC_DIR}/{PRINT_CSS}", priority=600, media="print")
    app.connect("html-page-context", _page_context, priority=110)
    app.connect("build-finished", _write_static)
