"""Paired values before and after an intervention, on a log scale (a slope chart)."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from livingreview.present.charts.common import (
    MUTED,
    OKABE_ITO,
    SMALL_FONT,
    _decade_label_expr,
    _finish,
    _log_decades,
    _numeric,
    _require,
)
from livingreview.present.tables import fmt_sci, is_missing

# --------------------------------------------------------------------------------------------
# Paired values before and after
# --------------------------------------------------------------------------------------------

_BELOW_TOKENS = {"<", "<=", "≤", "below", "below detection", "undetectable", "true", "yes", "1"}


def _below_flag(values: pd.Series) -> pd.Series:
    def one(v: Any) -> bool:
        if is_missing(v):
            return False
        if isinstance(v, bool):
            return v
        return str(v).strip().lower() in _BELOW_TOKENS

    return values.map(one).astype(bool)


def _paired_prepare(
    df: pd.DataFrame, func: str, patient: str, before: str, after: str, below_detection: str | None
) -> pd.DataFrame:
    _require(
        df, {"patient": patient, "before": before, "after": after, "below_detection": below_detection}, func
    )
    d = df[[patient, before, after] + ([below_detection] if below_detection else [])].copy()
    d.columns = ["patient", "pre", "post"] + (["q"] if below_detection else [])
    _numeric(d, ["pre", "post"], func, {"pre": before, "post": after})
    d["patient"] = d["patient"].astype(str)
    d["below"] = _below_flag(d["q"]) if below_detection else False
    d = d.drop(columns=[c for c in ("q",) if c in d])
    for col, name in (("pre", before), ("post", after)):
        bad = d.loc[d[col].notna() & (d[col] <= 0), "patient"]
        if len(bad):
            raise ValueError(
                f"{func}: column {name!r} has values <= 0 (patients {', '.join(bad)}); a log scale "
                f"cannot show them. Report an undetectable value as its detection limit with the "
                f"'<' qualifier in {below_detection or 'the qualifier column'!r}."
            )
    return d


def _fmt_value(v: float, unit: str) -> str:
    if unit == "percent":
        return f"{v:.3g}%"
    return fmt_sci(v, 1).replace(".0×", "×").replace(".0", "") if v < 0.01 else f"{v:.3g}"


def before_after(
    df: pd.DataFrame,
    *,
    patient: str,
    before: str,
    after: str,
    below_detection: str | None = None,
    threshold: float | None = None,
    threshold_label: str | None = None,
    unit: str = "fraction",
    phase_labels: tuple[str, str] = ("Before", "After"),
    y_title: str | None = None,
    measure: str = "Value",
    title: str = "Before and after",
    subtitle: str | None = None,
    description: str | None = None,
) -> alt.LayerChart:
    """Per-patient value of ``measure`` before → after therapy on a log scale (slope chart).

    ``df`` columns: ``patient``, ``before``, ``after`` (the values, as fractions or percent per
    ``unit`` = "fraction" | "percent"; must be > 0), ``below_detection`` (qualifier of the
    post value: "<" — or True — means "below the detection limit, reported as <value").
    Below-detection values are drawn as hollow points at the limit with a downward triangle
    under them. ``threshold`` (same unit) draws a dashed rule with a label; lines are coloured
    by whether the post value is below it.
    """
    func = "before_after"
    if unit not in ("fraction", "percent"):
        raise ValueError(f"{func}: unit must be 'fraction' or 'percent'")
    d = _paired_prepare(df, func, patient, before, after, below_detection)
    pre_l, post_l = phase_labels
    long = pd.concat(
        [
            pd.DataFrame({"patient": d["patient"], "phase": pre_l, "value": d["pre"], "below": False}),
            pd.DataFrame({"patient": d["patient"], "phase": post_l, "value": d["post"], "below": d["below"]}),
        ],
        ignore_index=True,
    ).dropna(subset=["value"])
    if long.empty:
        raise ValueError(f"{func}: no {measure} values to draw")
    if threshold is not None:
        post_status = {
            p: (
                "Below threshold after"
                if (v < threshold or (b and v <= threshold))
                else "At or above threshold after"
            )
            for p, v, b in zip(d["patient"], d["post"], d["below"], strict=True)
            if not is_missing(v)
        }
        long["status"] = long["patient"].map(post_status).fillna("No value after")
        status_domain = [
            s
            for s in ("Below threshold after", "At or above threshold after", "No value after")
            if s in set(long["status"])
        ]
        status_range = [
            {
                "Below threshold after": OKABE_ITO["blue"],
                "At or above threshold after": OKABE_ITO["vermillion"],
                "No value after": "#999999",
            }[s]
            for s in status_domain
        ]
        colour = alt.Color(
            "status:N",
            title=None,
            scale=alt.Scale(domain=status_domain, range=status_range),
            legend=alt.Legend(orient="top", direction="horizontal"),
        )
    else:
        colour = alt.value(OKABE_ITO["blue"])
    long["value_text"] = [
        ("<" if b else "") + _fmt_value(v, unit) for v, b in zip(long["value"], long["below"], strict=True)
    ]

    values = long["value"].tolist() + ([threshold] if threshold is not None else [])
    lo, hi = min(values), max(values)
    decades = _log_decades(lo / 1.5, hi * 1.5)
    if unit == "percent":
        labels = [f"{v:g}%" for v in decades]
    else:
        labels = [fmt_sci(v) for v in decades]
    y_scale = alt.Scale(type="log", domain=[decades[0], decades[-1]], nice=False)
    y = alt.Y(
        "value:Q",
        scale=y_scale,
        title=y_title
        or (f"{measure} (%; log scale)" if unit == "percent" else f"{measure} (fraction; log scale)"),
        axis=alt.Axis(values=decades, labelExpr=_decade_label_expr(decades, labels), grid=True),
    )
    x = alt.X(
        "phase:N",
        sort=[pre_l, post_l],
        title=None,
        scale=alt.Scale(domain=[pre_l, post_l], paddingOuter=0.35),
        axis=alt.Axis(labelAngle=0, labelFontWeight="bold", domain=False, ticks=False),
    )
    tooltip = [
        alt.Tooltip("patient:N", title="Patient"),
        alt.Tooltip("phase:N", title="Time"),
        alt.Tooltip("value_text:N", title=measure),
    ]
    base = alt.Chart(long)
    layers: list[Any] = [
        base.mark_line(strokeWidth=1.5, opacity=0.8)
        .encode(x=x, y=y, detail="patient:N", color=colour)
        .properties(name="paired_lines"),
        base.transform_filter("!datum.below")
        .mark_point(filled=True, size=60, opacity=1)
        .encode(x=x, y=y, color=colour, tooltip=tooltip)
        .properties(name="paired_points"),
        base.transform_filter("datum.below")
        .mark_point(filled=False, size=70, strokeWidth=2, opacity=1, fill="white")
        .encode(x=x, y=y, color=colour, tooltip=tooltip)
        .properties(name="paired_below"),
        base.transform_filter("datum.below")
        .mark_point(shape="triangle-down", filled=True, size=40, yOffset=11, opacity=1)
        .encode(x=x, y=y, color=colour)
        .properties(name="paired_below_arrow"),
    ]
    thr_text = ""
    if threshold is not None:
        thr_text = threshold_label or f"Threshold {_fmt_value(threshold, unit)}"
        thr = pd.DataFrame({"value": [float(threshold)], "text": [thr_text]})
        layers.insert(
            0,
            alt.Chart(thr)
            .mark_rule(color=MUTED, strokeDash=[6, 4], strokeWidth=1.2)
            .encode(y=y)
            .properties(name="paired_threshold"),
        )
        layers.append(
            alt.Chart(thr)
            .mark_text(align="right", baseline="bottom", dy=-4, dx=-2, fontSize=SMALL_FONT, color=MUTED)
            .encode(y=y, x=alt.value(420), text="text:N")
        )
    chart = alt.layer(*layers).properties(width=420, height=340)

    if description is None:
        n_pat = d["patient"].nunique()
        n_below = int(d["below"].sum())
        parts = [
            f"Slope chart of {measure} for {n_pat} patient{'s' if n_pat != 1 else ''}, "
            f"{pre_l.lower()} and {post_l.lower()} therapy, on a log scale."
        ]
        bits = []
        for rec in d.itertuples(index=False):
            pre = "NR" if is_missing(rec.pre) else _fmt_value(rec.pre, unit)
            post = "NR" if is_missing(rec.post) else ("<" if rec.below else "") + _fmt_value(rec.post, unit)
            bits.append(f"{rec.patient}: {pre} → {post}")
        parts.append("; ".join(bits) + ".")
        if n_below:
            parts.append(f"{n_below} post-therapy value(s) were below the detection limit.")
        if threshold is not None:
            parts.append(f"Dashed line: {thr_text}.")
        description = " ".join(parts)
    if subtitle is None:
        subtitle = (
            "One line per patient. Hollow point with ▼: below the detection limit "
            "(reported as <value); the true value is lower."
        )
    return _finish(chart, title=title, subtitle=subtitle, description=description, wrap=80)
