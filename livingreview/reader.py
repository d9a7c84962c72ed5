"""What the reader's browser gets beyond the book's content: accessible theme markup, the few
icons used instead of the theme's icon script, charts that are drawn before any script runs
(their interactive view loaded on demand), and styles for phones and print.

- Templates in ``livingreview/templates`` override the theme's where it is wrong (asset macros
  without the icon script; buttons named by what they show).
- Files in ``livingreview/static`` are copied to the site's ``_static/livingreview/``;
  ``icons.css`` is made there from the icons the built pages use (:mod:`livingreview.icons`).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config

PACKAGE = Path(__file__).resolve().parent
TEMPLATES = PACKAGE / "templates"
STATIC = PACKAGE / "static"
OUT_DIR = "livingreview"  # under the site's _static/, as livingreview.sphinx's files
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


def charts_script(src: str, bundle_src: str) -> str:
    """The tag a page with charts carries: the small loader, which fetches the Vega bundle
    (``bundle_src``) only when the reader reaches for a chart."""
    return f'\n<script defer src="{src}" data-lr-bundle="{bundle_src}"></script>\n'


def _write_static(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    from livingreview import icons

    out = Path(app.outdir) / "_static" / OUT_DIR
    out.mkdir(parents=True, exist_ok=True)
    for f in STATIC.iterdir():
        if f.is_file():
            shutil.copyfile(f, out / f.name)
    icons.write_icons_css(Path(app.outdir), out / ICONS_CSS)
    # A PDF printed from an earlier build would not match these pages: `make pdf` prints anew.
    from livingreview.living import DOWNLOADS
    from livingreview.pdf import PDF_NAME

    (Path(app.outdir) / DOWNLOADS / PDF_NAME).unlink(missing_ok=True)


def setup(app: Sphinx) -> None:
    app.connect("config-inited", _add_templates)
    app.add_css_file(f"{OUT_DIR}/{ICONS_CSS}", priority=600)
    app.add_css_file(f"{OUT_DIR}/{READER_CSS}", priority=600)
    app.add_css_file(f"{OUT_DIR}/{PRINT_CSS}", priority=600, media="print")
    app.connect("html-page-context", _page_context, priority=110)
    app.connect("build-finished", _write_static)
