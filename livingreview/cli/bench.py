"""`python -m livingreview bench`: how fast the book builds and how heavy its pages are, measured
in one run on this machine, from a fresh temporary copy of the project (never in the project).

What is measured (see README, "Performance"):

1. Build times: a cold build from a clean tree (no ``_build``), and the floor it is compared
   with, i.e. every chapter's code cells run once, in toc order, in one Python process (each
   the median of ``--runs`` runs, 3 by default, taken in turn, all reported); a no-op
   rebuild; a rebuild after a prose-only edit of one chapter; a rebuild after a one-value edit
   of ``data/outcomes.csv``. For each rebuild, the pages that were executed again (from the
   build log's ``<page>: Executing notebook`` lines).
2. Page weight of every page: its HTML bytes, and what a first visit transfers: the HTML plus
   every same-site script, stylesheet, font and image it references (through CSS too), each
   file counted once.
3. Chart time: charts are drawn in the HTML at build time; their interactive view loads when
   the reader points at one. In headless Chromium with every request outside the site aborted,
   the time from the pointer reaching a chart (after load) until every chart of the page has
   its interactive view (the last ``div.lr-vega`` gets ``data-lr-rendered``); median of 3 fresh
   loads per page, max over pages. And the first visit over loopback HTTP, with whether the
   charts are visible at first paint (:mod:`livingreview.cli.firstvisit`).
4. Scale: the same build and weight measures on a synthetic dataset 100 times larger, made only
   inside a temporary copy (rows replicated with new unique ids, consistent foreign keys and
   citekeys; it passes ``python -m livingreview check``) and never shown in the book.

The report is written to ``_build/bench/report.json`` and ``report.md`` (the summary, also
printed). Each target is reported as pass or fail with its figure.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import io
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from livingreview.cli.browser import site_browser, site_only
from livingreview.core.myst import code_cells
from livingreview.core.paths import NOT_PROJECT, REPO_ROOT, package_file

# -- targets (issue 8) -------------------------------------------------------------------------
COLD_VS_FLOOR = 2.0  # cold build <= 2 x the floor
NOOP_SECONDS = 3.0  # no-op rebuild <= 3 s, no page executed
MAX_PAGE_HTML = 250_000  # heaviest page's HTML <= 250 KB
CHART_SECONDS = 1.5  # every chart of a page rendered <= 1.5 s after navigation
SCALE_FACTOR = 100  # the synthetic dataset is 100 x today's
SCALE_BUILD_RATIO = 1.5  # cold build at 100 x <= 1.5 x today's
SCALE_WEIGHT_CHANGE = 0.10  # page weights at 100 x within 10 % of today's


# -- the copy (without NOT_PROJECT: outputs, caches and tools) -----------------------------


def project_files(root: Path) -> list[str]:
    """The project's files (posix, relative to ``root``): what git tracks plus new files it does
    not ignore; without git, every file outside outputs, caches and tools."""
    root = Path(root)
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            check=True,
        ).stdout
        names = [n for n in out.decode("utf-8", "surrogateescape").split("\0") if n]
        if names:
            return sorted(
                n
                for n in dict.fromkeys(names)
                if (root / n).is_file() and not set(PurePosixPath(n).parts) & NOT_PROJECT
            )
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in NOT_PROJECT)
        for f in filenames:
            files.append((Path(dirpath) / f).relative_to(root).as_posix())
    return sorted(files)


def copy_project(src: Path, dst: Path) -> Path:
    """A fresh copy of the project at ``dst`` (which must not exist): no ``_build``, no caches."""
    dst = Path(dst)
    dst.mkdir(parents=True)
    for name in project_files(src):
        target = dst / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(src) / name, target)
    return dst


# -- build log --------------------------------------------------------------------------------

_EXECUTING = re.compile(r"(?P<path>[^\s\x1b]+?)\.(?:md|ipynb|myst): Executing notebook")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def executed_pages(log: str, root: Path | None = None) -> list[str]:
    """The pages a build executed, from its ``<path>.md: Executing notebook`` log lines, as
    docnames (``chapters/index``) when ``root`` is given, sorted, each once."""
    pages = set()
    for m in _EXECUTING.finditer(_ANSI.sub("", log)):
        path = m.group("path")
        if root is not None:
            prefix = str(Path(root).resolve()) + os.sep
            path = path[len(prefix) :] if path.startswith(prefix) else path
        pages.add(path.replace(os.sep, "/"))
    return sorted(pages)


# -- the floor: every chapter's code once, in one process --------------------------------------


def toc_sources(root: Path) -> list[Path]:
    """The toc's pages as files, in reading order."""
    from livingreview.build.site import toc_files

    out = []
    for doc in toc_files(root):
        for ext in (".md", ".ipynb"):
            if (root / f"{doc}{ext}").exists():
                out.append(root / f"{doc}{ext}")
                break
    return out


