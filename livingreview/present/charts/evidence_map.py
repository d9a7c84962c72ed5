"""Evidence map: which studies answer which questions."""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd

from livingreview.present.charts.common import (
    OKABE_ITO,
    SMALL_FONT,
    TEXT,
    _colour_scale,
    _finish,
    _numeric,
    _ordered_unique,
    _pretty,
    _require,
    _wrap_labels_expr,
)
from livingreview.present.tables import fmt_num

# --------------------------------------------------------------------------------------------
# 6. Evidence map
# --------------------------------------------------------------------------------------------


def evidence_map(
    df: pd.DataFrame,
    *,
    x: str = "intervention",
    y: str = "population",
    size: str = "n",
    color: str | None = None,
    study: str | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    color_title: str | None = None,
    title: str = "Evidence map",
    subtitle: str | None = None,
    description: str | None = None,
) -> alt.Chart | alt.LayerChart:
    """Bubble grid of the evidence, from one row per study (or per study arm).

    ``df`` columns: ``x`` and ``y`` (categories), ``size`` (participants), optional ``color``
    (category: bubbles side by side within a cell), optional ``study`` (identifier: studies are
    counted as distinct values; otherwise each row counts as one). Aggregated per cell before
    charting: bubble area ∝ total participants; the number in the bubble and the tooltip give
    the number of studies.
    """
    func = "evidence_map"
    _require(df, {"x": x, "y": y, "size": size, "color": color, "study": study}, func)
    cols = [x, y, size] + ([color] if color else []) + ([study] if study else [])
    d = df[cols].copy()
    d.columns = ["x", "y", "n"] + (["c"] if color else []) + (["study"] if study else [])
    _numeric(d, ["n"], func, {"n": size})
    for col in ["x", "y"] + (["c"] if color else []):
        d[col] = d[col].astype("string").fillna("Not reported").astype(str)
    keys = ["x", "y"] + (["c"] if color else [])
    x_levels, y_levels = _ordered_unique(d["x"]), _ordered_unique(d["y"])
    c_levels = _ordered_unique(d["c"]) if color else []
    g = d.groupby(keys, sort=False)
    agg = g["n"].sum(min_count=1).rename("participants").to_frame()
    agg["studies"] = g["study"].nunique() if study else g.size()
    agg = agg.reset_index()
    agg["participants"] = agg["participants"].fillna(0)
    agg["label"] = agg["studies"].astype(int).astype(str)

    nx, ny = len(x_levels), len(y_levels)
    width = min(460 if color else 520, max(240, nx * (60 + 40 * max(1, len(c_levels)))))
    x_chars = max(8, int(width / nx / 6.5))
    enc_x = alt.X(
        "x:N",
        sort=x_levels,
        title=x_title or _pretty(x),
        axis=alt.Axis(
            orient="top",
            labelAngle=0,
            labelLimit=width / nx,
            labelExpr=_wrap_labels_expr(x_levels, x_chars),
            labelLineHeight=14,
            domain=False,
            ticks=False,
            grid=True,
            labelPadding=6,
        ),
    )
    enc_y = alt.Y(
        "y:N",
        sort=y_levels,
        title=y_title or _pretty(y),
        axis=alt.Axis(
            domain=False,
            ticks=False,
            grid=True,
            labelPadding=6,
            labelExpr=_wrap_labels_expr(y_levels, 22),
            labelLineHeight=14,
            labelLimit=170,
        ),
    )
    common: dict[str, Any] = {"x": enc_x, "y": enc_y}
    if color:
        common["xOffset"] = alt.XOffset(
            "c:N", sort=c_levels, scale=alt.Scale(domain=c_levels, paddingOuter=0.3)
        )
    tooltip = [
        alt.Tooltip("x:N", title=x_title or _pretty(x)),
        alt.Tooltip("y:N", title=y_title or _pretty(y)),
    ]
    if color:
        tooltip.append(alt.Tooltip("c:N", title=color_title or _pretty(color)))
    tooltip += [
        alt.Tooltip("studies:Q", title="Studies"),
        alt.Tooltip("participants:Q", title="Participants", format=","),
    ]
    max_p = float(agg["participants"].max()) or 1.0
    base = alt.Chart(agg)
    bubbles = (
        base.mark_circle(opacity=0.75, stroke="white", strokeWidth=1)
        .encode(
            **common,
            size=alt.Size(
                "participants:Q",
                title="Participants",
                scale=alt.Scale(domain=[0, max_p], range=[30, 2200], zero=True),
                legend=alt.Legend(
                    orient="right", symbolFillColor="#999999", symbolStrokeWidth=0, values=_nice_values(max_p)
                ),
            ),
            color=(
                alt.Color(
                    "c:N",
                    title=color_title or _pretty(color),
                    scale=_colour_scale(c_levels),
                    legend=alt.Legend(orient="right"),
                )
                if color
                else alt.value(OKABE_ITO["blue"])
            ),
            tooltip=tooltip,
        )
        .properties(name="evidence_bubbles")
    )
    labels = base.mark_text(fontSize=SMALL_FONT, fontWeight="bold", color=TEXT).encode(
        **common, text="label:N", tooltip=tooltip
    )
    chart = alt.layer(bubbles, labels).properties(width=width, height=max(160, ny * 70))
    if description is None:
        cells = "; ".join(
            f"{r.x} × {r.y}"
            + (f" ({r.c})" if color else "")
            + f": {int(r.studies)} stud{'y' if int(r.studies) == 1 else 'ies'}, "
            f"{fmt_num(r.participants)} participant{'' if r.participants == 1 else 's'}"
            for r in agg.itertuples()
        )
        description = (
            f"Evidence map of {x_title or x} (columns) by {y_title or y} (rows); bubble "
            f"area shows participants, the number in each bubble the number of studies. "
            f"{cells}."
        )
    if subtitle is None:
        subtitle = "Bubble area: participants; number: studies."
    return _finish(chart, title=title, subtitle=subtitle, description=description)


def _nice_values(max_v: float) -> list[float]:
    if max_v <= 0:
        return [0]
    exp = 10 ** math.floor(math.log10(max_v))
    top = math.floor(max_v / exp) * exp
    vals = sorted({top, top / 2, top / 5 if top / 5 >= 1 else top / 2})
    return [v for v in vals if v > 0]
