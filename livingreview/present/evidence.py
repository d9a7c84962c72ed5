"""Reader-facing text for one reported figure, and the flags a page must show.

A figure row (from the ``outcomes`` or ``adverse_events`` table) carries either counts
(``events``/``total``, or ``patients``/``total``) or a printed estimate with an optional printed
interval. Counts are shown with their percentage and an exact (Clopper–Pearson) interval computed
here, never typed; printed estimates are shown as printed, with their qualifier ("<", "about") and
unit. A flagged figure always says so where it is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from livingreview.present.tables import HTMLTable, fmt_num, is_missing, table
from livingreview.stats.proportions import ProportionCI, proportion_ci, proportion_cis

_UNIT_SUFFIX = {
    "percent": "%",
    "months": " months",
    "days": " days",
    "years": " years",
    "ratio": "",
    "count": "",
}


# Every interval a reader sees says whose it is: an exact (Clopper–Pearson) interval this review
# computed from a figure's counts, or the interval the paper printed with its estimate.
COMPUTED_CI = "computed 95% CI"


def _get(row: Mapping[str, Any] | Any, key: str) -> Any:
    value = row.get(key) if isinstance(row, Mapping) else getattr(row, key, None)
    return None if is_missing(value) else value


def counts(row: Mapping[str, Any] | Any) -> tuple[int, int] | None:
    """``(events, total)`` of a figure row, or None when the source gives no counts."""
    events = _get(row, "events")
    if events is None:
        events = _get(row, "patients")
    total = _get(row, "total")
    if events is None or total is None:
        return None
    return int(events), int(total)


def proportion_text(
    events: int, total: int, *, digits: int = 0, ci: bool = True, interval: ProportionCI | None = None
) -> str:
    """``'16 of 30 (53%; computed 95% CI 34% to 72%)'`` with the exact interval computed from the
    counts (or given, already computed for these counts, as ``interval``). "computed" tells the
    reader that the interval is this review's; a paper's own is shown as "printed"."""
    p = interval if interval is not None else proportion_ci(events, total, "exact")
    if (p.events, p.total, p.method) != (events, total, "exact"):
        # A caller's mistake, not a figure without a number: not a ValueError (figure_or's fallback).
        raise RuntimeError(
            f"interval is for {p.events} of {p.total} ({p.method}), not {events} of {total} (exact)"
        )
    pct = f"{fmt_num(100 * p.proportion, digits)}%"
    if not ci:
        return f"{events} of {total} ({pct})"
    return (
        f"{events} of {total} ({pct}; {COMPUTED_CI} {fmt_num(100 * p.lower, digits)}% to "
        f"{fmt_num(100 * p.upper, digits)}%)"
    )


def flag_text(row: Mapping[str, Any] | Any, column: str | None = None) -> str:
    """The marker a flagged row's figure carries. ``column``: the value shown is this column of
    the row; a flag that names the columns it concerns (``flagged_columns``) and not this one is
    not shown beside it, so that a flag sits on the figure it concerns."""
    flag = _get(row, "flag")
    if not flag:
        return ""
    concerns = _get(row, "flagged_columns")
    if column is not None and concerns and column not in [c.strip() for c in str(concerns).split(";")]:
        return ""
    return f" [flagged as printed: {flag}; see the note below]"


_PRINTED_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _printed_digits(row: Mapping[str, Any] | Any, x: Any) -> int:
    """Decimals of ``x`` as the source printed it: a stored 44.0 reads back as 44, so the
    printed value (``value_as_printed``) says whether it was "44.0"; else the stored decimals."""
    printed = _get(row, "value_as_printed")
    found = [
        len(n.split(".")[1]) if "." in n else 0
        for n in _PRINTED_NUMBER.findall(str(printed or ""))
        if float(n) == float(x)
    ]
    return max(found + [digits_of(x)])


def figure_text(
    row: Mapping[str, Any] | Any,
    *,
    digits: int | None = None,
    ci: bool = True,
    interval: ProportionCI | None = None,
) -> str:
    """The text a reader sees for one figure row, flag included.

    Counts: ``'9 of 11 (82%; computed 95% CI 48% to 98%)'``. Printed estimate: ``'81.6% (printed
    95% CI 60.8% to 92.0%)'``, ``'<40%'``, ``'7.7 months'``, ``'0.15 (printed 95% CI 0.04 to
    0.62)'``. ``interval``: the
    exact interval of the row's counts, if already computed (see :func:`figures_or`).
    """
    c = counts(row)
    if c is not None:
        return proportion_text(*c, digits=digits or 0, ci=ci, interval=interval) + flag_text(row)
    est = _get(row, "estimate")
    unit = _UNIT_SUFFIX.get(str(_get(row, "unit") or ""), "")
    lo_r, hi_r, kind = _get(row, "range_lower"), _get(row, "range_upper"), _get(row, "range_kind")
    if est is None and kind == "printed as range" and lo_r is not None and hi_r is not None:
        lo_t, hi_t = fmt_num(lo_r, _printed_digits(row, lo_r)), fmt_num(hi_r, _printed_digits(row, hi_r))
        return f"{lo_t}–{hi_t}{unit}" + flag_text(row)
    events = _get(row, "events") if _get(row, "events") is not None else _get(row, "patients")
    if est is None and events is not None:
        return f"{int(events)}" + flag_text(row)  # a count printed without its denominator
    if est is None:
        raise ValueError(
            f"figure {_get(row, 'outcome_id') or _get(row, 'ae_id')!r} has neither counts nor an estimate"
        )
    lo, hi = _get(row, "ci_lower"), _get(row, "ci_upper")
    # Without ``digits``, the interval keeps the decimals its limits were printed with (1.04 to
    # 12.75 around 3.6), never fewer than the estimate's.
    ci_digits = digits
    if digits is None:
        digits = _printed_digits(row, est)
        ci_digits = max([digits] + [_printed_digits(row, x) for x in (lo, hi) if x is not None])
    qualifier = _get(row, "estimate_qualifier") or ""
    qualifier = {"about": "about ", "up to": "up to "}.get(qualifier, qualifier)
    text = f"{qualifier}{fmt_num(est, digits)}{unit}"
    if ci and lo is not None and hi is not None:
        level = _get(row, "ci_level")
        interval = f"{fmt_num(lo, ci_digits)}{unit} to {fmt_num(hi, ci_digits)}{unit}"
        if level is None:  # an interval printed without its level: say so, never assume 95%
            text += f" (printed interval {interval}, level not stated)"
        else:
            text += f" (printed {fmt_num(100 * float(level), 0)}% CI {interval})"
    elif kind == "observed range" and lo_r is not None and hi_r is not None:
        lo_t, hi_t = fmt_num(lo_r, _printed_digits(row, lo_r)), fmt_num(hi_r, _printed_digits(row, hi_r))
        text += f" (range {lo_t} to {hi_t}{unit})"
    return text + flag_text(row)


def value_text(x: Any) -> str:
    """One value of a row as the prose shows it: a whole number without decimals (a count, an n),
    another number with its stored decimals, text as it is."""
    if x is None or (not isinstance(x, str) and pd.isna(x)):
        raise ValueError("no value to show (the field is empty)")
    if isinstance(x, str):
        return x
    if float(x).is_integer():
        return str(int(x))
    return fmt_num(x, digits_of(x))


def digits_of(x: Any) -> int:
    """Decimals to show for a stored value: as many as it has (the dataset keeps printed precision
    except trailing zeros)."""
    text = f"{float(x):.6f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def figure_or(
    row: Mapping[str, Any] | Any, default: str = "no number (see the source)", **kwargs: Any
) -> str:
    """:func:`figure_text`, or ``default`` for a row that states a fact without a number."""
    try:
        return figure_text(row, **kwargs)
    except ValueError:
        return default + flag_text(row)


def figures_or(rows: pd.DataFrame, default: str = "no number (see the source)", **kwargs: Any) -> list[str]:
    """:func:`figure_or` for every row of ``rows``, in order, with the exact intervals of all the
    rows that have counts computed in one vectorised call."""
    records = rows.to_dict("records")
    pairs = [counts(r) for r in records]
    found = [c for c in pairs if c is not None]
    intervals = iter(proportion_cis([e for e, _ in found], [t for _, t in found], "exact"))
    return [
        figure_or(r, default, interval=next(intervals) if c is not None else None, **kwargs)
        for r, c in zip(records, pairs, strict=True)
    ]


def with_proportions(df: pd.DataFrame, *, events: str = "events", total: str = "total") -> pd.DataFrame:
    """Add ``proportion``, ``ci_lower_exact``, ``ci_upper_exact`` (percent) for rows with counts."""
    out = df.copy()
    has = [not (is_missing(e) or is_missing(t)) for e, t in zip(out[events], out[total], strict=True)]
    found = iter(
        proportion_cis(
            [int(e) for e, h in zip(out[events], has, strict=True) if h],
            [int(t) for t, h in zip(out[total], has, strict=True) if h],
            "exact",
        )
    )
    values = []
    for h in has:
        if h:
            p = next(found)
            values.append((100 * p.proportion, 100 * p.lower, 100 * p.upper))
        else:
            values.append((float("nan"),) * 3)
    # Float64 like the dataset's own number columns, so the two can be combined without casts.
    out[["proportion", "ci_lower_exact", "ci_upper_exact"]] = pd.DataFrame(
        values, index=out.index, dtype="float64"
    ).astype("Float64")
    return out


def flags_table(
    rows: pd.DataFrame | Iterable[pd.DataFrame],
    *,
    id_column: str | None = None,
    caption: str = "Figures on this page kept as printed, with what is wrong",
    shown: int | None = None,
) -> HTMLTable | str:
    """The flagged figures a page uses, each with its note and where it stands in the source.
    ``shown``: rows the page carries before "Show all" (see :func:`livingreview.present.tables.table`).

    Returns an empty string when nothing on the page is flagged.
    """
    frames = [rows] if isinstance(rows, pd.DataFrame) else list(rows)
    flagged_rows = []
    for df in frames:
        flagged = df[df["flag"].notna()] if "flag" in df else df.iloc[0:0]
        key = id_column or next(c for c in df.columns if c.endswith("_id"))
        for r in flagged.to_dict("records"):
            flagged_rows.append(
                {
                    "figure": r[key],
                    "flag": r["flag"]
                    + (f" ({r['flagged_columns']})" if not is_missing(r.get("flagged_columns")) else ""),
                    "note": r.get("note"),
                    "source": where_text(r),
                }
            )
    if not flagged_rows:
        return ""
    return table(
        pd.DataFrame(flagged_rows).drop_duplicates(),
        columns=["figure", "flag", "note", "source"],
        labels={"figure": "Figure", "flag": "Flag", "note": "What is wrong", "source": "Where it stands"},
        caption=caption,
        css_class="lr-table lr-flags",
        shown=shown,
    )


# The tables whose rows are figures a reader is shown (one figure, patient or adverse event per
# row); study records describe studies and are counted apart.
FIGURE_TABLES = ("outcomes", "patients", "adverse_events")


@dataclass(frozen=True)
class FlagCounts:
    """How many rows carry a flag: one definition for every page that states it."""

    figure_rows: int
    figure_rows_flagged: int
    studies: int
    studies_flagged: int

    def sentence(self) -> str:
        return (
            f"{self.figure_rows_flagged} of the {self.figure_rows} rows of figures, individual patients "
            f"and adverse events carry a flag, and so do {self.studies_flagged} of the {self.studies} "
            "study records"
        )


def flag_counts(tables: Mapping[str, pd.DataFrame]) -> FlagCounts:
    figures = [tables[name] for name in FIGURE_TABLES if name in tables]
    studies = tables.get("studies")

    def flagged(t: pd.DataFrame) -> int:
        return int(t["flag"].notna().sum()) if "flag" in t else 0

    return FlagCounts(
        figure_rows=sum(len(t) for t in figures),
        figure_rows_flagged=sum(flagged(t) for t in figures),
        studies=0 if studies is None else len(studies),
        studies_flagged=0 if studies is None else flagged(studies),
    )


def duration_text(
    row: Mapping[str, Any] | Any, column: str, unit: str = "months", *, flag: bool = False
) -> str:
    """A duration stored in one column of a row, as many decimals as it was printed with; the
    row's flag on that column if asked."""
    value = _get(row, column)
    text = f"{fmt_num(value, digits_of(value))} {unit}"
    return text + (flag_text(row, column) if flag else "")


