"""What the Methods and Registered trials pages show, computed here so that the chapters stay a
few short calls: tables as frames, the trials timeline as an Altair chart, and the sentences'
numbers."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd

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


def words(n: int) -> str:
    names = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    return names[n] if 0 <= n < len(names) else str(n)


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


def timeline(root: Path) -> alt.Chart:
    """Start to completion of each trial, coloured by status; a completion date that is actual
    is a solid bar, an estimated one (or one whose type no page states) a hatched-looking, paler
    bar, named in the legend and the tooltip."""
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
    base = alt.Chart(t).encode(
        y=alt.Y(
            "trial:N", title=None, sort=alt.EncodingSortField("start_date"), axis=alt.Axis(labelLimit=400)
        ),
        x=alt.X("start_date:T", title="Start to completion"),
        x2="completion_date:T",
        color=alt.Color("status:N", title="Status", scale=alt.Scale(scheme="tableau10")),
        opacity=alt.Opacity(
            "completion is:N",
            title="Completion date",
            scale=alt.Scale(domain=["actual", "estimated", "type not stated"], range=[1.0, 0.55, 0.35]),
        ),
        tooltip=[
            alt.Tooltip("nct_id:N", title="Registry number"),
            alt.Tooltip("brief_title:N", title="Title"),
            alt.Tooltip("status:N", title="Status"),
            alt.Tooltip("start_date:N", title="Start"),
            alt.Tooltip("start is:N", title="Start date is"),
            alt.Tooltip("completion_date:N", title="Completion"),
            alt.Tooltip("completion is:N", title="Completion date is"),
            alt.Tooltip("flag:N", title="Flag"),
        ],
    )
    bars = base.mark_bar(height=18, stroke="#333333", strokeWidth=1)
    return bars.properties(
        width=560,
        height=alt.Step(34),
        title=alt.TitleParams("Registered trials: start to completion", anchor="start"),
        description=description,
        usermeta={"description": description},
    )


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
