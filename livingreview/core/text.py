"""Small text helpers shared by messages, chart descriptions and release notes."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 row``, ``2 rows``; ``plural(2, "study", "studies")``."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def and_list(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def in_words(n: int) -> str:
    """Small counts as words ("no" to "ten"), larger ones as digits."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else str(n)