def age_text(row: Mapping[str, Any] | Any) -> str:
    """A patient's age as printed; a bare number (a table printing years) gets its unit and what it
    is measured to (``age_reference``)."""
    text = str(_get(row, "age_as_printed"))
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return f"{text} years ({_get(row, 'age_reference')})"
    return text


def case_text(row: Mapping[str, Any] | Any, report: str, read_in: str) -> str:
    """A patient row as a table shows it: the report and the case label, with where the row was read
    (``read_in``: the document's short name) unless the label already says it."""
    text = f"{report}: {_get(row, 'case_label')}"
    locator = str(_get(row, "locator") or "")
    if locator.replace(",", "") not in str(_get(row, "case_label")):
        text += f" (read in {read_in}: {locator})"
    return text


def where_text(row: Mapping[str, Any] | Any) -> str | None:
    """Where a row stands, as a flags table or a table beside a chart gives it: ``'<citekey>:
    <locator>'`` (None without both: a row computed on the page). A study row's citekey is its own
    paper; its locator points into the document its figures were read in (``source_citekey``),
    which is named instead when there is one."""
    read_in, locator = _get(row, "source_citekey") or _get(row, "citekey"), _get(row, "locator")
    return f"{read_in}: {locator}" if read_in and locator else None


def with_sources(rows: pd.DataFrame, studies: pd.DataFrame, read_in: Mapping[str, str]) -> pd.DataFrame:
    """``rows`` (each with its ``study_id``, ``citekey`` and ``locator``) plus where each was read:
    ``study`` (the study's short name), ``source`` (the short name of the document read, from
    ``read_in`` by citekey, else the citekey), ``read_in`` (``'<source>, <locator>'``) and
    ``where`` (``'<citekey>: <locator>'``: :func:`where_text`)."""
    names = studies.set_index("study_id")["short_name"]
    out = rows.copy()
    out["study"] = [names.get(s, s) for s in out["study_id"]]
    out["source"] = [read_in.get(k, k) for k in out["citekey"]]
    out["read_in"] = [f"{s}, {loc}" for s, loc in zip(out["source"], out["locator"], strict=True)]
    out["where"] = [where_text(r) for r in out.to_dict("records")]
    return out


