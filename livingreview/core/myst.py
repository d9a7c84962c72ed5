"""Reading a MyST page's source without Sphinx: its front matter and its code cells."""

from __future__ import annotations

import re

# A page's YAML front matter, between the opening and closing "---" lines.
FRONT_MATTER = re.compile(r"\A---\n(.*?\n)---\n", re.S)

_FENCE_OPEN = re.compile(r"^(?P<fence>`{3,}|~{3,})\{code-cell\}")
_OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")


def code_cells(markdown: str) -> list[str]:
    """The code of every ``{code-cell}`` of a MyST page, in order, without its options (``:key:``
    lines or a ``---`` YAML block); cells tagged ``skip-execution`` are left out, as myst-nb does."""
    cells: list[str] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE_OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        fence = m.group("fence")
        body: list[str] = []
        i += 1
        while i < len(lines) and not (
            lines[i].startswith(fence[0] * len(fence)) and lines[i].strip(fence[0]) == ""
        ):
            body.append(lines[i])
            i += 1
        i += 1
        options: dict[str, str] = {}
        if body and body[0].strip() == "---":
            end = next((k for k in range(1, len(body)) if body[k].strip() == "---"), None)
            if end is not None:
                import yaml

                options = {str(k): str(v) for k, v in (yaml.safe_load("\n".join(body[1:end])) or {}).items()}
                body = body[end + 1 :]
        while body and _OPTION.match(body[0]):
            o = _OPTION.match(body[0])
            assert o is not None
            options[o.group("key")] = o.group("value")
            body = body[1:]
        if "skip-execution" in options.get("tags", ""):
            continue
        cells.append("\n".join(body))
    return cells


def code_of(markdown: str) -> str:
    """All the page's executed code, as one text."""
    return "\n".join(code_cells(markdown))


# The page's figures cited in its prose: {fig}`row-id` (the reader's text of one figure row) and
# {value}`row-id:column` (one value of a row), read from the dataset when the page is read
# (livingreview.build.roles). Role names are the book's vocabulary, kept here so that the build,
# the freshness digest and the page API read the same references.
FIG_ROLE, VALUE_ROLE = "fig", "value"
PROSE_REF = re.compile(r"\{(?P<role>fig|value)\}`(?P<target>[^`]+)`")


def prose_refs(markdown: str) -> list[str]:
    """The targets of the page's ``{fig}`` and ``{value}`` roles, each once, in the order they
    first appear (``'row-id'`` or ``'row-id:column'``); MyST comment lines (``% ...``) left out."""
    prose = "\n".join(line for line in markdown.splitlines() if not line.startswith("%"))
    return list(dict.fromkeys(m.group("target").strip() for m in PROSE_REF.finditer(prose)))


def glue_key(target: str) -> str:
    """The glue name under which the page's code leaves the text of one prose reference (the
    page's ``book.start(prose=...)`` glues it, the role pastes it)."""
    return f"livingreview {target}"


def split_ref(target: str) -> tuple[str, str | None]:
    """``'row-id:column'`` -> ``('row-id', 'column')``; ``'row-id'`` -> ``('row-id', None)``."""
    row_id, _, column = target.partition(":")
    return row_id.strip(), (column.strip() or None)
