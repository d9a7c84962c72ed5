"""The surveillance tables as plain CSV (standard library: the run must not depend on the
dataset loader, and writes must keep every byte of the rows it does not touch)."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

STRATEGIES = "data/search_strategies.csv"
RUNS = "data/search_runs.csv"
CANDIDATES = "data/candidates.csv"
LEDGER = "data/screening_ledger.csv"
TRIALS = "data/trials.csv"
TRIAL_SOURCES = "data/trial_sources.csv"
TRIAL_CHANGES = "data/trial_changes.csv"
SCREENING = "data/screening.csv"
BIB = "references.bib"


def read(root: Path, rel: str) -> tuple[list[str], list[dict[str, str]]]:
    path = Path(root) / rel
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def render(header: list[str], rows: list[dict[str, object]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n", extrasaction="raise")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in header})
    return buf.getvalue()


def appended(root: Path, rel: str, rows: list[dict[str, object]]) -> str:
    """The file's text with ``rows`` added at the end (existing bytes unchanged)."""
    path = Path(root) / rel
    text = path.read_text(encoding="utf-8")
    header, _ = read(root, rel)
    if text and not text.endswith("\n"):
        text += "\n"
    return text + render(header, rows).split("\n", 1)[1]


def commit(root: Path, texts: dict[str, str]) -> None:
    """Write every file or none: each goes to a temporary file beside its target first; only
    when all are written are they renamed over the targets (rename is atomic on one file
    system). A failure before the renames leaves every target as it was."""
    staged: list[tuple[str, Path]] = []
    try:
        for rel, text in texts.items():
            target = Path(root) / rel
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            staged.append((tmp, target))
        for tmp, target in staged:
            os.replace(tmp, target)
        staged = []
    finally:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
