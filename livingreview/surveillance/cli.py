"""``python -m livingreview search`` and ``python -m livingreview screen ...``.

- search: run every strategy for the window since its last successful run; write the candidates
  and the run log (all or nothing) and a summary (``_build/search/summary.md``). Needs
  ``NCBI_EMAIL``; uses ``NCBI_API_KEY`` when set (never printed).
- screen export FILE.ris: the candidates not yet decided, for ASReview or Rayyan.
- screen import FILE.ris --screener NAME [--stage S] [--reason R]: the decisions an ASReview or
  Rayyan export carries, appended to the ledger (Rayyan names its screeners; ASReview does not,
  so --screener says who; ASReview exclusions need --reason).
- screen decide RECORD --screener NAME --stage S --decision D [--reason R] [--note N].
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta
from pathlib import Path

from livingreview.core.paths import package_file

from . import ledger, ris, run, tables

STAGES = ("screened", "sought", "assessed")


def _reasons(root: Path) -> list[str]:
    pkg = json.loads(package_file(root).read_text(encoding="utf-8"))
    res = next(r for r in pkg["resources"] if r["name"] == "screening_ledger")
    return next(f for f in res["schema"]["fields"] if f["name"] == "reason")["constraints"]["enum"]


def _append(root: Path, decisions: list[ledger.Decision]) -> int:
    try:
        text = ledger.append_text(root, decisions)
    except ValueError as exc:
        print(f"screen: {exc}; nothing was written", file=sys.stderr)
        return 1
    tables.commit(root, {tables.LEDGER: text})
    print(f"screen: {len(decisions)} decision(s) appended to {tables.LEDGER}")
    return 0


def main(argv: list[str], root: Path) -> int:
    if argv[:1] == ["search"]:
        p = argparse.ArgumentParser(
            prog="python -m livingreview search",
            description=__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument("--summary", type=Path, default=None, help="where to write the Markdown summary")
        p.add_argument(
            "--until",
            type=date.fromisoformat,
            default=None,
            help="last day of the windows (YYYY-MM-DD; default yesterday): a narrower window when a "
            "strategy matches more records than E-utilities can page through",
        )
        a = p.parse_args(argv[1:])
        return run.main(root, a.summary, today=a.until + timedelta(days=1) if a.until else None)
    p = argparse.ArgumentParser(
        prog="python -m livingreview screen",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="action", required=True)
    e = sub.add_parser("export")
    e.add_argument("file", type=Path)
    i = sub.add_parser("import")
    i.add_argument("file", type=Path)
    i.add_argument("--screener", default=None)
    i.add_argument("--stage", choices=STAGES, default="screened")
    i.add_argument("--reason", default="")
    d = sub.add_parser("decide")
    d.add_argument("record")
    d.add_argument("--screener", required=True)
    d.add_argument("--stage", choices=STAGES, required=True)
    d.add_argument("--decision", choices=("included", "excluded"), required=True)
    d.add_argument("--reason", default="")
    d.add_argument("--note", default="")
    a = p.parse_args(argv[1:])
    if a.action == "export":
        decided = ledger.state(root)
        _, cands = tables.read(root, tables.CANDIDATES)
        todo = [c for c in cands if c["candidate_id"] not in decided]
        a.file.write_text(ris.export(todo), encoding="utf-8")
        print(f"screen: {len(todo)} undecided candidate(s) written to {a.file}")
        return 0
    reasons = _reasons(root)
    if a.action == "decide":
        if a.reason and a.reason not in reasons:
            print(f"screen: reason {a.reason!r} is not one of: {'; '.join(reasons)}", file=sys.stderr)
            return 1
        return _append(root, [ledger.Decision(a.record, a.screener, a.stage, a.decision, a.reason, a.note)])
    labels, problems = ris.labels(a.file.read_text(encoding="utf-8"), a.screener)
    _, cands = tables.read(root, tables.CANDIDATES)
    known = {c["candidate_id"] for c in cands}
    decisions = []
    for x in labels:
        reason = x.reason or (a.reason if x.decision == "excluded" else "")
        if x.record_id not in known:
            problems.append(f"{x.record_id}: not a candidate of {tables.CANDIDATES}")
        elif x.decision == "excluded" and reason not in reasons:
            problems.append(
                f"{x.record_id}: exclusion reason {reason or '(none)'!r} is not one of: {'; '.join(reasons)}"
                " (give --reason for ASReview exclusions)"
            )
        else:
            note = f"imported from a {x.tool} RIS export ({a.file.name})"
            decisions.append(ledger.Decision(x.record_id, x.screener, a.stage, x.decision, reason, note))
    if problems:
        for msg in problems:
            print(f"screen: {a.file}: {msg}", file=sys.stderr)
        print("screen: nothing was written", file=sys.stderr)
        return 1
    return _append(root, decisions)
