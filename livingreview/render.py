"""How an Altair chart becomes page output: an inert JSON spec in a marked container.

The Vega JavaScript is served once per page from the site's own static files
(:mod:`livingreview.sphinx`), so a chart output carries no script that runs and no URL.
"""

from __future__ import annotations

import html
import itertools
import json
from typing import Any

import altair as alt

CHART_CLASS = "lr-vega"
# The Vega-Lite version Altair writes specs for; the served bundle is built for the same one.
VEGA_LITE_VERSION = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
RENDERER_NAME = "livingreview"

_ids = itertools.count(1)


def _description(spec: dict[str, Any]) -> str:
    desc = spec.get("description") or ""
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    return str(desc or title or "Chart")


def chart_html(spec: dict[str, Any]) -> str:
    """The HTML for one chart: a labelled figure holding its spec as inert JSON."""
    # "</" would end the script element early; JSON allows the escaped form.
    payload = json.dumps(spec, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
    label = html.escape(_description(spec), quote=True)
    n = next(_ids)
    return (
        f'<div class="{CHART_CLASS}" role="figure" aria-label="{label}" id="lr-chart-{n}">'
        f'<div class="{CHART_CLASS}-target"></div>'
        f'<script type="application/json" class="{CHART_CLASS}-spec">{payload}</script>'
        f"<noscript>{label} (this chart needs JavaScript).</noscript>"
        "</div>"
    )


def renderer(spec: dict[str, Any], **_: Any) -> dict[str, str]:
    """Altair renderer: HTML for the page, and the description as the plain-text fallback."""
    return {"text/html": chart_html(spec), "text/plain": _description(spec)}


def enable() -> None:
    """Make every Altair chart displayed in this process use the offline renderer."""
    alt.renderers.register(RENDERER_NAME, renderer)
    alt.renderers.enable(RENDERER_NAME)
