"""Adverse events by grade."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from livingreview.present.charts.common import (
    SEQUENTIAL,
    SMALL_FONT,
    TEXT,
    _finish,
    _numeric,
    _ordered_unique,
    _plural,
    _require,
    _wrap,
    _wrap_labels_expr,
)
from livingreview.present.tables import fmt_num

# --------------------------------------------------------------------------------------------
# 7. Adverse events
# --------------------------------------------------------------------------------------------


def _grade_key(g: Any) -> tuple[float, str]:
    m = re.search(r"\d+(\.\d+)?", str(g))
    return (float(m.group()) if m else math.inf, str(g))


def adverse_events(
    df: pd.DataFrame,
    *,
    event: str = "event",
    grade: str = "grade",
    patients: str = "patients",
    total: str = "total",
    grade_order: Sequence[str] | None = None,
    layout: str = "stacked",
    x_title: str = "Patients (%)",
    title: str = "Adverse events by grade",
    subtitle: str | None = None,
    description: str | None = None,
) -> alt.LayerChart:
    """Horizontal bars of the percentage of patients with each event, split by grade.

    ``df`` columns: ``event``, ``grade`` (category; ordered numerically, or by
    ``grade_order``), ``patients`` (patients with the event at that grade), ``total`` (patients
    at risk). Rows are summed per (event, grade) before charting, so one row per study per
    event and grade is fine: percentage = Σ patients / Σ total. ``layout="stacked"`` assumes
    each patient counts once per event, at the worst grade; use ``"grouped"`` otherwise.
    """
    func = "adverse_events"
    if layout not in ("stacked", "grouped"):
        raise ValueError(f"{func}: layout must be 'stacked' or 'grouped'")
    _require(df, {"event": event, "grade": grade, "patients": patients, "total": total}, func)
    d = df[[event, grade, patients, total]].copy()
    d.columns = ["event", "grade", "patients", "total"]
    _numeric(d, ["patients", "total"], func, {"patients": patients, "total": total})
    lacking = d[d[["patients", "total"]].isna().any(axis=1)]
    if len(lacking):
        # A row without its counts would be drawn as no bar at all, as if no patient had the event.
        which = "; ".join(f"{e} (grade {g})" for e, g in zip(lacking["event"], lacking["grade"], strict=True))
        raise ValueError(f"{func}: every row needs {patients} and {total}; missing in: {which}")
    d["event"] = d["event"].astype(str)
    d["grade"] = d["grade"].astype(str)
    if ((d["patients"] > d["total"]) | (d["total"] <= 0)).any():
        raise ValueError(f"{func}: need 0 < {total} and {patients} <= {total}")
    agg = d.groupby(["event", "grade"], sort=False)[["patients", "total"]].sum().reset_index()
    agg["pct"] = 100 * agg["patients"] / agg["total"]
    grades = list(grade_order) if grade_order else sorted(_ordered_unique(agg["grade"]), key=_grade_key)
    missing_g = set(agg["grade"]) - set(grades)
    if missing_g:
        raise ValueError(f"{func}: grades {sorted(missing_g)} not in grade_order")
    agg["grade_i"] = agg["grade"].map({g: i for i, g in enumerate(grades)})
    ev_total = agg.groupby("event", sort=False)["pct"].sum()
    order = ev_total.sort_values(ascending=False, kind="stable").index.tolist()
    agg["text"] = [
        f"{fmt_num(p, 0)}% ({int(k)}/{int(t)})"
        for p, k, t in zip(agg["pct"], agg["patients"], agg["total"], strict=True)
    ]
    agg = agg[["event", "grade", "grade_i", "pct", "text"]]

    label_lines = max(len(_wrap(ev, 26)) for ev in order)
    palette = SEQUENTIAL[: len(grades)] if len(grades) <= len(SEQUENTIAL) else None
    colour = alt.Color(
        "grade:N",
        title="Grade",
        sort=grades,
        scale=alt.Scale(domain=grades, range=palette)
        if palette
        else alt.Scale(domain=grades, scheme="yelloworangebrown"),
        legend=alt.Legend(orient="top", direction="horizontal"),
    )
    y = alt.Y(
        "event:N",
        sort=order,
        title=None,
        axis=alt.Axis(
            ticks=False,
            labelPadding=6,
            labelLimit=190,
            labelLineHeight=14,
            labelExpr=_wrap_labels_expr(order, 26),
        ),
    )
    tooltip = [
        alt.Tooltip("event:N", title="Event"),
        alt.Tooltip("grade:N", title="Grade"),
        alt.Tooltip("text:N", title="Patients"),
    ]
    xmax = float(ev_total.max() if layout == "stacked" else agg["pct"].max())
    x_scale = alt.Scale(domain=[0, min(100.0, max(10.0, math.ceil(xmax * 1.18 / 10) * 10))], nice=False)
    base = alt.Chart(agg)
    if layout == "stacked":
        bars = (
            base.mark_bar(stroke="white", strokeWidth=0.8)
            .encode(
                x=alt.X(
                    "pct:Q", title=x_title, stack="zero", scale=x_scale, axis=alt.Axis(format="~g", grid=True)
                ),
                y=y,
                color=colour,
                order=alt.Order("grade_i:Q", sort="ascending"),
                tooltip=tooltip,
            )
            .properties(name="ae_bars")
        )
        totals = pd.DataFrame({"event": ev_total.index, "pct": ev_total.values})
        totals["text"] = [f"{fmt_num(v, 0)}%" for v in totals["pct"]]
        label = (
            alt.Chart(totals)
            .mark_text(align="left", dx=4, fontSize=SMALL_FONT, color=TEXT)
            .encode(x=alt.X("pct:Q", scale=x_scale), y=y, text="text:N")
        )
        height = max(120, (28 + 14 * (label_lines - 1)) * len(order))
    else:
        bars = (
            base.mark_bar()
            .encode(
                x=alt.X("pct:Q", title=x_title, scale=x_scale, axis=alt.Axis(format="~g", grid=True)),
                y=y,
                yOffset=alt.YOffset("grade:N", sort=grades),
                color=colour,
                tooltip=tooltip,
            )
            .properties(name="ae_bars")
        )
        label = base.mark_text(align="left", dx=3, fontSize=SMALL_FONT, color=TEXT).encode(
            x="pct:Q", y=y, yOffset=alt.YOffset("grade:N", sort=grades), text=alt.Text("pct:Q", format=".0f")
        )
        height = max(120, max(14 * len(grades) + 10, 14 * label_lines + 14) * len(order))
    chart = alt.layer(bars, label).properties(width=460, height=height)
    if description is None:
        parts = [
            f"{'Stacked' if layout == 'stacked' else 'Grouped'} bar chart of the percentage "
            f"of patients with each of {_plural(len(order), 'adverse event')} by grade "
            f"({', '.join(grades)})."
        ]
        for ev in order:
            sub = agg[agg["event"] == ev].sort_values("grade_i")
            cells = zip(sub["grade"], sub["text"], strict=True)
            parts.append(f"{ev}: " + ", ".join(f"grade {g} {t}" for g, t in cells) + ".")
        description = " ".join(parts)
    if subtitle is None:
        subtitle = (
            "Percentage of patients, pooled over studies (Σ patients ÷ Σ at risk); "
            "bar length is the total of all grades."
            if layout == "stacked"
            else "Percentage of patients by grade, pooled over studies."
        )
    return _finish(chart, title=title, subtitle=subtitle, description=description)
