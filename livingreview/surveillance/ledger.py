"""The screening ledger (``data/screening_ledger.csv``): decisions appended, never rewritten.

A candidate's state is its last entry. Every entry names a person: the search never screens,
so it never excludes. ``check`` finds rewritten or removed entries by comparing the file with
its committed version (git), and entries out of order."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..core.problem import Problem
from . import tables

MACHINE = frozenset(
    {"livingreview", "make search", "search", "machine", "bot", "github-actions", "github-actions[bot]"}
)


@dataclass(frozen=True)
class Decision:
    record_id: str
    screener: str
    stage: str
    decision: str
    reason: str = ""
    note: str = ""


def is_machine(screener: str) -> bool:
    s = screener.strip().lower()
    return s in MACHINE or s.endswith("[bot]")


def state(root: Path) -> dict[str, dict[str, str]]:
    """record_id -> its last ledger entry."""
    _, rows = tables.read(root, tables.LEDGER)
    last: dict[str, dict[str, str]] = {}
    for r in rows:
        last[r["record_id"]] = r
    return last


def append_text(root: Path, decisions: list[Decision], now: datetime | None = None) -> str:
    """The ledger's text with ``decisions`` appended (numbered on), refused for a machine
    screener or an exclusion without reason."""
    for d in decisions:
        if is_machine(d.screener):
            raise ValueError(f"{d.record_id}: screener {d.screener!r} is the machine; only a person screens")
        if d.decision == "excluded" and not d.reason:
            raise ValueError(f"{d.record_id}: an exclusion needs a reason")
    _, rows = tables.read(root, tables.LEDGER)
    n = max((int(r["entry"]) for r in rows if r["entry"].isdigit()), default=0)
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    new = [
        {
            "entry": n + i,
            "record_id": d.record_id,
            "decided_at": when,
            "screener": d.screener,
            "stage": d.stage,
            "decision": d.decision,
            "reason": d.reason,
            "note": d.note,
        }
        for i, d in enumerate(decisions, start=1)
    ]
    return tables.appended(root, tables.LEDGER, new)


def check_rows(rows: list[dict[str, str]], file: str = tables.LEDGER) -> list[Problem]:
    """Order and who: entries 1..n in order, times never going back, a person on every entry,
    a reason on every exclusion and none on an inclusion."""
    out, previous_time = [], ""
    for i, r in enumerate(rows, start=2):
        if r.get("entry", "").isdigit() and int(r["entry"]) != i - 1:
            out.append(
                Problem(
                    file,
                    i,
                    "entry",
                    f"entry {r['entry']} is out of order: entries are numbered 1, 2, 3, ... as appended "
                    f"(expected {i - 1})",
                )
            )
        t = r.get("decided_at", "")
        if t and previous_time and t < previous_time:
            out.append(
                Problem(
                    file,
                    i,
                    "decided_at",
                    f"{t} is earlier than the entry before ({previous_time}): "
                    "entries are appended in time order",
                )
            )
        previous_time = t or previous_time
        if is_machine(r.get("screener", "")):
            out.append(
                Problem(
                    file,
                    i,
                    "screener",
                    f"{r['screener']!r} is the search tool: only a person screens "
                    "(the machine never includes or excludes)",
                )
            )
        if r.get("decision") == "excluded" and not r.get("reason"):
            out.append(Problem(file, i, "reason", "an exclusion needs a reason"))
        if r.get("decision") == "included" and r.get("reason"):
            out.append(Problem(file, i, "reason", "an inclusion has no exclusion reason"))
    return out


def check_append_only(before: str, after: str, file: str = tables.LEDGER) -> list[Problem]:
    """Every line of the committed ledger is still there, unchanged and in place."""
    old, new = before.splitlines(), after.splitlines()
    for i, line in enumerate(old, start=1):
        if i > len(new):
            return [
                Problem(
                    file,
                    i,
                    None,
                    f"line {i} of the committed ledger was removed: the ledger is append-only "
                    "(add a new entry instead)",
                )
            ]
        if new[i - 1] != line:
            return [
                Problem(
                    file,
                    i,
                    None,
                    f"line {i} differs from the committed ledger: entries are never rewritten "
                    "(append a new entry that supersedes it)",
                )
            ]
    return []


def committed(root: Path, rev: str = "HEAD") -> str | None:
    """The ledger as committed at ``rev``, or None (not a git checkout, or not committed yet)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "show", f"{rev}:{tables.LEDGER}"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None