def floor_plan(root: Path) -> list[dict[str, Any]]:
    """What the floor runs: each toc page's code cells, in toc order."""
    plan = []
    for src in toc_sources(root):
        if src.suffix == ".md":
            cells = code_cells(src.read_text(encoding="utf-8"))
        else:
            nb = json.loads(src.read_text(encoding="utf-8"))
            cells = [
                "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                for c in nb.get("cells", [])
                if c.get("cell_type") == "code"
            ]
        if cells:
            plan.append({"page": src.relative_to(root).with_suffix("").as_posix(), "cells": cells})
    return plan


def _floor_main(plan_file: str) -> int:
    """In the floor's own process: run every cell as a kernel would (IPython: magics, the last
    expression displayed through the same formatters, glue), one namespace per page."""
    plan = json.loads(Path(plan_file).read_text(encoding="utf-8"))
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    times = {}
    real_stdout = sys.stdout
    for page in plan:
        start = time.perf_counter()
        shell.reset(new_session=False)
        for k, cell in enumerate(page["cells"], 1):
            sys.stdout = io.StringIO()  # displayed outputs: computed, not printed
            try:
                result = shell.run_cell(cell, store_history=False)
            finally:
                sys.stdout = real_stdout
            if not result.success:
                err = result.error_in_exec or result.error_before_exec
                print(
                    f"floor: {page['page']} cell {k} failed: {type(err).__name__}: {str(err)[:500]}",
                    file=sys.stderr,
                )
                return 1
        times[page["page"]] = round(time.perf_counter() - start, 3)
    print(json.dumps(times))
    return 0


# -- page weight ------------------------------------------------------------------------------

_CSS_URL = re.compile(r"""url\(\s*(?P<q>['"]?)(?P<url>[^'")]+)(?P=q)\s*\)""")
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*['"](?P<url>[^'"]+)['"]""")
_FONT_FACE = re.compile(r"@font-face\s*{(?P<body>[^}]*)}", re.S)
_FONT_SRC = re.compile(r"\bsrc\s*:(?P<value>[^;}]*)")
_FETCHED_RELS = {"stylesheet", "icon", "shortcut", "preload", "modulepreload", "manifest", "apple-touch-icon"}


class _Refs(HTMLParser):
    """Same-page references a browser fetches on load: scripts, stylesheets, icons and
    preloads, images (src and srcset), media posters, inline CSS url()s."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []
        self.inline_css: list[str] = []
        self.on_demand: list[str] = []  # rows of long tables, loaded only when asked for
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "script" and a.get("src"):
            self.refs.append(a["src"])
        elif tag == "link" and a.get("href"):
            if set(a.get("rel", "").lower().split()) & _FETCHED_RELS:
                self.refs.append(a["href"])
        elif tag in ("img", "source", "input", "embed", "iframe", "audio", "video", "track"):
            if a.get("src") and (tag != "input" or a.get("type", "").lower() == "image"):
                self.refs.append(a["src"])
            if a.get("srcset"):
                # One candidate is fetched; count the first (the 1x image).
                self.refs.append(a["srcset"].split(",")[0].strip().split(" ")[0])
            if tag == "video" and a.get("poster"):
                self.refs.append(a["poster"])
        elif tag == "object" and a.get("data"):
            self.refs.append(a["data"])
        if tag == "table" and a.get("data-lr-rows"):
            self.on_demand.append(a["data-lr-rows"])
        if a.get("style"):
            self.inline_css.append(a["style"])
        if tag == "style":
            self._in_style = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.inline_css.append(data)


def _local_file(site: Path, base: PurePosixPath, ref: str) -> Path | None:
    """The site file ``ref`` (relative to the document at ``base``) points to, or None for
    another origin, data/blob URLs and files not in the site."""
    ref = ref.strip()
    parts = urlsplit(ref)
    if parts.scheme or parts.netloc or ref.startswith("#") or not parts.path:
        return None
    path = unquote(parts.path)
    target = PurePosixPath(path.lstrip("/")) if path.startswith("/") else base.parent / path
    resolved = (site / target).resolve()
    try:
        resolved.relative_to(site.resolve())
    except ValueError:
        return None
    return resolved if resolved.is_file() else None


def css_refs(css: str) -> list[str]:
    """The URLs a stylesheet makes the browser fetch: ``@import``s and ``url()``s, where an
    ``@font-face`` rule counts only the first source of its ``src`` list (the one a current
    browser downloads)."""
    refs = [m.group("url") for m in _CSS_IMPORT.finditer(css)]
    rest = css
    for face in _FONT_FACE.finditer(css):
        for src in _FONT_SRC.finditer(face.group("body")):
            first = _CSS_URL.search(src.group("value"))
            if first:
                refs.append(first.group("url"))
        rest = rest.replace(face.group(0), "")
    refs += [m.group("url") for m in _CSS_URL.finditer(_CSS_IMPORT.sub("", rest))]
    return [r for r in refs if not r.startswith("data:")]


