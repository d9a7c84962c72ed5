"""HTML tables for the book, and the number formatting shared with :mod:`livingreview.present.charts`.

Every table is rendered as escaped HTML: each cell, header, caption and class name passes
through :func:`html.escape`, so text from data files can never inject markup. Builders return
an :class:`HTMLTable`, a ``str`` subclass with ``.html`` and ``_repr_html_`` so that a notebook
cell that ends with the call displays the table.

The formatting helpers (``fmt_*``) live here, not in ``charts``, because this module is pure
Python (no Altair import) and both modules need them.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import html
import json
import math
import numbers
import os
import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "HTMLTable",
    "fmt_ci",
    "fmt_estimate",
    "fmt_num",
    "fmt_pct",
    "fmt_sci",
    "is_missing",
    "study_characteristics",
]

MINUS = "\u2212"  # typographic minus sign
NA_TEXT = "NR"  # "not reported"
# Markers the book's Sphinx extension reads: a table readers can sort and filter, and a long
# table whose other rows are in a script of their own (named in this attribute).
SORTABLE_CLASS = "lr-sortable"
ROWS_ATTR = "data-lr-rows-file"
WRAP_CLASS = "lr-table-wrap"  # the box a wide table scrolls in

# --------------------------------------------------------------------------------------------
# Formatting helpers
# --------------------------------------------------------------------------------------------


def is_missing(x: Any) -> bool:
    """True for None, NaN, pandas NA/NaT."""
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):  # list-likes
        return False


def fmt_num(x: Any, digits: int = 0, *, na: str = NA_TEXT) -> str:
    """Round half away from zero (as people do, not banker's rounding) and use a real minus sign.

    >>> fmt_num(2.5), fmt_num(-0.125, 2), fmt_num(None)
    ('3', '−0.13', 'NR')
    """
    if is_missing(x):
        return na
    value = float(x)
    if math.isinf(value):
        return ("" if value > 0 else MINUS) + "∞"
    quantum = Decimal(1).scaleb(-digits)  # 10**-digits
    d = Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    if d == 0:
        d = abs(d)  # no "−0"
    text = f"{d:f}"
    return text.replace("-", MINUS)


def fmt_pct(p: Any, digits: int = 0, *, na: str = NA_TEXT) -> str:
    """Format a proportion (0–1) as a percentage: ``fmt_pct(0.705) == '71%'``."""
    if is_missing(p):
        return na
    return f"{fmt_num(float(p) * 100, digits)}%"


def fmt_ci(lo: Any, hi: Any, digits: int = 0, *, brackets: str = "[]", sep: str = ", ", na: str = "") -> str:
    """Format a confidence interval: ``fmt_ci(51, 85) == '[51, 85]'``; ``na`` if a bound is missing."""
    if is_missing(lo) or is_missing(hi):
        return na
    open_, close = (brackets[0], brackets[1]) if len(brackets) == 2 else ("", "")
    return f"{open_}{fmt_num(lo, digits)}{sep}{fmt_num(hi, digits)}{close}"


def fmt_estimate(est: Any, lo: Any = None, hi: Any = None, digits: int = 0, *, na: str = NA_TEXT) -> str:
    """``'70 [51, 85]'``; just ``'70'`` when the interval is missing; ``na`` when the estimate is."""
    if is_missing(est):
        return na
    ci = fmt_ci(lo, hi, digits)
    return f"{fmt_num(est, digits)} {ci}" if ci else fmt_num(est, digits)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def fmt_sci(x: Any, digits: int = 0, *, na: str = NA_TEXT) -> str:
    """Scientific notation with Unicode superscripts: ``fmt_sci(5e-4) == '5×10⁻⁴'``,
    ``fmt_sci(1e-4) == '10⁻⁴'``."""
    if is_missing(x):
        return na
    value = float(x)
    if value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value)))
    mantissa = value / 10**exponent
    m = fmt_num(mantissa, digits)
    if m == "10":  # rounding overflow, e.g. 9.96e-4 with digits=0
        m, exponent = fmt_num(1, digits), exponent + 1
    power = "10" + str(exponent).translate(_SUPERSCRIPT)
    if exponent == 0:
        return m
    return power if m in ("1", "1." + "0" * digits) else f"{m}×{power}"


# --------------------------------------------------------------------------------------------
# HTML output
# --------------------------------------------------------------------------------------------


# A long table carries only its first rows in the page; the others are kept in a same-site script
# that the page loads when the reader asks for them (or filters or sorts), so that neither the
# page nor what the build passes from a page's kernel to Sphinx grows with the data.
ROWS_SHOWN = 50
# Rows a chapter's filtered listing shows before "Show all" (DataTables' default page length):
# the page's weight then stays the same however many records the filter finds.
LISTING_ROWS = 10
_rows_store: Path | None = None


def keep_rows_in(folder: Path | None) -> None:
    """Where long tables write the rows their page does not carry (``book.start()`` sets the
    book's build cache; the Sphinx extension publishes the files the pages name). Without a
    folder, tables are rendered whole."""
    global _rows_store
    _rows_store = Path(folder) if folder is not None else None


def _keep_rows(rows: list[str]) -> str:
    """Write ``rows`` as the script the page loads on demand; its name is its content's digest
    (so identical rows share one file, and a name always means the same rows)."""
    assert _rows_store is not None
    joined = "\n".join(rows)
    key = hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]
    path = _rows_store / f"{key}.js"
    if not path.is_file():
        script = (
            f"(window.lrRows = window.lrRows || {{}})[{json.dumps(key)}] = "
            f"{json.dumps(joined, ensure_ascii=False)};\n"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(script, encoding="utf-8")
        tmp.replace(path)  # readers run in parallel: a file is whole or absent
    return key


class HTMLTable(str):
    """An HTML string that notebooks render as a table (``_repr_html_``); ``.html`` is the markup."""

    __slots__ = ()

    @property
    def html(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return str(self)


_CLASS_RE = re.compile(r"[^A-Za-z0-9_ -]")


def _esc(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _class_attr(*classes: str) -> str:
    names = " ".join(c for c in classes if c)
    return _esc(_CLASS_RE.sub("", names))


def _render_table(
    caption: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    css_class: str,
    raw_cells: frozenset[tuple[int, int]] = frozenset(),
    row_header: bool = True,
    shown: int | None = None,
) -> HTMLTable:
    """Build the table. Cells are escaped except the (row, col) pairs in ``raw_cells``, which
    the caller has built from escaped parts itself. Over ``shown`` rows (default
    :data:`ROWS_SHOWN`), and inside a book, the others are kept for loading on demand."""
    if shown is not None and (isinstance(shown, bool) or not isinstance(shown, int) or shown < 1):
        raise ValueError(f"table: shown must be a whole number of rows >= 1, got {shown!r}")
    first = ROWS_SHOWN if shown is None else shown
    row_html = []
    for i, row in enumerate(rows):
        cells = ["    <tr>"]
        for j, cell in enumerate(row):
            text = cell if (i, j) in raw_cells else _esc(cell)
            if j == 0 and row_header:
                cells.append(f'      <th scope="row">{text}</th>')
            else:
                cells.append(f"      <td>{text}</td>")
        cells.append("    </tr>")
        row_html.append("\n".join(cells))
    attrs, more = "", ""
    if _rows_store is not None and len(row_html) > first:
        key = _keep_rows(row_html[first:])
        total = f"{len(row_html):,}"
        # data-lr-rows-file: the Sphinx extension copies the file into the site and turns this
        # into data-lr-rows, the script's address seen from the page.
        attrs = f' data-lr-key="{key}" data-lr-total="{len(row_html)}" {ROWS_ATTR}="{key}.js"'
        more = (
            f'\n<p class="lr-meta lr-more" data-lr-for="{key}">Showing the first {first} of '
            f'{total} rows. <button type="button" class="lr-show-all" hidden>Show all {total} '
            f"rows</button><noscript>All rows are in the downloadable data.</noscript></p>"
        )
        row_html = row_html[:first]
    # The wrapper scrolls a wide table inside its own box instead of widening the page.
    out = [f'<div class="{WRAP_CLASS}">', f'<table class="{_class_attr(css_class)}"{attrs}>']
    if caption:
        out.append(f"  <caption>{_esc(caption)}</caption>")
    out.append("  <thead>\n    <tr>")
    out.extend(f'      <th scope="col">{_esc(h)}</th>' for h in headers)
    out.append("    </tr>\n  </thead>\n  <tbody>")
    out.extend(row_html)
    out.append("  </tbody>\n</table>" + more + "\n</div>")
    return HTMLTable("\n".join(out))


def _cell_text(x: Any, na: str) -> str:
    if is_missing(x):
        return na
    if isinstance(x, bool):
        return "Yes" if x else "No"
    if isinstance(x, (pd.Timestamp, _dt.datetime)):
        ts = pd.Timestamp(x)
        return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat()
    if isinstance(x, _dt.date):
        return x.isoformat()
    if isinstance(x, numbers.Integral):
        return fmt_num(x, 0)
    if isinstance(x, numbers.Real):
        value = float(x)
        if value.is_integer():
            return fmt_num(value, 0)
        return f"{value:g}".replace("-", MINUS)
    return str(x)


def table(
    df: pd.DataFrame,
    columns: Sequence[str] | Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    *,
    caption: str,
    css_class: str = "lr-table",
    na: str = "—",
    shown: int | None = None,
) -> HTMLTable:
    """Any DataFrame as an escaped HTML table: one row per record, one column per entry of
    ``columns`` (default: all), headed by ``labels[col]`` (default: the column name); ``columns``
    may also be a mapping of column to heading, in order (``{"arm": "Cohort", "figure": "Figure"}``).
    The first column is a row header.

    Missing values show as ``na``; booleans as Yes/No; whole-number floats (integers that
    pandas turned into floats because of a gap) without a decimal point.

    ``shown``: how many rows the built page carries; the others load when the reader asks for
    them (default: :data:`ROWS_SHOWN`). A listing whose rows are chosen by a filter, and so
    grow with the evidence, should say ``shown=LISTING_ROWS`` so that its page stays light.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError("table: expected a pandas DataFrame")
    if isinstance(columns, Mapping):
        labels = {**columns, **(labels or {})}
    columns = list(df.columns) if columns is None else list(columns)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError("table: missing column(s) " + ", ".join(repr(c) for c in missing))
    if not columns:
        raise ValueError("table: no columns to show")
    labels = dict(labels or {})
    headers = [labels.get(c, c) for c in columns]
    rows = [[_cell_text(v, na) for v in record] for record in df[columns].itertuples(index=False, name=None)]
    return _render_table(caption, headers, rows, css_class=css_class, shown=shown)


def study_characteristics(
    studies_df: pd.DataFrame,
    columns: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    *,
    caption: str = "Characteristics of included studies",
    css_class: str = "lr-table lr-study-characteristics",
    na: str = "—",
) -> HTMLTable:
    """The study-characteristics table: one row per study (see :func:`table`)."""
    return table(studies_df, columns, labels, caption=caption, css_class=css_class, na=na)
