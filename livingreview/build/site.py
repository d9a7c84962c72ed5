"""Checks on the built site: what a green Sphinx exit code does not prove.

Every toc entry has its page with content; each page that declares charts carries them (as
specs the browser test then renders); and no page loads anything from another origin.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import yaml

from livingreview.core.problem import Problem
from livingreview.present.render import CHART_CLASS

# Attributes through which a page makes the browser fetch something on load.
_FETCHING = {
    ("script", "src"),
    ("link", "href"),
    ("img", "src"),
    ("iframe", "src"),
    ("source", "src"),
    ("video", "src"),
    ("audio", "src"),
    ("embed", "src"),
    ("object", "data"),
}
_LINK_RELS_FETCHED = {"stylesheet", "preload", "modulepreload", "icon", "prefetch", "manifest"}
_EXTERNAL = re.compile(r"^\s*(https?:)?//", re.I)


def toc_files(root: Path) -> list[str]:
    """Every document named in ``_toc.yml``, root first, in order (without extension)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for key in ("chapters", "sections", "parts"):
                walk(node.get(key))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return [re.sub(r"\.(md|ipynb)$", "", f) for f in files]


def expected_charts(source: Path) -> int:
    """Charts a chapter declares in its front matter: ``livingreview: {charts: N}``."""
    from livingreview.review.living import page_options

    return int(page_options(source).get("charts", 0))


@dataclass
class _PageScan(HTMLParser):
    external: list[str] = field(default_factory=list)
    specs: list[str] = field(default_factory=list)
    rows: list[str] = field(default_factory=list)  # a long table's rows on demand (its script)
    unpublished: list[str] = field(default_factory=list)
    text_chars: int = 0
    _in_spec: bool = False
    _in_main: int = 0

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for attr in ("src", "href", "data"):
            if (tag, attr) in _FETCHING and _EXTERNAL.match(a.get(attr, "")):
                rels = set(a.get("rel", "").lower().split())
                if tag != "link" or rels & _LINK_RELS_FETCHED:
                    self.external.append(f"<{tag} {attr}={a[attr]!r}>")
        if tag == "table" and a.get("data-lr-rows"):
            self.rows.append(a["data-lr-rows"])
        if tag == "table" and a.get("data-lr-rows-file"):
            self.unpublished.append(a["data-lr-rows-file"])
        if tag == "script" and f"{CHART_CLASS}-spec" in a.get("class", ""):
            self._in_spec = True
            self.specs.append("")
        if tag == "main" or (tag == "article" and "bd-article" in a.get("class", "")):
            self._in_main += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_spec = False
        if tag in ("main", "article") and self._in_main:
            self._in_main -= 1

    def handle_data(self, data: str) -> None:
        if self._in_spec:
            self.specs[-1] += data
        elif self._in_main:
            self.text_chars += len(data.strip())


def check_site(root: Path, html_dir: Path | None = None) -> list[Problem]:
    html_dir = html_dir or root / "_build" / "html"
    problems: list[Problem] = []
    if not html_dir.is_dir():
        return [Problem(str(html_dir), None, None, "no built site: run `make book`")]
    for doc in toc_files(root):
        page = html_dir / f"{doc}.html"
        rel = f"{doc}.html"
        if not page.exists():
            problems.append(Problem("_toc.yml", None, "file", f"{doc}: no page {rel} in the build"))
            continue
        scan = _PageScan()
        scan.feed(page.read_text(encoding="utf-8"))
        if scan.text_chars < 200:
            problems.append(
                Problem(rel, None, None, f"page is nearly empty ({scan.text_chars} characters of text)")
            )
        for ext in scan.external:
            problems.append(Problem(rel, None, None, f"loads from another origin: {ext}"))
        for url in scan.rows:
            if not (page.parent / url.split("?")[0]).resolve().is_file():
                problems.append(Problem(rel, None, None, f"a long table's other rows are missing: {url}"))
        for name in scan.unpublished:
            problems.append(Problem(rel, None, None, f"a long table's other rows were not published: {name}"))
        source = next(
            (root / f"{doc}{ext}" for ext in (".md", ".ipynb") if (root / f"{doc}{ext}").exists()), None
        )
        want = expected_charts(source) if source and source.suffix == ".md" else 0
        if len(scan.specs) < want:
            problems.append(
                Problem(
                    rel,
                    None,
                    None,
                    f"{len(scan.specs)} chart(s) on the page; its front matter declares {want}",
                )
            )
        for i, spec in enumerate(scan.specs, 1):
            try:
                schema = json.loads(spec).get("$schema", "")
            except json.JSONDecodeError as err:
                problems.append(Problem(rel, None, None, f"chart {i}: spec is not JSON ({err})"))
                continue
            if "vega-lite" not in schema:
                problems.append(Problem(rel, None, None, f"chart {i}: not a Vega-Lite spec"))
        if scan.specs and 'src="_static/livingreview/vega-bundle.js' not in page.read_text(
            encoding="utf-8"
        ).replace("../", ""):
            problems.append(
                Problem(rel, None, None, "page has charts but does not load the site's Vega bundle")
            )
    if not (html_dir / "_static" / "livingreview" / "vega-bundle.js").exists():
        problems.append(
            Problem(
                str(html_dir.relative_to(root) if html_dir.is_relative_to(root) else html_dir),
                None,
                None,
                "the Vega bundle is missing from _static/livingreview/",
            )
        )
    return problems
