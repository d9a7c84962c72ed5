"""Figures cited in the prose: ``{fig}`row-id``` and ``{value}`row-id:column```.

A chapter's sentence names the figure it quotes where it quotes it, as ``{cite}`` names a
reference; the text comes from the dataset when the page is read (as ``{glue:text}`` would show
it: the same ``pasted-text`` span), so a data edit flows into the sentence on the next build.

    After a median follow-up of {fig}`vandersluis2023-followup`, two-year DFS was
    {fig}`vandersluis2023-dfs-2y` in {value}`vandersluis2023:n` infants.

A ``{fig}`` carries its row's flag marker, as every figure does; a ``{value}`` (an n, a time point,
a count printed beside its figure) does not, as ``ds.number`` did not: the row's flag is listed in
the page's flags table, and the figure it goes with carries the marker. A value whose own flag
matters in its sentence is written with ``ds.as_printed`` (which adds the marker) and glued.

Why roles and not a cell that glues each figure: the sentence says which figure it shows, there is
no second name to keep in step (a glue name), and the page's code keeps to what needs code.

The page's table of flagged figures is made by its code (``ds.flags_table()``), so the code must
know what the prose cites: as the page is read, its ``book.start()`` becomes
``book.start(prose=(...))`` with every reference, in order (same line, so line numbers hold). The
references are then part of the page's code, and so of its execution-cache key: citing another
figure re-executes the page, editing the prose around it does not.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxRole

from livingreview.core.myst import FIG_ROLE, VALUE_ROLE, prose_refs, split_ref

logger = logging.getLogger(__name__)

_START = re.compile(r"\bbook\.start\(\)")


def with_prose_refs(markdown: str) -> str:
    """The page's source with its first ``book.start()`` given the prose's references."""
    refs = prose_refs(markdown)
    if not refs:
        return markdown
    return _START.sub(f"book.start(prose={tuple(refs)!r})", markdown, count=1)


def _on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    source[0] = with_prose_refs(source[0])


_PAGES: dict[Path, Any] = {}


def _page(app: Sphinx) -> Any:
    """The dataset, as a page sees it, in this (reader) process: loaded once, from the build's
    cache where a page has already parsed it."""
    from livingreview import book
    from livingreview.core.paths import build_cache
    from livingreview.dataset import load as data

    root = Path(app.srcdir)
    if root not in _PAGES:
        _PAGES[root] = book.Page(data.load(root, cache_dir=build_cache(root)))
    return _PAGES[root]


class CitedFigure(SphinxRole):
    """``{fig}`row-id```: the reader's text of one figure row (counts with exact CI or the value as
    printed, and its flag); ``{value}`row-id:column```: one value of a row (an n, a period)."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        target = self.text.strip()
        _, column = split_ref(target)
        try:
            if self.name == VALUE_ROLE and column is None:
                raise ValueError(f"write {{{VALUE_ROLE}}}`row-id:column` (no column in {target!r})")
            if self.name == FIG_ROLE and column is not None:
                raise ValueError(f"write {{{VALUE_ROLE}}}`{target}` for one value of a row")
            text = _page(self.env.app).cited(target)
        except (KeyError, ValueError) as e:
            # a KeyError's str() quotes its message; a DataError (invalid data) lists its problems
            message = str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e)
            logger.warning("{%s}`%s`: %s", self.name, target, message, location=self.get_location())
            return [nodes.inline(target, target)], []
        return [nodes.inline(text, text, classes=["pasted-text"])], []


def setup(app: Sphinx) -> None:
    app.add_role(FIG_ROLE, CitedFigure())
    app.add_role(VALUE_ROLE, CitedFigure())
    app.connect("source-read", _on_source_read)