def figure_or_count(row: Mapping[str, Any] | Any, unit: str = "patient") -> str:
    """:func:`figure_text`, but a count printed without its denominator says so."""
    if counts(row) is None and _get(row, "estimate") is None and _get(row, "events") is not None:
        return f"{int(_get(row, 'events'))} {unit} (no denominator printed)" + flag_text(row)
    return figure_text(row)


def source_names(keys: Any, names: Mapping[str, str], none: str = "none given") -> str:
    """``'a; b'`` citekeys as the names a page gives them."""
    if is_missing(keys):
        return none
    return "; ".join(names.get(k, k) for k in str(keys).split("; "))


def forest_row(row: Mapping[str, Any] | Any, *, scale: float = 100.0) -> dict[str, Any]:
    """One row of a forest plot or table of proportions from a figure row: the exact interval of
    its counts (times ``scale``: percent), or the printed estimate with the interval printed beside
    it (none when the source prints none; on the percent scale, a ValueError unless the printed
    figure is a percentage); with the figure's text, how the interval was obtained
    (``basis``; ``computed``: whether this review computed it), where it stands (``locator``; and
    ``read_from``, ``'<citekey>: <locator>'``, the column a table beside the plot shows) and its
    flag."""
    c = counts(row)
    if c is not None:
        p = proportion_ci(*c, "exact")
        est, lo, hi = scale * p.proportion, scale * p.lower, scale * p.upper
        basis = "counts printed; exact 95% CI computed"
    else:
        unit = _get(row, "unit")
        if scale == 100.0 and unit != "percent":
            # Drawn as printed beside proportions in percent: a figure in other units would be
            # read as a percentage.
            name = _get(row, "outcome_id") or _get(row, "ae_id")
            raise ValueError(
                f"figure {name!r} is printed in {unit or 'no stated unit'}, not percent: "
                "it cannot stand on a percent axis"
            )
        est = float(_get(row, "estimate"))
        printed = (_get(row, "ci_lower"), _get(row, "ci_upper"))
        if None in printed:
            lo, hi = float("nan"), float("nan")
            basis = "percentage printed without a count: no interval can be computed"
        else:
            lo, hi = float(printed[0]), float(printed[1])
            basis = "interval printed by the source"
    return {
        "n": _get(row, "total"),
        "estimate": est,
        "ci_lower": lo,
        "ci_upper": hi,
        "figure": figure_text(row),
        "basis": basis,
        "computed": c is not None,
        "locator": _get(row, "locator"),
        "read_from": where_text(row),
        "flag": _get(row, "flag"),
    }


