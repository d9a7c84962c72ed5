"""The icon subset that replaces the theme's icon script: icons read from the theme's own Font
Awesome script, a rule for each icon a page names, and admonition glyphs drawn without the
webfont."""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

import pydata_sphinx_theme

from livingreview.build import icons

THEME = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
SCRIPT = (THEME / "scripts" / "fontawesome.js").read_text(encoding="utf-8")


def test_solid_icons_are_read_from_the_theme_script() -> None:
    solid = icons.solid_icons(SCRIPT)
    assert len(solid) > 1000
    w, h, path = solid["magnifying-glass"]
    assert (w, h) == (512, 512) and path.startswith("M")
    # The webfont code point of the same icon (what the theme's CSS puts in `content`).
    assert icons.solid_icons(SCRIPT, key="unicode")["f002"] == solid["magnifying-glass"]


def test_used_icons_skips_modifiers() -> None:
    html = '<i class="fa-solid fa-sun fa-lg"></i><span class="fas fa-file-pdf fa-fw"></span>'
    assert icons.used_icons([html]) == {"sun", "file-pdf"}


def test_css_has_a_mask_for_each_icon_named() -> None:
    css = icons.icons_css(icons.solid_icons(SCRIPT), ["bars", "moon", "no-such-icon"])
    rules = dict(re.findall(r'\.fa-([a-z-]+) \{ --lr-icon: url\("([^"]+)"\)', css))
    assert set(rules) == {"bars", "moon"}
    svg = urllib.parse.unquote(rules["moon"].removeprefix("data:image/svg+xml,"))
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 384 512"><path d="M')
    assert "content: none" in css  # the webfont glyph is not drawn (so not fetched)


def test_admonition_glyphs_become_masks() -> None:
    theme_css = (THEME / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf-8")
    css = icons.admonition_css(theme_css, icons.solid_icons(SCRIPT, key="unicode"), {"warning", "note"})
    assert 'content: "" !important; font-family: inherit !important' in css
    kinds = re.findall(r"^\.admonition\.([a-z-]+) >", css, re.M)
    assert sorted(kinds) == ["note", "warning"]