def page_weight(site: Path, page: str) -> dict[str, Any]:
    """``page`` (relative to the site folder ``site``): its HTML bytes, and what a first visit
    transfers: the HTML plus every same-site file it references (scripts, stylesheets and what
    they reference, images, fonts), each counted once."""
    site = Path(site)
    html_path = site / page
    text = html_path.read_text(encoding="utf-8")
    parser = _Refs()
    parser.feed(text)
    base = PurePosixPath(page)
    files: dict[Path, int] = {}
    queue: list[tuple[PurePosixPath, str]] = [(base, r) for r in parser.refs]
    queue += [(base, r) for css in parser.inline_css for r in css_refs(css)]
    while queue:
        at, ref = queue.pop(0)
        path = _local_file(site, at, ref)
        if path is None or path in files or path == html_path.resolve():
            continue
        files[path] = path.stat().st_size
        if path.suffix.lower() == ".css":
            rel = PurePosixPath(path.relative_to(site.resolve()).as_posix())
            css = path.read_text(encoding="utf-8", errors="replace")
            queue += [(rel, r) for r in css_refs(css)]
    html_bytes = len(text.encode("utf-8"))
    on_demand = {p for p in (_local_file(site, base, r) for r in parser.on_demand) if p is not None}
    kinds: dict[str, int] = {}
    for p, size in files.items():
        kind = {
            ".js": "script",
            ".mjs": "script",
            ".css": "css",
            ".woff2": "font",
            ".woff": "font",
            ".ttf": "font",
            ".otf": "font",
            ".eot": "font",
        }.get(p.suffix.lower(), "image/other")
        kinds[kind] = kinds.get(kind, 0) + size
    return {
        "page": page,
        "html_bytes": html_bytes,
        "first_visit_bytes": html_bytes + sum(files.values()),
        "files": len(files),
        "by_kind": kinds,
        "on_demand_bytes": sum(p.stat().st_size for p in on_demand),
        "largest": sorted(
            ((p.relative_to(site.resolve()).as_posix(), s) for p, s in files.items()), key=lambda x: -x[1]
        )[:3],
    }


def site_weights(root: Path, site: Path) -> list[dict[str, Any]]:
    from livingreview.build.site import toc_files

    return [page_weight(site, f"{doc}.html") for doc in toc_files(root) if (site / f"{doc}.html").exists()]


# -- charts in a real browser -----------------------------------------------------------------


# Runs before the page's scripts: records performance.now() (ms since navigation started) at
# the moment every chart container carries data-lr-rendered; an error is recorded too.
_CHARTS_DONE_JS = """
(() => {
  function check() {
    const els = document.querySelectorAll('div.lr-vega');
    if (!els.length) return false;
    for (const el of els) {
      if (el.dataset.lrError) { window.__lrChartsError = el.dataset.lrError; return true; }
      if (!el.dataset.lrRendered) return false;
    }
    // From the moment the reader reached for a chart (the interactive view loads then).
    window.__lrChartsDone = performance.now() - Number(document.documentElement.dataset.lrVegaAsked || 0);
    return true;
  }
  const obs = new MutationObserver(() => { if (check()) obs.disconnect(); });
  obs.observe(document, {subtree: true, childList: true, attributes: true,
                         attributeFilter: ['data-lr-rendered', 'data-lr-error']});
})();
"""


def chart_pages(site: Path, pages: Iterable[str]) -> list[str]:
    return [p for p in pages if 'class="lr-vega"' in (site / p).read_text(encoding="utf-8")]


def _note(errors: list[str], error: Any) -> None:
    errors.append(str(error))


def chart_times(site: Path, pages: list[str], loads: int = 3) -> dict[str, dict[str, Any]]:
    """For each page: ``loads`` fresh visits (new browser context: empty cache) over http with
    every request outside the site aborted; ms from navigation to all charts rendered."""
    out: dict[str, dict[str, Any]] = {}
    with site_browser(site) as (base, browser):
        for page_rel in pages:
            runs, outside, errors = [], [], []
            for _ in range(loads):
                context = browser.new_context(service_workers="block")
                context.route("**/*", site_only(base, outside))
                context.add_init_script(_CHARTS_DONE_JS)
                page = context.new_page()
                page.on("pageerror", functools.partial(_note, errors))
                page.goto(base + page_rel, wait_until="load")
                page.hover("div.lr-vega")  # the reader points at a chart
                page.wait_for_function(
                    "() => window.__lrChartsDone !== undefined || window.__lrChartsError !== undefined",
                    timeout=60_000,
                    polling=50,
                )
                err = page.evaluate("window.__lrChartsError || null")
                if err:
                    errors.append(err)
                runs.append(round(page.evaluate("window.__lrChartsDone || NaN"), 1))
                context.close()
            charts = (site / page_rel).read_text(encoding="utf-8").count('class="lr-vega"')
            out[page_rel] = {
                "ms": runs,
                "median_ms": statistics.median(runs),
                "charts": charts,
                "outside_requests": sorted(set(outside)),
                "errors": errors,
            }
    return out


