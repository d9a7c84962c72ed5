"""What a chapter calls: one line to start a page, and glue for the numbers in its prose.

A chapter's first cell is ``from livingreview import book; ds = book.start()``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from livingreview import render

# The folder, inside the build folder (_build), where one build's processes share what they make
# once: the parsed dataset, long tables' other rows, the Vega bundle, the last build's stamp.
CACHE_DIR = ".livingreview-cache"
ROWS_DIR = "rows"  # there, long tables' other rows (copied to the same name under the site's _static)


def build_cache(root: Path) -> Path:
    """The build cache of the book at ``root``."""
    return root / "_build" / CACHE_DIR


class Text(str):
    """A string glued into prose as it is: myst-nb shows a plain ``str`` with its quotes."""

    def __repr__(self) -> str:
        return str(self)


def book_root(start: Path | None = None) -> Path | None:
    """The book a page belongs to: the nearest folder up from ``start`` (the page's working
    directory while it executes) holding ``_config.yml`` and ``data/datapackage.json``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_config.yml").is_file() and (folder / "data" / "datapackage.json").is_file():
            return folder
    return None


def start() -> Any:
    """Set up the page (offline charts) and return the shared dataset of the book being built
    (not of wherever the engine is installed), schema applied. The first page of a build to load
    the data keeps the frames in the build's cache; the others read them back."""
    from livingreview import data, tables

    render.enable()
    root = book_root()
    cache = build_cache(root) if root else None
    tables.keep_rows_in(cache / ROWS_DIR if cache else None)
    return data.load(root, cache_dir=cache)


def glue(name: str, value: Any) -> Any:
    """Glue ``value`` for ``{glue:text}`name``` in the prose, without showing it here."""
    from myst_nb import glue as nb_glue

    if isinstance(value, str):
        value = Text(value)
    nb_glue(name, value, display=False)
    return value
