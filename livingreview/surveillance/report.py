"""Reporting the search: PRISMA-S items (Rethlefsen et al. 2021) from the strategies and the run
log, and the PRISMA 2020 flow of an updated review from the run log, the candidates and the
screening ledger, also as the CSV the PRISMA2020 R package reads (its template,
``inst/extdata/PRISMA.csv`` in github.com/prisma-flowdiagram/PRISMA2020: columns ``data, node,
box, description, boxtext, tooltips, url, n``; the package reads ``data`` and ``n``)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pandas as pd

from . import tables

SOURCE_NAMES = {
    "pubmed": "PubMed (MEDLINE and PubMed-only records), NCBI E-utilities",
    "europepmc": "Europe PMC (including preprints), REST search",
    "ctgov": "ClinicalTrials.gov, API v2",
}
REGISTERS = {"ctgov"}
UPDATE = (
    "weekly, every Monday (.github/workflows/search.yml), each strategy from the day after its last window"
)
NEVER = "never run"
DUPLICATE_REASON = "duplicate of another record"


def strategies_table(root: Path) -> pd.DataFrame:
    """One row per strategy: PRISMA-S items 1-2, 8-9, 13 and 16 (database, query exactly as run,
    limits, date field, date of the last search or "never run", update frequency, records)."""
    _, strategies = tables.read(root, tables.STRATEGIES)
    _, runs = tables.read(root, tables.RUNS)
    out = []
    for s in strategies:
        mine = [r for r in runs if r["strategy_id"] == s["strategy_id"]]
        last = max(mine, key=lambda r: r["window_to"]) if mine else None
        out.append(
            {
                "strategy_id": s["strategy_id"],
                "source": SOURCE_NAMES[s["source"]],
                "topic": s["topic"],
                "query": last["query_as_run"] if last else s["query"],
                "limits": s["limits"],
                "date_field": s["date_field"],
                "last_search": last["run_at"][:10] if last else NEVER,
                "window": f"{mine[0]['window_from']} to {last['window_to']}" if last else NEVER,
                "records": sum(int(r["records_retrieved"]) for r in mine) if mine else None,
                "update": UPDATE,
            }
        )
    return pd.DataFrame(out)


def records_per_source(root: Path) -> pd.DataFrame:
    _, runs = tables.read(root, tables.RUNS)
    by_strategy = {s["strategy_id"]: s["source"] for s in tables.read(root, tables.STRATEGIES)[1]}
    rows = []
    for src, name in SOURCE_NAMES.items():
        mine = [r for r in runs if by_strategy.get(r["strategy_id"]) == src]
        rows.append(
            {
                "source": name,
                "runs": len(mine),
                "retrieved": sum(int(r["records_retrieved"]) for r in mine),
                "duplicates": sum(int(r["duplicates"]) for r in mine),
                "new": sum(int(r["new_records"]) for r in mine),
                "possible_duplicates": sum(int(r["possible_duplicates"]) for r in mine),
            }
        )
    return pd.DataFrame(rows)


def updated_flow(root: Path) -> dict[str, object]:
    """The counts of the PRISMA 2020 flow for updated reviews, keyed by the PRISMA2020 package's
    ``data`` names. Previous reports: the included records of the screening log; previous studies:
    those of them that are not a later report of a study already included (no ``study_id``), as
    :func:`livingreview.review.screening.update_counts` counts them. New records: the search's
    (databases, registers), screened and decided in the ledger by their last entry."""
    _, screening = tables.read(root, tables.SCREENING)
    _, runs = tables.read(root, tables.RUNS)
    _, cands = tables.read(root, tables.CANDIDATES)
    _, entries = tables.read(root, tables.LEDGER)
    by_strategy = {s["strategy_id"]: s["source"] for s in tables.read(root, tables.STRATEGIES)[1]}
    last: dict[str, dict[str, str]] = {}
    for e in entries:
        last[e["record_id"]] = e
    included = [r for r in screening if r.get("decision") == "included"]
    previous_reports = len(included)
    previous = sum(1 for r in included if not (r.get("study_id") or "").strip())
    retrieved = Counter()
    for r in runs:
        retrieved["registers" if by_strategy.get(r["strategy_id"]) in REGISTERS else "databases"] += int(
            r["records_retrieved"]
        )
    decided = [last[c["candidate_id"]] for c in cands if c["candidate_id"] in last]
    # a possible duplicate that a person found to be the same work counts with the duplicates
    same = sum(1 for d in decided if d["decision"] == "excluded" and d["reason"] == DUPLICATE_REASON)
    decided = [d for d in decided if d["reason"] != DUPLICATE_REASON]
    at = Counter((d["stage"], d["decision"]) for d in decided)
    excluded_screen = at[("screened", "excluded")]
    waiting = sum(1 for c in cands if c["candidate_id"] not in last)
    sought = len(cands) - same - excluded_screen - waiting
    not_retrieved = at[("sought", "excluded")]
    assessed = at[("assessed", "included")] + at[("assessed", "excluded")]
    reasons = Counter(
        d["reason"] for d in decided if d["stage"] == "assessed" and d["decision"] == "excluded"
    )
    new = at[("assessed", "included")]
    return {
        "previous_studies": previous,
        "previous_reports": previous_reports,
        "database_results": retrieved["databases"],
        "register_results": retrieved["registers"],
        "website_results": 0,
        "organisation_results": 0,
        "citations_results": 0,
        "duplicates": sum(int(r["duplicates"]) for r in runs) + same,
        "excluded_automatic": 0,
        "excluded_other": 0,
        "records_screened": len(cands) - same - waiting,
        "records_excluded": excluded_screen,
        "dbr_sought_reports": sought,
        "dbr_notretrieved_reports": not_retrieved,
        "other_sought_reports": 0,
        "other_notretrieved_reports": 0,
        "dbr_assessed": assessed,
        "dbr_excluded": "; ".join(f"{k}, {v}" for k, v in sorted(reasons.items())) or 0,
        "other_assessed": 0,
        "other_excluded": 0,
        "new_studies": new,
        "new_reports": new,
        "total_studies": previous + new,
        "total_reports": previous_reports + new,
        "awaiting_screening": waiting,
    }


# The PRISMA2020 template's rows: data name -> (node, box, description). Structure of the
# package's inst/extdata/PRISMA.csv; descriptions in our words.
_TEMPLATE = [
    ("previous_studies", "node5", "box1", "Studies included in previous version of review"),
    ("previous_reports", "NA", "box1", "Reports of studies included in previous version of review"),
    ("database_results", "node7", "box2", "Records identified from: Databases"),
    ("register_results", "NA", "box2", "Records identified from: Registers"),
    ("website_results", "node17", "box11", "Records identified from: Websites"),
    ("organisation_results", "NA", "box11", "Records identified from: Organisations"),
    ("citations_results", "NA", "box11", "Records identified from: Citation searching"),
    ("duplicates", "node8", "box3", "Duplicate records"),
    ("excluded_automatic", "NA", "box3", "Records marked as ineligible by automation tools"),
    ("excluded_other", "NA", "box3", "Records removed for other reasons"),
    ("records_screened", "node9", "box4", "Records screened (databases and registers)"),
    ("records_excluded", "node10", "box5", "Records excluded (databases and registers)"),
    ("dbr_sought_reports", "node11", "box6", "Reports sought for retrieval (databases and registers)"),
    ("dbr_notretrieved_reports", "node12", "box7", "Reports not retrieved (databases and registers)"),
    ("other_sought_reports", "node18", "box12", "Reports sought for retrieval (other)"),
    ("other_notretrieved_reports", "node19", "box13", "Reports not retrieved (other)"),
    ("dbr_assessed", "node13", "box8", "Reports assessed for eligibility (databases and registers)"),
    ("dbr_excluded", "node14", "box9", "Reports excluded (databases and registers): reason, number; ..."),
    ("other_assessed", "node20", "box14", "Reports assessed for eligibility (other)"),
    ("other_excluded", "node21", "box15", "Reports excluded (other): reason, number; ..."),
    ("new_studies", "node15", "box10", "New studies included in review"),
    ("new_reports", "NA", "box10", "Reports of new included studies"),
    ("total_studies", "node22", "box16", "Total studies included in review"),
    ("total_reports", "NA", "box16", "Reports of total included studies"),
]


def prisma2020_csv(root: Path) -> str:
    """The updated-review flow in the PRISMA2020 R package's CSV layout (read it with
    ``PRISMA2020::PRISMA_data(read.csv(...))`` and draw it with ``PRISMA_flowdiagram(...,
    previous = TRUE, other = FALSE)``)."""
    counts = updated_flow(root)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["data", "node", "box", "description", "boxtext", "tooltips", "url", "n"])
    for data, node, box, desc in _TEMPLATE:
        w.writerow([data, node, box, desc, desc, desc, "NA", counts[data]])
    return buf.getvalue()


def flow_table(root: Path) -> pd.DataFrame:
    counts = updated_flow(root)
    return pd.DataFrame([{"box": d, "data": k, "n": counts[k]} for k, _, _, d in _TEMPLATE])