# -- the synthetic 100 x dataset --------------------------------------------------------------


def _fk_targets(schema: dict[str, Any]) -> list[tuple[list[str], str, list[str]]]:
    from livingreview.dataset.load import foreign_keys

    return [(fk["fields"], fk["resource"], fk["ref_fields"]) for fk in foreign_keys(schema)]


# Rows the synthetic dataset does not replicate, with why: a chapter asserts that it discusses
# every row of that kind (a curation guard that new evidence of the kind must trip).
SCALE_KEEP: dict[tuple[str, str, str], str] = {
    (
        "outcomes",
        "outcome",
        "lineage switch",
    ): "chapters/lineage-switch.md asserts it discusses every lineage-switch row",
}


def scale_dataset(
    root: Path,
    factor: int = SCALE_FACTOR,
    seed_resource: str = "studies",
    keep: dict[tuple[str, str, str], str] | None = None,
) -> dict[str, int]:
    """Make ``root``'s dataset ``factor`` times larger, in place (only ever on a copy): every
    study, and every row of the tables that reference studies (directly or through another
    replicated table), is repeated ``factor - 1`` more times under new unique ids
    (``<id>-x002`` ...), with the foreign keys of a copy pointing at the same copy and citekeys
    unchanged (they name the same documents in ``references.bib``). The original rows stay as
    they are, so every figure a chapter selects by id is still there. Rows matched by ``keep``
    (table, column, value; default :data:`SCALE_KEEP`) are not replicated. Returns rows per
    table."""
    from livingreview.dataset.load import (
        csv_options,
        primary_key,
        read_package,
        resource_path,
        resource_schema,
    )

    root = Path(root)
    keep = SCALE_KEEP if keep is None else keep
    package = read_package(root)
    package_dir = package_file(root).parent
    schemas = {r["name"]: resource_schema(r, package_dir) for r in package["resources"]}
    replicated = {seed_resource}
    changed = True
    while changed:  # the tables that hang off the seed table through foreign keys
        changed = False
        for name, schema in schemas.items():
            targets_ = {t for _, t, _ in _fk_targets(schema)} - {name}
            if name not in replicated and targets_ & replicated:
                replicated.add(name)
                changed = True
    counts = {}
    for resource in package["resources"]:
        name = resource["name"]
        if name not in replicated:
            continue
        path = resource_path(resource, package_dir)
        opts = csv_options(resource, path)
        text = path.read_text(encoding=opts["encoding"])
        rows = list(
            csv.reader(
                io.StringIO(text, newline=""), delimiter=opts["delimiter"], quotechar=opts["quotechar"]
            )
        )
        header, records = rows[0], [r for r in rows[1:] if any(c.strip() for c in r)]
        schema = schemas[name]
        keyed = set(primary_key(schema))
        for fields, target, _ in _fk_targets(schema):
            if target in replicated:
                keyed.update(fields)
        # Ids of the same table listed in a cell ("a; b": studies.overlaps_with) point at the copy.
        lists = [header.index(c) for c in ("overlaps_with",) if c in header and name == seed_resource]
        cols = [header.index(c) for c in keyed if c in header]
        pinned = [(header.index(c), v) for (t, c, v) in keep if t == name and c in header]
        grow = [r for r in records if not any(r[j] == v for j, v in pinned)]
        out = list(records)
        for k in range(2, factor + 1):
            suffix = f"-x{k:03d}"
            for r in grow:
                r2 = list(r)
                for j in cols:
                    if r2[j]:
                        r2[j] = r2[j] + suffix
                for j in lists:
                    if r2[j]:
                        r2[j] = "; ".join(x.strip() + suffix for x in r2[j].split(";") if x.strip())
                out.append(r2)
        buf = io.StringIO(newline="")
        writer = csv.writer(
            buf, delimiter=opts["delimiter"], quotechar=opts["quotechar"], lineterminator="\n"
        )
        writer.writerow(header)
        writer.writerows(out)
        path.write_text(buf.getvalue(), encoding=opts["encoding"])
        counts[name] = len(out)
    return counts


# -- edits for the rebuild measures -----------------------------------------------------------


def prose_edit(page: Path) -> None:
    """Add one sentence of prose (no number, no code) at the end of a page."""
    text = page.read_text(encoding="utf-8")
    page.write_text(
        text.rstrip("\n") + "\n\nThis sentence was added to measure a prose-only rebuild.\n", encoding="utf-8"
    )


