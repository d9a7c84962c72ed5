"""The offline chart renderer: a chart becomes an inert JSON spec in a labelled container, with
no script that runs and no URL to fetch."""

from __future__ import annotations

import json
import re

import altair as alt
import pandas as pd

from livingreview.present import prerender, render


def _chart(title: str = "T", description: str = "A chart of x") -> alt.Chart:
    data = pd.DataFrame({"x": ["a", "b"], "y": [1, 2]})
    return alt.Chart(data, title=title, description=description).mark_bar().encode(x="x", y="y")


def test_chart_html_holds_the_spec_as_inert_json() -> None:
    html = render.chart_html(_chart().to_dict())
    m = re.search(r'<script type="application/json" class="lr-vega-spec">(.*?)</script>', html, re.S)
    assert m, html
    spec = json.loads(m.group(1))
    assert spec["$schema"].endswith(f"v{alt.SCHEMA_VERSION.lstrip('v')}.json")
    assert spec["description"] == "A chart of x"
    assert 'role="figure"' in html and 'aria-label="A chart of x"' in html
    # The only URLs in the output are identifiers nothing fetches: the spec's own $schema and the
    # SVG drawing's XML namespaces.
    no_namespaces = re.sub(r'\sxmlns(?::\w+)?="[^"]*"', "", html)
    assert re.findall(r"https?://", no_namespaces) == ["https://"]


def test_script_end_tag_in_data_cannot_break_out() -> None:
    data = pd.DataFrame({"x": ["</script><script>alert(1)</script>"], "y": [1]})
    spec = alt.Chart(data).mark_bar().encode(x="x", y="y").to_dict()
    html = render.chart_html(spec)
    assert html.count("</script>") == 1  # only the spec element's own end tag
    m = re.search(r'class="lr-vega-spec">(.*?)</script>', html, re.S)
    assert m and "alert(1)" in json.loads(m.group(1))["datasets"].__repr__()


def test_label_is_escaped() -> None:
    html = render.chart_html(_chart(description='Risk "high" <b>').to_dict())
    assert 'aria-label="Risk &quot;high&quot; &lt;b&gt;"' in html


def test_renderer_is_enabled_for_display() -> None:
    render.enable()
    bundle = _chart()._repr_mimebundle_()
    mimes = bundle[0] if isinstance(bundle, tuple) else bundle
    assert 'class="lr-vega"' in mimes["text/html"]
    assert "cdn" not in mimes["text/html"].lower()


def test_bundle_version_matches_altair() -> None:
    assert render.VEGA_LITE_VERSION == ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


def test_chart_is_drawn_in_the_html_as_a_labelled_svg() -> None:
    """The drawing is in the page before any script runs: one image named by the description."""
    html = render.chart_html(_chart(description="Bars for a and b").to_dict())
    target = re.search(r'<div class="lr-vega-target">(<svg\b[^>]*>)(.*?)</div>', html, re.S)
    assert target, html[:500]
    opening, inner = target.groups()
    assert 'role="img"' in opening and 'aria-label="Bars for a and b"' in opening
    assert inner.startswith("<title>Bars for a and b</title>")
    assert "<path" in inner or "<rect" in inner  # the bars are drawn
    assert prerender.chart_drawing_problems(html) == []


def test_two_drawings_on_a_page_share_no_id() -> None:
    a = render.chart_html(_chart().to_dict())
    b = render.chart_html(_chart().to_dict())
    ids_a, ids_b = set(re.findall(r'\sid="([^"]+)"', a)), set(re.findall(r'\sid="([^"]+)"', b))
    assert ids_a and not ids_a & ids_b
    # Every local reference points at an id of its own drawing.
    for html, ids in ((a, ids_a), (b, ids_b)):
        assert set(re.findall(r"url\(#([^)]+)\)", html)) <= ids


def test_drawing_problems_are_found() -> None:
    html = render.chart_html(_chart(description="Bars").to_dict())
    unlabelled = re.sub(r'<svg\b([^>]*) role="img" aria-label="[^"]*"', r"<svg\1", html, count=1)
    assert prerender.chart_drawing_problems(unlabelled) == [
        "chart 1: its drawing is not a labelled image (role=img, aria-label)"
    ]
    undrawn = re.sub(
        r'<div class="lr-vega-target">.*?</div><script',
        '<div class="lr-vega-target"></div><script',
        html,
        flags=re.S,
    )
    assert prerender.chart_drawing_problems(undrawn) == ["chart 1: no SVG drawing in the page"]
    untitled = re.sub(r"<title>[^<]*</title>", "", html, count=1)
    assert prerender.chart_drawing_problems(untitled) == ["chart 1: its drawing has no <title>"]


def test_a_long_description_keeps_its_title() -> None:
    """A description of thousands of characters (the infant chapter's runs to about 2,000) sits
    in the opening tag; the title after it is still found."""
    long = "A chart of x for a and b, described at length. " * 60
    html = render.chart_html(_chart(description=long).to_dict())
    assert len(re.search(r"<svg\b[^>]*>", html).group(0)) > 2000  # type: ignore[union-attr]
    assert prerender.chart_drawing_problems(html) == []
