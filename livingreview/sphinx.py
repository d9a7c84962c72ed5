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
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging as sphinx_logging

from livingreview import __version__, living, reader
from livingreview.book import CACHE_DIR, ROWS_DIR
from livingreview.render import CHART_CLASS

logger = sphinx_logging.getLogger(__name__)

STATIC_DIR = "livingreview"
BUNDLE_NAME = "vega-bundle.js"
CSS_NAME = "livingreview.css"
TABLES_JS = "tables.js"
SORTABLE_CLASS = "lr-sortable"

# Sorting and filtering for evidence tables, and the rest of a long table on demand: our own few
# lines, no external library.
_TABLES_JS = """
(function () {
  function cellValue(row, i) {
    var text = (row.cells[i] ? row.cells[i].textContent : "").trim();
    var num = parseFloat(text.replace(/[^0-9.\\-]/g, ""));
    return /^[<>~]?\\s*-?[0-9.]+/.test(text) && !isNaN(num) ? num : text.toLowerCase();
  }
  // A long table's page carries its first rows; the others are in a script of their own, added
  // (once) when the reader asks for them, filters or sorts. A script, not a fetch: it also works
  // from a copy of the site opened as files.
  function loadRows(table, done) {
    if (!table.dataset.lrRows) { done(); return; }
    if (table.lrWaiting) { table.lrWaiting.push(done); return; }
    table.lrWaiting = [done];
    var key = table.dataset.lrKey;
    var note = document.querySelector('p.lr-more[data-lr-for="' + key + '"]');
    if (note) note.textContent = "Loading the other rows\\u2026";
    var script = document.createElement("script");
    script.src = table.dataset.lrRows;
    script.onload = function () {
      var html = (window.lrRows || {})[key];
      if (html) table.tBodies[0].insertAdjacentHTML("beforeend", html);
      delete table.dataset.lrRows;
      if (note) note.remove();
      var waiting = table.lrWaiting;
      table.lrWaiting = null;
      waiting.forEach(function (f) { f(); });
    };
    script.onerror = function () {
      table.lrWaiting = null;
      if (note) note.textContent = "The other rows could not be loaded; they are in the downloadable data.";
    };
    document.head.appendChild(script);
  }
  function setupMore(table) {
    var note = document.querySelector('p.lr-more[data-lr-for="' + table.dataset.lrKey + '"]');
    var button = note && note.querySelector("button.lr-show-all");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      loadRows(table, function () { if (table.lrRefresh) table.lrRefresh(); });
    });
  }
  function setup(table) {
    var body = table.tBodies[0];
    if (!body) return;
    var filter = document.createElement("input");
    filter.type = "search";
    filter.className = "lr-filter";
    filter.placeholder = "Filter rows";
    filter.setAttribute("aria-label", "Filter the rows of this table");
    var count = document.createElement("span");
    count.className = "lr-meta lr-count";
    count.setAttribute("aria-live", "polite");
    function update() {
      var q = filter.value.trim().toLowerCase(), shown = 0, rows = body.rows;
      Array.prototype.forEach.call(rows, function (r) {
        var hit = !q || r.textContent.toLowerCase().indexOf(q) !== -1;
        r.hidden = !hit;
        if (hit) shown++;
      });
      var total = table.dataset.lrRows ? Number(table.dataset.lrTotal) : rows.length;
      count.textContent = " " + shown + " of " + total + " rows";
    }
    table.lrRefresh = update;
    filter.addEventListener("input", function () { loadRows(table, update); });
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
      button.addEventListener("click", function () { loadRows(table, function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) {
          c.setAttribute("aria-sort", "none");
        });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, i), y = cellValue(b, i);
          if (typeof x !== typeof y) { x = String(x); y = String(y); }
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
        update();
      }); });
    });
  }
  function setupAll() {
    document.querySelectorAll("table.%(cls)s").forEach(setup);
    document.querySelectorAll("table[data-lr-rows]").forEach(setupMore);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setupAll);
  else setupAll();
})();
""" % {"cls": SORTABLE_CLASS}