def data_edit(csv_path: Path) -> str:
    """Change one value of an outcomes CSV, keeping the data valid: a printed estimate with a
    confidence interval and no counts moves by one unit of its last decimal, staying inside its
    interval. Returns what was changed."""
    text = csv_path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    col = {c: i for i, c in enumerate(header)}
    need = {"estimate", "ci_lower", "ci_upper", "events", "total"}
    if need <= set(col):
        for r in rows[1:]:
            try:
                est, lo, hi = (float(r[col[c]]) for c in ("estimate", "ci_lower", "ci_upper"))
            except ValueError:
                continue
            if r[col["events"]] or r[col["total"]]:
                continue
            raw = r[col["estimate"]]
            decimals = len(raw.split(".")[1]) if "." in raw else 0
            step = 10.0**-decimals
            new = est - step if est - step > lo else est + step
            if not lo < new < hi:
                continue
            r[col["estimate"]] = f"{new:.{decimals}f}"
            buf = io.StringIO(newline="")
            csv.writer(buf, lineterminator="\n").writerows(rows)
            csv_path.write_text(buf.getvalue(), encoding="utf-8")
            return f"{csv_path.name}: {r[0]} estimate {raw} -> {r[col['estimate']]}"
    raise ValueError(f"{csv_path}: no estimate that can be changed safely")


# -- running builds ---------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    returncode: int
    log: str


def _env(book: Path) -> dict[str, str]:
    """The copy's own engine first on the path (for the build and for every chapter kernel)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(book)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _timed(cmd: list[str], book: Path, cwd: Path | None = None, timeout: int = 3600) -> Run:
    """Run ``cmd`` in its own process group, timed by the wall clock; if the benchmark is stopped
    (or the command times out), the whole group (build, kernels) is stopped with it."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd or book,
        env=_env(book),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
        raise
    return Run(round(time.perf_counter() - start, 2), proc.returncode, out)


def build(book: Path) -> Run:
    return _timed([sys.executable, "-m", "livingreview", "build", "--root", str(book)], book)


def cold_build(book: Path) -> Run:
    """A build from a clean tree: no ``_build`` (outputs, execution cache, dataset cache)."""
    shutil.rmtree(book / "_build", ignore_errors=True)
    return build(book)


def repeated(make: Any, runs: int, what: str, log: Any) -> tuple[Run, list[float]]:
    """``runs`` runs of ``make()`` one after the other (each must succeed); the last run (whose
    output the next measures start from) and every run's seconds. Figures are medians: on a
    shared machine one build can take 20 % longer than the next."""
    times, last = [], None
    for _ in range(max(1, runs)):
        last = _must(make(), what)
        times.append(last.seconds)
    log(f"bench: {what} {times} s")
    assert last is not None
    return last, times


def floor(book: Path, plan_file: Path) -> tuple[Run, dict[str, float]]:
    plan = floor_plan(book)
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    run = _timed(
        [sys.executable, "-m", "livingreview.cli.bench", "floor", str(plan_file)], book, cwd=book / "chapters"
    )
    per_page = {}
    if run.returncode == 0:
        with contextlib.suppress(ValueError, IndexError):
            per_page = json.loads(run.log.strip().splitlines()[-1])
    return run, per_page


def _must(run: Run, what: str) -> Run:
    if run.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {run.returncode}):\n{run.log[-6000:]}")
    return run


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


# -- the whole benchmark ----------------------------------------------------------------------


