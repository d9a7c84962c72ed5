"""The PRISMA 2020 flow diagram."""

from __future__ import annotations

import altair as alt
import pandas as pd

from livingreview.present.charts.common import (
    FONT_SIZE,
    TEXT,
    _finish,
    _wrap,
)
from livingreview.review.prisma import PrismaCounts

# --------------------------------------------------------------------------------------------
# 5. PRISMA 2020 flow diagram
# --------------------------------------------------------------------------------------------


def _n(k: int) -> str:
    return f"(n\u00a0=\u00a0{k:,})"  # no-break spaces: wrapping never splits "(n = 4)"


def prisma_flow(
    counts: PrismaCounts,
    *,
    title: str = "PRISMA 2020 flow diagram",
    subtitle: str | None = None,
    description: str | None = None,
    other_methods_label: str = "Websites, organisations, citation searching",
) -> alt.LayerChart:
    """PRISMA 2020 flow diagram drawn from ``counts`` (boxes, wrapped text, arrows; phases
    Identification / Screening / Included on the left). Raises ``ValueError`` listing
    ``counts.check()`` if the numbers do not add up."""
    if not isinstance(counts, PrismaCounts):
        raise TypeError("prisma_flow: counts must be a PrismaCounts")
    problems = counts.check()
    if problems:
        raise ValueError("prisma_flow: inconsistent PRISMA counts:\n- " + "\n- ".join(problems))
    c = counts
    two = c.two_columns
    fs, line_h, pad = FONT_SIZE, 15, 8
    char_w = fs * 0.53  # average glyph width of the sans-serif fonts vl-convert and browsers use
    if two:
        W = 780
        cols = {"main": (36, 216), "excl": (234, 414), "other": (446, 606), "oexcl": (624, 776)}
    else:
        W = 700
        cols = {"main": (36, 336), "excl": (384, 696)}

    def lines(box_col: str, paragraphs: list[str]) -> list[str]:
        x0, x1 = cols[box_col]
        width = max(8, int((x1 - x0 - 2 * pad) / char_w))
        out: list[str] = []
        for p in paragraphs:
            out.extend(_wrap(p, width))
        return out

    def reasons(d: dict[str, int]) -> list[str]:
        return [f"{r} {_n(k)}" for r, k in d.items()] if d else [_n(0)]

    ident = ["Records identified from:", f"Databases {_n(c.databases)}", f"Registers {_n(c.registers)}"]
    if not two and c.other_methods:
        ident.append(f"Other methods {_n(c.other_methods)}")
    rows: list[dict[str, list[str]]] = [
        {
            "main": ident,
            "excl": [
                "Records removed before screening:",
                f"Duplicate records removed {_n(c.duplicates_removed)}",
                f"Records marked as ineligible by automation tools {_n(c.automation_ineligible)}",
                f"Records removed for other reasons {_n(c.other_removed)}",
            ],
        },
        {
            "main": ["Records screened", _n(c.records_screened)],
            "excl": ["Records excluded", _n(c.records_excluded)],
        },
        {
            "main": ["Reports sought for retrieval", _n(c.reports_sought)],
            "excl": ["Reports not retrieved", _n(c.reports_not_retrieved)],
        },
        {
            "main": ["Reports assessed for eligibility", _n(c.reports_assessed)],
            "excl": ["Reports excluded:"] + reasons(c.reports_excluded),
        },
        {
            "main": [
                "Studies included in review",
                _n(c.studies_included),
                "Reports of included studies",
                _n(c.reports_included),
            ]
        },
    ]
    if two:
        rows[0]["other"] = ["Records identified from:", f"{other_methods_label} {_n(c.other_methods)}"]
        rows[2]["other"] = ["Reports sought for retrieval", _n(c.other_reports_sought or 0)]
        rows[2]["oexcl"] = ["Reports not retrieved", _n(c.other_reports_not_retrieved)]
        rows[3]["other"] = ["Reports assessed for eligibility", _n(c.other_reports_assessed or 0)]
        rows[3]["oexcl"] = ["Reports excluded:"] + reasons(c.other_reports_excluded)

    header_h, gap, top = 34, 30, 0
    boxes, texts, rules, heads, headers, phases = [], [], [], [], [], []
    hx = {"db": (cols["main"][0], cols["excl"][1])}
    headers.append(
        {
            "x": hx["db"][0],
            "x2": hx["db"][1],
            "y": top,
            "y2": top + header_h,
            "text": (
                "Identification of studies via databases and registers"
                if two or c.databases or c.registers or not c.other_methods
                # One column and no database or register searched: say what it was.
                else "Identification of studies via other methods"
            ),
            "kind": "db",
        }
    )
    if two:
        headers.append(
            {
                "x": cols["other"][0],
                "x2": cols["oexcl"][1],
                "y": top,
                "y2": top + header_h,
                "text": "Identification of studies via other methods",
                "kind": "other",
            }
        )
    y = top + header_h + 16
    geometry: list[dict[str, tuple[float, float, float, float]]] = []
    for row in rows:
        wrapped = {k: lines(k, v) for k, v in row.items()}
        h = max(len(v) for v in wrapped.values()) * line_h + 2 * pad
        geo = {}
        for k, v in wrapped.items():
            x0, x1 = cols[k]
            geo[k] = (x0, x1, y, y + h)
            boxes.append({"x": x0, "x2": x1, "y": y, "y2": y + h})
            texts.append({"x": x0 + pad, "y": y + pad, "text": "\n".join(v)})
        geometry.append(geo)
        y += h + gap
    H = y - gap

    def arrow(x1: float, y1: float, x2: float, y2: float, direction: str) -> None:
        head = 5.0
        if direction == "down":
            rules.append({"x": x1, "y": y1, "x2": x2, "y2": y2 - head})
            heads.append({"x": x2, "y": y2 - head + 1, "dir": direction})
        elif direction == "right":
            rules.append({"x": x1, "y": y1, "x2": x2 - head, "y2": y2})
            heads.append({"x": x2 - head + 1, "y": y2, "dir": direction})
        elif direction == "left":
            rules.append({"x": x1, "y": y1, "x2": x2 + head, "y2": y2})
            heads.append({"x": x2 + head - 1, "y": y2, "dir": direction})
        else:  # plain segment
            rules.append({"x": x1, "y": y1, "x2": x2, "y2": y2})

    def mid_x(g: tuple[float, float, float, float]) -> float:
        return (g[0] + g[1]) / 2

    for i, geo in enumerate(geometry):
        m = geo["main"]
        if "excl" in geo:
            e = geo["excl"]
            ymid = (m[2] + m[3]) / 2
            arrow(m[1], ymid, e[0], ymid, "right")
        if i + 1 < len(geometry):
            nxt = geometry[i + 1]["main"]
            arrow(mid_x(m), m[3], mid_x(nxt), nxt[2], "down")
    if two:
        o0, o2, o3 = geometry[0]["other"], geometry[2]["other"], geometry[3]["other"]
        arrow(mid_x(o0), o0[3], mid_x(o2), o2[2], "down")
        for i in (2, 3):
            o, oe = geometry[i]["other"], geometry[i]["oexcl"]
            ymid = (o[2] + o[3]) / 2
            arrow(o[1], ymid, oe[0], ymid, "right")
        arrow(mid_x(o2), o2[3], mid_x(o3), o3[2], "down")
        inc = geometry[4]["main"]
        yin = (inc[2] + inc[3]) / 2
        arrow(mid_x(o3), o3[3], mid_x(o3), yin, "segment")
        arrow(mid_x(o3), yin, inc[1], yin, "left")

    phase_x = (2, 26)
    spans = [
        ("Identification", geometry[0]),
        ("Screening", geometry[1], geometry[3]),
        ("Included", geometry[4]),
    ]
    for name, *gs in spans:
        y0 = gs[0]["main"][2]
        y1 = gs[-1]["main"][3]
        phases.append(
            {
                "x": phase_x[0],
                "x2": phase_x[1],
                "y": y0,
                "y2": y1,
                "text": name,
                "cx": (phase_x[0] + phase_x[1]) / 2,
                "cy": (y0 + y1) / 2,
            }
        )

    xs = alt.Scale(domain=[0, W], nice=False, zero=False)
    ys = alt.Scale(domain=[0, H], nice=False, zero=False, reverse=True)
    X = lambda f: alt.X(f"{f}:Q", scale=xs, axis=None)  # noqa: E731
    Y = lambda f: alt.Y(f"{f}:Q", scale=ys, axis=None)  # noqa: E731
    hdr = pd.DataFrame(headers)
    hdr["cx"] = (hdr["x"] + hdr["x2"]) / 2
    hdr["cy"] = (hdr["y"] + hdr["y2"]) / 2
    ph = pd.DataFrame(phases)
    layers = [
        alt.Chart(hdr)
        .mark_rect(cornerRadius=6, stroke="#8A6D00", strokeWidth=1)
        .encode(
            x=X("x"),
            x2="x2:Q",
            y=Y("y"),
            y2="y2:Q",
            fill=alt.Fill(
                "kind:N", scale=alt.Scale(domain=["db", "other"], range=["#FCE8A6", "#E6E6E6"]), legend=None
            ),
        )
        .properties(name="prisma_headers"),
        alt.Chart(hdr)
        .mark_text(fontSize=FONT_SIZE, fontWeight="bold", align="center", baseline="middle", color=TEXT)
        .encode(x=X("cx"), y=Y("cy"), text="text:N"),
        alt.Chart(ph[["x", "x2", "y", "y2"]])
        .mark_rect(cornerRadius=6, fill="#BFD7EA", stroke="#4A7FA7", strokeWidth=1)
        .encode(x=X("x"), x2="x2:Q", y=Y("y"), y2="y2:Q")
        .properties(name="prisma_phases"),
        alt.Chart(ph[["cx", "cy", "text"]])
        .mark_text(
            angle=270, fontSize=FONT_SIZE, fontWeight="bold", align="center", baseline="middle", color=TEXT
        )
        .encode(x=X("cx"), y=Y("cy"), text="text:N"),
        alt.Chart(pd.DataFrame(rules))
        .mark_rule(color=TEXT, strokeWidth=1.2)
        .encode(x=X("x"), y=Y("y"), x2="x2:Q", y2="y2:Q")
        .properties(name="prisma_arrows"),
        alt.Chart(pd.DataFrame(heads))
        .mark_point(filled=True, size=45, color=TEXT, opacity=1)
        .encode(
            x=X("x"),
            y=Y("y"),
            shape=alt.Shape(
                "dir:N",
                scale=alt.Scale(
                    domain=["down", "right", "left"],
                    range=["triangle-down", "triangle-right", "triangle-left"],
                ),
                legend=None,
            ),
        )
        .properties(name="prisma_heads"),
        alt.Chart(pd.DataFrame(boxes))
        .mark_rect(fill="white", stroke=TEXT, strokeWidth=1)
        .encode(x=X("x"), x2="x2:Q", y=Y("y"), y2="y2:Q")
        .properties(name="prisma_boxes"),
        alt.Chart(pd.DataFrame(texts))
        .mark_text(lineBreak="\n", align="left", baseline="top", fontSize=fs, lineHeight=line_h, color=TEXT)
        .encode(x=X("x"), y=Y("y"), text="text:N")
        .properties(name="prisma_text"),
    ]
    chart = alt.layer(*layers).properties(width=W, height=H)
    if description is None:
        parts = [
            f"PRISMA 2020 flow diagram. Identification: {c.databases} records from databases, "
            f"{c.registers} from registers"
            + (f", {c.other_methods} from other methods" if (c.other_methods and not two) else "")
            + f"; removed before screening: {c.duplicates_removed} duplicates, "
            f"{c.automation_ineligible} marked ineligible by automation tools, {c.other_removed} "
            f"for other reasons.",
            f"Screening: {c.records_screened} records screened, {c.records_excluded} excluded; "
            f"{c.reports_sought} reports sought for retrieval, {c.reports_not_retrieved} not "
            f"retrieved; {c.reports_assessed} reports assessed for eligibility, "
            f"{sum(c.reports_excluded.values())} excluded"
            + (
                " (" + "; ".join(f"{r}: {k}" for r, k in c.reports_excluded.items()) + ")"
                if c.reports_excluded
                else ""
            )
            + ".",
        ]
        if two:
            parts.append(
                f"Other methods: {c.other_methods} records identified; {c.other_reports_sought} "
                f"reports sought, {c.other_reports_not_retrieved} not retrieved, "
                f"{c.other_reports_assessed} assessed, "
                f"{sum(c.other_reports_excluded.values())} excluded"
                + (
                    " (" + "; ".join(f"{r}: {k}" for r, k in c.other_reports_excluded.items()) + ")"
                    if c.other_reports_excluded
                    else ""
                )
                + "."
            )
        parts.append(f"Included: {c.studies_included} studies ({c.reports_included} reports).")
        description = " ".join(parts)
    return _finish(chart, title=title, subtitle=subtitle, description=description)
