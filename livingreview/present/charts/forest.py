"""Forest plot: one row per study, from a frame of study rows or a meta-analysis result."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd

from livingreview.present.charts.common import (
    FONT_SIZE,
    GRID,
    MUTED,
    OKABE_ITO,
    TEXT,
    _colour_scale,
    _finish,
    _log_ticks,
    _numeric,
    _ordered_unique,
    _panel_title,
    _plural,
    _require,
)
from livingreview.present.tables import fmt_ci, fmt_estimate, fmt_num
from livingreview.stats.meta import MetaResult, ProportionMetaResult

# --------------------------------------------------------------------------------------------
# 1. Forest plot
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pooled:
    """A pooled estimate on the plot's scale: a diamond spanning its confidence interval, with an
    optional prediction interval drawn as a thin line on its own row."""

    estimate: float
    lower: float
    upper: float
    label: str
    pi_lower: float | None = None
    pi_upper: float | None = None
    pi_label: str = "Prediction interval"
    n: int | None = None

    @property
    def has_pi(self) -> bool:
        return self.pi_lower is not None and self.pi_upper is not None


Result = MetaResult | ProportionMetaResult


def _pooled(result: Result, scale: float, transform: Callable[[float], float] | None, label: str) -> _Pooled:
    """The pooled row of a meta-analysis result, on the plot's scale: a proportion's back-transformed
    estimate times ``scale`` (100 for percent); an ``rma`` estimate through ``transform`` (e.g.
    ``math.exp`` for log ratios), then times ``scale``."""
    if isinstance(result, ProportionMetaResult):
        values = [result.proportion, result.ci_lower, result.ci_upper, result.pi_lower, result.pi_upper]
        n = sum(s.total for s in result.studies)
    else:
        f = transform or (lambda v: v)
        values = [f(result.estimate), f(result.ci_lower), f(result.ci_upper)]
        values += [f(result.pi_lower), f(result.pi_upper)] if result.tau2 > 0 else [None, None]
        n = None
    est, lo, hi, pi_lo, pi_hi = (None if v is None else v * scale for v in values)
    return _Pooled(est, lo, hi, label, pi_lo, pi_hi, n=n)


def _study_rows(result: ProportionMetaResult, labels: Sequence[str], scale: float) -> pd.DataFrame:
    if len(labels) != result.k:
        raise ValueError(f"forest: {len(labels)} labels for {result.k} studies")
    return pd.DataFrame(
        {
            "label": list(labels),
            "estimate": [s.proportion * scale for s in result.studies],
            "ci_lower": [s.ci_lower * scale for s in result.studies],
            "ci_upper": [s.ci_upper * scale for s in result.studies],
            "n": [s.total for s in result.studies],
        }
    )


def forest(
    data: pd.DataFrame | ProportionMetaResult,
    *,
    labels: Sequence[str] | None = None,
    scale: float = 100.0,
    transform: Callable[[float], float] | None = None,
    pooled_label: str = "Pooled estimate",
    label: str = "label",
    estimate: str = "estimate",
    lower: str = "ci_lower",
    upper: str = "ci_upper",
    n: str | None = "n",
    group: str | None = None,
    pooled: Result | None = None,
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
    """Forest plot: one row per study, in order (grouped by ``group`` if given).

    ``data`` is a frame of study rows, or a proportion meta-analysis
    (:func:`livingreview.stats.meta.meta_proportions`): then its studies are the rows (``labels``,
    one per study; proportions times ``scale``, 100 for percent) and its pooled estimate the
    diamond, as metafor's ``forest(res)`` draws it.

    Columns of a frame: ``label`` (text), ``estimate``, ``lower``, ``upper`` (numbers on the x
    scale, e.g. percent, or ratios with ``log_x=True``), ``n`` (participants; marker area is
    proportional to it and it is printed; ``n=None`` to omit), ``group`` (optional category:
    header rows and colour). Rows without an estimate are listed as "NR"; a missing interval
    draws the point only.

    ``pooled`` (a :func:`~livingreview.stats.meta.rma` or ``meta_proportions`` result) adds a
    diamond whose left/right corners are the CI bounds (an honest polygon, not a symbol), labelled
    ``pooled_label``, and its prediction interval as a thin line on the next row; an ``rma``
    estimate is drawn through ``transform`` (e.g. ``math.exp`` for log ratios). ``ref_line`` draws a
    dashed vertical line (e.g. 1 for ratios). Returns an hconcat of four aligned panels: labels,
    plot, "estimate [CI]" text, n text.
    """
    func = "forest"
    if isinstance(data, ProportionMetaResult):
        if labels is None:
            raise ValueError("forest: give labels=, one per study of the meta-analysis")
        df = _study_rows(data, labels, scale)
        label, estimate, lower, upper = "label", "estimate", "ci_lower", "ci_upper"
        n = "n" if n else None
        pooled = data if pooled is None else pooled
    else:
        df = data
    pooled = (
        _pooled(pooled, scale if isinstance(pooled, ProportionMetaResult) else 1.0, transform, pooled_label)
        if pooled is not None
        else None
    )
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