def measure(
    root: Path,
    *,
    loads: int = 3,
    runs: int = 3,
    scale: bool = True,
    log: Any = print,
    workdir: Path | None = None,
) -> dict[str, Any]:
    root = Path(root).resolve()
    tmp = Path(tempfile.mkdtemp(prefix="livingreview-bench-", dir=workdir))
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_before": _load(),
        },
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    try:
        # Deduplication of search candidates (issue 14): measured apart from the build.
        from livingreview.surveillance import benchmark as dedup_bench

        report["dedup"] = dedup_bench.measure()
        log(f"bench: dedup {report['dedup']['seconds']:.2f} s")
        book = copy_project(root, tmp / "book")
        log(f"bench: copied the project to {book}")

        # Cold builds and floors alternate, so that both see the machine in the same state (on a
        # shared machine its speed drifts by 10-20 % within minutes).
        cold_runs, floor_runs, per_page = [], [], {}
        for _ in range(max(1, runs)):
            cold = _must(cold_build(book), "cold build")
            cold_runs.append(cold.seconds)
            run, per_page = floor(book, tmp / "floor-plan.json")
            floor_runs.append(_must(run, "floor").seconds)
        log(f"bench: cold build {cold_runs} s; floor {floor_runs} s")
        noop = _must(build(book), "no-op rebuild")
        log(f"bench: no-op rebuild {noop.seconds} s")
        # The same, with the built site touched: the build cannot skip itself, so the check is
        # skipped (its inputs did not change) and Sphinx finds nothing to read or write.
        touched_page = book / "_build" / "html" / "index.html"
        os.utime(touched_page)
        touched = _must(build(book), "no-op rebuild, site touched")
        log(f"bench: no-op rebuild with the site touched {touched.seconds} s")

        sources = toc_sources(book)
        with_code = [s for s in sources if s.suffix == ".md" and code_cells(s.read_text(encoding="utf-8"))]
        prose_page = (with_code or sources)[0]
        prose_edit(prose_page)
        prose = _must(build(book), "prose-edit rebuild")
        log(f"bench: prose-edit rebuild {prose.seconds} s")
        changed = data_edit(book / "data" / "outcomes.csv")
        data = _must(build(book), "data-edit rebuild")
        log(f"bench: data-edit rebuild {data.seconds} s")

        site = book / "_build" / "html"
        weights = site_weights(book, site)
        report["builds"] = {
            "cold": {
                "seconds": statistics.median(cold_runs),
                "runs": cold_runs,
                "executed": executed_pages(cold.log, book),
            },
            "floor": {"seconds": statistics.median(floor_runs), "runs": floor_runs, "per_page": per_page},
            "noop": {
                "seconds": noop.seconds,
                "executed": executed_pages(noop.log, book),
                "skipped": "build: up to date" in noop.log,
            },
            "noop_site_touched": {"seconds": touched.seconds, "executed": executed_pages(touched.log, book)},
            "prose_edit": {
                "seconds": prose.seconds,
                "page": prose_page.relative_to(book).as_posix(),
                "executed": executed_pages(prose.log, book),
            },
            "data_edit": {
                "seconds": data.seconds,
                "change": changed,
                "executed": executed_pages(data.log, book),
            },
        }
        report["weights"] = weights
        pages = chart_pages(site, [w["page"] for w in weights])
        log(f"bench: timing charts on {len(pages)} page(s), {loads} loads each")
        report["charts"] = chart_times(site, pages, loads=loads)
        from livingreview.cli import firstvisit

        log("bench: first visits over http")
        report["first_visit"] = firstvisit.measure(site, [w["page"] for w in weights])

        if scale:
            big = copy_project(root, tmp / "book100")
            counts = scale_dataset(big, SCALE_FACTOR)
            report["scale"] = {
                "factor": SCALE_FACTOR,
                "rows": counts,
                "not_replicated": {f"{t}.{c} = {v}": why for (t, c, v), why in SCALE_KEEP.items()},
            }
            try:
                _must(
                    _timed([sys.executable, "-m", "livingreview", "check", "--root", str(big)], big),
                    f"check of the {SCALE_FACTOR} x dataset",
                )
                log(f"bench: {SCALE_FACTOR} x dataset {counts}; check passes")
                cold100, cold100_runs = repeated(
                    lambda: cold_build(big), runs, f"cold build at {SCALE_FACTOR} x", log
                )
            except RuntimeError as err:  # reported as a failed target, with the cause
                report["scale"]["error"] = str(err)[-3000:]
                log(f"bench: {err}")
            else:
                log(f"bench: cold build at {SCALE_FACTOR} x {statistics.median(cold100_runs)} s (median)")
                report["scale"].update(
                    {
                        "cold": {
                            "seconds": statistics.median(cold100_runs),
                            "runs": cold100_runs,
                            "executed": executed_pages(cold100.log, big),
                        },
                        "weights": site_weights(big, big / "_build" / "html"),
                    }
                )
    finally:
        report["machine"]["load_after"] = _load()
        shutil.rmtree(tmp, ignore_errors=True)
    report["targets"] = targets(report)
    return report


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of issue 8 with its figure and pass/fail."""
    b = report["builds"]
    out = []

    def add(name: str, figure: str, ok: bool) -> None:
        out.append({"target": name, "figure": figure, "pass": bool(ok)})

    ratio = b["cold"]["seconds"] / b["floor"]["seconds"]
    add(
        f"cold build <= {COLD_VS_FLOOR:g} x floor",
        f"{b['cold']['seconds']:.1f} s = {ratio:.2f} x floor ({b['floor']['seconds']:.1f} s)",
        ratio <= COLD_VS_FLOOR,
    )
    touched = b.get("noop_site_touched")
    add(
        f"no-op rebuild <= {NOOP_SECONDS:g} s, no page executed",
        f"{b['noop']['seconds']:.1f} s, {len(b['noop']['executed'])} page(s) executed"
        + (" (nothing changed: the build skipped itself)" if b["noop"].get("skipped") else "")
        + (
            f"; with the built site touched, through the check and Sphinx: {touched['seconds']:.1f} s, "
            f"{len(touched['executed'])} executed"
            if touched
            else ""
        ),
        b["noop"]["seconds"] <= NOOP_SECONDS and not b["noop"]["executed"],
    )
    add(
        "prose-only edit executes no page",
        f"{len(b['prose_edit']['executed'])} page(s) executed ({b['prose_edit']['seconds']:.1f} s)",
        not b["prose_edit"]["executed"],
    )
    heaviest = max(report["weights"], key=lambda w: w["html_bytes"])
    add(
        f"heaviest page HTML <= {MAX_PAGE_HTML // 1000} KB",
        f"{heaviest['html_bytes'] / 1000:.0f} KB ({heaviest['page']})",
        heaviest["html_bytes"] <= MAX_PAGE_HTML,
    )
    charts = report.get("charts") or {}
    if charts:
        page, worst = max(charts.items(), key=lambda kv: kv[1]["median_ms"])
        clean = all(not c["errors"] and not c["outside_requests"] for c in charts.values())
        add(
            f"interactive charts drawn <= {CHART_SECONDS:g} s after the reader points at one",
            f"{worst['median_ms'] / 1000:.2f} s ({page}, median of {len(worst['ms'])})"
            + ("" if clean else "; errors or outside requests"),
            worst["median_ms"] <= CHART_SECONDS * 1000 and clean,
        )
    if report.get("dedup"):
        from livingreview.surveillance import benchmark as dedup_bench

        add(*dedup_bench.target(report["dedup"]))
    from livingreview.cli import firstvisit

    out += firstvisit.targets(report.get("first_visit") or {})
    scale = report.get("scale")
    if scale and "error" in scale:
        add(
            f"build at {scale['factor']} x data <= {SCALE_BUILD_RATIO:g} x today's",
            "the build failed: " + scale["error"].strip().splitlines()[0][:200],
            False,
        )
        add(
            f"page weights at {scale['factor']} x within {SCALE_WEIGHT_CHANGE:.0%} of today's",
            "not measured (the build failed)",
            False,
        )
    elif scale:
        r = scale["cold"]["seconds"] / b["cold"]["seconds"]
        add(
            f"build at {scale['factor']} x data <= {SCALE_BUILD_RATIO:g} x today's",
            f"{scale['cold']['seconds']:.1f} s = {r:.2f} x",
            r <= SCALE_BUILD_RATIO,
        )
        change = weight_changes(report["weights"], scale["weights"])
        page, worst = max(change.items(), key=lambda kv: abs(kv[1]["max_change"]))
        add(
            f"page weights at {scale['factor']} x within {SCALE_WEIGHT_CHANGE:.0%} of today's",
            f"largest change {worst['max_change']:+.1%} ({page})",
            abs(worst["max_change"]) <= SCALE_WEIGHT_CHANGE,
        )
    return out


def weight_changes(today: list[dict[str, Any]], scaled: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per page, the relative change of its HTML bytes and of its first-visit bytes."""
    base = {w["page"]: w for w in today}
    out = {}
    for w in scaled:
        b = base.get(w["page"])
        if not b:
            continue
        html = w["html_bytes"] / b["html_bytes"] - 1
        first = w["first_visit_bytes"] / b["first_visit_bytes"] - 1
        out[w["page"]] = {
            "html": html,
            "first_visit": first,
            "max_change": html if abs(html) >= abs(first) else first,
        }
    return out


