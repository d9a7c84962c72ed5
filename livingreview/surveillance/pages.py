"""What the Methods and Registered trials pages show, computed here so that the chapters stay a
few short calls: tables as frames, the trials timeline's data and labels, and the sentences'
numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from livingreview.core.text import in_words

from . import dedup, report, tables
from .trials import DAYS

STATUS_LABELS = {
    "NOT_YET_RECRUITING": "Not yet recruiting",
    "RECRUITING": "Recruiting",
    "ENROLLING_BY_INVITATION": "Enrolling by invitation",
    "ACTIVE_NOT_RECRUITING": "Active, not recruiting",
    "SUSPENDED": "Suspended",
    "TERMINATED": "Terminated",
    "COMPLETED": "Completed",
    "WITHDRAWN": "Withdrawn",
    "UNKNOWN": "Unknown",
}
DAYS_PER_YEAR = DAYS["year"]
DATE_TYPE_LABELS = {"ACTUAL": "actual", "ESTIMATED": "estimated", "": "type not stated"}


words = in_words  # small counts as words, as the pages' prose says them


def _frame(root: Path, rel: str) -> pd.DataFrame:
    header, rows = tables.read(root, rel)
    return pd.DataFrame(rows, columns=header).fillna("")


def trials_table(root: Path) -> pd.DataFrame:
    """trials.csv for readers: status in words, enrolment with its type, ages with days."""
    t = _frame(root, tables.TRIALS)
    if t.empty:
        return t
    t["status"] = t["overall_status"].map(lambda s: STATUS_LABELS.get(s, s))
    t["enrolment"] = [
        f"{n} ({DATE_TYPE_LABELS.get(k, k)})" if n else ""
        for n, k in zip(t["enrollment"], t["enrollment_type"], strict=True)
    ]
    t["ages"] = [
        "; ".join(
            x
            for x in (f"minimum: {lo} ({ld} days)" if lo else "", f"maximum: {hi} ({hd} days)" if hi else "")
            if x
        )
        for lo, ld, hi, hd in zip(
            t["minimum_age"], t["minimum_age_days"], t["maximum_age"], t["maximum_age_days"], strict=True
        )
    ]
    t["start"] = [
        f"{d} ({DATE_TYPE_LABELS.get(k, k)})" if d else ""
        for d, k in zip(t["start_date"], t["start_date_type"], strict=True)
    ]
    t["completion"] = [
        f"{d} ({DATE_TYPE_LABELS.get(k, k)})" if d else ""
        for d, k in zip(t["completion_date"], t["completion_date_type"], strict=True)
    ]
    t["trial"] = [f"{a} ({n})" if a else n for a, n in zip(t["acronym"], t["nct_id"], strict=True)]
    return t.replace("", pd.NA)


def sources_table(root: Path) -> pd.DataFrame:
    return _frame(root, tables.TRIAL_SOURCES).replace("", pd.NA)


def timeline(root: Path) -> dict[str, Any]:
    """The trials timeline, as the arguments of :func:`livingreview.present.charts.timeline`:
    start to completion of each trial, coloured by status; a completion date that is actual is a
    solid bar, an estimated one (or one whose type no page states) a paler bar, named in the legend
    and the tooltip."""
    t = _frame(root, tables.TRIALS)
    t = t[(t["start_date"] != "") & (t["completion_date"] != "")].copy()
    # the flag is part of the label, so that it shows wherever the trial's dates do
    t["trial"] = [
        (a or n) + (f" (flag: {f})" if f else "")
        for a, n, f in zip(t["acronym"], t["nct_id"], t["flag"], strict=True)
    ]
    t["status"] = t["overall_status"].map(lambda s: STATUS_LABELS.get(s, s or "not stated"))
    t["completion is"] = t["completion_date_type"].map(lambda k: DATE_TYPE_LABELS.get(k, k))
    t["start is"] = t["start_date_type"].map(lambda k: DATE_TYPE_LABELS.get(k, k))
    t["flag"] = t["flag"].replace("", "none")
    description = (
        "One bar per registered trial, from its start date to its completion date, coloured by its "
        "status; solid when the completion date is actual, paler when it is estimated or its type is "
        "not stated. "
        + " ".join(
            f"{r.trial}: {r.status}, {r.start_date} to {r.completion_date} ({r['completion is']})."
            for _, r in t.iterrows()
        )
    )
    return {
        "df": t,
        "label": "trial",
        "start": "start_date",
        "end": "completion_date",
        "colour": "status",
        "colour_title": "Status",
        "certainty": "completion is",
        "certainty_title": "Completion date",
        "certainty_opacity": {"actual": 1.0, "estimated": 0.55, "type not stated": 0.35},
        "tooltip": {
            "nct_id": "Registry number",
            "brief_title": "Title",
            "status": "Status",
            "start_date": "Start",
            "start is": "Start date is",
            "completion_date": "Completion",
            "completion is": "Completion date is",
            "flag": "Flag",
        },
        "title": "Registered trials: start to completion",
        "description": description,
    }


def changes_since_release(root: Path) -> tuple[str, str, pd.DataFrame]:
    """(version, date, changes recorded after that release) for the last release."""
    _, releases = tables.read(root, "data/releases.csv")
    last = max(releases, key=lambda r: r["date"]) if releases else {"version": "", "date": "0000-00-00"}
    ch = _frame(root, tables.TRIAL_CHANGES)
    return last["version"], last["date"], ch[ch["detected_on"] > last["date"]] if not ch.empty else ch


def methods_numbers(root: Path) -> dict[str, str]:
    """The numbers the Methods page's search section shows, as text to glue."""
    s = report.strategies_table(root)
    runs = _frame(root, tables.RUNS)
    never = int((s["last_search"] == report.NEVER).sum())
    flow = report.updated_flow(root)
    return {
        "n_strategies": str(len(s)),
        "n_search_sources": words(s["source"].nunique()),
        "n_questions": words(s["topic"].nunique()),
        "n_never_run": words(never) if never < len(s) else f"all {len(s)}",
        "n_runs": str(len(runs)),
        "last_search": runs["run_at"].max()[:10] if len(runs) else report.NEVER,
        "n_candidates": str(len(tables.read(root, tables.CANDIDATES)[1])),
        "n_awaiting": str(flow["awaiting_screening"]),
        "n_previous_studies": str(flow["previous_studies"]),
        "n_total_studies": str(flow["total_studies"]),
        "dedup_threshold": f"{dedup.THRESHOLD:g}",
    }
