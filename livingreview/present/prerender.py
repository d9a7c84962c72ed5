"""Charts drawn at build time: each Vega-Lite spec rendered to SVG by vl-convert (the renderer
the build already has), to sit in the page's HTML.

So the chart is there at first paint, in print, for a reader without scripts and for a screen
reader before any script runs; the interactive Vega view takes its place later (see
``livingreview/build/assets/charts.js``). The drawing is one image to assistive technology
(``role="img"``), named by the chart's text description, with the same text as its ``<title>``.
"""

from __future__ import annotations

import html
import re
from typing import Any

# Ids inside a drawing (clip paths, gradients) are numbered per drawing by Vega, so two charts on
# one page would share them: each drawing's ids get a prefix of its own.
_ID = re.compile(r'\bid="([^"]+)"')
_SVG_OPEN = re.compile(r"<svg\b[^>]*>")


def _scope_ids(svg: str, prefix: str) -> str:
    for name in sorted(set(_ID.findall(svg)), key=len, reverse=True):
        new = f"{prefix}{name}"
        svg = svg.replace(f'id="{name}"', f'id="{new}"')
        svg = svg.replace(f"url(#{name})", f"url(#{new})")
        svg = svg.replace(f'href="#{name}"', f'href="#{new}"')
    return svg


def svg_of(spec: dict[str, Any], label: str, id_prefix: str, vl_version: str) -> str:
    """The chart as inline SVG: one labelled image that scales down to the column's width.
    ``vl_version``: the Vega-Lite version the spec was written for (the renderer knows it)."""
    import vl_convert

    svg = vl_convert.vegalite_to_svg(spec, vl_version=vl_version)
    svg = _scope_ids(svg, id_prefix)
    # The parts (marks, axes, legends) are drawn, not announced one by one: the description says
    # what they show.
    svg = re.sub(r'\s(?:role|aria-roledescription|aria-label|aria-hidden)="[^"]*"', "", svg)
    m = _SVG_OPEN.search(svg)
    if m is None:
        raise ValueError("vl-convert returned no <svg> element")
    label_attr = html.escape(label, quote=True)
    opening = m.group(0)[:-1].rstrip("/") + f' role="img" aria-label="{label_attr}" focusable="false">'
    title = f"<title>{html.escape(label, quote=False)}</title>"
    return svg[: m.start()] + opening + title + svg[m.end() :]


_CHART = re.compile(
    r'<div class="lr-vega"[^>]*>\s*<div class="lr-vega-target">(?P<drawing>.*?)</div>\s*<script', re.S
)


def chart_drawing_problems(page_html: str) -> list[str]:
    """What is wrong with the build-time drawings of a built page's charts: each chart must carry
    an SVG that is one labelled image (role="img", a non-empty aria-label and <title>)."""
    problems = []
    charts = page_html.count('<div class="lr-vega"')
    found = list(_CHART.finditer(page_html))
    if len(found) != charts:
        problems.append(f"{charts - len(found)} chart(s) without a build-time drawing")
    for i, m in enumerate(found, 1):
        opening = _SVG_OPEN.search(m.group("drawing"))
        if opening is None:
            problems.append(f"chart {i}: no SVG drawing in the page")
            continue
        tag = opening.group(0)
        label = re.search(r'aria-label="([^"]*)"', tag)
        if 'role="img"' not in tag or not label or not label.group(1).strip():
            problems.append(f"chart {i}: its drawing is not a labelled image (role=img, aria-label)")
        # The title comes right after the opening tag (svg_of puts it there), however long the
        # description in that tag's aria-label.
        if not m.group("drawing")[opening.end() :].startswith("<title>"):
            problems.append(f"chart {i}: its drawing has no <title>")
    return problems
