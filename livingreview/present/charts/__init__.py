"""Altair 6 chart builders for the living review.

Every builder takes tidy pandas DataFrames with documented column names (each name is a
keyword argument, so the caller's own column names can be used), checks that those columns
exist (``ValueError`` naming the missing one), aggregates in pandas, and embeds only the rows
and columns that the chart draws. The result is an ``alt.Chart``/``LayerChart``/concat chart
with a title, a text description for screen readers (Vega-Lite ``description`` and the same
text in ``usermeta["description"]``), an Okabe–Ito (colour-blind-safe) palette, fonts of at
least 11 px, and a width of about 700 px.

Nothing here knows about any disease: labels, thresholds and units come from the caller.
No data or script URL is set anywhere; data are inlined.
"""

from __future__ import annotations

import json
import math
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd

from livingreview.present.tables import fmt_ci, fmt_estimate, fmt_num, fmt_pct, fmt_sci, is_missing
from livingreview.review.prisma import PrismaCounts

__all__ = [
    "CATEGORICAL",
    "EVENT_STYLES",
    "MURAD_DOMAINS",
    "MURAD_DOMAIN_SUMMARY",
    "OKABE_ITO",
    "ROB_JUDGEMENTS",
    "PooledRow",
    "PrismaCounts",
    "adverse_events",
    "evidence_map",
    "forest",
    "kaplan_meier",
    "mrd_before_after",
    "mrd_waterfall",
    "prisma_flow",
    "risk_of_bias_summary",
    "risk_of_bias_traffic_light",
    "swimmer",
]

# --------------------------------------------------------------------------------------------
# Style
# --------------------------------------------------------------------------------------------

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
#: Categorical order used for colour scales (yellow late: it has little contrast on white).
CATEGORICAL: list[str] = [
    OKABE_ITO[k]
    for k in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple", "sky_blue", "black", "yellow")
]
#: Sequential (ordinal) palette for grades: ColorBrewer YlOrBr, readable with colour-vision
#: deficiency because it varies in lightness.
SEQUENTIAL = ["#FEE391", "#FEC44F", "#FE9929", "#D95F0E", "#993404", "#662506"]

TEXT = "#222222"
MUTED = "#595959"  # 7:1 contrast on white
GRID = "#DDDDDD"
FONT_SIZE = 12  # body text; nothing below 11
SMALL_FONT = 11
TITLE_FONT = 16
WIDTH = 700  # target overall width in px


