"""Data-aware rebuilds.

myst-nb's execution cache keys a page on its code cells (and its notebook ``kernelspec``), so a
page whose code is unchanged keeps its old outputs after a data edit. Here each executable page
gets a fingerprint of what its outputs depend on besides its code: the dataset tables its code
reads, the data schema, and the engine's source. The fingerprint is written into the page's
``kernelspec`` as it is read (Sphinx's ``source-read``), so it becomes part of myst-nb's cache key;
and a page whose fingerprint changed since the last build is reported outdated
(``env-get-outdated``), so Sphinx reads it again even though its file did not change.

A page that uses no data, or other tables than the ones edited, keeps its fingerprint: it is
neither re-read nor re-executed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from livingreview.core.myst import FRONT_MATTER, code_of, prose_refs, split_ref
from livingreview.core.paths import ENGINE_DIR, PAGE_API_READS, SHOWN_TABLES, book_settings, package_file

ALL = "*"

# How a chapter reaches the dataset: `ds.outcomes`, `ds["outcomes"]`; anything that walks every
# table (`ds.tables`, `ds.package`, a computed `ds[name]`, `schema_table`) or hands the engine
# the project folder (`ds.root`: the surveillance pages read their CSV files) depends on all.
_NAMED = re.compile(r"\bds\s*(?:\.\s*(\w+)|\[\s*['\"](\w+)['\"]\s*\])")
_WHOLE = re.compile(
    r"\bds\s*\.\s*(?:tables|package|items|keys|values|root)\b|\bds\s*\[\s*[^'\"\s]|schema_table|data\.load"
    # the page's dataset handed to the engine whole (``dictionary_tables(ds)``, ``f(tables=ds)``,
    # ``ds.dataset``): it may read any table
    r"|[(,=]\s*ds\s*[,)]|\bds\s*\.\s*dataset\b"
)
# The page API's methods (``ds.row``, ``ds.forest_rows``, ``ds.provenance``...) find rows by their
# ids in any of the tables a page can show (livingreview.book.SHOWN_TABLES): any method call
# counts, and only the ids the code names as strings are looked for (_looked_up).
_METHOD = re.compile(r"\bds\s*\.\s*(\w+)\s*\(")
_USES_DATA = re.compile(r"\bbook\.start\s*\(|\bdata\.load\s*\(")


def tables_used(markdown: str, all_tables: Iterable[str]) -> set[str]:
    """The dataset tables a page's code reads: a set of names, or every table."""
    code = code_of(markdown)
    names = set(all_tables)
    if not _USES_DATA.search(code):
        return set()
    if _WHOLE.search(code):
        return names
    used = {a or b for a, b in _NAMED.findall(code)}
    # A table named as a string (``ds.where("patients", ...)``, ``ds.study_rows("patients", ...)``).
    used |= set(_LITERAL.findall(code)) & names
    # What the page API's methods read besides the rows named (core.paths.PAGE_API_READS).
    methods = set(_METHOD.findall(code))
    for method in methods:
        used |= set(PAGE_API_READS.get(method, ()))
    # The figures the prose cites ({fig}`row-id`, livingreview.build.roles) are looked up by id too.
    cited = {split_ref(t)[0] for t in prose_refs(markdown)}
    if methods or cited:
        used |= _looked_up(code, all_tables, cited)
    return used & names


def _looked_up(code: str, tables: Iterable[str] | Mapping[str, Path], cited: Iterable[str] = ()) -> set[str]:
    """The tables a page's lookups by id (``ds.row("some-id")``) reach: those holding an id the
    code names as a string, and the studies (a flag on a study record goes with its figures). With
    table names only (no files to read the ids from), every table a page can show."""
    if not isinstance(tables, Mapping):
        return set(SHOWN_TABLES)
    literals = set(_LITERAL.findall(code)) | set(cited)
    found = {"studies"}
    for name in SHOWN_TABLES:
        path = tables.get(name)
        if path is not None and literals & _ids(path, path.stat().st_mtime_ns if path.exists() else 0):
            found.add(name)
    return found


_LITERAL = re.compile(r"[\"']([A-Za-z0-9][\w.-]*)[\"']")


@lru_cache(maxsize=32)
def _ids(path: Path, _mtime: int) -> frozenset[str]:
    """The first column of a table's CSV (its id)."""
    import csv

    try:
        with open(path, newline="", encoding="utf-8") as f:
            return frozenset(row[0] for row in list(csv.reader(f))[1:] if row)
    except OSError:
        return frozenset()


