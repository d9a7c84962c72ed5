"""Reading a MyST page's source without Sphinx: its front matter and its code cells."""

from __future__ import annotations

import re

# A page's YAML front matter, between the opening and closing "---" lines.
FRONT_MATTER = re.compile(r"\A---\n(.*?\n)---\n", re.S)

_FENCE_OPEN = re.compile(r"^(?P<fence>`{3,}|~{3,})\{code-cell\}")
_OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")


def code_cell_spans(lines: list[str]) -> list[tuple[int, int, dict[str, str]]]:
    """Where the code of each ``{code-cell}`` of a MyST page is: ``(first, end, options)`` with the
    code on ``lines[first:end]`` (after its options: ``:key:`` lines or a ``---`` YAML block)."""
    spans: list[tuple[int, int, dict[str, str]]] = []
    i = 0
    while i < len(lines):
        m = _FENCE_OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        fence = m.group("fence")
        first = i = i + 1
        # (a line split off with "\n" keeps a Windows "\r": it closes the fence all the same)
        while i < len(lines) and not (
            lines[i].startswith(fence[0] * len(fence)) and lines[i].rstrip("\r").strip(fence[0]) == ""
        ):
            i += 1
        end = i
        i += 1
        options: dict[str, str] = {}
        if first < end and lines[first].strip() == "---":
            close = next((k for k in range(first + 1, end) if lines[k].strip() == "---"), None)
            if close is not None:
                import yaml

                options = {
                    str(k): str(v)
                    for k, v in (yaml.safe_load("\n".join(lines[first + 1 : close])) or {}).items()
                }
                first = close + 1
        while first < end and (o := _OPTION.match(lines[first])):
            options[o.group("key")] = o.group("value")
            first += 1
        spans.append((first, end, options))
    return spans


def code_cells(markdown: str) -> list[str]:
    """The code of every ``{code-cell}`` of a MyST page, in order, without its options (``:key:``
    lines or a ``---`` YAML block); cells tagged ``skip-execution`` are left out, as myst-nb does."""
    lines = markdown.splitlines()
    return [
        "\n".join(lines[first:end])
        for first, end, options in code_cell_spans(lines)
        if "skip-execution" not in options.get("tags", "")
    ]


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
