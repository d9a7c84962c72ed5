"""What every chart shares: the palette and sizes (the registered theme, :mod:`livingreview.present.theme`,
applies them), column checks with clear errors, titles and descriptions, label helpers."""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from livingreview.core.text import plural as _plural  # noqa: F401 (shared by the charts)
from livingreview.present.tables import is_missing
from livingreview.present.theme import (  # noqa: F401 (shared by the charts)
    CATEGORICAL,
    FONT_SIZE,
    GRID,
    MUTED,
    OKABE_ITO,
    SEQUENTIAL,
    SMALL_FONT,
    TEXT,
    TITLE_FONT,
    WIDTH,
)


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
    """Title and description (Vega-Lite's ``description``: the text screen readers are given); the
    style is the theme's. Nothing top-level-only (``usermeta``, ``config``), so charts compose."""
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
    )
    return chart


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
