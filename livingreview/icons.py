"""The few icons the pages use, as a small stylesheet, instead of the theme's 1.5 MB icon script.

The theme (pydata-sphinx-theme) draws its icons with Font Awesome's JavaScript, which carries
every icon of the free set. Here the icons named in the built pages and in the theme's own
scripts (``fa-solid fa-<name>``) are taken from that same script (the version the theme ships)
and written as CSS masks: each ``<i class="fa-solid fa-name">`` is painted in the text colour
with the icon's own outline. The theme's webfont is not used either (``::before`` is emptied),
so no font is fetched for icons.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable
from pathlib import Path

# One icon in the script: name: [width, height, [aliases], "unicode", "path"]
_ICON = re.compile(
    r'(?:"(?P<q>[a-z0-9-]+)"|(?P<n>[a-z][a-z0-9]*)):\[(?P<w>\d+),(?P<h>\d+),\[[^\]]*\],"[0-9a-f]+","(?P<d>[^"]+)"\]'
)
# Each style's icons are registered after their definitions: d("fas", icons).
_PACK_END = re.compile(r'd\("(?P<prefix>fa[a-z]*)",\w+\)')
_USED = re.compile(r"\bfa-(?!solid\b|lg\b|xs\b|sm\b|\dx\b|fw\b)([a-z0-9]+(?:-[a-z0-9]+)*)")
SOLID = "fas"


def solid_icons(fontawesome_js: str) -> dict[str, tuple[int, int, str]]:
    """Every solid icon in Font Awesome's script: name -> (width, height, SVG path)."""
    start = 0
    for m in _PACK_END.finditer(fontawesome_js):
        if m.group("prefix") == SOLID:
            segment = fontawesome_js[start : m.start()]
            return {
                (i.group("q") or i.group("n")): (int(i.group("w")), int(i.group("h")), i.group("d"))
                for i in _ICON.finditer(segment)
            }
        start = m.end()
    raise ValueError("no solid icon set found in the theme's Font Awesome script")


def used_icons(texts: Iterable[str]) -> set[str]:
    """Names of the ``fa-<name>`` classes in pages and scripts (modifiers like fa-lg excluded)."""
    return {m.group(1) for text in texts for m in _USED.finditer(text)}


def icons_css(icons: dict[str, tuple[int, int, str]], names: Iterable[str]) -> str:
    rules = [
        "/* Made by livingreview.icons from the theme's Font Awesome Free (CC BY 4.0 icons). */",
        ".fa-solid::before, .fas::before { content: none !important; }",
        ".fa-solid, .fas { display: inline-block; height: 1em; width: 1em; vertical-align: -0.125em;"
        " background-color: currentColor; -webkit-mask: var(--lr-icon) center / contain no-repeat;"
        " mask: var(--lr-icon) center / contain no-repeat; }",
    ]
    for name in sorted(n for n in names if n in icons):
        w, h, d = icons[name]
        svg = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}"><path d="{d}"/></svg>'
        url = "data:image/svg+xml," + urllib.parse.quote(svg, safe=" /:=,.-")
        rules.append(f'.fa-{name} {{ --lr-icon: url("{url}"); width: {w / h:.4g}em; }}')
    return "\n".join(rules) + "\n"


def write_icons_css(site: Path, target: Path) -> list[str]:
    """Write the stylesheet for the icons the built ``site`` uses; return their names."""
    scripts = site / "_static" / "scripts"
    fontawesome = scripts / "fontawesome.js"
    if not fontawesome.is_file():
        raise FileNotFoundError(f"{fontawesome}: the theme's icon script was not found")
    icons = solid_icons(fontawesome.read_text(encoding="utf-8"))
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in site.rglob("*.html")]
    theme_js = [p for p in scripts.glob("*.js") if p != fontawesome]
    texts += [p.read_text(encoding="utf-8", errors="replace") for p in theme_js]
    names = sorted(used_icons(texts) & icons.keys())
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(icons_css(icons, names), encoding="utf-8")
    return names
