"""How an Altair chart becomes page output: an inert JSON spec in a marked container.

The Vega JavaScript is served once per page from the site's own static files
(:mod:`livingreview.build.sphinx`), so a chart output carries no script that runs and no URL.
"""

from __future__ import annotations

import html
import importlib.util
import itertools
import json
import sys
from typing import Any

# Altair is not imported here: importing it takes about half a second, which the build process
# (that needs only the names below) and pages without charts need not pay.

CHART_CLASS = "lr-vega"
RENDERER_NAME = "livingreview"


def vega_lite_version() -> str:
    """The Vega-Lite version Altair writes specs for; the served bundle is built for the same one."""
    import altair as alt

    return ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


def __getattr__(name: str) -> Any:
    if name == "VEGA_LITE_VERSION":  # computed on first use: it imports Altair
        return vega_lite_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    usermeta = spec.get("usermeta")
    if isinstance(usermeta, dict) and usermeta.get("description", None) == spec.get("description", 0):
        # A chart that copies its description into usermeta (which Vega ignores): the spec
        # keeps it once (Vega labels the drawing with it), as does the figure's label below.
        rest = {k: v for k, v in usermeta.items() if k != "description"}
        spec = {k: v for k, v in spec.items() if k != "usermeta"} | ({"usermeta": rest} if rest else {})
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


def _enable_in(alt: Any) -> None:
    alt.renderers.register(RENDERER_NAME, renderer)
    alt.renderers.enable(RENDERER_NAME)


def enable() -> None:
    """Make every Altair chart displayed in this process use the offline renderer: now if Altair
    is already imported, else the moment it is (so a page that draws no chart never imports it)."""
    alt = sys.modules.get("altair")
    if alt is not None and hasattr(alt, "renderers"):
        _enable_in(alt)
    elif not any(isinstance(f, _EnableOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _EnableOnImport())


class _EnableOnImport:
    """A one-shot import hook: when ``altair`` is imported, run its module as usual, then turn on
    the offline renderer before any chart can be displayed."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "altair":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        exec_module = loader.exec_module

        def exec_then_enable(module: Any) -> None:
            exec_module(module)
            _enable_in(module)

        loader.exec_module = exec_then_enable
        return spec
