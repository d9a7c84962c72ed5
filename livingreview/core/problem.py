"""One thing wrong with the project, as every check reports it (``file:row: column: message``).
Standard library only: the built-site check uses it at the end of every build."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the project, located as precisely as possible.

    ``file`` is relative to the project root (posix separators); ``row`` is the 1-based line
    number as an editor shows it (CSV header = line 1); ``column`` is a CSV column, a BibTeX
    field (or ``key``), or ``cite`` for a citation in a chapter.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        head = self.file if self.row is None else f"{self.file}:{self.row}"
        if self.column:
            return f"{head}: {self.column}: {self.message}"
        return f"{head}: {self.message}"

    def sort_key(self) -> tuple:
        return (self.file, self.row or 0, self.column or "", self.message)
