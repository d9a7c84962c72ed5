"""What ``make check`` asks of the surveillance tables beyond their Table Schema (types, enums,
patterns and keys are checked by the generic checks): the run log's arithmetic and windows, the
candidates against their runs, the ledger's order and append-only history, the trials' ages in
days and the page behind every value. Cells the generic checks reject are skipped here, so one
mistake is reported once."""

from __future__ import annotations

import csv
import os
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

from ..core.problem import Problem
from . import ledger, tables, trials

SOURCE_DATE_FIELD = {"pubmed": "crdt", "europepmc": "CREATION_DATE", "ctgov": "LastUpdatePostDate"}
LEDGER_BASE_ENV = "LIVINGREVIEW_LEDGER_BASE"  # git revision the ledger must extend (default HEAD)
FLAG_WORDS = ("inconsistent", "misaligned", "implausible", "ambiguous", "secondary")
NOT_SOURCED = {"nct_id", "study_id", "minimum_age_days", "maximum_age_days", "flag", "note"}


def _rows(root: Path, rel: str) -> list[tuple[int, dict[str, str]]] | None:
    """(line, row) pairs, the line being where the row starts as an editor shows it."""
    try:
        with open(Path(root) / rel, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            out, line = [], 2
            for row in reader:
                out.append((line, {k: (v or "").strip() for k, v in row.items() if k is not None}))
                line = reader.line_num + 1
            return out
    except (OSError, UnicodeDecodeError, csv.Error):
        return None  # reported by the generic checks


def _date(v: str) -> date | None:
    try:
        return date.fromisoformat(v)
    except ValueError:
        return None


def _int(v: str) -> int | None:
    return int(v) if v.isdigit() else None


def check_surveillance(root: Path) -> list[Problem]:
    root = Path(root)
    out: list[Problem] = []
    strategies = _rows(root, tables.STRATEGIES)
    runs = _rows(root, tables.RUNS)
    cands = _rows(root, tables.CANDIDATES)
    if strategies is not None:
        out += _strategies(strategies)
    if strategies is not None and runs is not None:
        out += _runs(strategies, runs)
    if runs is not None and cands is not None:
        out += _candidates(root, runs, cands)
    out += _ledger(root)
    out += _trials(root)
    return out


def _strategies(rows) -> list[Problem]:
    out = []
    for line, r in rows:
        src, field = r.get("source", ""), r.get("date_field", "")
        if src in SOURCE_DATE_FIELD and field and field != SOURCE_DATE_FIELD[src]:
            out.append(
                Problem(
                    tables.STRATEGIES,
                    line,
                    "date_field",
                    f"{src} windows on {SOURCE_DATE_FIELD[src]}, not {field!r}",
                )
            )
        sid = r.get("strategy_id", "")
        if src and sid and not sid.startswith(src + "-"):
            out.append(
                Problem(
                    tables.STRATEGIES, line, "strategy_id", f"{sid!r} should start with its source, {src}-"
                )
            )
    return out


def _runs(strategies, runs) -> list[Problem]:
    out = []
    first = {r["strategy_id"]: _date(r.get("first_window_start", "")) for _, r in strategies}
    queries = {r["strategy_id"]: r.get("query", "") for _, r in strategies}
    last_end: dict[str, date] = {}
    for line, r in runs:
        sid = r.get("strategy_id", "")
        wf, wt = _date(r.get("window_from", "")), _date(r.get("window_to", ""))
        if wf and wt and wf > wt:
            out.append(Problem(tables.RUNS, line, "window_to", f"window ends ({wt}) before it starts ({wf})"))
        if wf and sid in first:
            expected = last_end[sid] + timedelta(days=1) if sid in last_end else first[sid]
            if expected and wf != expected:
                out.append(
                    Problem(
                        tables.RUNS,
                        line,
                        "window_from",
                        f"{wf} leaves a gap or an overlap: {sid}'s windows are contiguous, this one "
                        f"should start on {expected}",
                    )
                )
        q = queries.get(sid)
        if q and r.get("query_as_run") and f"({q})" not in r["query_as_run"]:
            out.append(
                Problem(
                    tables.RUNS,
                    line,
                    "query_as_run",
                    f"does not contain {sid}'s query as it stands in {tables.STRATEGIES}: a strategy "
                    "is never edited once it has run (add a new strategy instead)",
                )
            )
        if wt and sid:
            last_end[sid] = wt
            if r.get("run_id") and r["run_id"] != f"{sid}-{wt:%Y%m%d}":
                out.append(Problem(tables.RUNS, line, "run_id", f"should be {sid}-{wt:%Y%m%d}"))
        rep, ret = _int(r.get("records_reported", "")), _int(r.get("records_retrieved", ""))
        new, dup = _int(r.get("new_records", "")), _int(r.get("duplicates", ""))
        pos = _int(r.get("possible_duplicates", ""))
        if rep is not None and ret is not None and rep != ret:
            out.append(
                Problem(
                    tables.RUNS,
                    line,
                    "records_retrieved",
                    f"{ret} retrieved but {rep} reported: such a run is refused, it cannot be in the log",
                )
            )
        linked = _int(r.get("linked_records", "")) or 0
        if None not in (ret, new, dup) and new + dup != ret + linked:
            out.append(
                Problem(
                    tables.RUNS,
                    line,
                    "new_records",
                    f"new ({new}) + duplicates ({dup}) should equal records retrieved ({ret}) "
                    f"+ linked ({linked})",
                )
            )
        if None not in (new, pos) and pos > new:
            out.append(
                Problem(
                    tables.RUNS, line, "possible_duplicates", f"{pos} is more than the new records ({new})"
                )
            )
    return out


def _candidates(root: Path, runs, cands) -> list[Problem]:
    out = []
    per_run = Counter(r.get("run_id", "") for _, r in cands)
    for line, r in runs:
        new = _int(r.get("new_records", ""))
        if new is not None and per_run.get(r.get("run_id", ""), 0) != new:
            out.append(
                Problem(
                    tables.RUNS,
                    line,
                    "new_records",
                    f"{new} new records logged but candidates.csv has {per_run.get(r['run_id'], 0)} "
                    "rows of this run",
                )
            )
    known = {r.get("candidate_id", "") for _, r in cands}
    screening = _rows(root, tables.SCREENING) or []
    known |= {r.get("record_id", "") for _, r in screening}
    for line, r in cands:
        cid, src = r.get("candidate_id", ""), r.get("source", "")
        if src and cid and not cid.startswith(src + "-"):
            out.append(
                Problem(
                    tables.CANDIDATES, line, "candidate_id", f"{cid!r} should start with its source, {src}-"
                )
            )
        dup = r.get("possible_duplicate_of", "")
        if dup and dup not in known:
            out.append(
                Problem(
                    tables.CANDIDATES,
                    line,
                    "possible_duplicate_of",
                    f"{dup!r} is neither a candidate nor a screening record",
                )
            )
        if bool(dup) != bool(r.get("title_similarity", "")):
            out.append(
                Problem(
                    tables.CANDIDATES,
                    line,
                    "title_similarity",
                    "give both possible_duplicate_of and title_similarity, or neither",
                )
            )
    return out


def _ledger(root: Path) -> list[Problem]:
    rows = _rows(root, tables.LEDGER)
    if rows is None:
        return []
    out = ledger.check_rows([r for _, r in rows])
    before = ledger.committed(root, os.environ.get(LEDGER_BASE_ENV, "HEAD"))
    if before is not None:
        out += ledger.check_append_only(before, (Path(root) / tables.LEDGER).read_text(encoding="utf-8"))
    return out


def _trials(root: Path) -> list[Problem]:
    rows, srcs = _rows(root, tables.TRIALS), _rows(root, tables.TRIAL_SOURCES)
    if rows is None or srcs is None:
        return []
    out = []
    by_field: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for _, s in srcs:
        by_field[(s.get("nct_id", ""), s.get("field", ""))].append(s)
    study_ids = {r.get("study_id", "") for _, r in (_rows(root, "data/studies.csv") or [])}
    for line, r in rows:
        nct = r.get("nct_id", "")
        if r.get("study_id") and study_ids and r["study_id"] not in study_ids:
            out.append(
                Problem(
                    tables.TRIALS,
                    line,
                    "study_id",
                    f"{r['study_id']!r} is not a study_id of data/studies.csv",
                )
            )
        for printed, col in (("minimum_age", "minimum_age_days"), ("maximum_age", "maximum_age_days")):
            expected = trials.age_days(r.get(printed, ""))
            given = r.get(col, "")
            if expected is None and given:
                out.append(
                    Problem(
                        tables.TRIALS,
                        line,
                        col,
                        f"{given} days, but {printed} ({r.get(printed) or 'empty'!r}) "
                        "gives no age to compute it from",
                    )
                )
            elif expected is not None and given != str(expected):
                out.append(
                    Problem(
                        tables.TRIALS,
                        line,
                        col,
                        f"{printed} {r.get(printed)!r} is {expected} days (1 year = 365 days), "
                        f"not {given or 'empty'}",
                    )
                )
        flags = set((r.get("flag") or "").split("; ")) - {""}
        for col, value in r.items():
            if col in NOT_SOURCED or not value:
                continue
            seen = by_field.get((nct, col))
            if not seen:
                out.append(
                    Problem(
                        tables.TRIALS,
                        line,
                        col,
                        f"no row of {tables.TRIAL_SOURCES} gives the page this value was read on",
                    )
                )
                continue
            for s in seen:
                for word in set((s.get("flag") or "").split("; ")) - {""}:
                    if word in FLAG_WORDS and word not in flags:
                        out.append(
                            Problem(
                                tables.TRIALS,
                                line,
                                "flag",
                                f"{col}: its source {s.get('source_id')} is flagged {word!r}; "
                                "the row must carry the flag so that readers see it",
                            )
                        )
                        flags.add(word)  # once per word
    return out
