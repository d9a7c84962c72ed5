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
    r'(?:"(?P<q>[a-z0-9-]+)"|(?P<n>[a-z][a-z0-9]*)):\[(?P<w>\d+),(?P<h>\d+),\[[^\]]*\],"(?P<u>[0-9a-f]+)","(?P<d>[^"]+)"\]'
)
# Each style's icons are registered after their definitions: d("fas", icons).
_PACK_END = re.compile(r'd\("(?P<prefix>fa[a-z]*)",\w+\)')
_USED = re.compile(r"\bfa-(?!solid\b|lg\b|xs\b|sm\b|\dx\b|fw\b)([a-z0-9]+(?:-[a-z0-9]+)*)")
SOLID = "fas"


def solid_icons(fontawesome_js: str, key: str = "name") -> dict[str, tuple[int, int, str]]:
    """Every solid icon in Font Awesome's script: name (or, with ``key="unicode"``, its code
    point in the webfont, e.g. ``f071``) -> (width, height, SVG path)."""
    start = 0
    for m in _PACK_END.finditer(fontawesome_js):
        if m.group("prefix") == SOLID:
            segment = fontawesome_js[start : m.start()]
            return {
                (i.group("u") if key == "unicode" else i.group("q") or i.group("n")): (
                    int(i.group("w")),
                    int(i.group("h")),
                    i.group("d"),
                )
                for i in _ICON.finditer(segment)
            }
        start = m.end()
    raise ValueError("no solid icon set found in the theme's Font Awesome script")


def used_icons(texts: Iterable[str]) -> set[str]:
    """Names of the ``fa-<name>`` classes in pages and scripts (modifiers like fa-lg excluded)."""
    return {m.group(1) for text in texts for m in _USED.finditer(text)}


def _data_url(icon: tuple[int, int, str]) -> str:
    w, h, d = icon
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}"><path d="{d}"/></svg>'
    return "data:image/svg+xml," + urllib.parse.quote(svg, safe=" /:=,.-")


# The theme also draws admonition icons as webfont glyphs (``content: var(--pst-icon-...)`` in
# its stylesheet), which would fetch the 156 KB font for one glyph: they are masks too.
_ADMONITION_RULE = re.compile(
    r"\.admonition\.(?P<kind>[a-z-]+)>\.admonition-title:after[^{]*\{[^}]*content:var\(--pst-icon-(?P<var>[a-z-]+)\)"
)
_ADMONITION_DEFAULT = re.compile(
    r"\.admonition>\.admonition-title:after[^{]*\{[^}]*content:var\(--pst-icon-(?P<var>[a-z-]+)\)"
)
_ICON_VAR = re.compile(r"--pst-icon-(?P<name>[a-z-]+):(?P<value>[^;}]+)")


def _glyph(variables: dict[str, str], name: str) -> str | None:
    """The webfont code point a --pst-icon-* variable ends at (following var() references)."""
    for _ in range(10):
        value = variables.get(name, "").strip()
        ref = re.fullmatch(r"var\(--pst-icon-([a-z-]+)\)", value)
        if ref:
            name = ref.group(1)
            continue
        escaped = re.fullmatch(r'"\\([0-9a-f]+)"', value)  # "\f071"
        if escaped:
            return escaped.group(1)
        literal = re.fullmatch(r'"(.)"', value)  # the character itself, as the minified CSS has it
        return format(ord(literal.group(1)), "x") if literal else None
    return None


def admonition_css(
    theme_css: str, by_unicode: dict[str, tuple[int, int, str]], kinds: set[str] | None = None
) -> str:
    """Mask rules for admonition icons (only ``kinds`` if given: those the pages have)."""
    variables = {m.group("name"): m.group("value") for m in _ICON_VAR.finditer(theme_css)}
    default = _ADMONITION_DEFAULT.search(theme_css)
    rules = []
    if default:
        glyph = _glyph(variables, default.group("var"))
        icon = f' --lr-icon: url("{_data_url(by_unicode[glyph])}");' if glyph in by_unicode else ""
        rules.append(
            ".admonition > .admonition-title::after, div.admonition > .admonition-title::after {"
            ' content: "" !important; font-family: inherit !important; background-color: currentColor;'
            " -webkit-mask: var(--lr-icon) center / contain no-repeat;"
            f" mask: var(--lr-icon) center / contain no-repeat;{icon} }}"
        )
    seen = set()
    for m in _ADMONITION_RULE.finditer(theme_css):
        kind, glyph = m.group("kind"), _glyph(variables, m.group("var"))
        if kind in seen or glyph not in by_unicode or (kinds is not None and kind not in kinds):
            continue
        seen.add(kind)
        rules.append(
            f".admonition.{kind} > .admonition-title::after, div.admonition.{kind} > .admonition-title::after"
            f' {{ --lr-icon: url("{_data_url(by_unicode[glyph])}"); }}'
        )
    return "\n".join(rules) + ("\n" if rules else "")


def icons_css(icons: dict[str, tuple[int, int, str]], names: Iterable[str]) -> str:
    rules = [
        "/* Made by livingreview.build.icons from the theme's Font Awesome Free (CC BY 4.0 icons). */",
        ".fa-solid::before, .fas::before { content: none !important; font-family: inherit !important; }",
        ".fa-solid, .fas { display: inline-block; height: 1em; width: 1em; vertical-align: -0.125em;"
        " background-color: currentColor; -webkit-mask: var(--lr-icon) center / contain no-repeat;"
        " mask: var(--lr-icon) center / contain no-repeat; }",
    ]
    for name in sorted(n for n in names if n in icons):
        w, h, _ = icons[name]
        rules.append(f'.fa-{name} {{ --lr-icon: url("{_data_url(icons[name])}"); width: {w / h:.4g}em; }}')
    return "\n".join(rules) + "\n"


def write_icons_css(site: Path, target: Path) -> list[str]:
    """Write the stylesheet for the icons the built ``site`` uses; return their names."""
    scripts = site / "_static" / "scripts"
    fontawesome = scripts / "fontawesome.js"
    if not fontawesome.is_file():
        raise FileNotFoundError(f"{fontawesome}: the theme's icon script was not found")
    script = fontawesome.read_text(encoding="utf-8")
    icons = solid_icons(script)
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in site.rglob("*.html")]
    theme_js = [p for p in scripts.glob("*.js") if p != fontawesome]
    texts += [p.read_text(encoding="utf-8", errors="replace") for p in theme_js]
    names = sorted(used_icons(texts) & icons.keys())
    target.parent.mkdir(parents=True, exist_ok=True)
    theme_css = "".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in sorted((site / "_static" / "styles").glob("*.css"))
    )
    kinds = {
        kind
        for text in texts
        for classes in re.findall(r'class="([^"]*\badmonition\b[^"]*)"', text)
        for kind in classes.split()
    }
    css = icons_css(icons, names) + admonition_css(theme_css, solid_icons(script, key="unicode"), kinds)
    target.write_text(css, encoding="utf-8")
    return names
