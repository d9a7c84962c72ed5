"""Altair 6 chart builders, one module per chart.

Every builder takes tidy pandas DataFrames with documented column names (each name is a
keyword argument, so the caller's own column names can be used) or the engine's own results
(``forest(meta_result)``, ``kaplan_meier(fit)``), checks that those columns exist
(``ValueError`` naming the missing one), aggregates in pandas, and embeds only the rows and
columns that the chart draws. The result is an unconfigured ``alt.Chart``/``LayerChart``/concat
chart with a title and a text description for screen readers (Vega-Lite ``description``); the
house style (Okabe–Ito palette, fonts of at least 11 px)
is the registered Altair theme of :mod:`livingreview.present.theme`, so charts compose
(``alt.hconcat(forest(...), forest(...))``).

Nothing here knows about any disease: labels, thresholds and units come from the caller.
No data or script URL is set anywhere; data are inlined. A new chart is a new module here.
"""

from livingreview.present import theme
from livingreview.present.charts.adverse_events import adverse_events
from livingreview.present.charts.before_after import before_after
from livingreview.present.charts.common import CATEGORICAL, OKABE_ITO
from livingreview.present.charts.evidence_map import evidence_map
from livingreview.present.charts.forest import forest
from livingreview.present.charts.kaplan_meier import kaplan_meier
from livingreview.present.charts.prisma_flow import prisma_flow
from livingreview.present.charts.timeline import timeline

theme.enable()

__all__ = [
    "CATEGORICAL",
    "OKABE_ITO",
    "adverse_events",
    "before_after",
    "evidence_map",
    "forest",
    "kaplan_meier",
    "prisma_flow",
    "timeline",
]
