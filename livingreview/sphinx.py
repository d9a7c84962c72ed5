"""The book's own Sphinx glue.

Offline charts: Altair's default HTML loads Vega from a CDN, so a reader without network sees
"Error loading script" and a reader with one calls a third party. Here the Vega, Vega-Lite and
Vega-Embed JavaScript (the bundle vl-convert ships) is written once into the site's
``_static/`` and added only to the pages that carry a chart; chart outputs themselves are inert
``<script type="application/json">`` specs (see :mod:`livingreview.render`) that the bundle's
loader snippet embeds on page load.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from livingreview import __version__, living
from livingreview.render import CHART_CLASS, VEGA_LITE_VERSION

STATIC_DIR = "livingreview"
BUNDLE_NAME = "vega-bundle.js"
CSS_NAME = "livingreview.css"
TABLES_JS = "tables.js"
SORTABLE_CLASS = "lr-sortable"

# Sorting and filtering for evidence tables: our own few lines, no external library.
_TABLES_JS = """
(function () {
  function cellValue(row, i) {
    var text = (row.cells[i] ? row.cells[i].textContent : "").trim();
    var num = parseFloat(text.replace(/[^0-9.\\-]/g, ""));
    return /^[<>~]?\\s*-?[0-9.]+/.test(text) && !isNaN(num) ? num : text.toLowerCase();
  }
  function setup(table) {
    var body = table.tBodies[0];
    if (!body) return;
    var rows = Array.prototype.slice.call(body.rows);
    var filter = document.createElement("input");
    filter.type = "search";
    filter.className = "lr-filter";
    filter.placeholder = "Filter rows";
    filter.setAttribute("aria-label", "Filter the rows of this table");
    var count = document.createElement("span");
    count.className = "lr-meta lr-count";
    count.setAttribute("aria-live", "polite");
    function update() {
      var q = filter.value.trim().toLowerCase(), shown = 0;
      rows.forEach(function (r) {
        var hit = !q || r.textContent.toLowerCase().indexOf(q) !== -1;
        r.hidden = !hit;
        if (hit) shown++;
      });
      count.textContent = " " + shown + " of " + rows.length + " rows";
    }
    filter.addEventListener("input", update);
    table.parentNode.insertBefore(filter, table);
    table.parentNode.insertBefore(count, table);
    update();
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "lr-sort";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        rows.sort(function (a, b) {
          var x = cellValue(a, i), y = cellValue(b, i);
          if (typeof x !== typeof y) { x = String(x); y = String(y); }
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
  function setupAll() { document.querySelectorAll("table.%(cls)s").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setupAll);
  else setupAll();
})();
""" % {"cls": SORTABLE_CLASS}

# Runs inside the bundle, where vegaEmbed is in scope. Embeds every chart spec on the page;
# a failure is shown in place of the chart and logged, never hidden.
_LOADER_SNIPPET = """
function lrEmbedAll() {
  document.querySelectorAll("div.%(cls)s").forEach(function (el) {
    if (el.dataset.lrEmbedded) return;
    el.dataset.lrEmbedded = "1";
    var node = el.querySelector("script.%(cls)s-spec");
    var target = el.querySelector("div.%(cls)s-target");
    var spec = JSON.parse(node.textContent);
    vegaEmbed(target, spec, {
      renderer: "svg",
      actions: {export: true, source: false, compiled: false, editor: false}
    }).then(function () { el.dataset.lrRendered = "1"; })
      .catch(function (err) {
        el.dataset.lrError = String(err);
        target.textContent = "This chart could not be drawn: " + err;
        console.error("livingreview chart", err);
      });
  });
}
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", lrEmbedAll);
} else {
  lrEmbedAll();
}
""" % {"cls": CHART_CLASS}

_CSS = """
div.%(cls)s { margin: 1em 0; overflow-x: auto; }
div.%(cls)s .vega-embed { max-width: 100%%; }
/* A chart wider than the column shrinks to fit it (Vega's SVG keeps its viewBox). */
div.%(cls)s .vega-embed svg { max-width: 100%%; height: auto; }
div.lr-table-wrap { overflow-x: auto; max-width: 100%%; }
table.lr-table { border-collapse: collapse; font-size: 0.9em; margin: 1em 0; width: 100%%; }
table.lr-table td, table.lr-table th { overflow-wrap: break-word; }
table.lr-table td:last-child { overflow-wrap: anywhere; }
table.lr-table caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: .4em; }
table.lr-table th, table.lr-table td { border-bottom: 1px solid #ccc; padding: .3em .6em; vertical-align: top; text-align: left; }
.lr-flag { color: #8a4b00; }
.lr-meta { font-size: 0.85em; color: #555; }
p.lr-banner { border-left: 3px solid #0072b2; padding: .2em .6em; background: #f4f8fb; }
input.lr-filter { margin: .5em 0; padding: .2em .4em; min-width: 16em; }
button.lr-sort { all: unset; cursor: pointer; font-weight: 600; }
button.lr-sort:focus-visible { outline: 2px solid #0072b2; }
th[aria-sort="ascending"] button.lr-sort::after { content: " \\25B2"; }
th[aria-sort="descending"] button.lr-sort::after { content: " \\25BC"; }
""" % {"cls": CHART_CLASS}


def _bundle_text(cache_dir: Path) -> str:
    """The Vega bundle with our loader; generated by vl-convert (about 2 s), cached by version."""
    import vl_convert

    key = hashlib.sha256(
        f"{vl_convert.get_vega_version()}|{vl_convert.get_vega_embed_version()}|"
        f"{VEGA_LITE_VERSION}|{_LOADER_SNIPPET}".encode()
    ).hexdigest()[:16]
    cached = cache_dir / f"vega-bundle-{key}.js"
    if not cached.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        text = vl_convert.javascript_bundle(_LOADER_SNIPPET, vl_version=VEGA_LITE_VERSION)
        # The bundle declares top-level names (e.g. `_`) that clash with other classic scripts
        # on the page; a module script would have its own scope but is refused on file:// pages.
        text = "(function () {\n" + text + "\n})();\n"
        tmp = cached.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(cached)
    return cached.read_text(encoding="utf-8")


def _write_static(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir) / "_static" / STATIC_DIR
    out.mkdir(parents=True, exist_ok=True)
    cache_dir = Path(app.outdir).parent / ".livingreview-cache"
    (out / BUNDLE_NAME).write_text(_bundle_text(cache_dir), encoding="utf-8")
    (out / CSS_NAME).write_text(_CSS, encoding="utf-8")
    (out / TABLES_JS).write_text(_TABLES_JS, encoding="utf-8")
    root = Path(app.srcdir)
    if living.has_dataset(root):
        living.write_downloads(root, Path(app.outdir))


def _page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    _strip_thebe_assets(context)
    body = context.get("body", "")
    # Per-page: only pages that carry a chart load the ~0.9 MB bundle, once.
    if f'class="{CHART_CLASS}"' in body:
        app.add_js_file(f"{STATIC_DIR}/{BUNDLE_NAME}", priority=600)
    if SORTABLE_CLASS in body:
        app.add_js_file(f"{STATIC_DIR}/{TABLES_JS}", priority=600)
    root = Path(app.srcdir)
    # A book with a dataset is a living review: every page says its version and dates.
    if "body" in context and app.builder.format == "html" and living.has_dataset(root):
        source = Path(app.env.doc2path(pagename)) if pagename in app.env.all_docs else None
        whats_new = "chapters/whats-new"
        href = app.builder.get_relative_uri(pagename, whats_new) if whats_new in app.env.all_docs else None
        assessed = living.assessed_on(source) if source else None
        context["body"] = living.banner_html(living.latest_release(root), assessed, href) + body


def _drop_thebe(app: Sphinx) -> None:
    """Jupyter Book always loads sphinx-thebe (live code via Binder), which puts a third-party
    URL on every page and, in this version, declares its config script twice, a JavaScript
    error on every page. This book has no live code: disconnect its handlers."""
    for listeners in app.events.listeners.values():
        for listener in list(listeners):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                app.disconnect(listener.id)


def _strip_thebe_assets(context: dict[str, Any]) -> None:
    for key in ("script_files", "css_files"):
        files = context.get(key)
        if files is None:
            continue
        # In place: Sphinx's add_js_file appends to this very list during the event.
        files[:] = [f for f in files if "thebe" not in str(getattr(f, "filename", f) or "")
                        and "THEBE" not in str(getattr(f, "attributes", {}).get("body", ""))]


def setup(app: Sphinx) -> dict[str, Any]:
    from livingreview import feed, freshness

    _drop_thebe(app)
    freshness.setup(app)
    feed.setup(app)
    app.add_css_file(f"{STATIC_DIR}/{CSS_NAME}")
    # Early: html-page-context is emitted with emit_firstresult, so a theme handler that returns
    # a template name would stop later handlers from running.
    app.connect("html-page-context", _page_context, priority=100)
    app.connect("build-finished", _write_static)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