# A long table carries its first rows in its page; the others are in a script of their own that
# the page's code wrote into the build's cache (see livingreview.tables.keep_rows_in), named by
# its content. Here the pages' scripts are copied into the site, under _static/livingreview/rows/.
_ROWS_FILE = re.compile(r'data-lr-rows-file="(?P<name>[0-9a-f]{16}\.js)"')


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
// The bundle comes after the page's charts: draw them now, and any parsed later on
// DOMContentLoaded.
lrEmbedAll();
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", lrEmbedAll);
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
table.lr-table th, table.lr-table td {
  border-bottom: 1px solid #ccc; padding: .3em .6em; vertical-align: top; text-align: left;
}
.lr-flag { color: #8a4b00; }
.lr-meta { font-size: 0.85em; color: #555; }
p.lr-banner { border-left: 3px solid #0072b2; padding: .2em .6em; background: #f4f8fb; }
input.lr-filter { margin: .5em 0; padding: .2em .4em; min-width: 16em; }
button.lr-sort { all: unset; cursor: pointer; font-weight: 600; }
button.lr-sort:focus-visible { outline: 2px solid #0072b2; }
th[aria-sort="ascending"] button.lr-sort::after { content: " \\25B2"; }
th[aria-sort="descending"] button.lr-sort::after { content: " \\25BC"; }
""" % {"cls": CHART_CLASS}


def _bundle_path(cache_dir: Path) -> Path:
    """Where the bundle for the installed versions is cached (Altair's version fixes the
    Vega-Lite version; reading it does not import Altair)."""
    from importlib.metadata import version

    import vl_convert

    key = hashlib.sha256(
        f"{vl_convert.get_vega_version()}|{vl_convert.get_vega_embed_version()}|"
        f"altair {version('altair')}|{_LOADER_SNIPPET}".encode()
    ).hexdigest()[:16]
    return cache_dir / f"vega-bundle-{key}.js"


def installed_bundle_path() -> Path:
    """Where ``python -m livingreview bundle`` (run by ``make`` when it installs the
    environment) keeps the bundle for the installed versions: beside them, in the environment."""
    return Path(sys.prefix) / "share" / "livingreview" / _bundle_path(Path()).name


def _generate_bundle(target: Path) -> None:
    import vl_convert

    from livingreview.render import vega_lite_version

    target.parent.mkdir(parents=True, exist_ok=True)
    text = vl_convert.javascript_bundle(_LOADER_SNIPPET, vl_version=vega_lite_version())
    # The bundle declares top-level names (e.g. `_`) that clash with other classic scripts
    # on the page; a module script would have its own scope but is refused on file:// pages.
    text = "(function () {\n" + text + "\n})();\n"
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)


def install_bundle() -> Path:
    """Generate the bundle into the environment, once per set of installed versions: a vendored
    asset like any other the packages ship, so that no build (cold or not) spends vl-convert's
    two seconds on it."""
    target = installed_bundle_path()
    if not target.exists():
        _generate_bundle(target)
    return target


def _bundle_text(cache_dir: Path) -> str:
    """The Vega bundle with our loader: the environment's copy, else generated by vl-convert
    (about 2 s) into the build's cache."""
    installed = installed_bundle_path()
    if installed.exists():
        return installed.read_text(encoding="utf-8")
    wait_for_bundle()  # one started by start_bundle(): let it finish, then read its file
    cached = _bundle_path(cache_dir)
    if not cached.exists():
        _generate_bundle(cached)
    return cached.read_text(encoding="utf-8")


_bundle_job: subprocess.Popen[bytes] | None = None


def wait_for_bundle() -> None:
    """Let a generation started by :func:`start_bundle` finish (a build that stopped early)."""
    global _bundle_job
    if _bundle_job is not None:
        _bundle_job.wait()
        _bundle_job = None


def start_bundle(cache_dir: Path) -> None:
    """Generate the bundle in a separate process, if it is not cached: vl-convert holds the GIL
    for its two seconds, so only another process lets the generation overlap the data check and
    Sphinx's start-up (called by ``python -m livingreview build``; the bundle is awaited when the
    site is written, and made there if this fails)."""
    global _bundle_job
    if _bundle_job is not None or installed_bundle_path().exists() or _bundle_path(cache_dir).exists():
        return
    _bundle_job = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, pathlib, livingreview.sphinx as s; s._bundle_text(pathlib.Path(sys.argv[1]))",
            str(cache_dir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _write_static(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir) / "_static" / STATIC_DIR
    out.mkdir(parents=True, exist_ok=True)
    cache_dir = Path(app.outdir).parent / CACHE_DIR
    (out / BUNDLE_NAME).write_text(_bundle_text(cache_dir), encoding="utf-8")
    (out / CSS_NAME).write_text(_CSS, encoding="utf-8")
    (out / TABLES_JS).write_text(_TABLES_JS, encoding="utf-8")
    root = Path(app.srcdir)
    if living.has_dataset(root):
        living.write_downloads(root, Path(app.outdir))
    prune_rows(Path(app.outdir))


_ROWS_REF = re.compile(r'data-lr-rows="[^"]*/(?P<name>[0-9a-f]{16}\.js)"')


def prune_rows(site: Path) -> list[str]:
    """Remove the on-demand rows scripts no page of ``site`` points to any more (rows are named
    by their content: after a data edit the old ones would stay, with outdated figures).
    Returns the names removed."""
    rows_dir = site / "_static" / STATIC_DIR / ROWS_DIR
    if not rows_dir.is_dir():
        return []
    used = {
        m.group("name")
        for page in site.rglob("*.html")
        for m in _ROWS_REF.finditer(page.read_text(encoding="utf-8", errors="replace"))
    }
    removed = sorted(f.name for f in rows_dir.glob("*.js") if f.name not in used)
    for name in removed:
        (rows_dir / name).unlink()
    return removed


def publish_rows(body: str, kept: Path, rows_dir: Path, rows_url: str) -> tuple[str, list[str]]:
    """Copy the on-demand rows each long table of ``body`` names from ``kept`` (the build's
    cache) into ``rows_dir`` (the site's), and point the table at them (``rows_url``: that folder
    seen from the page). Returns the new body and the names of scripts that were missing."""
    missing: list[str] = []

    def publish(m: re.Match[str]) -> str:
        name = m.group("name")
        source, target = kept / name, rows_dir / name
        if not source.is_file():
            missing.append(name)
            return m.group(0)
        if not target.is_file():
            rows_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        return f'data-lr-rows="{rows_url}/{name}"'

    return _ROWS_FILE.sub(publish, body), missing


def _page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    body = context.get("body", "")
    html_page = app.builder.format == "html" and callable(context.get("pathto"))
    if "data-lr-rows-file=" in body and html_page:
        rows_url = context["pathto"](f"_static/{STATIC_DIR}/{ROWS_DIR}", 1)
        kept = Path(app.outdir).parent / CACHE_DIR / ROWS_DIR
        body, missing = publish_rows(
            body, kept, Path(app.outdir) / "_static" / STATIC_DIR / ROWS_DIR, rows_url
        )
        context["body"] = body
        for name in missing:
            logger.warning(
                "%s: the rest of a long table (%s) is not in the build's cache %s; "
                "`make clean`, then build again",
                pagename,
                name,
                kept,
            )
    # Per-page: pages that carry a chart (drawn at build time) get the small loader that fetches
    # the ~0.9 MB bundle for the interactive view when the reader reaches for a chart.
    if f'class="{CHART_CLASS}"' in body and html_page:
        src = context["pathto"](f"_static/{STATIC_DIR}/{BUNDLE_NAME}", 1)
        loader = context["pathto"](f"_static/{reader.OUT_DIR}/{reader.CHARTS_JS}", 1)
        body += reader.charts_script(loader, src)
        context["body"] = body
    if SORTABLE_CLASS in body or 'data-lr-rows="' in body:
        app.add_js_file(f"{STATIC_DIR}/{TABLES_JS}", priority=600, loading_method="defer")
    root = Path(app.srcdir)
    # A book with a dataset is a living review: every page says its version and dates.
    if "body" in context and app.builder.format == "html" and living.has_dataset(root):
        source = Path(app.env.doc2path(pagename)) if pagename in app.env.all_docs else None
        whats_new = "chapters/whats-new"
        href = app.builder.get_relative_uri(pagename, whats_new) if whats_new in app.env.all_docs else None
        assessed = living.assessed_on(source) if source else None
        context["body"] = living.banner_html(living.latest_release(root), assessed, href) + body


# Extensions loaded whatever _config.yml says (sphinx-external-toc sets up
# sphinx-multitoc-numbering) that keep no state of their own in the build environment
# (sphinx-multitoc-numbering replaces one method of the toctree collector, which runs in the main
# process) but do not declare it. Undeclared, Sphinx reads serially and warns, and the strict
# build turns the warning into a failure.
_PARALLEL_SAFE_UNDECLARED = ("sphinx_multitoc_numbering",)


def _declare_parallel_safe(app: Sphinx) -> None:
    for name in _PARALLEL_SAFE_UNDECLARED:
        ext = app.extensions.get(name)
        if ext is not None and ext.parallel_read_safe is None:
            ext.parallel_read_safe = True


def _create_execution_cache(app: Sphinx) -> None:
    """With parallel reading, each reader process opens myst-nb's execution cache (a SQLite
    database) and the first to find it missing creates its tables, so two readers of a cold build
    could both try. Create it once here, in the main process, before the readers start."""
    if app.parallel <= 1:
        return
    nb_config = getattr(app.env, "mystnb_config", None)
    if nb_config is None or getattr(nb_config, "execution_mode", None) != "cache":
        return
    from jupyter_cache.cache.db import create_db

    path = Path(nb_config.execution_cache_path or Path(app.outdir).parent / ".jupyter_cache")
    path.mkdir(parents=True, exist_ok=True)
    create_db(path).dispose()


WRITE_LOCK = "livingreview-write.lock"


def serialise_cache_writes() -> None:
    """Let one process at a time store an executed page in myst-nb's execution cache.

    jupyter-cache was written for one writer. After storing a notebook it prunes the cache to its
    size limit: one query lists the records to keep, a second one those not in that list, and
    deletes them. A record another reader process commits between the two queries is deleted at
    once, and its file, not yet written, is reported missing: the build fails with
    ``KeyError: 'Notebook file does not exist for cache record PK: …'`` (seen here, one cold
    build in several, with three readers). An exclusive lock on a file beside the database,
    taken around the store, closes the gap; it costs nothing measurable (ten stores a build)."""
    import fcntl
    import functools

    from jupyter_cache.cache.main import JupyterCacheBase

    store = JupyterCacheBase.cache_notebook_bundle
    if getattr(store, "livingreview_locked", False):
        return

    @functools.wraps(store)
    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with open(Path(self.path) / WRITE_LOCK, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            return store(self, *args, **kwargs)

    locked.livingreview_locked = True  # type: ignore[attr-defined]
    JupyterCacheBase.cache_notebook_bundle = locked  # type: ignore[method-assign]


def _stop_if_check_failed(app: Sphinx, docname: str, source: list[str]) -> None:
    """``python -m livingreview build`` runs the data check alongside the build and names a marker
    file (in the environment) that appears if the check fails: then no further page is read (or
    executed) on data that did not pass."""
    marker = os.environ.get("LIVINGREVIEW_CHECK_FAILED")
    if marker and Path(marker).exists():
        from sphinx.errors import SphinxError

        raise SphinxError("the data check failed: build stopped (its problems are listed below)")


def _pin_notebook_readers() -> None:
    """jupyter-cache finds the function that reads a page's notebook through an entry point, and
    scans every installed package's entry points to do so, once per page (about 25 ms each). The
    entry points do not change during a build: remember each answer."""
    import functools

    from jupyter_cache import readers

    if not hasattr(readers.get_entry_point, "cache_info"):
        readers.get_entry_point = functools.lru_cache(maxsize=None)(readers.get_entry_point)


# What each reader process would otherwise import for its first executed page (myst-nb's
# execution, jupyter-cache with SQLAlchemy, nbclient, jupyter_client): about 0.8 s of CPU per
# reader. Imported once in the main process before the readers fork, they are in every reader.
_READER_IMPORTS = (
    "myst_nb.core.execute",
    "jupyter_cache.cache.main",
    "jupyter_cache.executors.utils",
    "nbclient",
    "jupyter_client.manager",
    "jupyter_client.asynchronous",
)


def _prepare_readers(app: Sphinx, env: Any, docnames: list[str]) -> None:
    if app.parallel <= 1 or not docnames:
        return
    if getattr(getattr(env, "mystnb_config", None), "execution_mode", "off") == "off":
        return
    import importlib

    for name in _READER_IMPORTS:
        importlib.import_module(name)


def _remember_latex_parsing() -> None:
    """pybtex parses a bibliography field from LaTeX (latexcodec, then its own LaTeX parser)
    every time an entry is formatted: for the bibliography, for each tooltip and for each of the
    book's citations, about 5,000 parses of a few hundred distinct strings (0.3-0.5 s of a cold
    build, most of it in the main process while pages are written). Its rich-text objects never
    change once made (their parts are set in ``__init__`` only), so each string is parsed once."""
    import functools

    from pybtex import richtext

    parse = richtext.Text.from_latex.__func__
    if getattr(parse, "livingreview_remembered", False):
        return
    remembered = functools.lru_cache(maxsize=8192)(parse)

    def from_latex(cls: type, latex: str) -> Any:
        try:
            return remembered(cls, latex)
        except TypeError:  # not hashable: parse it as pybtex would
            return parse(cls, latex)

    from_latex.livingreview_remembered = True  # type: ignore[attr-defined]
    richtext.Text.from_latex = classmethod(from_latex)  # type: ignore[method-assign, assignment]


def _pin_bibtex_backend() -> None:
    """sphinxcontrib-bibtex asks pybtex for its plain-text backend once per citation it resolves,
    and pybtex finds a plugin by scanning every installed package's entry points on every call
    (about 10 ms each: two to three seconds per cold build here). Look it up once, then register
    that very class through pybtex's own ``register_plugin``: later lookups are dictionary hits."""
    import pybtex.plugin

    backend = pybtex.plugin.find_plugin("pybtex.backends", "plaintext")
    pybtex.plugin.register_plugin("pybtex.backends", "plaintext", backend, force=True)


def setup(app: Sphinx) -> dict[str, Any]:
    from livingreview import feed, freshness, kernels

    _pin_bibtex_backend()
    _remember_latex_parsing()
    _pin_notebook_readers()
    serialise_cache_writes()
    app.connect("env-before-read-docs", _prepare_readers)
    # Pages are read (and executed) in parallel when the build runs with several jobs.
    app.connect("builder-inited", _declare_parallel_safe)
    # After myst-nb's own builder-inited handler has set the cache path.
    app.connect("builder-inited", _create_execution_cache, priority=900)
    app.connect("source-read", _stop_if_check_failed, priority=100)
    freshness.setup(app)
    reader.setup(app)
    kernels.setup(app)
    feed.setup(app)
    app.add_css_file(f"{STATIC_DIR}/{CSS_NAME}")
    # Early: html-page-context is emitted with emit_firstresult, so a theme handler that returns
    # a template name would stop later handlers from running.
    app.connect("html-page-context", _page_context, priority=100)
    app.connect("build-finished", _write_static)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
