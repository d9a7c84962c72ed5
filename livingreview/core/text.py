"""Small text helpers shared by messages, chart descriptions and release notes."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 row``, ``2 rows``; ``plural(2, "study", "studies")``."""
    return f"{n} {word if n == 1 else (many or word + 's')}"