def _require(df: Any, columns: Mapping[str, str | None], func: str, what: str = "df") -> None:
    """Raise ValueError naming each missing column (and the keyword that named it)."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{func}: {what} must be a pandas DataFrame, not {type(df).__name__}")
    missing = [(arg, col) for arg, col in columns.items() if col is not None and col not in df.columns]
    if missing:
        names = ", ".join(f"{col!r} ({arg}=)" for arg, col in missing)
        raise ValueError(f"{func}: {what} is missing column {names}; it has {list(map(str, df.columns))}")
    if df.empty:
        raise ValueError(f"{func}: {what} has no rows")


def _numeric(d: pd.DataFrame, cols: Iterable[str], func: str, names: Mapping[str, str]) -> None:
    for c in cols:
        try:
            d[c] = pd.to_numeric(d[c], errors="raise").astype(float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{func}: column {names.get(c, c)!r} must be numeric ({exc})") from None


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=width, break_long_words=True) or [""]


def _finish(
    chart: Any, *, title: str, description: str, subtitle: str | Sequence[str] | None = None, wrap: int = 110
) -> Any:
    """Top-level title, description (+ usermeta copy) and the shared configuration."""
    if isinstance(subtitle, str):
        subtitle = _wrap(subtitle, wrap)
    chart = chart.properties(
        title=alt.TitleParams(
            text=title,
            subtitle=list(subtitle) if subtitle else alt.Undefined,
            anchor="start",
            fontSize=TITLE_FONT,
            subtitleFontSize=FONT_SIZE,
            subtitleColor=MUTED,
            color=TEXT,
            offset=12,
        ),
        description=description,
        usermeta={"description": description},
    )
    return (
        chart.configure(background="white", padding=8, font="sans-serif")
        .configure_axis(
            labelFontSize=FONT_SIZE,
            titleFontSize=FONT_SIZE,
            labelColor=TEXT,
            titleColor=TEXT,
            titleFontWeight="bold",
            gridColor=GRID,
            domainColor="#888888",
            tickColor="#888888",
            labelLimit=260,
        )
        .configure_legend(
            labelFontSize=FONT_SIZE,
            titleFontSize=FONT_SIZE,
            labelColor=TEXT,
            titleColor=TEXT,
            labelLimit=260,
            titleLimit=300,
        )
        .configure_header(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE)
        .configure_text(fontSize=FONT_SIZE, color=TEXT)
        .configure_title(fontSize=TITLE_FONT, subtitleFontSize=FONT_SIZE)
        .configure_view(stroke=None)
    )


def _panel_title(text: str, anchor: str = "start") -> alt.TitleParams:
    return alt.TitleParams(
        text=text, anchor=anchor, fontSize=FONT_SIZE, fontWeight="bold", color=TEXT, offset=6
    )


def _ordered_unique(values: Iterable[Any]) -> list[Any]:
    seen: dict[Any, None] = {}
    for v in values:
        if not is_missing(v):
            seen.setdefault(v, None)
    return list(seen)


def _colour_scale(domain: Sequence[Any]) -> alt.Scale:
    rng = (CATEGORICAL * (len(domain) // len(CATEGORICAL) + 1))[: len(domain)]
    return alt.Scale(domain=list(domain), range=rng)


def _log_decades(lo: float, hi: float) -> list[float]:
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    return [10.0**e for e in range(a, b + 1)]


def _log_ticks(lo: float, hi: float) -> list[float]:
    """1-2-5 ticks within [lo, hi] for a log axis."""
    out = []
    for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            v = round(m * 10.0**e, 12)
            if lo <= v <= hi:
                out.append(v)
    return out or [lo, hi]


def _plural(k: int, word: str, plural: str | None = None) -> str:
    return f"{k} {word if k == 1 else (plural or word + 's')}"


def _pretty(name: str) -> str:
    """Column name → axis title: 'study_design' → 'Study design'."""
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _wrap_labels_expr(levels: Iterable[Any], width: int) -> Any:
    """Axis ``labelExpr`` that breaks labels longer than ``width`` characters over several
    lines (Vega draws an array label as multiple lines); ``alt.Undefined`` if none is long."""
    expr = "datum.label"
    long_ = [str(v) for v in levels if len(str(v)) > width]
    if not long_:
        return alt.Undefined
    for v in reversed(long_):
        lines = _wrap(v, width)
        expr = f"datum.label == {json.dumps(v)} ? {json.dumps(lines)} : ({expr})"
    return expr


def _decade_label_expr(decades: Sequence[float], labels: Sequence[str]) -> str:
    """A Vega expression mapping each decade tick to a label (array lookup by exponent)."""
    first = round(math.log10(decades[0]))
    arr = ",".join("'" + lab.replace("'", "\\'") + "'" for lab in labels)
    return f"[{arr}][round(log(datum.value) / LN10) - ({first})]"


# --------------------------------------------------------------------------------------------
# 1. Forest plot
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PooledRow:
    """A pooled estimate drawn as a diamond spanning its confidence interval, with an optional
    prediction interval (``pi_lower``/``pi_upper``) drawn as a thin line on its own row."""

    estimate: float
    lower: float
    upper: float
    label: str = "Pooled estimate"
    pi_lower: float | None = None
    pi_upper: float | None = None
    pi_label: str = "Prediction interval"
    n: int | None = None

    def __post_init__(self) -> None:
        if not (self.lower <= self.estimate <= self.upper):
            raise ValueError(
                f"PooledRow: need lower <= estimate <= upper, got {self.lower}, {self.estimate}, {self.upper}"
            )
        if (self.pi_lower is None) != (self.pi_upper is None):
            raise ValueError("PooledRow: give both pi_lower and pi_upper, or neither")
        if self.pi_lower is not None and not (self.pi_lower <= self.lower and self.upper <= self.pi_upper):
            raise ValueError("PooledRow: the prediction interval must contain the confidence interval")

    @property
    def has_pi(self) -> bool:
        return self.pi_lower is not None


def forest(
    df: pd.DataFrame,
    *,
    label: str = "label",
    estimate: str = "estimate",
    lower: str = "ci_lower",
    upper: str = "ci_upper",
    n: str | None = "n",
    group: str | None = None,
    pooled: PooledRow | None = None,
    x_title: str = "Proportion (%)",
    ref_line: float | None = None,
    log_x: bool = False,
    digits: int | None = None,
    x_domain: tuple[float, float] | None = None,
    title: str = "Forest plot",
    subtitle: str | None = None,
    description: str | None = None,
    label_title: str = "Study",
    estimate_title: str = "Estimate [95% CI]",
    n_title: str = "n",
) -> alt.HConcatChart:
    """Forest plot: one row per study (``df`` rows, in order; grouped by ``group`` if given).

    Columns of ``df``: ``label`` (text), ``estimate``, ``lower``, ``upper`` (numbers on the x
    scale, e.g. percent, or ratios with ``log_x=True``), ``n`` (participants; marker area is
    proportional to it and it is printed; ``n=None`` to omit), ``group`` (optional category:
    header rows and colour). Rows without an estimate are listed as "NR"; a missing interval
    draws the point only.

    ``pooled`` adds a diamond whose left/right corners are the CI bounds (an honest polygon, not
    a symbol), and its prediction interval as a thin line on the next row. ``ref_line`` draws a
    dashed vertical line (e.g. 1 for ratios). Returns an hconcat of four aligned panels: labels,
    plot, "estimate [CI]" text, n text.
    """
    func = "forest"
    _require(
        df,
        {"label": label, "estimate": estimate, "lower": lower, "upper": upper, "n": n, "group": group},
        func,
    )
    names = {"est": estimate, "lo": lower, "hi": upper, "n": n or "n"}
    cols = [label, estimate, lower, upper] + ([n] if n else []) + ([group] if group else [])
    d = df[cols].copy()
    d.columns = ["label", "est", "lo", "hi"] + (["n"] if n else []) + (["group"] if group else [])
    _numeric(d, ["est", "lo", "hi"] + (["n"] if n else []), func, names)
    d["label"] = d["label"].astype(str)
    bad = d[(d["lo"] > d["est"]) | (d["est"] > d["hi"])]
    if len(bad):
        raise ValueError(
            f"{func}: need {lower} <= {estimate} <= {upper}; not so for {', '.join(map(repr, bad['label']))}"
        )
    if digits is None:
        digits = 2 if log_x else 0

    # Vertical layout: integer rows from the top; group headers take a row.
    header_rows: list[dict[str, Any]] = []
    if group:
        d["group"] = d["group"].astype("string").fillna("(no group)").astype(str)
        groups = _ordered_unique(d["group"])
        d["_g"] = d["group"].map({g: i for i, g in enumerate(groups)})
        d = d.sort_values("_g", kind="stable").drop(columns="_g")
        r = 0
        rows = []
        for g in groups:
            header_rows.append({"row": r, "text": g, "group": g})
            r += 1
            k = int((d["group"] == g).sum())
            rows.extend(range(r, r + k))
            r += k
        d["row"] = rows
    else:
        groups = []
        d["row"] = range(len(d))
    last = float(d["row"].max())
    pooled_row = last + 1.5 if pooled else None
    pi_row = (pooled_row + 1.0) if (pooled and pooled.has_pi) else None
    n_rows = (pi_row if pi_row is not None else pooled_row if pooled_row is not None else last) + 1

    d["est_text"] = [
        fmt_estimate(e, lo, hi, digits) for e, lo, hi in zip(d["est"], d["lo"], d["hi"], strict=True)
    ]
    if n:
        d["n_text"] = [fmt_num(v, 0) for v in d["n"]]
        fill_n = d["n"].min() if d["n"].notna().any() else 1.0
        d["w"] = d["n"].fillna(fill_n)
        d = d.drop(columns="n")

    # x domain over everything that is drawn.
    xs = pd.concat([d["est"], d["lo"], d["hi"]]).dropna().tolist()
    if pooled:
        xs += [pooled.lower, pooled.upper] + ([pooled.pi_lower, pooled.pi_upper] if pooled.has_pi else [])
    if ref_line is not None:
        xs.append(ref_line)
    if not xs:
        raise ValueError(f"{func}: no estimates to draw")
    if log_x and min(xs) <= 0:
        raise ValueError(f"{func}: log_x needs positive estimates and bounds")
    if x_domain is None:
        lo_x, hi_x = min(xs), max(xs)
        if log_x:
            x_domain = (lo_x / 1.25, hi_x * 1.25)
        else:
            pad = (hi_x - lo_x) * 0.05 or 1.0
            x_domain = (lo_x - pad, hi_x + pad)
    x_scale = alt.Scale(type="log" if log_x else "linear", domain=list(x_domain), nice=not log_x, zero=False)
    y_scale = alt.Scale(domain=[-0.7, n_rows - 0.3], reverse=True, nice=False, zero=False)
    height = max(int(24 * (n_rows + 0.4)), 80)
    y = alt.Y("row:Q", scale=y_scale, axis=None)

    colour_scale = _colour_scale(groups) if group else None
    point_colour = (
        alt.Color("group:N", scale=colour_scale, legend=None) if group else alt.value(OKABE_ITO["blue"])
    )

    base = alt.Chart(d)
    tooltip = [alt.Tooltip("label:N", title=label_title), alt.Tooltip("est_text:N", title=estimate_title)]
    if n:
        tooltip.append(alt.Tooltip("n_text:N", title=n_title))

    # --- plot panel
    if log_x:  # 1-2-5 ticks, printed plainly ("0.5", "2")
        x_axis = alt.Axis(
            title=x_title, values=_log_ticks(*x_domain), format="~g", grid=False, labelFlush=False
        )
    else:
        x_axis = alt.Axis(title=x_title, grid=False, tickCount=6, labelFlush=False)
    plot_layers: list[Any] = []
    if ref_line is not None:
        plot_layers.append(
            alt.Chart(pd.DataFrame({"ref": [float(ref_line)]}))
            .mark_rule(color=MUTED, strokeDash=[5, 4], strokeWidth=1)
            .encode(x=alt.X("ref:Q", scale=x_scale, axis=x_axis))
        )
    plot_layers.append(
        base.mark_rule(color=TEXT, strokeWidth=1.5, clip=True)
        .encode(x=alt.X("lo:Q", scale=x_scale, axis=x_axis), x2="hi:Q", y=y, tooltip=tooltip)
        .properties(name="forest_ci")
    )
    size = alt.Size("w:Q", scale=alt.Scale(range=[40, 400], zero=True), legend=None) if n else alt.value(120)
    plot_layers.append(
        base.mark_square(filled=True, opacity=1, stroke="white", strokeWidth=0.5, clip=True)
        .encode(
            x=alt.X("est:Q", scale=x_scale, axis=x_axis), y=y, size=size, color=point_colour, tooltip=tooltip
        )
        .properties(name="forest_points")
    )
    if pooled:
        sep = pd.DataFrame({"row": [pooled_row - 0.75]})
        plot_layers.append(alt.Chart(sep).mark_rule(color=GRID, strokeWidth=1).encode(y=y))
        h = 0.36
        diamond = pd.DataFrame(
            {
                "x": [pooled.lower, pooled.estimate, pooled.upper],
                "y": [pooled_row, pooled_row - h, pooled_row],
                "y2": [pooled_row, pooled_row + h, pooled_row],
            }
        )
        plot_layers.append(
            alt.Chart(diamond)
            .mark_area(color=OKABE_ITO["vermillion"], stroke=TEXT, strokeWidth=1, opacity=1, clip=True)
            .encode(
                x=alt.X("x:Q", scale=x_scale, axis=x_axis),
                y=alt.Y("y:Q", scale=y_scale, axis=None),
                y2="y2:Q",
            )
            .properties(name="forest_pooled")
        )
        if pooled.has_pi:
            pi = pd.DataFrame({"row": [pi_row], "lo": [pooled.pi_lower], "hi": [pooled.pi_upper]})
            plot_layers.append(
                alt.Chart(pi)
                .mark_rule(color=TEXT, strokeWidth=1, clip=True)
                .encode(x=alt.X("lo:Q", scale=x_scale, axis=x_axis), x2="hi:Q", y=y)
                .properties(name="forest_pi")
            )
            caps = pd.DataFrame({"row": [pi_row, pi_row], "x": [pooled.pi_lower, pooled.pi_upper]})
            plot_layers.append(
                alt.Chart(caps)
                .mark_point(shape="M0,-1L0,1", size=80, color=TEXT, strokeWidth=1)
                .encode(x=alt.X("x:Q", scale=x_scale, axis=x_axis), y=y)
            )
    plot = alt.layer(*plot_layers).properties(width=300, height=height)

    # --- text panels (same rows)
    def text_layer(
        data: pd.DataFrame,
        field_: str,
        *,
        x: float,
        align: str,
        bold: bool = False,
        italic: bool = False,
        colour: Any = None,
        limit: int = 0,
    ) -> alt.Chart:
        return (
            alt.Chart(data)
            .mark_text(
                align=align,
                baseline="middle",
                fontSize=FONT_SIZE,
                fontWeight="bold" if bold else "normal",
                fontStyle="italic" if italic else "normal",
                limit=limit,
            )
            .encode(
                y=y,
                x=alt.value(x),
                text=f"{field_}:N",
                color=colour if colour is not None else alt.value(TEXT),
            )
        )

    label_w, est_w, n_w = 175, 135, 45
    label_layers = [text_layer(d, "label", x=0, align="left", limit=label_w - 4)]
    est_layers = [text_layer(d, "est_text", x=est_w, align="right")]
    n_layers = [text_layer(d, "n_text", x=n_w, align="right")] if n else []
    if header_rows:
        hdr = pd.DataFrame(header_rows)
        label_layers.append(
            text_layer(
                hdr,
                "text",
                x=0,
                align="left",
                bold=True,
                colour=alt.Color("group:N", scale=colour_scale, legend=None),
                limit=label_w - 4,
            )
        )
    if pooled:
        prow = {
            "row": pooled_row,
            "label": pooled.label,
            "est_text": fmt_estimate(pooled.estimate, pooled.lower, pooled.upper, digits),
            "n_text": fmt_num(pooled.n, 0, na=""),
        }
        prows = [prow]
        if pooled.has_pi:
            prows.append(
                {
                    "row": pi_row,
                    "label": pooled.pi_label,
                    "est_text": fmt_ci(pooled.pi_lower, pooled.pi_upper, digits),
                    "n_text": "",
                }
            )
        pdf = pd.DataFrame(prows)
        label_layers.append(
            text_layer(pdf.iloc[[0]], "label", x=0, align="left", bold=True, limit=label_w - 4)
        )
        est_layers.append(text_layer(pdf.iloc[[0]], "est_text", x=est_w, align="right", bold=True))
        if n and pooled.n is not None:
            n_layers.append(text_layer(pdf.iloc[[0]], "n_text", x=n_w, align="right", bold=True))
        if pooled.has_pi:
            label_layers.append(
                text_layer(
                    pdf.iloc[[1]],
                    "label",
                    x=0,
                    align="left",
                    italic=True,
                    colour=alt.value(MUTED),
                    limit=label_w - 4,
                )
            )
            est_layers.append(
                text_layer(
                    pdf.iloc[[1]], "est_text", x=est_w, align="right", italic=True, colour=alt.value(MUTED)
                )
            )

    def panel(layers: list[Any], width: int, head: str, anchor: str) -> alt.LayerChart:
        return alt.layer(*layers).properties(width=width, height=height, title=_panel_title(head, anchor))

    panels = [
        panel(label_layers, label_w, label_title, "start"),
        plot,
        panel(est_layers, est_w, estimate_title, "end"),
    ]
    if n:
        panels.append(panel(n_layers, n_w, n_title, "end"))
    chart = alt.hconcat(*panels, spacing=10)

    k = int(d["est"].notna().sum())
    if description is None:
        parts = [
            f"Forest plot of {_plural(len(d), 'study', 'studies')}; x axis: {x_title}"
            f"{' (log scale)' if log_x else ''}."
        ]
        study_bits = []
        for rec in d.itertuples(index=False):
            bit = f"{rec.label}: {rec.est_text}"
            if n:
                bit += f", n = {rec.n_text}"
            if group:
                bit += f" ({rec.group})"
            study_bits.append(bit)
        parts.append("; ".join(study_bits) + ".")
        if pooled:
            s = f"{pooled.label}: {fmt_estimate(pooled.estimate, pooled.lower, pooled.upper, digits)}"
            if pooled.has_pi:
                s += f"; {pooled.pi_label.lower()} {fmt_ci(pooled.pi_lower, pooled.pi_upper, digits)}"
            parts.append(s + ".")
        if ref_line is not None:
            parts.append(f"Reference line at {fmt_num(ref_line, digits)}.")
        if k < len(d):
            parts.append(f"{len(d) - k} row(s) without an estimate are marked NR.")
        description = " ".join(parts)
    if subtitle is None:
        subtitle = (
            "Squares: study estimates"
            + (" (area proportional to n)" if n else "")
            + "; lines: 95% CIs"
            + ("; diamond: pooled estimate and its 95% CI." if pooled else ".")
        )
    return _finish(chart, title=title, subtitle=subtitle, description=description)


# --------------------------------------------------------------------------------------------
# 2. Kaplan–Meier
# --------------------------------------------------------------------------------------------


def kaplan_meier(
    curve_df: pd.DataFrame,
    at_risk_df: pd.DataFrame,
    *,
    time: str = "time",
    survival: str = "survival",
    lower: str | None = "ci_lower",
    upper: str | None = "ci_upper",
    censored: str | None = "censored",
    strata: str | None = None,
    n_at_risk: str = "n_at_risk",
    time_title: str = "Time (months)",
    y_title: str = "Survival probability",
    strata_title: str | None = None,
    title: str = "Kaplan–Meier estimate",
    subtitle: str | None = None,
    description: str | None = None,
) -> alt.VConcatChart:
    """Step survival curve(s) with a CI band, censor ticks and a numbers-at-risk table below.

    ``curve_df``: one row per time at which the estimate changes or a patient is censored —
    ``time``, ``survival`` (proportion 0–1), optional ``lower``/``upper`` (CI, 0–1), optional
    ``censored`` (number censored at that time; > 0 draws a tick), optional ``strata``.
    A row at time 0 with survival 1 is added per stratum if missing.
    ``at_risk_df``: ``time``, ``n_at_risk``, optional ``strata``; its times also become the x
    axis ticks, so the numbers sit under the ticks.
    """
    func = "kaplan_meier"
    _require(
        curve_df,
        {
            "time": time,
            "survival": survival,
            "lower": lower,
            "upper": upper,
            "censored": censored,
            "strata": strata,
        },
        func,
        "curve_df",
    )
    _require(at_risk_df, {"time": time, "n_at_risk": n_at_risk, "strata": strata}, func, "at_risk_df")
    cols = [time, survival] + [c for c in (lower, upper, censored, strata) if c]
    c = curve_df[cols].copy()
    c.columns = ["time", "surv"] + [
        k for k, v in (("lo", lower), ("hi", upper), ("cens", censored), ("strata", strata)) if v
    ]
    names = {"time": time, "surv": survival, "lo": lower or "", "hi": upper or "", "cens": censored or ""}
    _numeric(c, [k for k in ("time", "surv", "lo", "hi", "cens") if k in c], func, names)
    if ((c["surv"] < 0) | (c["surv"] > 1)).any():
        raise ValueError(f"{func}: column {survival!r} must be a proportion in [0, 1]")
    if (c["time"] < 0).any():
        raise ValueError(f"{func}: column {time!r} must be >= 0")
    if not strata:
        c["strata"] = "All"
    c["strata"] = c["strata"].astype(str)
    strata_levels = _ordered_unique(c["strata"])
    starts = []
    for s in strata_levels:
        sub = c[c["strata"] == s]
        if not (sub["time"] == 0).any():
            row = {"time": 0.0, "surv": 1.0, "strata": s}
            if "lo" in c:
                row |= {"lo": 1.0, "hi": 1.0}
            if "cens" in c:
                row["cens"] = 0.0
            starts.append(row)
    if starts:
        c = pd.concat([pd.DataFrame(starts), c], ignore_index=True)
    c = c.sort_values(
        ["strata", "time"],
        kind="stable",
        key=lambda s: s.map({v: i for i, v in enumerate(strata_levels)}) if s.name == "strata" else s,
    )

    a = at_risk_df[[time, n_at_risk] + ([strata] if strata else [])].copy()
    a.columns = ["time", "n"] + (["strata"] if strata else [])
    _numeric(a, ["time", "n"], func, {"time": time, "n": n_at_risk})
    if not strata:
        a["strata"] = "All"
    a["strata"] = a["strata"].astype(str)
    unknown = set(a["strata"]) - set(strata_levels)
    if unknown:
        raise ValueError(f"{func}: at_risk_df has strata not in curve_df: {sorted(unknown)}")
    a["n_text"] = [fmt_num(v, 0) for v in a["n"]]
    a = a.drop(columns="n")

    tmax = float(max(c["time"].max(), a["time"].max()))
    ticks = sorted(set(a["time"].tolist()))
    x_scale = alt.Scale(domain=[0, tmax], nice=False, zero=True)
    x_axis = alt.Axis(title=time_title, values=ticks, format="~g", grid=False)
    y_scale = alt.Scale(domain=[0, 1], nice=False)
    colour_scale = _colour_scale(strata_levels)
    multi = len(strata_levels) > 1
    legend = (
        alt.Legend(
            title=strata_title or _pretty(strata or ""),
            orient="top",
            direction="horizontal",
            symbolType="stroke",
            symbolStrokeWidth=3,
            symbolOpacity=1,
        )
        if multi
        else None
    )
    colour = alt.Color("strata:N", scale=colour_scale, legend=legend)
    x = alt.X("time:Q", scale=x_scale, axis=x_axis)

    curve_cols = ["time", "surv", "strata"]
    layers: list[Any] = []
    if "lo" in c:
        band = c[["time", "lo", "hi", "strata"]]
        layers.append(
            alt.Chart(band)
            .mark_area(interpolate="step-after", opacity=0.18)
            .encode(x=x, y=alt.Y("lo:Q", scale=y_scale), y2="hi:Q", color=colour)
            .properties(name="km_band")
        )
    layers.append(
        alt.Chart(c[curve_cols])
        .mark_line(interpolate="step-after", strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y(
                "surv:Q",
                scale=y_scale,
                title=y_title,
                axis=alt.Axis(format=".0%", values=[0, 0.25, 0.5, 0.75, 1], grid=True),
            ),
            color=colour,
            detail="strata:N",
            tooltip=[
                alt.Tooltip("strata:N", title=strata_title or strata or "Group"),
                alt.Tooltip("time:Q", title=time_title, format="~g"),
                alt.Tooltip("surv:Q", title=y_title, format=".1%"),
            ],
        )
        .properties(name="km_curve")
    )
    n_censored = 0
    if "cens" in c:
        ticks_df = c.loc[c["cens"].fillna(0) > 0, ["time", "surv", "strata"]]
        n_censored = int(c["cens"].fillna(0).sum())
        if len(ticks_df):
            layers.append(
                alt.Chart(ticks_df)
                .mark_point(shape="M0,-1L0,1", size=70, strokeWidth=1.5, opacity=1)
                .encode(x=x, y=alt.Y("surv:Q", scale=y_scale), color=colour)
                .properties(name="km_censor")
            )
    curve = alt.layer(*layers).properties(width=560, height=300)

    table = (
        alt.Chart(a)
        .mark_text(fontSize=FONT_SIZE, baseline="middle")
        .encode(
            x=alt.X("time:Q", scale=x_scale, axis=None),
            y=alt.Y(
                "strata:N",
                sort=strata_levels,
                title=None,
                axis=alt.Axis(domain=False, ticks=False, labelPadding=24, labelFontWeight="bold")
                if multi
                else alt.Axis(domain=False, ticks=False, labels=False),
            ),
            text="n_text:N",
            color=alt.Color("strata:N", scale=colour_scale, legend=None),
        )
        .properties(
            width=560,
            height=22 * len(strata_levels) + 4,
            title=_panel_title("Number at risk"),
            name="km_at_risk",
        )
    )
    chart = alt.vconcat(curve, table, spacing=14).resolve_scale(color="shared", x="shared")

    if description is None:
        parts = [
            f"Kaplan–Meier curve{'s' if multi else ''} of {y_title.lower()} against "
            f"{time_title.lower()}"
            + (f" for {len(strata_levels)} groups ({', '.join(strata_levels)})" if multi else "")
            + (", with 95% confidence bands" if "lo" in c else "")
            + "."
        ]
        for s in strata_levels:
            sub = c[c["strata"] == s]
            lastrow = sub.iloc[-1]
            parts.append(
                f"{s if multi else 'Estimate'}: {fmt_pct(lastrow['surv'], 0)} at time "
                f"{fmt_num(lastrow['time'], 1).removesuffix('.0')}"
                f" (last time shown)."
            )
        if n_censored:
            parts.append(f"{n_censored} censored observation(s) are marked with ticks.")
        parts.append(
            "A table of numbers at risk at times "
            + ", ".join(fmt_num(t, 1).removesuffix(".0") for t in ticks)
            + " follows."
        )
        description = " ".join(parts)
    if subtitle is None:
        subtitle = (
            "Step curve: Kaplan–Meier estimate"
            + ("; shaded: 95% CI" if "lo" in c else "")
            + ("; ticks: censored" if n_censored else "")
            + "."
        )
    return _finish(chart, title=title, subtitle=subtitle, description=description)


# --------------------------------------------------------------------------------------------
# 3. MRD before/after and waterfall
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


def _mrd_prepare(
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


def _fmt_mrd(v: float, unit: str) -> str:
    if unit == "percent":
        return f"{v:.3g}%"
    return fmt_sci(v, 1).replace(".0×", "×").replace(".0", "") if v < 0.01 else f"{v:.3g}"


def mrd_before_after(
    df: pd.DataFrame,
    *,
    patient: str = "patient_id",
    before: str = "mrd_pre",
    after: str = "mrd_post",
    below_detection: str | None = "mrd_post_qualifier",
    threshold: float | None = None,
    threshold_label: str | None = None,
    unit: str = "fraction",
    phase_labels: tuple[str, str] = ("Before", "After"),
    y_title: str | None = None,
    title: str = "MRD before and after therapy",
    subtitle: str | None = None,
    description: str | None = None,
) -> alt.LayerChart:
    """Per-patient MRD before → after therapy on a log scale (slope chart).

    ``df`` columns: ``patient``, ``before``, ``after`` (MRD, as fractions or percent per
    ``unit`` = "fraction" | "percent"; must be > 0), ``below_detection`` (qualifier of the
    post value: "<" — or True — means "below the detection limit, reported as <value").
    Below-detection values are drawn as hollow points at the limit with a downward triangle
    under them. ``threshold`` (same unit) draws a dashed rule with a label; lines are coloured
    by whether the post value is below it.
    """
    func = "mrd_before_after"
    if unit not in ("fraction", "percent"):
        raise ValueError(f"{func}: unit must be 'fraction' or 'percent'")
    d = _mrd_prepare(df, func, patient, before, after, below_detection)
    pre_l, post_l = phase_labels
    long = pd.concat(
        [
            pd.DataFrame({"patient": d["patient"], "phase": pre_l, "value": d["pre"], "below": False}),
            pd.DataFrame({"patient": d["patient"], "phase": post_l, "value": d["post"], "below": d["below"]}),
        ],
        ignore_index=True,
    ).dropna(subset=["value"])
    if long.empty:
        raise ValueError(f"{func}: no MRD values to draw")
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
        ("<" if b else "") + _fmt_mrd(v, unit) for v, b in zip(long["value"], long["below"], strict=True)
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
        title=y_title or ("MRD (%; log scale)" if unit == "percent" else "MRD (fraction; log scale)"),
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
        alt.Tooltip("value_text:N", title="MRD"),
    ]
    base = alt.Chart(long)
    layers: list[Any] = [
        base.mark_line(strokeWidth=1.5, opacity=0.8)
        .encode(x=x, y=y, detail="patient:N", color=colour)
        .properties(name="mrd_lines"),
        base.transform_filter("!datum.below")
        .mark_point(filled=True, size=60, opacity=1)
        .encode(x=x, y=y, color=colour, tooltip=tooltip)
        .properties(name="mrd_points"),
        base.transform_filter("datum.below")
        .mark_point(filled=False, size=70, strokeWidth=2, opacity=1, fill="white")
        .encode(x=x, y=y, color=colour, tooltip=tooltip)
        .properties(name="mrd_below"),
        base.transform_filter("datum.below")
        .mark_point(shape="triangle-down", filled=True, size=40, yOffset=11, opacity=1)
        .encode(x=x, y=y, color=colour)
        .properties(name="mrd_below_arrow"),
    ]
    thr_text = ""
    if threshold is not None:
        thr_text = threshold_label or f"Threshold {_fmt_mrd(threshold, unit)}"
        thr = pd.DataFrame({"value": [float(threshold)], "text": [thr_text]})
        layers.insert(
            0,
            alt.Chart(thr)
            .mark_rule(color=MUTED, strokeDash=[6, 4], strokeWidth=1.2)
            .encode(y=y)
            .properties(name="mrd_threshold"),
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
            f"Slope chart of MRD for {n_pat} patient{'s' if n_pat != 1 else ''}, "
            f"{pre_l.lower()} and {post_l.lower()} therapy, on a log scale."
        ]
        bits = []
        for rec in d.itertuples(index=False):
            pre = "NR" if is_missing(rec.pre) else _fmt_mrd(rec.pre, unit)
            post = "NR" if is_missing(rec.post) else ("<" if rec.below else "") + _fmt_mrd(rec.post, unit)
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


def mrd_waterfall(
    df: pd.DataFrame,
    *,
    patient: str = "patient_id",
    before: str = "mrd_pre",
    after: str = "mrd_post",
    below_detection: str | None = "mrd_post_qualifier",
    threshold: float | None = None,
    title: str = "Change in MRD per patient",
    subtitle: str | None = None,
    description: str | None = None,
) -> alt.LayerChart:
    """Waterfall of the log10 change in MRD (after / before) per patient, sorted.

    Same columns as :func:`mrd_before_after`. Patients without both values are left out (and
    not embedded). A post value below the detection limit makes the reduction a lower bound:
    its bar is hollow and labelled "≥". With ``threshold``, bars are coloured by whether the
    post value is below it.
    """
    func = "mrd_waterfall"
    d = _mrd_prepare(df, func, patient, before, after, below_detection)
    d = d.dropna(subset=["pre", "post"]).copy()
    if d.empty:
        raise ValueError(f"{func}: no patient has both values")
    d["change"] = [math.log10(b / a) for a, b in zip(d["pre"], d["post"], strict=True)]
    d = d.sort_values("change", ascending=False, kind="stable")
    order = d["patient"].tolist()
    d["label"] = [("≤ " if b else "") + fmt_num(v, 1) for v, b in zip(d["change"], d["below"], strict=True)]
    if threshold is not None:
        d["status"] = [
            "Below threshold after"
            if (v < threshold or (b and v <= threshold))
            else "At or above threshold after"
            for v, b in zip(d["post"], d["below"], strict=True)
        ]
        dom = [s for s in ("Below threshold after", "At or above threshold after") if s in set(d["status"])]
        rng = [OKABE_ITO["blue"] if s.startswith("Below") else OKABE_ITO["vermillion"] for s in dom]
        colour = alt.Color(
            "status:N",
            title=None,
            scale=alt.Scale(domain=dom, range=rng),
            legend=alt.Legend(orient="top", direction="horizontal"),
        )
    else:
        colour = alt.value(OKABE_ITO["blue"])
    d = d[["patient", "change", "below", "label"] + (["status"] if threshold is not None else [])]
    many = len(d) > 30
    x = alt.X(
        "patient:N",
        sort=order,
        title="Patient",
        axis=alt.Axis(labelAngle=-45 if len(d) > 8 else 0, labels=not many, ticks=False),
    )
    lo = min(0.0, float(d["change"].min()))
    hi = max(0.0, float(d["change"].max()))
    y = alt.Y(
        "change:Q",
        title="Change in MRD (log10 of after ÷ before)",
        scale=alt.Scale(
            domain=[math.floor(lo) - 0.5 if lo < 0 else -0.5, math.ceil(hi) + 0.5 if hi > 0 else 0.5],
            nice=False,
        ),
        axis=alt.Axis(tickMinStep=1, format="~g"),
    )
    base = alt.Chart(d)
    tooltip = [alt.Tooltip("patient:N", title="Patient"), alt.Tooltip("label:N", title="log10 change")]
    bar_w = max(4, min(36, int(560 / len(d) * 0.7)))
    layers = [
        base.transform_filter("!datum.below")
        .mark_bar(size=bar_w)
        .encode(x=x, y=y, color=colour, tooltip=tooltip)
        .properties(name="mrd_bars"),
        base.transform_filter("datum.below")
        .mark_bar(size=bar_w, fill="white", strokeWidth=2)
        .encode(x=x, y=y, stroke=colour, tooltip=tooltip)
        .properties(name="mrd_bars_below"),
        alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color=TEXT).encode(y="zero:Q"),
    ]
    if not many:
        layers += [  # value labels outside the bar end: below negative bars, above positive
            base.transform_filter("datum.change < 0")
            .mark_text(fontSize=SMALL_FONT, baseline="top", dy=4, color=TEXT)
            .encode(x=x, y=y, text="label:N"),
            base.transform_filter("datum.change >= 0")
            .mark_text(fontSize=SMALL_FONT, baseline="bottom", dy=-4, color=TEXT)
            .encode(x=x, y=y, text="label:N"),
        ]
    chart = alt.layer(*layers).properties(width=560, height=300)
    if description is None:
        n_red = int((d["change"] < 0).sum())
        description = (
            f"Waterfall chart of the log10 change in MRD for {_plural(len(d), 'patient')}, sorted from "
            f"largest increase to largest decrease; {n_red} decreased. "
            + "; ".join(f"{p}: {lab}" for p, lab in zip(d["patient"], d["label"], strict=True))
            + "."
            + (
                " Hollow bars (≤) are lower bounds of the reduction because the after value was "
                "below the detection limit."
                if d["below"].any()
                else ""
            )
        )
    if subtitle is None:
        subtitle = (
            "Bars below 0: MRD fell (−1 = tenfold). Hollow bars: after value below the "
            "detection limit, so the fall is at least this large."
        )
    return _finish(chart, title=title, subtitle=subtitle, description=description)


# --------------------------------------------------------------------------------------------
# 4. Swimmer plot
# --------------------------------------------------------------------------------------------

#: Known events → (shape, colour). Matching is case-insensitive; others get fallback styles.
EVENT_STYLES: dict[str, tuple[str, str]] = {
    "therapy": ("circle", OKABE_ITO["bluish_green"]),
    "hsct": ("diamond", OKABE_ITO["blue"]),
    "relapse": ("triangle-up", OKABE_ITO["vermillion"]),
    "death": ("cross", OKABE_ITO["black"]),
    "last follow-up": ("triangle-right", "#595959"),
    "lineage switch": ("square", OKABE_ITO["reddish_purple"]),
}
_FALLBACK_SHAPES = ["star", "wedge", "triangle-down", "triangle-left", "arrow"]
_FALLBACK_COLOURS = [OKABE_ITO["orange"], "#7F3C8D", "#11A579", "#3969AC", "#E73F74"]
_THERAPY_COLOURS = ["#A6CEE3", "#FDBF6F", "#B2DF8A", "#CAB2D6", "#D9D9D9", "#FFFF99"]


def swimmer(
    events_df: pd.DataFrame,
    spans_df: pd.DataFrame,
    *,
    patient: str = "patient_id",
    start: str = "start",
    end: str = "end",
    therapy: str = "therapy",
    time: str = "time",
    event: str = "event",
    ongoing: str | None = None,
    time_unit: str = "months",
    time_title: str | None = None,
    title: str = "Patient courses",
    subtitle: str | None = None,
    description: str | None = None,
) -> alt.LayerChart:
    """Swimmer plot: one lane per patient (longest course on top).

    ``spans_df``: ``patient``, ``start``, ``end`` (times), ``therapy`` (category → bar
    colour), optional ``ongoing`` (bool: arrow at the end). ``events_df``: ``patient``,
    ``time``, ``event`` (category → shape and colour; therapy, HSCT, relapse, death, last
    follow-up and lineage switch have fixed styles, see ``EVENT_STYLES``). Times are in
    ``time_unit`` (days or months), on the same axis for both frames.
    """
    func = "swimmer"
    _require(
        spans_df,
        {"patient": patient, "start": start, "end": end, "therapy": therapy, "ongoing": ongoing},
        func,
        "spans_df",
    )
    _require(events_df, {"patient": patient, "time": time, "event": event}, func, "events_df")
    s = spans_df[[patient, start, end, therapy] + ([ongoing] if ongoing else [])].copy()
    s.columns = ["patient", "start", "end", "therapy"] + (["ongoing"] if ongoing else [])
    _numeric(s, ["start", "end"], func, {"start": start, "end": end})
    bad = s[s["end"] < s["start"]]
    if len(bad):
        raise ValueError(
            f"{func}: {end!r} before {start!r} for patient(s) {', '.join(map(str, bad['patient']))}"
        )
    e = events_df[[patient, time, event]].copy()
    e.columns = ["patient", "time", "event"]
    _numeric(e, ["time"], func, {"time": time})
    for frame in (s, e):
        frame["patient"] = frame["patient"].astype(str)
    s["therapy"] = s["therapy"].astype(str)
    e["event"] = e["event"].astype(str)
    e = e.dropna(subset=["time"])

    extent = pd.concat([s.groupby("patient")["end"].max(), e.groupby("patient")["time"].max()], axis=1).max(
        axis=1
    )
    order = extent.sort_values(ascending=False, kind="stable").index.tolist()
    tmax = float(extent.max())

    therapies = _ordered_unique(s["therapy"])
    th_range = (_THERAPY_COLOURS * (len(therapies) // len(_THERAPY_COLOURS) + 1))[: len(therapies)]
    events = _ordered_unique(e["event"])
    known = [ev for key in EVENT_STYLES for ev in events if ev.lower() == key]
    events = known + [ev for ev in events if ev not in known]
    shapes, colours, k = [], [], 0
    for ev in events:
        style = EVENT_STYLES.get(ev.lower())
        if style is None:
            style = (
                _FALLBACK_SHAPES[k % len(_FALLBACK_SHAPES)],
                _FALLBACK_COLOURS[k % len(_FALLBACK_COLOURS)],
            )
            k += 1
        shapes.append(style[0])
        colours.append(style[1])

    unit_title = time_title or f"Time ({time_unit})"
    lane_h = 26
    x = alt.X(
        "start:Q",
        title=unit_title,
        scale=alt.Scale(domain=[0, tmax * 1.04], nice=False),
        axis=alt.Axis(grid=True, format="~g"),
    )
    y = alt.Y(
        "patient:N", sort=order, title="Patient", axis=alt.Axis(ticks=False, domain=False, labelPadding=6)
    )
    span_cols = ["patient", "start", "end", "therapy"]
    layers: list[Any] = [
        alt.Chart(s[span_cols])
        .mark_bar(height={"band": 0.55}, cornerRadius=2)
        .encode(
            x=x,
            x2="end:Q",
            y=y,
            fill=alt.Fill(
                "therapy:N",
                title="Therapy",
                scale=alt.Scale(domain=therapies, range=th_range),
                legend=alt.Legend(orient="right", symbolType="square", symbolStrokeColor="#888888"),
            ),
            tooltip=[
                alt.Tooltip("patient:N", title="Patient"),
                alt.Tooltip("therapy:N", title="Therapy"),
                alt.Tooltip("start:Q", title="Start", format="~g"),
                alt.Tooltip("end:Q", title="End", format="~g"),
            ],
        )
        .properties(name="swim_spans")
    ]
    if ongoing:
        og = s.loc[s["ongoing"].map(lambda v: bool(v) if not is_missing(v) else False), ["patient", "end"]]
        if len(og):
            layers.append(
                alt.Chart(og)
                .mark_point(shape="arrow", angle=90, size=90, filled=True, color=TEXT, xOffset=8, opacity=1)
                .encode(x=alt.X("end:Q"), y=y)
                .properties(name="swim_ongoing")
            )
    event_scale_legend = alt.Legend(orient="right", title="Event")
    layers.append(
        alt.Chart(e)
        .mark_point(filled=True, size=110, opacity=1, stroke="white", strokeWidth=0.8)
        .encode(
            x=alt.X("time:Q"),
            y=y,
            shape=alt.Shape(
                "event:N", scale=alt.Scale(domain=events, range=shapes), legend=event_scale_legend
            ),
            color=alt.Color(
                "event:N", scale=alt.Scale(domain=events, range=colours), legend=event_scale_legend
            ),
            tooltip=[
                alt.Tooltip("patient:N", title="Patient"),
                alt.Tooltip("event:N", title="Event"),
                alt.Tooltip("time:Q", title=unit_title, format="~g"),
            ],
        )
        .properties(name="swim_events")
    )
    chart = alt.layer(*layers).properties(width=520, height=lane_h * len(order))
    if description is None:
        parts = [
            f"Swimmer plot of {_plural(len(order), 'patient')} over {unit_title.lower()}; bars are "
            f"therapy spans ({', '.join(therapies)}), symbols are events."
        ]
        for p in order:
            sp = s[s["patient"] == p]
            ev = e[e["patient"] == p].sort_values("time")
            bits = [
                f"{r.therapy} {fmt_num(r.start, 1).removesuffix('.0')}–{fmt_num(r.end, 1).removesuffix('.0')}"
                for r in sp.itertuples()
            ]
            bits += [f"{r.event} at {fmt_num(r.time, 1).removesuffix('.0')}" for r in ev.itertuples()]
            parts.append(f"{p}: {', '.join(bits)}.")
        description = " ".join(parts)
    if subtitle is None:
        subtitle = "Bars: therapy; symbols: events" + ("; arrow: ongoing." if ongoing else ".")
    return _finish(chart, title=title, subtitle=subtitle, description=description)


# --------------------------------------------------------------------------------------------
# 5. PRISMA 2020 flow diagram
# --------------------------------------------------------------------------------------------


def _n(k: int) -> str:
    return f"(n\u00a0=\u00a0{k:,})"  # no-break spaces: wrapping never splits "(n = 4)"


def prisma_flow(
    counts: PrismaCounts,
    *,
    title: str = "PRISMA 2020 flow diagram",
    subtitle: str | None = None,
    description: str | None = None,
    other_methods_label: str = "Websites, organisations, citation searching",
) -> alt.LayerChart:
    """PRISMA 2020 flow diagram drawn from ``counts`` (boxes, wrapped text, arrows; phases
    Identification / Screening / Included on the left). Raises ``ValueError`` listing
    ``counts.check()`` if the numbers do not add up."""
    if not isinstance(counts, PrismaCounts):
        raise TypeError("prisma_flow: counts must be a PrismaCounts")
    problems = counts.check()
    if problems:
        raise ValueError("prisma_flow: inconsistent PRISMA counts:\n- " + "\n- ".join(problems))
    c = counts
    two = c.two_columns
    fs, line_h, pad = FONT_SIZE, 15, 8
    char_w = fs * 0.53  # average glyph width of the sans-serif fonts vl-convert and browsers use
    if two:
        W = 780
        cols = {"main": (36, 216), "excl": (234, 414), "other": (446, 606), "oexcl": (624, 776)}
    else:
        W = 700
        cols = {"main": (36, 336), "excl": (384, 696)}

    def lines(box_col: str, paragraphs: list[str]) -> list[str]:
        x0, x1 = cols[box_col]
        width = max(8, int((x1 - x0 - 2 * pad) / char_w))
        out: list[str] = []
        for p in paragraphs:
            out.extend(_wrap(p, width))
        return out

    def reasons(d: dict[str, int]) -> list[str]:
        return [f"{r} {_n(k)}" for r, k in d.items()] if d else [_n(0)]

    ident = ["Records identified from:", f"Databases {_n(c.databases)}", f"Registers {_n(c.registers)}"]
    if not two and c.other_methods:
        ident.append(f"Other methods {_n(c.other_methods)}")
    rows: list[dict[str, list[str]]] = [
        {
            "main": ident,
            "excl": [
                "Records removed before screening:",
                f"Duplicate records removed {_n(c.duplicates_removed)}",
                f"Records marked as ineligible by automation tools {_n(c.automation_ineligible)}",
                f"Records removed for other reasons {_n(c.other_removed)}",
            ],
        },
        {
            "main": ["Records screened", _n(c.records_screened)],
            "excl": ["Records excluded", _n(c.records_excluded)],
        },
        {
            "main": ["Reports sought for retrieval", _n(c.reports_sought)],
            "excl": ["Reports not retrieved", _n(c.reports_not_retrieved)],
        },
        {
            "main": ["Reports assessed for eligibility", _n(c.reports_assessed)],
            "excl": ["Reports excluded:"] + reasons(c.reports_excluded),
        },
        {
            "main": [
                "Studies included in review",
                _n(c.studies_included),
                "Reports of included studies",
                _n(c.reports_included),
            ]
        },
    ]
    if two:
        rows[0]["other"] = ["Records identified from:", f"{other_methods_label} {_n(c.other_methods)}"]
        rows[2]["other"] = ["Reports sought for retrieval", _n(c.other_reports_sought or 0)]
        rows[2]["oexcl"] = ["Reports not retrieved", _n(c.other_reports_not_retrieved)]
        rows[3]["other"] = ["Reports assessed for eligibility", _n(c.other_reports_assessed or 0)]
        rows[3]["oexcl"] = ["Reports excluded:"] + reasons(c.other_reports_excluded)

    header_h, gap, top = 34, 30, 0
    boxes, texts, rules, heads, headers, phases = [], [], [], [], [], []
    hx = {"db": (cols["main"][0], cols["excl"][1])}
    headers.append(
        {
            "x": hx["db"][0],
            "x2": hx["db"][1],
            "y": top,
            "y2": top + header_h,
            "text": (
                "Identification of studies via databases and registers"
                if two or c.databases or c.registers or not c.other_methods
                # One column and no database or register searched: say what it was.
                else "Identification of studies via other methods"
            ),
            "kind": "db",
        }
    )
    if two:
        headers.append(
            {
                "x": cols["other"][0],
                "x2": cols["oexcl"][1],
                "y": top,
                "y2": top + header_h,
                "text": "Identification of studies via other methods",
                "kind": "other",
            }
        )
    y = top + header_h + 16
    geometry: list[dict[str, tuple[float, float, float, float]]] = []
    for row in rows:
        wrapped = {k: lines(k, v) for k, v in row.items()}
        h = max(len(v) for v in wrapped.values()) * line_h + 2 * pad
        geo = {}
        for k, v in wrapped.items():
            x0, x1 = cols[k]
            geo[k] = (x0, x1, y, y + h)
            boxes.append({"x": x0, "x2": x1, "y": y, "y2": y + h})
            texts.append({"x": x0 + pad, "y": y + pad, "text": "\n".join(v)})
        geometry.append(geo)
        y += h + gap
    H = y - gap

    def arrow(x1: float, y1: float, x2: float, y2: float, direction: str) -> None:
        head = 5.0
        if direction == "down":
            rules.append({"x": x1, "y": y1, "x2": x2, "y2": y2 - head})
            heads.append({"x": x2, "y": y2 - head + 1, "dir": direction})
        elif direction == "right":
            rules.append({"x": x1, "y": y1, "x2": x2 - head, "y2": y2})
            heads.append({"x": x2 - head + 1, "y": y2, "dir": direction})
        elif direction == "left":
            rules.append({"x": x1, "y": y1, "x2": x2 + head, "y2": y2})
            heads.append({"x": x2 + head - 1, "y": y2, "dir": direction})
        else:  # plain segment
            rules.append({"x": x1, "y": y1, "x2": x2, "y2": y2})

    def mid_x(g: tuple[float, float, float, float]) -> float:
        return (g[0] + g[1]) / 2

    for i, geo in enumerate(geometry):
        m = geo["main"]
        if "excl" in geo:
            e = geo["excl"]
            ymid = (m[2] + m[3]) / 2
            arrow(m[1], ymid, e[0], ymid, "right")
        if i + 1 < len(geometry):
            nxt = geometry[i + 1]["main"]
            arrow(mid_x(m), m[3], mid_x(nxt), nxt[2], "down")
    if two:
        o0, o2, o3 = geometry[0]["other"], geometry[2]["other"], geometry[3]["other"]
        arrow(mid_x(o0), o0[3], mid_x(o2), o2[2], "down")
        for i in (2, 3):
            o, oe = geometry[i]["other"], geometry[i]["oexcl"]
            ymid = (o[2] + o[3]) / 2
            arrow(o[1], ymid, oe[0], ymid, "right")
        arrow(mid_x(o2), o2[3], mid_x(o3), o3[2], "down")
        inc = geometry[4]["main"]
        yin = (inc[2] + inc[3]) / 2
        arrow(mid_x(o3), o3[3], mid_x(o3), yin, "segment")
        arrow(mid_x(o3), yin, inc[1], yin, "left")

    phase_x = (2, 26)
    spans = [
        ("Identification", geometry[0]),
        ("Screening", geometry[1], geometry[3]),
        ("Included", geometry[4]),
    ]
    for name, *gs in spans:
        y0 = gs[0]["main"][2]
        y1 = gs[-1]["main"][3]
        phases.append(
            {
                "x": phase_x[0],
                "x2": phase_x[1],
                "y": y0,
                "y2": y1,
                "text": name,
                "cx": (phase_x[0] + phase_x[1]) / 2,
                "cy": (y0 + y1) / 2,
            }
        )

    xs = alt.Scale(domain=[0, W], nice=False, zero=False)
    ys = alt.Scale(domain=[0, H], nice=False, zero=False, reverse=True)
    X = lambda f: alt.X(f"{f}:Q", scale=xs, axis=None)  # noqa: E731
    Y = lambda f: alt.Y(f"{f}:Q", scale=ys, axis=None)  # noqa: E731
    hdr = pd.DataFrame(headers)
    hdr["cx"] = (hdr["x"] + hdr["x2"]) / 2
    hdr["cy"] = (hdr["y"] + hdr["y2"]) / 2
    ph = pd.DataFrame(phases)
    layers = [
        alt.Chart(hdr)
        .mark_rect(cornerRadius=6, stroke="#8A6D00", strokeWidth=1)
        .encode(
            x=X("x"),
            x2="x2:Q",
            y=Y("y"),
            y2="y2:Q",
            fill=alt.Fill(
                "kind:N", scale=alt.Scale(domain=["db", "other"], range=["#FCE8A6", "#E6E6E6"]), legend=None
            ),
        )
        .properties(name="prisma_headers"),
        alt.Chart(hdr)
        .mark_text(fontSize=FONT_SIZE, fontWeight="bold", align="center", baseline="middle", color=TEXT)
        .encode(x=X("cx"), y=Y("cy"), text="text:N"),
        alt.Chart(ph[["x", "x2", "y", "y2"]])
        .mark_rect(cornerRadius=6, fill="#BFD7EA", stroke="#4A7FA7", strokeWidth=1)
        .encode(x=X("x"), x2="x2:Q", y=Y("y"), y2="y2:Q")
        .properties(name="prisma_phases"),
        alt.Chart(ph[["cx", "cy", "text"]])
        .mark_text(
            angle=270, fontSize=FONT_SIZE, fontWeight="bold", align="center", baseline="middle", color=TEXT
        )
        .encode(x=X("cx"), y=Y("cy"), text="text:N"),
        alt.Chart(pd.DataFrame(rules))
        .mark_rule(color=TEXT, strokeWidth=1.2)
        .encode(x=X("x"), y=Y("y"), x2="x2:Q", y2="y2:Q")
        .properties(name="prisma_arrows"),
        alt.Chart(pd.DataFrame(heads))
        .mark_point(filled=True, size=45, color=TEXT, opacity=1)
        .encode(
            x=X("x"),
            y=Y("y"),
            shape=alt.Shape(
                "dir:N",
                scale=alt.Scale(
                    domain=["down", "right", "left"],
                    range=["triangle-down", "triangle-right", "triangle-left"],
                ),
                legend=None,
            ),
        )
        .properties(name="prisma_heads"),
        alt.Chart(pd.DataFrame(boxes))
        .mark_rect(fill="white", stroke=TEXT, strokeWidth=1)
        .encode(x=X("x"), x2="x2:Q", y=Y("y"), y2="y2:Q")
        .properties(name="prisma_boxes"),
        alt.Chart(pd.DataFrame(texts))
        .mark_text(lineBreak="\n", align="left", baseline="top", fontSize=fs, lineHeight=line_h, color=TEXT)
        .encode(x=X("x"), y=Y("y"), text="text:N")
        .properties(name="prisma_text"),
    ]
    chart = alt.layer(*layers).properties(width=W, height=H)
    if description is None:
        parts = [
            f"PRISMA 2020 flow diagram. Identification: {c.databases} records from databases, "
            f"{c.registers} from registers"
            + (f", {c.other_methods} from other methods" if (c.other_methods and not two) else "")
            + f"; removed before screening: {c.duplicates_removed} duplicates, "
            f"{c.automation_ineligible} marked ineligible by automation tools, {c.other_removed} "
            f"for other reasons.",
            f"Screening: {c.records_screened} records screened, {c.records_excluded} excluded; "
            f"{c.reports_sought} reports sought for retrieval, {c.reports_not_retrieved} not "
            f"retrieved; {c.reports_assessed} reports assessed for eligibility, "
            f"{sum(c.reports_excluded.values())} excluded"
            + (
                " (" + "; ".join(f"{r}: {k}" for r, k in c.reports_excluded.items()) + ")"
                if c.reports_excluded
                else ""
            )
            + ".",
        ]
        if two:
            parts.append(
                f"Other methods: {c.other_methods} records identified; {c.other_reports_sought} "
                f"reports sought, {c.other_reports_not_retrieved} not retrieved, "
                f"{c.other_reports_assessed} assessed, "
                f"{sum(c.other_reports_excluded.values())} excluded"
                + (
                    " (" + "; ".join(f"{r}: {k}" for r, k in c.other_reports_excluded.items()) + ")"
                    if c.other_reports_excluded
                    else ""
                )
                + "."
            )
        parts.append(f"Included: {c.studies_included} studies ({c.reports_included} reports).")
        description = " ".join(parts)
    return _finish(chart, title=title, subtitle=subtitle, description=description)


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


# --------------------------------------------------------------------------------------------
# 8. Risk of bias (robvis style) and the Murad et al. 2018 tool
# --------------------------------------------------------------------------------------------

#: Judgement → (colour, symbol), in robvis's "cochrane" colours and symbols (robvis draws "x"
#: for High; "!" is its symbol for Critical). Order is the legend/stacking order.
ROB_JUDGEMENTS: dict[str, tuple[str, str]] = {
    "Low": ("#02C100", "+"),
    "Some concerns": ("#E2DF07", "−"),
    "High": ("#BF0000", "×"),
    "Critical": ("#820000", "!"),
    "No information": ("#4EA1F7", "?"),
    "Not applicable": ("#CCCCCC", ""),
}

#: Domains of the tool for case reports and case series of Murad et al. (BMJ Evid Based Med
#: 2018;23:60–63), each with its leading questions (paraphrased, not quoted).
MURAD_DOMAINS: dict[str, tuple[str, ...]] = {
    "Selection": (
        "Do the reported patients plausibly represent all such patients seen by the "
        "investigators or centre, or is it unclear how they were picked, so that similar "
        "patients may have gone unreported?",
    ),
    "Ascertainment": (
        "Was the exposure (intervention) established reliably?",
        "Was the outcome established reliably?",
    ),
    "Causality": (
        "Were other plausible explanations for the outcome excluded?",
        "Did the effect disappear on withdrawal and reappear on re-exposure (challenge / rechallenge)?",
        "Was there a dose–response relation?",
        "Was follow-up long enough for the outcome to occur?",
    ),
    "Reporting": (
        "Are the cases described in enough detail for others to replicate the work or for "
        "clinicians to judge applicability to their own patients?",
    ),
}
#: One-line summaries of the Murad domains (for captions and legends).
MURAD_DOMAIN_SUMMARY: dict[str, str] = {
    "Selection": "representativeness of the reported patients",
    "Ascertainment": "reliable measurement of exposure and outcome",
    "Causality": "alternative causes, rechallenge, dose–response, adequate follow-up",
    "Reporting": "enough detail to replicate and apply",
}

_ROB_ALIASES = {k.lower(): k for k in ROB_JUDGEMENTS} | {
    "some concern": "Some concerns",
    "moderate": "Some concerns",
    "serious": "High",
    "no info": "No information",
    "ni": "No information",
    "na": "Not applicable",
    "n/a": "Not applicable",
}


def _rob_prepare(
    df: pd.DataFrame,
    func: str,
    study: str,
    domain: str,
    judgement: str,
    domains: Sequence[str] | None,
    weight: str | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    _require(df, {"study": study, "domain": domain, "judgement": judgement, "weight": weight}, func)
    d = df[[study, domain, judgement] + ([weight] if weight else [])].copy()
    d.columns = ["study", "domain", "judgement"] + (["weight"] if weight else [])
    for col in ("study", "domain"):
        d[col] = d[col].astype(str)
    norm = []
    for v in d["judgement"]:
        key = "" if is_missing(v) else " ".join(str(v).strip().lower().split())
        if key not in _ROB_ALIASES:
            raise ValueError(f"{func}: unknown judgement {v!r}; expected one of {list(ROB_JUDGEMENTS)}")
        norm.append(_ROB_ALIASES[key])
    d["judgement"] = norm
    dup = d.duplicated(["study", "domain"])
    if dup.any():
        first = d[dup].iloc[0]
        raise ValueError(
            f"{func}: more than one judgement for study {first['study']!r}, domain {first['domain']!r}"
        )
    present = _ordered_unique(d["domain"])
    if domains is None:
        murad = [m for m in MURAD_DOMAINS if m in present]
        rest = [p for p in present if p not in murad and p.lower() != "overall"]
        overall = [p for p in present if p.lower() == "overall"]
        domains = murad + rest + overall
    else:
        domains = list(domains)
        extra = set(present) - set(domains)
        if extra:
            raise ValueError(f"{func}: domains {sorted(extra)} not in the domains argument")
    return d, list(domains)


def _judgement_scale(present: Iterable[str]) -> tuple[list[str], list[str]]:
    present = set(present)
    dom = [j for j in ROB_JUDGEMENTS if j in present]
    return dom, [ROB_JUDGEMENTS[j][0] for j in dom]


def _judgement_label_expr() -> str:
    expr = "datum.label"
    for j, (_, sym) in reversed(list(ROB_JUDGEMENTS.items())):
        if sym:
            expr = f"datum.label == '{j}' ? '{sym}  {j}' : ({expr})"
    return expr


def risk_of_bias_traffic_light(
    df: pd.DataFrame,
    *,
    study: str = "study",
    domain: str = "domain",
    judgement: str = "judgement",
    domains: Sequence[str] | None = None,
    domain_notes: Mapping[str, str] | None = None,
    title: str = "Risk of bias: judgements per study",
    subtitle: str | None = None,
    description: str | None = None,
) -> alt.Chart | alt.LayerChart | alt.VConcatChart:
    """robvis-style traffic-light plot from long data: one row per (study, domain).

    ``df`` columns: ``study``, ``domain`` (domain name, e.g. the keys of ``MURAD_DOMAINS``;
    a domain called "Overall" goes last on a grey background), ``judgement`` (one of
    ``ROB_JUDGEMENTS``: Low, Some concerns, High, Critical, No information, Not applicable;
    case-insensitive). ``domain_notes`` (domain → text, e.g. ``MURAD_DOMAIN_SUMMARY``) adds a
    key below the plot.
    """
    func = "risk_of_bias_traffic_light"
    d, doms = _rob_prepare(df, func, study, domain, judgement, domains)
    studies = _ordered_unique(d["study"])
    d["symbol"] = d["judgement"].map({k: v[1] for k, v in ROB_JUDGEMENTS.items()})
    jdom, jrange = _judgement_scale(d["judgement"])
    x = alt.X(
        "domain:N",
        sort=doms,
        title=None,
        axis=alt.Axis(
            orient="top",
            labelAngle=0,
            domain=False,
            ticks=False,
            labelFontWeight="bold",
            labelPadding=8,
            labelLimit=120,
        ),
    )
    y = alt.Y("study:N", sort=studies, title=None, axis=alt.Axis(domain=False, ticks=False, labelPadding=8))
    cells = pd.DataFrame([(s, dm) for s in studies for dm in doms], columns=["study", "domain"])
    cells["overall"] = cells["domain"].str.lower() == "overall"
    base = alt.Chart(d[["study", "domain", "judgement", "symbol"]])
    tooltip = [
        alt.Tooltip("study:N", title="Study"),
        alt.Tooltip("domain:N", title="Domain"),
        alt.Tooltip("judgement:N", title="Judgement"),
    ]
    layers = [
        alt.Chart(cells)
        .mark_rect(stroke="#B0B0B0", strokeWidth=1)
        .encode(x=x, y=y, fill=alt.condition("datum.overall", alt.value("#E3E3E3"), alt.value("white"))),
        base.mark_circle(size=520, opacity=1, stroke="#333333", strokeWidth=0.8)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "judgement:N",
                title="Judgement",
                scale=alt.Scale(domain=jdom, range=jrange),
                legend=alt.Legend(
                    orient="right",
                    labelExpr=_judgement_label_expr(),
                    symbolStrokeColor="#333333",
                    symbolStrokeWidth=0.8,
                    symbolSize=200,
                ),
            ),
            tooltip=tooltip,
        )
        .properties(name="rob_lights"),
        base.mark_text(fontSize=16, fontWeight="bold", baseline="middle", dy=1)
        .encode(
            x=x,
            y=y,
            text="symbol:N",
            tooltip=tooltip,
            # white on the dark reds (High, Critical) for contrast; black elsewhere (robvis)
            color=alt.condition(
                alt.FieldOneOfPredicate(field="judgement", oneOf=["High", "Critical"]),
                alt.value("white"),
                alt.value("black"),
            ),
        )
        .properties(name="rob_symbols"),
    ]
    cell_w = 92 if max(len(s) for s in doms) > 8 else 70
    plot = alt.layer(*layers).properties(width=cell_w * len(doms), height=34 * len(studies))
    chart: Any = plot
    if domain_notes:
        notes = pd.DataFrame(
            {"i": range(len(domain_notes)), "text": [f"{k}: {v}" for k, v in domain_notes.items()]}
        )
        key = (
            alt.Chart(notes)
            .mark_text(align="left", baseline="middle", fontSize=SMALL_FONT, color=MUTED)
            .encode(y=alt.Y("i:O", axis=None), x=alt.value(0), text="text:N")
            .properties(width=cell_w * len(doms), height=16 * len(notes))
        )
        chart = alt.vconcat(plot, key, spacing=12)
    if description is None:
        counts = d.groupby("judgement").size()
        lookup = {(r.study, r.domain): r.judgement for r in d.itertuples()}
        per_study = [
            f"{s}: " + ", ".join(f"{dm} {lookup[(s, dm)]}" for dm in doms if (s, dm) in lookup) + "."
            for s in studies
        ]
        description = (
            f"Traffic-light plot of risk-of-bias judgements for "
            f"{_plural(len(studies), 'study', 'studies')} across {_plural(len(doms), 'domain')} "
            f"({', '.join(doms)}). Counts: "
            + ", ".join(f"{j} {int(counts[j])}" for j in jdom)
            + ". "
            + " ".join(per_study)
        )
    if subtitle is None:
        subtitle = (
            "Colour and symbol show the judgement: "
            + ", ".join(f"{ROB_JUDGEMENTS[j][1]} {j.lower()}" for j in jdom if ROB_JUDGEMENTS[j][1])
            + "."
        )
    return _finish(chart, title=title, subtitle=subtitle, description=description)


def risk_of_bias_summary(
    df: pd.DataFrame,
    *,
    study: str = "study",
    domain: str = "domain",
    judgement: str = "judgement",
    weight: str | None = None,
    domains: Sequence[str] | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    description: str | None = None,
) -> alt.LayerChart:
    """robvis-style summary: one horizontal 100% stacked bar per domain ("Overall" on top),
    the share of studies per judgement — unweighted, or weighted by ``weight`` (a per-study
    column such as participants; it must be the same on all rows of a study).

    ``df`` columns as in :func:`risk_of_bias_traffic_light`, plus ``weight`` if given.
    """
    func = "risk_of_bias_summary"
    d, doms = _rob_prepare(df, func, study, domain, judgement, domains, weight)
    if weight:
        _numeric(d, ["weight"], func, {"weight": weight})
        if d["weight"].isna().any() or (d["weight"] < 0).any():
            raise ValueError(f"{func}: column {weight!r} must be non-negative and not missing")
        if (d.groupby("study")["weight"].nunique() > 1).any():
            raise ValueError(f"{func}: column {weight!r} must be constant within each study")
    else:
        d["weight"] = 1.0
    agg = d.groupby(["domain", "judgement"], sort=False)["weight"].sum().reset_index()
    agg["share"] = agg["weight"] / agg.groupby("domain")["weight"].transform("sum")
    agg["order"] = agg["judgement"].map({j: i for i, j in enumerate(ROB_JUDGEMENTS)})
    agg["text"] = [fmt_pct(v, 0) for v in agg["share"]]
    n_studies = d.groupby("domain")["study"].nunique()
    agg = agg[["domain", "judgement", "share", "order", "text"]]
    jdom, jrange = _judgement_scale(agg["judgement"])
    y_order = [x for x in doms if x.lower() == "overall"] + [x for x in doms if x.lower() != "overall"]
    y = alt.Y(
        "domain:N",
        sort=y_order,
        title=None,
        axis=alt.Axis(ticks=False, domain=False, labelPadding=8, labelFontWeight="bold"),
    )
    base = alt.Chart(agg)
    bars = (
        base.mark_bar(stroke="black", strokeWidth=0.8, height={"band": 0.7})
        .encode(
            x=alt.X(
                "share:Q",
                stack="zero",
                title=None,
                scale=alt.Scale(domain=[0, 1], nice=False),
                axis=alt.Axis(format=".0%", values=[0, 0.25, 0.5, 0.75, 1], grid=False),
            ),
            y=y,
            color=alt.Color(
                "judgement:N",
                title=None,
                scale=alt.Scale(domain=jdom, range=jrange),
                legend=alt.Legend(
                    orient="bottom",
                    direction="horizontal",
                    labelExpr=_judgement_label_expr(),
                    symbolStrokeColor="black",
                    symbolStrokeWidth=0.8,
                ),
            ),
            order=alt.Order("order:Q", sort="ascending"),
            tooltip=[
                alt.Tooltip("domain:N", title="Domain"),
                alt.Tooltip("judgement:N", title="Judgement"),
                alt.Tooltip("text:N", title="Share"),
            ],
        )
        .properties(name="rob_summary_bars")
    )
    chart = alt.layer(bars).properties(width=520, height=max(120, 34 * len(doms)))
    kind = f"weighted by {weight}" if weight else "unweighted"
    if title is None:
        title = "Risk of bias: summary across studies"
    if description is None:
        parts = [
            f"Stacked 100% bar chart of risk-of-bias judgements ({kind}) for "
            f"{_plural(int(n_studies.max()), 'study', 'studies')} across "
            f"{_plural(len(doms), 'domain')}."
        ]
        for dm in y_order:
            sub = agg[agg["domain"] == dm].sort_values("order")
            cells = zip(sub["judgement"], sub["text"], strict=True)
            parts.append(f"{dm}: " + ", ".join(f"{j} {t}" for j, t in cells) + ".")
        description = " ".join(parts)
    if subtitle is None:
        subtitle = f"Share of studies per judgement ({kind})."
    return _finish(chart, title=title, subtitle=subtitle, description=description)
