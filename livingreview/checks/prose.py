"""Find statistics typed by hand into chapter prose.

Every number a reader sees must come from the dataset at build time: cited by a role
(``{fig}`row-id```, ``{value}`row-id:column```) or computed and glued (``{glue:text}`name```).
This scans the prose of a MyST chapter (not its code cells, inline code, roles or front matter)
for what looks like a statistic: percentages, "n of N", ratios, decimals, "n = 30", p-values,
and counts or durations of people and time ("30 patients", "3 months").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

# What people, events and time are counted in, in any clinical review ("30 patients", "3
# months"). A book adds its own nouns (_config.yml: sphinx: config: livingreview_count_nouns,
# e.g. infants, relapses, cycles; core.paths.BookSettings.count_nouns).
COUNT_NOUNS = (
    "patients?",
    "participants?",
    "subjects?",
    "people",
    "cases?",
    "studies",
    "trials?",
    "events?",
    "deaths?",
    "months?",
    "years?",
    "weeks?",
    "days?",
)


def _noun(word: str) -> str:
    """A plain noun as a pattern for its singular and plural ("infants" -> "infants?")."""
    if not word.isalpha():
        return word
    return f"{word[:-1]}s?" if word.endswith("s") and not word.endswith("ss") else re.escape(word)


# What a hand-typed statistic looks like. Names such as CD19, KMT2A, Interfant-06, MLL-10 or
# "phase 2" do not match.
PATTERNS: dict[str, re.Pattern[str]] = {
    "percentage": re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?\s*(?:%|per\s?cent\b)", re.I),
    "n of N": re.compile(r"\b\d+\s+(?:of|out of)\s+(?:the\s+)?\d+\b", re.I),
    "ratio": re.compile(r"(?<![\w./])\d+\s*/\s*\d+(?![\w/])"),
    "n =": re.compile(r"\b[nN]\s*=\s*\d+"),
    "p-value": re.compile(r"\b[pP]\s*[<=>≤≥]\s*0?\.\d+"),
    "decimal": re.compile(r"(?<![\w.])\d+\.\d+(?!\w|\.\d)"),
}
# Stripped before matching: inline code, MyST roles with their content, links' targets, HTML
# comments and tags.
_STRIP = [
    re.compile(r"`[^`]*`"),
    re.compile(r"\{[\w:.-]+\}`[^`]*`"),
    re.compile(r"\]\([^)]*\)"),
    re.compile(r"<!--.*?-->"),
    re.compile(r"<[^>]+>"),
    re.compile(r"https?://\S+"),
]
_FENCE = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})")


@dataclass(frozen=True)
class HandTyped:
    line: int
    kind: str
    text: str


def prose_lines(markdown: str) -> list[tuple[int, str]]:
    """(line number, text) of the prose lines: outside front matter and any fenced block
    (code cells, directives such as admonitions are kept: their body is prose)."""
    lines = markdown.splitlines()
    out: list[tuple[int, str]] = []
    i = 0
    if lines and lines[0].strip() == "---":
        i = 1
        while i < len(lines) and lines[i].strip() != "---":
            i += 1
        i += 1
    fence: str | None = None
    code = False
    for n in range(i, len(lines)):
        line = lines[n]
        m = _FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)
            # A directive's body (admonition, note...) is prose; code cells and code blocks are not.
            head = line.strip()[len(fence) :].strip()
            code = (
                head == ""
                or head.startswith(("{code-cell}", "{code}", "{eval-rst}", "{raw}"))
                or not head.startswith("{")
            )
            continue
        if (
            fence is not None
            and line.strip().startswith(fence[0] * len(fence))
            and line.strip(fence[0]).strip() == ""
        ):
            fence, code = None, False
            continue
        if fence is not None and (code or line.lstrip().startswith(":")):
            continue  # code, or a directive option line (":class: warning")
        out.append((n + 1, line))
    return out


@lru_cache(maxsize=8)
def _patterns(nouns: tuple[str, ...]) -> dict[str, re.Pattern[str]]:
    units = "|".join(dict.fromkeys([*COUNT_NOUNS, *map(_noun, nouns)]))
    count = re.compile(rf"(?<![\w.-])\d+\s+(?:[a-z-]+\s+)?(?:{units})\b", re.I)
    # in PATTERNS' order (most specific first), the count before the bare decimal
    patterns = {k: v for k, v in PATTERNS.items() if k != "decimal"}
    return {**patterns, "count": count, "decimal": PATTERNS["decimal"]}


def find_hand_typed(markdown: str, nouns: Iterable[str] = ()) -> list[HandTyped]:
    """What looks like a statistic typed into the page's prose; ``nouns``: the book's own count
    nouns besides :data:`COUNT_NOUNS` ("infants", "relapses")."""
    found: list[HandTyped] = []
    for number, line in prose_lines(markdown):
        text = line
        for pattern in _STRIP:
            text = pattern.sub(" ", text)
        taken: list[tuple[int, int]] = []
        # Most specific first; a match inside one already found ("81.6" in "81.6%") is the same
        # statistic and is not reported twice.
        for kind, pattern in _patterns(tuple(nouns)).items():
            for m in pattern.finditer(text):
                if any(m.start() < end and start < m.end() for start, end in taken):
                    continue
                taken.append(m.span())
                found.append(HandTyped(number, kind, m.group(0).strip()))
    return sorted(found, key=lambda h: (h.line, h.text))