# -- the report -------------------------------------------------------------------------------


def _kb(n: int) -> str:
    return f"{n / 1000:,.0f} KB" if n < 10_000_000 else f"{n / 1e6:,.1f} MB"


def markdown(report: dict[str, Any]) -> str:
    b, m = report["builds"], report["machine"]
    lines = [
        "# Benchmark",
        "",
        f"{report['started']} · {m['cpus']} CPUs · Python {m['python']} · load average "
        f"{m.get('load_before')} before, {m.get('load_after')} after",
        "",
        "## Targets",
        "",
        "| | Target | Figure |",
        "|---|---|---|",
    ]
    lines += [
        f"| {'PASS' if t['pass'] else 'FAIL'} | {t['target']} | {t['figure']} |" for t in report["targets"]
    ]
    lines += ["", "## Builds", "", "| Build | Seconds | Pages executed |", "|---|---:|---|"]
    for key, label in [
        ("cold", "cold (no _build)"),
        ("floor", "floor: all code cells, one process"),
        ("noop", "no-op rebuild"),
        ("noop_site_touched", "no-op rebuild, built site touched"),
        ("prose_edit", "prose-only edit"),
        ("data_edit", "data edit"),
    ]:
        if key not in b:
            continue
        e = b[key]
        ex = e.get("executed")
        names = ", ".join(p.split("/")[-1] for p in ex or [])
        shown = "—" if ex is None else (f"{len(ex)}: {names}" if ex else "none")
        runs = e.get("runs") or []
        seconds = f"{e['seconds']:.1f}" + (
            f" (median of {', '.join(f'{r:.1f}' for r in runs)})" if len(runs) > 1 else ""
        )
        lines.append(f"| {label} | {seconds} | {shown} |")
    lines += ["", f"Prose edit: {b['prose_edit']['page']}. Data edit: {b['data_edit']['change']}.", ""]
    scale = report.get("scale")
    if scale and "error" in scale:
        scale = None
    lines += [
        "## Page weight",
        "",
        "First visit (counted from the files): the HTML plus every same-site script, stylesheet, "
        "font and image it references, each counted once (an upper bound: fonts named by the "
        "theme's CSS count whether used or not; the bytes over HTTP are below). Rows on "
        "demand: the rest of a long table, loaded only when the reader asks for it (not in "
        "the first visit).",
        "",
    ]
    head = "| Page | HTML | First visit | Rows on demand |"
    if scale:
        head += f" HTML at {scale['factor']} x | First visit at {scale['factor']} x |"
    lines += [head, "|---|---:|---:|---:|" + ("---:|---:|" if scale else "")]
    big = {w["page"]: w for w in scale["weights"]} if scale else {}
    for w in report["weights"]:
        row = (
            f"| {w['page']} | {_kb(w['html_bytes'])} | {_kb(w['first_visit_bytes'])} | "
            f"{_kb(w.get('on_demand_bytes', 0)) if w.get('on_demand_bytes') else '—'} |"
        )
        if scale and w["page"] in big:
            s = big[w["page"]]
            html_change = s["html_bytes"] / w["html_bytes"] - 1
            first_change = s["first_visit_bytes"] / w["first_visit_bytes"] - 1
            row += (
                f" {_kb(s['html_bytes'])} ({html_change:+.0%}) |"
                f" {_kb(s['first_visit_bytes'])} ({first_change:+.0%}) |"
            )
        lines.append(row)
    if report.get("charts"):
        lines += [
            "",
            "## Charts",
            "",
            "Charts are drawn in the HTML; milliseconds from the reader pointing at a chart (after "
            "load) until every chart on the page has its interactive view; fresh browser context "
            "per load, network outside the site blocked.",
            "",
            "| Page | Charts | Loads (ms) | Median |",
            "|---|---:|---|---:|",
        ]
        for page, c in report["charts"].items():
            loads = ", ".join(f"{x:.0f}" for x in c["ms"])
            lines.append(f"| {page} | {c['charts']} | {loads} | {c['median_ms']:.0f} |")
    if report.get("first_visit"):
        from livingreview.cli import firstvisit

        lines += firstvisit.markdown(report["first_visit"])
    if report.get("scale"):
        scale = report["scale"]
        lines += [
            "",
            f"## At {scale['factor']} x data",
            "",
            "Rows: " + ", ".join(f"{k} {v:,}" for k, v in scale["rows"].items()) + ".",
        ]
        if "error" in scale:
            lines += ["", "The build failed:", "", "```", scale["error"].strip()[-1500:], "```"]
        else:
            lines += [
                "",
                f"Cold build {scale['cold']['seconds']:.1f} s "
                f"({len(scale['cold']['executed'])} pages executed).",
            ]
        for what, why in scale.get("not_replicated", {}).items():
            lines += ["", f"Not replicated: rows with {what} ({why})."]
    return "\n".join(lines) + "\n"


