"""The offline chart renderer: a chart becomes an inert JSON spec in a labelled container, with
no script that runs and no URL to fetch."""

from __future__ import annotations

import json
import re

import altair as alt
import pandas as pd

from livingreview.present import render


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
    # The only URL in the output is the spec's own $schema identifier, which nothing fetches.
    assert re.findall(r"https?://", html) == ["https://"]


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