def complement_row(row: Mapping[str, Any] | Any, *, scale: float = 100.0) -> dict[str, Any]:
    """A :func:`forest_row` for the complement of a printed count (the source prints, say, the
    MRD-positive infants; the row is the MRD-negative ones): total minus events, marked as computed."""
    total = int(_get(row, "total"))
    events = total - int(_get(row, "events"))
    p = proportion_ci(events, total, "exact")
    return {
        "n": total,
        "estimate": scale * p.proportion,
        "ci_lower": scale * p.lower,
        "ci_upper": scale * p.upper,
        "figure": proportion_text(events, total),
        "basis": "computed: total minus the printed complement",
        "computed": True,
        "locator": _get(row, "locator"),
        "flag": None,
    }


def figure_list(rows: pd.DataFrame, item: str = "{label}: {figure}") -> str:
    """The figures of a chart's rows as one run of text for its description (what a screen reader
    is given): ``item`` filled from each row's columns, the rows joined by "; ". ``{figure}`` is
    the row's ``figure`` column, or its :func:`figure_text` where the frame has none."""
    records = [r if "figure" in r else {**r, "figure": figure_text(r)} for r in rows.to_dict("records")]
    return "; ".join(item.format(**r) for r in records)


def labels_with_n(
    rows: pd.DataFrame,
    *,
    label: str = "label",
    n: str = "n",
    template: str = "{label} (n={n})",
    missing: str = "{label} (n NR)",
) -> list[str]:
    """Each row's label with its number of patients as a whole number (``template``), or
    ``missing`` where the source prints none."""
    return [
        missing.format(label=lab) if is_missing(k) else template.format(label=lab, n=int(k))
        for lab, k in zip(rows[label], rows[n], strict=True)
    ]


