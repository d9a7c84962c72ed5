"""Figures cited in the prose: ``{fig}`row-id``` and ``{value}`row-id:column```.

A chapter's sentence names the figure it quotes where it quotes it, as ``{cite}`` names a
reference; the text comes from the dataset when the page is built (the same ``pasted-text`` span
as ``{glue:text}``), so a data edit flows into the sentence on the next build.

    After a median follow-up of {fig}`vandersluis2023-followup`, two-year DFS was
    {fig}`vandersluis2023-dfs-2y` in {value}`vandersluis2023:n` infants.

A ``{fig}`` carries its row's flag marker, as every figure does; a ``{value}`` (an n, a time point,
a count printed beside its figure) does not, as ``ds.number`` did not: the row's flag is listed in
the page's flags table, and the figure it goes with carries the marker. A value whose own flag
matters in its sentence is written with ``ds.as_printed`` (which adds the marker) and glued.

Why roles and not a cell that glues each figure: the sentence says which figure it shows, there is
no second name to keep in step (a glue name), and the page's code keeps to what needs code.

How: as the page is read, its ``book.start()`` becomes ``book.start(prose=(...))`` with every
reference, in order (same line, so line numbers hold). The page's code then makes each text (as
``ds.text`` and ``ds.value`` do), glues it, and records the row as shown, so that the page's table
of flagged figures (``ds.flags_table()``) includes it; the role pastes the glued text. So the
text is made once, by the page API, from the same dataset as the page's charts; the references
are part of the page's code, and so of its execution-cache key (citing another figure executes
the page again, editing the prose around it does not); and an unknown id stops the page's code,
which fails the build naming the page. The Sphinx side never loads the dataset.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from myst_nb.core.variables import RetrievalError, format_plain_text
from myst_nb.ext.glue.utils import retrieve_glue_data
from myst_nb.ext.utils import RoleBase
from sphinx.application import Sphinx

from livingreview.core.myst import FIG_ROLE, VALUE_ROLE, code_cell_spans, glue_key, prose_refs, split_ref

_START = re.compile(r"\bbook\.start\(\)")


def with_prose_refs(markdown: str) -> str:
    """The page's source with the first ``book.start()`` of its code cells given the prose's
    references (a ``book.start()`` mentioned in the prose is left as it is)."""
    refs = prose_refs(markdown)
    if not refs:
        return markdown
    lines = markdown.split("\n")
    for first, end, _ in code_cell_spans(lines):
        for i in range(first, end):
            if _START.search(lines[i]):
                lines[i] = _START.sub(f"book.start(prose={tuple(refs)!r})", lines[i], count=1)
                return "\n".join(lines)
    return markdown


def _on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    source[0] = with_prose_refs(source[0])


class CitedFigure(RoleBase):
    """``{fig}`row-id```: the reader's text of one figure row (counts with exact CI or the value as
    printed, and its flag); ``{value}`row-id:column```: one value of a row (an n, a period)."""

    def __call__(
        self, name: str, *args: Any, **kwargs: Any
    ) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        self.name = name  # fig or value (RoleBase keeps the text, not the role's name)
        return super().__call__(name, *args, **kwargs)

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        target = self.text.strip()
        _, column = split_ref(target)
        role = self.name.split(":")[-1]
        problem = None
        if role == VALUE_ROLE and column is None:
            problem = f"write {{{VALUE_ROLE}}}`row-id:column` (no column in {target!r})"
        elif role == FIG_ROLE and column is not None:
            problem = f"write {{{VALUE_ROLE}}}`{target}` for one value of a row"
        else:
            try:
                data = retrieve_glue_data(self.document, glue_key(target))
                text = format_plain_text(data.data["text/plain"], "s")
            except (RetrievalError, KeyError):
                problem = "not made by the page's code: the page's first cell must call book.start()"
        if problem is not None:
            message = self.document.reporter.warning(f"{{{role}}}`{target}`: {problem}", line=self.line)
            return [nodes.inline(target, target)], [message]
        node = nodes.inline(text, text, classes=["pasted-text"])
        self.set_source_info(node)
        return [node], []


def setup(app: Sphinx) -> None:
    app.add_role(FIG_ROLE, CitedFigure())
    app.add_role(VALUE_ROLE, CitedFigure())
    app.connect("source-read", _on_source_read)
