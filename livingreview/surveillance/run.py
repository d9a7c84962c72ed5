"""One search run: every strategy for the window since its last successful run, deduplicated
against the screening log and earlier candidates, written all at once or not at all.

Nothing is written until every strategy has completed; then the run log, the candidates, the
followed trials and their changes are written to temporary files and renamed over the data
(:func:`.tables.commit`). A strategy's window moves on only through its run-log row, so a failed
run is simply run again. The summary (Markdown, untrusted text escaped) goes outside ``data/``.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from . import ctgov, dedup, europepmc, ids, known, pubmed, strategies, tables, trials
from .http import Client, SearchError
from .records import Candidate, TrialRecord

TOOL = "livingreview"
DEFAULT_EMAIL_ENV = "NCBI_EMAIL"
API_KEY_ENV = "NCBI_API_KEY"


@dataclass
class StrategyResult:
    strategy: strategies.Strategy
    window: tuple[date, date]
    result: pubmed.Result
    trials: list[TrialRecord] = field(default_factory=list)
    linked: list[Candidate] = field(default_factory=list)  # RESULT publications of followed trials
    counts: dict[str, int] = field(default_factory=dict)  # new, duplicates, possible (after dedup)


@dataclass
class Summary:
    run_date: date
    results: list[StrategyResult]
    outcome: dedup.Outcome
    skipped: list[str]
    changes: list[trials.Change]
    texts: dict[str, str]

    @property
    def written(self) -> list[str]:
        return sorted(self.texts)


def _candidate_id(c: Candidate) -> str:
    if c.source == "pubmed":
        return f"pubmed-{c.pmid}"
    if c.source == "ctgov":
        return f"ctgov-{c.nct_id.lower()}"
    return "europepmc-" + "".join(ch if ch.isalnum() else "-" for ch in c.source_id.lower())


def _candidate_row(rid: str, c: Candidate, run_id: str, near: tuple[str, float] | None) -> dict[str, object]:
    return {
        "candidate_id": rid,
        "run_id": run_id,
        "source": c.source,
        "source_id": c.source_id,
        "pmid": c.pmid,
        "pmcid": c.pmcid,
        "doi": c.doi,
        "nct_id": c.nct_id,
        "other_ids": "; ".join(c.other_ids),
        "title": c.title,
        "authors": "; ".join(c.authors),
        "journal": c.journal,
        "year": c.year if c.year.isdigit() and len(c.year) == 4 else "",
        "publication_types": "; ".join(c.publication_types),
        "kind": c.kind,
        "possible_duplicate_of": near[0] if near else "",
        "title_similarity": near[1] if near else "",
        "abstract": c.abstract,
    }


def identity_from_env(env: dict[str, str] | None = None) -> pubmed.Identity:
    env = os.environ if env is None else env
    email = env.get(DEFAULT_EMAIL_ENV, "").strip()
    if not email:
        raise SearchError(
            "NCBI E-utilities",
            f"set {DEFAULT_EMAIL_ENV} to the maintainer's e-mail address: NCBI asks for it on every request",
        )
    return pubmed.Identity(TOOL, email, env.get(API_KEY_ENV, "").strip())


def search(
    root: Path,
    *,
    today: date | None = None,
    transport: httpx.BaseTransport | None = None,
    identity: pubmed.Identity | None = None,
    sleep=None,
) -> Summary:
    """Run every strategy (network: the services; tests: ``transport``) and return what would be
    written, without writing anything. :func:`write` commits it."""
    root = Path(root)
    # A window ends yesterday: today's records are still being created; the next run takes them.
    today = (today or datetime.now(UTC).date()) - timedelta(days=1)
    who = identity or identity_from_env()
    _, runs = tables.read(root, tables.RUNS)
    kw = {"sleep": sleep} if sleep else {}
    ncbi = Client(transport, min_interval=who.min_interval, **kw)
    other = Client(transport, min_interval=0.2, **kw)
    results, skipped = [], []
    try:
        for s in strategies.load(root):
            window = strategies.next_window(s, runs, today)
            if window is None:
                skipped.append(s.strategy_id)
                continue
            if s.source == "pubmed":
                results.append(StrategyResult(s, window, pubmed.search(ncbi, s.query, *window, who)))
            elif s.source == "europepmc":
                results.append(StrategyResult(s, window, europepmc.search(other, s.query, *window)))
            else:
                res, found = ctgov.search(other, s.query, *window)
                results.append(StrategyResult(s, window, res, found))
        _fetch_result_publications(root, results, ncbi, who)
    finally:
        ncbi.close()
        other.close()
    return _assemble(root, today, results, skipped)


def _fetch_result_publications(root: Path, results: list[StrategyResult], ncbi: Client, who) -> None:
    """A followed trial that names a new RESULT publication (a PMID not yet in its row): the
    publication is fetched from PubMed and becomes a literature candidate of that run."""
    _, rows = tables.read(root, tables.TRIALS)
    had = {r["nct_id"]: set((r.get("result_pmids") or "").split("; ")) for r in rows}
    for sr in results:
        wanted = sorted(
            {p for t in sr.trials if t.nct_id in had for p in t.result_pmids if p not in had[t.nct_id]}
        )
        if wanted:
            sr.linked = pubmed.fetch_ids(ncbi, wanted, who)


def _assemble(root: Path, today: date, results: list[StrategyResult], skipped: list[str]) -> Summary:
    on_file = known.load(root)
    run_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    run_rows, cand_rows = [], []
    total = dedup.Outcome()
    taken: list[dedup.Known] = []
    for sr in results:
        run_id = f"{sr.strategy.strategy_id}-{sr.window[1]:%Y%m%d}"
        outcome = dedup.deduplicate(sr.result.records + sr.linked, on_file + taken, next_id=_candidate_id)
        near = {rid: (of, score) for rid, _, of, score in outcome.possible}
        for rid, c in outcome.new:
            row = _candidate_row(rid, c, run_id, near.get(rid))
            cand_rows.append(row)
            taken.append(dedup.Known(rid, known.candidate_keys({k: str(v) for k, v in row.items()}), c.title))
        sr.counts = {
            "new": len(outcome.new),
            "duplicates": len(outcome.duplicates),
            "possible": len(outcome.possible),
        }
        total.new += outcome.new
        total.duplicates += outcome.duplicates
        total.possible += outcome.possible
        run_rows.append(
            {
                "run_id": run_id,
                "strategy_id": sr.strategy.strategy_id,
                "query_as_run": sr.result.query_as_run,
                "window_from": sr.window[0].isoformat(),
                "window_to": sr.window[1].isoformat(),
                "run_at": run_at,
                "records_reported": sr.result.reported,
                "records_retrieved": len(sr.result.records),
                "linked_records": len(sr.linked),
                "new_records": len(outcome.new),
                "duplicates": len(outcome.duplicates),
                "possible_duplicates": len(outcome.possible),
                "status": "completed",
            }
        )
    texts: dict[str, str] = {}
    all_changes: list[trials.Change] = []
    if results:
        texts[tables.RUNS] = tables.appended(root, tables.RUNS, run_rows)
        if cand_rows:
            texts[tables.CANDIDATES] = tables.appended(root, tables.CANDIDATES, cand_rows)
        all_changes = _followed_trials(root, results, today, texts)
    return Summary(today, results, total, skipped, all_changes, texts)


def _followed_trials(
    root: Path, results: list[StrategyResult], today: date, texts: dict[str, str]
) -> list[trials.Change]:
    """Trials already in trials.csv that a registry search returned: their changed fields are
    logged, the row takes the registry's values, each value's source is the API."""
    header, rows = tables.read(root, tables.TRIALS)
    by_nct = {r["nct_id"]: r for r in rows}
    seen: dict[str, tuple[str, TrialRecord]] = {}
    for sr in results:
        for t in sr.trials:
            if t.nct_id in by_nct:
                seen[t.nct_id] = (f"{sr.strategy.strategy_id}-{sr.window[1]:%Y%m%d}", t)
    if not seen:
        return []
    _, sources = tables.read(root, tables.TRIAL_SOURCES)
    changes, change_rows, source_rows = [], [], []
    for nct, (run_id, t) in sorted(seen.items()):
        new = trials.row_of(t)
        found = trials.changes(by_nct[nct], new)
        changes += found
        for c in found:
            change_rows.append(
                {
                    "change_id": f"{run_id}-{nct.lower()}-{c.field}",
                    "nct_id": nct,
                    "run_id": run_id,
                    "field": c.field,
                    "kind": c.kind,
                    "old_value": c.old,
                    "new_value": c.new,
                    "detected_on": today.isoformat(),
                }
            )
            n = 1 + max(
                (int(s["source_id"].rsplit("-", 1)[1]) for s in sources + source_rows if s["nct_id"] == nct),
                default=0,
            )
            source_rows.append(
                {
                    "source_id": f"{nct.lower()}-{n:02d}",
                    "nct_id": nct,
                    "field": c.field,
                    "value_as_printed": c.new,
                    "url": f"{ctgov.STUDIES}/{nct}",
                    "locator": f"API v2 study record, field for {c.field}",
                    "grade": "registry API",
                    "page_updated": t.last_update if len(t.last_update) == 10 else "",
                    "flag": "",
                    "note": "",
                }
            )
        row = by_nct[nct]
        for k, v in new.items():
            if v and k in header:
                row[k] = v
        if found:
            row["note"] = (
                (row.get("note") or "")
                + f" Updated from the ClinicalTrials.gov API on {today.isoformat()}: "
                + f"{', '.join(c.field for c in found)}."
            )
    if change_rows:
        texts[tables.TRIALS] = tables.render(header, rows)
        texts[tables.TRIAL_SOURCES] = tables.appended(root, tables.TRIAL_SOURCES, source_rows)
        texts[tables.TRIAL_CHANGES] = tables.appended(root, tables.TRIAL_CHANGES, change_rows)
    return changes


def write(root: Path, summary: Summary) -> None:
    tables.commit(root, summary.texts)


# ----------------------------------------------------------------------------- the summary


def md_escape(text: str) -> str:
    """Untrusted text (titles, abstracts) for a Markdown/HTML context such as a PR body: HTML
    escaped, Markdown punctuation and line breaks neutralised, mentions and links broken."""
    t = html.escape(" ".join(str(text).split()), quote=True)
    t = t.replace("@", "&#64;").replace("://", ":&#47;&#47;")
    for ch in "\\`*_{}[]()#+-!|~<>":
        t = t.replace(ch, "\\" + ch)
    return t


def render_summary(s: Summary, limit: int = 200) -> str:
    lines = [f"## Literature and registry search, {s.run_date.isoformat()}", ""]
    if not s.results:
        lines.append("Every strategy has already run up to today: nothing to search.")
        return "\n".join(lines) + "\n"
    lines += [
        "| strategy | window | reported | retrieved | new | duplicates | possible duplicates |",
        "|---|---|---|---|---|---|---|",
    ]
    for sr in s.results:
        w, n = sr.window, sr.counts
        lines.append(
            f"| {sr.strategy.strategy_id} | {w[0]} to {w[1]} | {sr.result.reported} | "
            f"{len(sr.result.records)} | "
            f"{n['new']} | {n['duplicates']} | {n['possible']} |"
        )
    lines += [
        "",
        f"**{len(s.outcome.new)} new candidates** (data/candidates.csv), to be screened by a person "
        "(CONTRIBUTING, Screening a search's candidates).",
        "",
    ]
    if s.outcome.new:
        lines += ["| candidate | title |", "|---|---|"]
        lines += [f"| {rid} | {md_escape(c.title)} |" for rid, c in s.outcome.new[:limit]]
        if len(s.outcome.new) > limit:
            lines.append(f"| … | {len(s.outcome.new) - limit} more in data/candidates.csv |")
    lines += ["", f"**Duplicates** (not added): {len(s.outcome.duplicates)}", ""]
    lines += [
        f"- {c.source} {md_escape(c.source_id)} = {md_escape(of)} (same {by})"
        for c, of, by in s.outcome.duplicates[:limit]
    ]
    lines += ["", f"**Possible duplicates** (added, for a person to decide): {len(s.outcome.possible)}", ""]
    lines += [
        f"- {rid} ~ {md_escape(of)} (title similarity {score})"
        for rid, _, of, score in s.outcome.possible[:limit]
    ]
    if s.changes:
        lines += ["", "**Followed trials that changed**", ""]
        lines += [
            f"- {c.nct_id} {c.field}: {md_escape(c.old) or '(empty)'} → {md_escape(c.new)} ({c.kind})"
            for c in s.changes
        ]
    return "\n".join(lines) + "\n"


def main(root: Path, summary_path: Path | None = None, today: date | None = None, **replay) -> int:
    """``python -m livingreview search``: run, write, print the summary; exit 1 with the
    request and what was wrong when anything fails (and then nothing is written)."""
    import sys

    try:
        s = search(root, today=today, **replay)  # replay: transport, identity, sleep (tests)
    except SearchError as exc:
        print(f"search: {exc}", file=sys.stderr)
        print("search: stopped; nothing was written (data/ is unchanged)", file=sys.stderr)
        return 1
    write(root, s)
    text = render_summary(s)
    out = summary_path or (Path(root) / "_build" / "search" / "summary.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    print(f"search: wrote {', '.join(s.written) or 'nothing'}; summary in {out}")
    return 0


__all__ = ["Summary", "main", "md_escape", "render_summary", "search", "write", "ids"]
