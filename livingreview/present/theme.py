"""The house style of every chart, as a registered Altair theme ("livingreview").

Chart builders return unconfigured charts; Altair applies the enabled theme's configuration when
a chart is turned into a spec, so charts can be concatenated (``alt.hconcat``), which charts
carrying their own ``configure_*`` cannot. The configuration below is, key for key, what the
builders used to set themselves (plus Altair's default view size), so specs are unchanged.
"""

from __future__ import annotations

from typing import Any

import altair as alt

THEME_NAME = "livingreview"

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
#: Categorical order used for colour scales (yellow late: it has little contrast on white).
CATEGORICAL: list[str] = [
    OKABE_ITO[k]
    for k in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple", "sky_blue", "black", "yellow")
]
#: Sequential (ordinal) palette for grades: ColorBrewer YlOrBr, readable with colour-vision
#: deficiency because it varies in lightness.
SEQUENTIAL = ["#FEE391", "#FEC44F", "#FE9929", "#D95F0E", "#993404", "#662506"]

TEXT = "#222222"
MUTED = "#595959"  # 7:1 contrast on white
GRID = "#DDDDDD"
FONT_SIZE = 12  # body text; nothing below 11
SMALL_FONT = 11
TITLE_FONT = 16
WIDTH = 700  # target overall width in px


def config() -> dict[str, Any]:
    """The theme's configuration (the key order is the one Altair wrote before: same specs)."""
    return {
        "view": {"continuousWidth": 300, "continuousHeight": 300, "stroke": None},
        "axis": {
            "domainColor": "#888888",
            "gridColor": GRID,
            "labelColor": TEXT,
            "labelFontSize": FONT_SIZE,
            "labelLimit": 260,
            "tickColor": "#888888",
            "titleColor": TEXT,
            "titleFontSize": FONT_SIZE,
            "titleFontWeight": "bold",
        },
        "background": "white",
        "font": "sans-serif",
        "header": {"labelFontSize": FONT_SIZE, "titleFontSize": FONT_SIZE},
        "legend": {
            "labelColor": TEXT,
            "labelFontSize": FONT_SIZE,
            "labelLimit": 260,
            "titleColor": TEXT,
            "titleFontSize": FONT_SIZE,
            "titleLimit": 300,
        },
        "padding": 8,
        "text": {"color": TEXT, "fontSize": FONT_SIZE},
        "title": {"fontSize": TITLE_FONT, "subtitleFontSize": FONT_SIZE},
    }


def _theme() -> alt.theme.ThemeConfig:
    return alt.theme.ThemeConfig({"config": config()})  # type: ignore[typeddict-item]


def enable() -> None:
    """Register the theme (once) and make it the active one."""
    if THEME_NAME not in alt.theme.names():
        alt.theme.register(THEME_NAME, enable=False)(_theme)
    alt.theme.enable(THEME_NAME)
