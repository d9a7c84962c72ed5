"""Timeline: one bar per item from a start date to an end date (a Gantt chart without
dependencies), coloured by a category, with paler bars where the end date is less certain."""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import pandas as pd

from livingreview.present.charts.common import _require


def timeline(
    df: pd.DataFrame,
    *,
    label: str,
    start: str,
    end: str,
    colour: str,
    colour_title: str,
    certainty: str,
    certainty_title: str,
    certainty_opacity: Mapping[str, float],
    tooltip: Mapping[str, str],
    title: str,
    description: str,
    axis_title: str = "Start to completion",
) -> alt.Chart:
    """Bars from ``start`` to ``end`` (ISO dates), one per row labelled by ``label`` and ordered
    by start; colour from ``colour``; opacity from ``certainty`` (a category per row, each mapped
    to an opacity by ``certainty_opacity``, in legend order); ``tooltip``: column -> title."""
    named = {"label": label, "start": start, "end": end, "colour": colour, "certainty": certainty}
    _require(df, {**named, **{f"tooltip[{c!r}]": c for c in tooltip}}, "timeline")
    base = alt.Chart(df).encode(
        y=alt.Y(f"{label}:N", title=None, sort=alt.EncodingSortField(start), axis=alt.Axis(labelLimit=400)),
        x=alt.X(f"{start}:T", title=axis_title),
        x2=f"{end}:T",
        color=alt.Color(f"{colour}:N", title=colour_title, scale=alt.Scale(scheme="tableau10")),
        opacity=alt.Opacity(
            f"{certainty}:N",
            title=certainty_title,
            scale=alt.Scale(domain=list(certainty_opacity), range=list(certainty_opacity.values())),
        ),
        tooltip=[alt.Tooltip(f"{column}:N", title=heading) for column, heading in tooltip.items()],
    )
    bars = base.mark_bar(height=18, stroke="#333333", strokeWidth=1)
    return bars.properties(
        width=560,
        height=alt.Step(34),
        title=alt.TitleParams(title, anchor="start"),
        description=description,
        usermeta={"description": description},
    )
