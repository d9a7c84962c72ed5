"""What a review's Methods section reports about its own conduct (PRISMA 2020 items): the flow
of the first version and of the latest update, where the figures were read, and the tables of
decisions, all computed from the screening log, the releases and the dataset.

Each function takes the dataset's tables (``Mapping[str, DataFrame]``: a page's ``ds``) and
returns text to glue or a frame to show; a page calls it in a line.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from livingreview.core.text import in_words
from livingreview.review import appraisal, changes
from livingreview.review.screening import (
    CITATION,
    FIGURE_TABLES,
    FOUNDING,
    REASONS_BY_STAGE,
    as_text,
    prisma_counts,
    split_keys,
    update_counts,
)
from livingreview.stats import proportion_ci

# Study designs that the appraisal tool for case reports and case series applies to.
CASE_DESIGNS = ("case report", "case series", "retrospective series")
STAGE_LABELS = {"screened": "Screening", "sought": "Retrieval", "assessed": "Assessment"}


def first_version(screening: pd.DataFrame) -> str:
    """The version the review started with (the earliest ``added_in`` of the screening log)."""
    return min(as_text(screening["added_in"]).unique(), key=changes.version_key)


def founding_log(screening: pd.DataFrame) -> pd.DataFrame:
    """The records of the first version (the founding flow; later ones belong to the updates)."""
    return screening[as_text(screening["added_in"]) == first_version(screening)]


def release_log(screening: pd.DataFrame, version: str) -> pd.DataFrame:
    """The records a release added."""
    return screening[as_text(screening["added_in"]) == version]


def methods_numbers(tables: Mapping[str, pd.DataFrame], root: Path) -> dict[str, str]:
    """The numbers the Methods page's prose gives, by glue name, as text."""
    full = tables["screening"]
    log = founding_log(full)
    via, decision = as_text(log["identified_via"]), as_text(log["decision"])
    counts = prisma_counts(log)
    n_excluded_after = sum(counts.reports_excluded.values())
    latest = changes.latest_release_if_any(root)
    studies = tables["studies"].set_index("study_id")
    figures = [tables[name] for name in FIGURE_TABLES]
    # a figure row read in another document than its study's own report is read second hand
    second_hand = sum(
        int((t["citekey"].astype(str) != t["study_id"].map(studies["citekey"]).astype(str)).sum())
        for t in figures
    )
    included_keys = set(log.loc[decision == "included", "citekey"].astype(str))
    design, citekey = tables["studies"]["design"].astype(str), tables["studies"]["citekey"].astype(str)
    n_cases = int((design.isin(CASE_DESIGNS) & citekey.isin(included_keys)).sum())
    level = inspect.signature(proportion_ci).parameters["level"].default
    numbers: dict[str, object] = {
        "n_founding": in_words(int((via == FOUNDING).sum())),
        "n_entries": len([k for v in log.loc[via == CITATION, "found_in"] for k in split_keys(v)]),
        "n_records": len(log),
        "n_screen_reasons": in_words(len(REASONS_BY_STAGE["screened"])),
        "n_murad_domains": in_words(len(appraisal.MURAD_DOMAINS)),
        "n_identified": counts.other_methods,
        "n_duplicates": counts.duplicates_removed,
        "n_screen_excluded": counts.records_excluded,
        "n_sought": counts.reports_sought,
        "n_not_retrieved": counts.reports_not_retrieved,
        "n_assessed": counts.reports_assessed,
        "n_included": counts.studies_included,
        "assessed_sentence": "All the records assessed are included"
        if n_excluded_after == 0
        else f"Of the records assessed, {n_excluded_after} were excluded, with the reasons the diagram gives",
        "n_included_cited": int(((decision == "included") & (via == CITATION)).sum()),
        "search_date": latest.search_date.isoformat() if latest else "not yet recorded in the update log",
        "release": f"release {latest.version}" if latest else "the current release",
        "n_rows": sum(len(t) for t in figures),
        "n_second_hand": second_hand,
        "n_case_studies": n_cases,
        "level": f"{100 * level:g}%",
        "first_version": first_version(full),
    }
    return {name: str(value) for name, value in numbers.items()}


