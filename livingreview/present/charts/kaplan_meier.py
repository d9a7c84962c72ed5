"""Kaplan–Meier curves with numbers at risk, from a fitted curve (``stats.survival``) or frames."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from livingreview.present.charts.common import (
    FONT_SIZE,
    _colour_scale,
    _finish,
    _numeric,
    _ordered_unique,
    _panel_title,
    _pretty,
    _require,
)
from livingreview.present.tables import fmt_num, fmt_pct
from livingreview.stats.survival import KaplanMeier

# --------------------------------------------------------------------------------------------
# 2. Kaplan–Meier
# --------------------------------------------------------------------------------------------


def _nice_times(last: float, ticks: int = 5) -> list[float]:
    """0 and round steps up to ``last`` (1, 2 or 5 times a power of ten)."""
    if last <= 0:
        return [0.0]
    raw = last / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [round(i * step, 12) for i in range(int(last // step) + 1)]


def _from_fits(
    fits: KaplanMeier | Mapping[str, KaplanMeier], times: Sequence[float] | None
) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
    """The chart's two frames from fitted curves (one, or one per stratum)."""
    named = {"": fits} if isinstance(fits, KaplanMeier) else dict(fits)
    grid = list(times) if times is not None else _nice_times(max(max(f.time) for f in named.values()))
    curves, risks = [], []
    for name, fit in named.items():
        curves.append(fit.frame().assign(strata=name))
        risks.append(fit.at_risk_frame(grid).assign(strata=name))
    strata = None if isinstance(fits, KaplanMeier) else "strata"
    return pd.concat(curves, ignore_index=True), pd.concat(risks, ignore_index=True), strata


def kaplan_meier(
    curve_df: pd.DataFrame | KaplanMeier | Mapping[str, KaplanMeier],
    at_risk_df: pd.DataFrame | None = None,
    *,
    times: Sequence[float] | None = None,
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

    Give a fit of :func:`livingreview.stats.survival.kaplan_meier` (or ``{stratum: fit}``) and the
    frames come from it (``fit.frame()``, ``fit.at_risk_frame(times)``; ``times``: where the
    numbers at risk are printed, by default 0 and about five round steps); or give the frames:

    ``curve_df``: one row per time at which the estimate changes or a patient is censored —
    ``time``, ``survival`` (proportion 0–1), optional ``lower``/``upper`` (CI, 0–1), optional
    ``censored`` (number censored at that time; > 0 draws a tick), optional ``strata``.
    A row at time 0 with survival 1 is added per stratum if missing.
    ``at_risk_df``: ``time``, ``n_at_risk``, optional ``strata``; its times also become the x
    axis ticks, so the numbers sit under the ticks.
    """
    func = "kaplan_meier"
    if not isinstance(curve_df, pd.DataFrame):
        curve_df, at_risk_df, strata = _from_fits(curve_df, times)
    if at_risk_df is None:
        raise ValueError(f"{func}: give at_risk_df with a curve frame (or give the fitted curve)")
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