def page_text(row: Mapping[str, Any] | Any, documents: pd.DataFrame) -> str:
    """'<kind> page, <grade>' of the stored page a row was read on (``documents`` indexed by
    document_id); 'founding document' for a row read in one of the founding documents."""
    doc = _get(row, "document_id")
    if not doc:
        return "founding document"
    return f"{documents.at[doc, 'kind']} page, {documents.at[doc, 'grade']}"


def overlaps_text(study: Mapping[str, Any] | Any, names: Mapping[str, str]) -> str:
    """The names of the studies a study may share patients with (its ``overlaps_with``), or
    'none stated'."""
    value = _get(study, "overlaps_with")
    others = [x.strip() for x in str(value).split(";") if x.strip()] if value else []
    return ", ".join(str(names.get(x, x)) for x in others) or "none stated"


def provenance_frame(
    rows: pd.DataFrame,
    studies: pd.DataFrame,
    documents: pd.DataFrame,
) -> pd.DataFrame:
    """``rows`` (figure rows with their id column first) plus the columns a reader needs beside
    each figure: ``study`` (short name), ``what`` (outcome: description, time point), ``figure``
    (as :func:`figure_text` shows it, printed decimals kept), ``page``
    (the stored page's kind and grade with the locator, or the founding document's locator) and
    ``overlap`` (the studies that may share the row's patients)."""
    by_study = studies.set_index("study_id", drop=False)
    names = by_study["short_name"]
    docs = documents.set_index("document_id", drop=False)
    records = rows.to_dict("records")
    out = rows.copy()
    out["study"] = [names.get(r["study_id"], r["study_id"]) for r in records]
    when = ["" if is_missing(r.get("timepoint")) else f" ({r['timepoint']})" for r in records]
    out["what"] = [f"{r['outcome']}: {r['description']}{w}" for r, w in zip(records, when, strict=True)]
    out["figure"] = [figure_text(r) for r in records]
    out["page"] = [f"{page_text(r, docs)}: {r['locator']}" for r in records]
    out["overlap"] = [overlaps_text(by_study.loc[r["study_id"]], names) for r in records]
    return out