def update_numbers(tables: Mapping[str, pd.DataFrame], root: Path) -> dict[str, str]:
    """The numbers the Methods page gives about the latest update (its targeted search and flow)."""
    release = changes.latest_release(root)
    upd = update_counts(tables["screening"], release.version)
    new_log = release_log(tables["screening"], release.version)
    documents = tables["documents"]
    grades = documents["grade"].value_counts()
    queries = [q for v in new_log["search_queries"].dropna() for q in str(v).split(" || ") if q.strip()]
    n = upd.new
    numbers: dict[str, object] = {
        "update_version": release.version,
        "u_records": n.records_screened,
        "update_search_date": release.search_date.isoformat(),
        "u_sought": n.reports_sought,
        "u_screen_excluded": in_words(n.records_excluded),
        "u_not_retrieved": in_words(n.reports_not_retrieved),
        "u_assessed": n.reports_assessed,
        "u_excluded_assessed": in_words(sum(n.reports_excluded.values())),
        "u_new_studies": upd.new_studies,
        "u_new_reports_prev": in_words(upd.new_reports_of_previous_studies),
        "u_prev": upd.previous_studies,
        "u_total": upd.total_studies,
        "u_pages": len(documents),
        "u_primary": grades.get("primary", 0),
        "u_secondary": grades.get("secondary", 0),
        "u_queries": len(queries),
    }
    return {name: str(value) for name, value in numbers.items()}


def update_flow(tables: Mapping[str, pd.DataFrame], root: Path) -> pd.DataFrame:
    """The latest update's flow in the boxes of the PRISMA 2020 diagram for updated reviews."""
    upd = update_counts(tables["screening"], changes.latest_release(root).version)
    return pd.DataFrame(upd.boxes(), columns=["stage", "box", "n"])


def update_decisions(tables: Mapping[str, pd.DataFrame], root: Path) -> pd.DataFrame:
    """Every record of the latest update: the record, how far it went, the decision with its
    reason, and the page it was read on with the page's grade."""
    new_log = release_log(tables["screening"], changes.latest_release(root).version)
    pages = tables["documents"][["document_id", "url", "grade"]]
    decided = new_log.merge(pages, on="document_id", how="left").astype(object).fillna("")
    return decided.assign(
        record=decided["citation"].where(decided["citation"] != "", decided["citekey"]),
        page=(decided["url"] + " (" + decided["grade"] + ")").replace(" ()", "no address"),
        decided=decided["decision"] + (": " + decided["reason"]).replace(": ", ""),
    )


def decisions_summary(screening: pd.DataFrame) -> pd.DataFrame:
    """The first version's records by the stage they reached, decision and reason, counted."""
    log = founding_log(screening)
    stage = as_text(log["stage_reached"]).map(STAGE_LABELS)
    frame = pd.DataFrame(
        {
            "stage": pd.Categorical(stage, list(STAGE_LABELS.values()), ordered=True),
            "decision": as_text(log["decision"]),
            "reason": as_text(log["reason"]).replace("", "—"),
        }
    )
    counted = frame.groupby(["stage", "decision", "reason"], sort=False, observed=True).size()
    return counted.rename("records").reset_index().sort_values(["stage", "decision", "reason"])


def not_retrieved(screening: pd.DataFrame, work_label: Callable[[str, str], str]) -> pd.DataFrame:
    """The first version's records that passed screening but whose report was not retrieved, with
    ``work``: ``work_label(citekey, citation)`` (the bibliography's label of the work)."""
    log = founding_log(screening)
    pending = log[as_text(log["stage_reached"]) == "sought"].copy()
    pairs = zip(pending["citekey"], pending["citation"], strict=True)
    pending["work"] = [work_label(k, str(c)) for k, c in pairs]
    return pending