def _stop(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m livingreview bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--root", type=Path, default=REPO_ROOT, help="the project to measure (default: this repo)"
    )
    parser.add_argument("--out", type=Path, default=None, help="report folder (default: <root>/_build/bench)")
    parser.add_argument("--loads", type=int, default=3, help="page loads per chart page (median)")
    parser.add_argument("--runs", type=int, default=3, help="cold builds and floors (median)")
    parser.add_argument("--no-scale", action="store_true", help=f"skip the {SCALE_FACTOR} x dataset")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    out = (args.out or root / "_build" / "bench").resolve()
    # Stopped from outside: unwind (temporary copy removed, running builds stopped).
    signal.signal(signal.SIGTERM, _stop)
    try:
        report = measure(
            root,
            loads=args.loads,
            runs=args.runs,
            scale=not args.no_scale,
            log=lambda s: print(s, file=sys.stderr, flush=True),
        )
    except RuntimeError as err:
        print(f"bench: {err}", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    md = markdown(report)
    (out / "report.md").write_text(md, encoding="utf-8")
    print(md)
    print(f"bench: report in {out}", file=sys.stderr)
    return 1 if args.strict and not all(t["pass"] for t in report["targets"]) else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "floor":
        sys.exit(_floor_main(sys.argv[2]))
    sys.exit(main())