# The survival end points the dataset abbreviates (``outcomes.outcome``), as a reader is given them.
SURVIVAL_ENDPOINTS = {
    "EFS": "event-free survival",
    "DFS": "disease-free survival",
    "RFS": "relapse-free survival",
    "OS": "overall survival",
}

_YEARS = re.compile(r"(\d+) years?")


def endpoint_names(rows: pd.DataFrame, *, horizon: bool = False) -> list[str]:
    """Each survival row's end point by name, as a heading: 'Disease-free survival'; with
    ``horizon``, with its time point: '2-year event-free survival' (a chart's groups, so that
    figures at different horizons never stand side by side). A ValueError names each row whose end
    point is not a survival end point, or whose time point (with ``horizon``) is not in years."""
    names, wrong = [], []
    for r in rows.to_dict("records"):
        name = SURVIVAL_ENDPOINTS.get(str(r["outcome"]))
        years = _YEARS.fullmatch(str(r.get("timepoint"))) if horizon else None
        if name is None:
            wrong.append(f"{r.get('outcome_id')}: {r['outcome']!r} is not a survival end point")
        elif horizon and years is None:
            wrong.append(f"{r.get('outcome_id')}: time point {r.get('timepoint')!r} is not in years")
        else:
            text = f"{years.group(1)}-year {name}" if years else name
            names.append(text[:1].upper() + text[1:])
    if wrong:
        raise ValueError("; ".join(wrong))
    return names


# An adverse event's grade as the dataset codes it (``adverse_events.grade``, plain ASCII) and as a
# reader is shown it: a range with an en dash, "at least" as ≥.
AE_GRADES = {
    "any": "any",
    "1": "1",
    "2": "2",
    "1-2": "1–2",
    "3": "3",
    "3-4": "3–4",
    ">=3": "≥3",
    "not stated": "not stated",
}


# Codes that name no grade: a chart that stacks each patient at one grade cannot place them.
NOT_A_GRADE = ("any", "not stated")


def grade_texts(grades: Iterable[Any], *, graded: bool = False) -> list[str]:
    """Each adverse-event grade code as a reader is shown it (:data:`AE_GRADES`); a ValueError
    names the codes it does not know, and with ``graded`` (rows to be shown by grade) the codes
    that name no grade ('any', 'not stated')."""
    codes = [str(g) for g in grades]
    unknown = sorted({c for c in codes if c not in AE_GRADES})
    if unknown:
        raise ValueError(f"adverse event grade not known: {', '.join(map(repr, unknown))}")
    ungraded = sorted({c for c in codes if c in NOT_A_GRADE}) if graded else []
    if ungraded:
        raise ValueError(f"adverse events shown by grade, but a row's grade is {' or '.join(ungraded)}")
    return [AE_GRADES[c] for c in codes]
