"""The search strategies and the run log as data: which window each strategy runs next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from . import tables


@dataclass(frozen=True)
class Strategy:
    strategy_id: str
    source: str
    topic: str
    query: str
    limits: str
    date_field: str
    first_window_start: date


def load(root: Path) -> list[Strategy]:
    _, rows = tables.read(root, tables.STRATEGIES)
    return [
        Strategy(
            r["strategy_id"],
            r["source"],
            r["topic"],
            r["query"],
            r["limits"],
            r["date_field"],
            date.fromisoformat(r["first_window_start"]),
        )
        for r in rows
    ]


def last_window_end(runs: list[dict[str, str]], strategy_id: str) -> date | None:
    ends = [
        date.fromisoformat(r["window_to"])
        for r in runs
        if r["strategy_id"] == strategy_id and r["status"] == "completed"
    ]
    return max(ends) if ends else None


def next_window(s: Strategy, runs: list[dict[str, str]], until: date) -> tuple[date, date] | None:
    """The window since the last successful run (inclusive dates), or None when it is empty
    (the strategy already ran up to ``until``)."""
    last = last_window_end(runs, s.strategy_id)
    start = s.first_window_start if last is None else last + timedelta(days=1)
    return (start, until) if start <= until else None
