"""What a chapter calls: one line to start a page, and glue for the numbers in its prose.

A chapter's first cell is ``from livingreview import book; ds = book.start()``.
"""

from __future__ import annotations

from typing import Any

from livingreview import render


class Text(str):
    """A string glued into prose as it is: myst-nb shows a plain ``str`` with its quotes."""

    def __repr__(self) -> str:
        return str(self)


def start() -> Any:
    """Set up the page (offline charts) and return the shared dataset, schema applied."""
    from livingreview import data

    render.enable()
    return data.load()


def glue(name: str, value: Any) -> Any:
    """Glue ``value`` for ``{glue:text}`name``` in the prose, without showing it here."""
    from myst_nb import glue as nb_glue

    if isinstance(value, str):
        value = Text(value)
    nb_glue(name, value, display=False)
    return value
