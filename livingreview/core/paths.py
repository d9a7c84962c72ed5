"""Where things are in a book that uses the engine, and the build's shared names.

The one place that knows the layout: a book is a folder with ``_config.yml`` and a Frictionless
data package, at ``sphinx: config: livingreview_data_package`` (default ``data/datapackage.json``);
its bibliography is the first of ``_config.yml``'s ``bibtex_bibfiles`` and its release-notes page
is ``sphinx: config: livingreview_whats_new``.
Standard library only (``_config.yml`` is read with PyYAML, which Jupyter Book needs anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

#: The engine's own folder, and the folder it was installed from (a checkout: the default book).
ENGINE_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = ENGINE_DIR.parent

CONFIG_FILE = "_config.yml"
PACKAGE_FILE = "data/datapackage.json"  # default; _config.yml: sphinx: config: livingreview_data_package
BIB_FILE = "references.bib"  # default; _config.yml: bibtex_bibfiles (the first)
CHAPTERS_DIR = "chapters"
# The data package's tables whose rows a page shows (a figure, an adverse event, a patient, a
# study), in the order a page's table of flagged figures lists them (livingreview.book.Page).
SHOWN_TABLES = ("outcomes", "adverse_events", "patients", "studies")
# Of those, the tables whose rows are figures (a {fig} in the prose shows one; livingreview.build.roles).
FIGURE_TABLES = SHOWN_TABLES[:2]
# What the page API's methods (livingreview.book.Page) read besides the rows a page names by id:
# the build executes a page again when one of these tables changes (livingreview.build.freshness).
# Here, not beside the methods, so that the build reads it without importing the page API (pandas);
# tests/test_freshness.py reads every method's body and fails on a table it uses and this omits.
PAGE_API_READS: dict[str, tuple[str, ...]] = {
    "provenance": ("documents",),
    "read_on": ("documents",),
    "documents_of": ("documents",),
    "cases": ("patients",),
    "cases_behind": ("patients",),
    "figures_of": ("outcomes",),
    "release": ("releases",),
    "glue_release": ("releases",),
    "version": ("releases",),
}

# The folder, inside the build folder (_build), where one build's processes share what they make
# once: the parsed dataset, long tables' other rows, the Vega bundle, the last build's stamp.
CACHE_DIR = ".livingreview-cache"
ROWS_DIR = "rows"  # there, long tables' other rows (copied to the same name under the site's _static)

# Folders that are not the project: outputs, caches and tools (left out of the up-to-date digest
# and of `make bench`'s copy).
NOT_PROJECT = frozenset(
    {
        ".git",
        ".venv",
        "_build",
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
        ".ipynb_checkpoints",
        "node_modules",
        ".mypy_cache",
        ".hypothesis",
        ".jupyter_cache",
    }
)


def build_cache(root: Path) -> Path:
    """The build cache of the book at ``root``."""
    return Path(root) / "_build" / CACHE_DIR


def find_root(start: Path | None = None) -> Path | None:
    """The book a path belongs to: the nearest folder up from ``start`` (default: the working
    directory, which is the page's folder while a page executes) holding ``_config.yml`` and the
    data package that ``_config.yml`` names."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file() and package_file(folder).is_file():
            return folder
    return None


def default_root() -> Path:
    """The checkout the engine was installed from (the parent of the ``livingreview`` package)."""
    return REPO_ROOT


@dataclass(frozen=True)
class BookSettings:
    """What a book names in its ``_config.yml`` (all relative to the book's folder)."""

    bib_file: str = BIB_FILE
    data_package: str = PACKAGE_FILE  # the Frictionless descriptor; its resources' paths are relative to it
    whats_new: str | None = None  # docname of the release-notes page, if the book has one
    warm_kernels: bool = True  # pages' kernels forked from a warm template (livingreview.build.kernels)
    count_nouns: tuple[str, ...] = ()  # the book's words for counted people and things (checks.prose)


def book_settings(root: Path) -> BookSettings:
    config = Path(root) / CONFIG_FILE
    try:
        stat = config.stat()
    except OSError:
        return BookSettings()
    return _settings(str(config), stat.st_mtime_ns)


@lru_cache(maxsize=8)
def _settings(config: str, _mtime: int) -> BookSettings:
    import yaml

    data = yaml.safe_load(Path(config).read_text(encoding="utf-8")) or {}
    sphinx = (data.get("sphinx") or {}).get("config") or {}
    bibfiles = data.get("bibtex_bibfiles") or [BIB_FILE]
    return BookSettings(
        bib_file=str(bibfiles[0]),
        data_package=PurePosixPath(sphinx.get("livingreview_data_package") or PACKAGE_FILE).as_posix(),
        whats_new=sphinx.get("livingreview_whats_new") or None,
        warm_kernels=bool(sphinx.get("livingreview_warm_kernels", True)),
        count_nouns=tuple(str(n) for n in sphinx.get("livingreview_count_nouns") or ()),
    )


def package_name(root: Path) -> str:
    """The book's data package, relative to the book (as messages name it: ``data/datapackage.json``)."""
    return book_settings(root).data_package


def package_file(root: Path) -> Path:
    """The book's data package (its descriptor file)."""
    return Path(root) / package_name(root)