def _digest(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(p.read_bytes() if p.exists() else b"<missing>")
    return h.hexdigest()


# What pages cannot import: the book build and the command-line tools (benchmark included). The
# layers contract (pyproject.toml) keeps every other part of the engine from importing them, and
# tests/test_architecture.py keeps chapters from doing so; so editing them changes no page's output
# and executes no page.
NOT_FOR_PAGES = ("build", "cli")


def page_engine_files() -> list[Path]:
    """The engine's files a page's outputs can depend on: code and package data, outside
    :data:`NOT_FOR_PAGES`."""
    return sorted(
        p
        for p in ENGINE_DIR.rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and p.relative_to(ENGINE_DIR).parts[0] not in NOT_FOR_PAGES
    )


@lru_cache(maxsize=8)
def _engine_digest(mtimes: tuple[tuple[str, float], ...]) -> str:
    h = hashlib.sha256()
    for name, _ in mtimes:
        h.update(f"\0{name}\0".encode())
        h.update((ENGINE_DIR / name).read_bytes())
    return h.hexdigest()


def engine_digest() -> str:
    files = page_engine_files()
    return _engine_digest(tuple((p.relative_to(ENGINE_DIR).as_posix(), p.stat().st_mtime) for p in files))


def resources(root: Path) -> dict[str, Path]:
    """Table name -> CSV path, from the data package."""
    import json

    package = package_file(root)
    if not package.exists():
        return {}
    descriptor = json.loads(package.read_text(encoding="utf-8"))
    return {r["name"]: package.parent / r["path"] for r in descriptor.get("resources", [])}


def fingerprint(markdown: str, root: Path) -> str | None:
    """What the page's outputs depend on besides its code; None for a page that reads no data."""
    tables = resources(root)
    used = tables_used(markdown, tables)
    code = code_of(markdown)
    if not used and not _USES_DATA.search(code):
        return None
    parts = [tables[name] for name in sorted(used)] + [package_file(root)]
    if "bibliography" in _METHOD.findall(code):  # ds.bibliography(): the book's .bib file too
        parts.append(Path(root) / book_settings(root).bib_file)
    return hashlib.sha256(f"{_digest(parts)}|{engine_digest()}".encode()).hexdigest()[:20]


def stamp(markdown: str, value: str) -> str:
    """The page's source with ``kernelspec.livingreview_inputs`` set to ``value``."""
    m = FRONT_MATTER.match(markdown)
    if not m:
        return markdown
    meta = yaml.safe_load(m.group(1)) or {}
    kernelspec = meta.get("kernelspec")
    if not isinstance(kernelspec, dict):
        return markdown
    kernelspec["livingreview_inputs"] = value
    # One flow-style line padded with comment lines: the page keeps its line numbers, so
    # warnings still point at the right line of the file.
    front = yaml.safe_dump(
        meta, sort_keys=False, allow_unicode=True, default_flow_style=True, width=1_000_000
    ).rstrip("\n")
    padding = "#\n" * max(0, m.group(1).count("\n") - 1)
    return f"---\n{front}\n{padding}---\n" + markdown[m.end() :]


# -- Sphinx glue -------------------------------------------------------------------------------


def _root(app: Any) -> Path:
    return Path(app.srcdir)


def on_source_read(app: Any, docname: str, source: list[str]) -> None:
    value = fingerprint(source[0], _root(app))
    store = _store(app.env)
    if value is None:
        store.pop(docname, None)
        return
    store[docname] = value
    source[0] = stamp(source[0], value)


def on_get_outdated(app: Any, env: Any, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    """Pages whose data changed although their file did not."""
    store = _store(env)
    stale = []
    for docname, old in list(store.items()):
        if docname in changed or docname in added or docname in removed:
            continue
        path = Path(env.doc2path(docname))
        if not path.exists():
            continue
        if fingerprint(path.read_text(encoding="utf-8"), _root(app)) != old:
            stale.append(docname)
    if stale:
        from sphinx.util import logging

        logging.getLogger(__name__).info("livingreview: data changed for %s", ", ".join(sorted(stale)))
    return stale


def on_purge_doc(app: Any, env: Any, docname: str) -> None:
    _store(env).pop(docname, None)


def on_merge_info(app: Any, env: Any, docnames: set[str], other: Any) -> None:
    _store(env).update({d: v for d, v in _store(other).items() if d in docnames})


def _store(env: Any) -> dict[str, str]:
    if not hasattr(env, "livingreview_inputs"):
        env.livingreview_inputs = {}
    return env.livingreview_inputs


def setup(app: Any) -> None:
    app.connect("source-read", on_source_read)
    app.connect("env-get-outdated", on_get_outdated)
    app.connect("env-purge-doc", on_purge_doc)
    app.connect("env-merge-info", on_merge_info)
