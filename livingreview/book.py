"""What a chapter calls: one line to start a page, and glue for the numbers in its prose.

A chapter's first cell is ``from livingreview import book; ds = book.start()``.
"""

from __future__ import annotations

from typing import Any

from livingreview.core.paths import ROWS_DIR, build_cache, find_root
from livingreview.present import render


class Text(str):
    """A string glued into prose as it is: myst-nb shows a plain ``str`` with its quotes."""

    def __repr__(self) -> str:
        return str(self)


def start() -> Any:
    """Set up the page (offline charts) and return the shared dataset of the book being built
    (not of wherever the engine is installed), schema applied. The first page of a build to load
    the data keeps the frames in the build's cache; the others read them back."""
    from livingreview.dataset import load as data
    from livingreview.present import tables

    render.enable()
    root = find_root()
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
