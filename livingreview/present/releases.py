"""The "changes" section of the What's new page: what a release added, removed and changed, as
HTML tables (the differences themselves are computed by :mod:`livingreview.review.changes`)."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from livingreview.core.paths import package_file
from livingreview.core.text import plural as _plural
from livingreview.present.tables import LISTING_ROWS, table
from livingreview.review.changes import (
    RELEASES_RESOURCE,
    Changes,
    dataset_now,
    flags_added,
    latest_release,
    since_previous,
    unreleased,
    version_key,
)
from livingreview.review.living import chapters_assessed_since


def _shown(value: str) -> str:
    return value if value != "" else "(empty)"


def summary_text(c: Changes) -> str:
    """One sentence: how many rows were added and removed and how many values changed."""
    if c.empty:
        return "no row of the dataset was added, removed or changed"
    rows_changed = len({(f.table, f.key) for f in c.changed})
    parts = [
        f"{_plural(len(c.added), 'row')} added",
        f"{_plural(len(c.removed), 'row')} removed",
        f"{_plural(len(c.changed), 'value')} changed in {_plural(rows_changed, 'row')}",
    ]
    return ", ".join(parts)


def changes_html(c: Changes, *, titles: Mapping[str, str] | None = None) -> str:
    """The changes as escaped HTML: counts per table, rows added, rows removed, values changed
    old -> new, each with the row's source (citekey) and where in it (locator)."""
    titles = dict(titles or {})

    def name(t: str) -> str:
        return titles.get(t, t)

    out: list[str] = []
    if c.empty:
        return "<p>No row of the dataset was added, removed or changed.</p>"
    counts = c.counts()
    counts = counts[(counts[["added", "removed", "values_changed"]] != 0).any(axis=1)].copy()
    counts["table"] = counts["table"].map(name)
    out.append(
        table(
            counts,
            ["table", "added", "removed", "rows_changed", "values_changed"],
            {
                "table": "Table",
                "added": "Rows added",
                "removed": "Rows removed",
                "rows_changed": "Rows with a changed value",
                "values_changed": "Values changed",
            },
            caption="Changes per table",
        ).html
    )
    notes = []
    for t in c.tables_added:
        notes.append(f"New table: {name(t)}.")
    for t in c.tables_removed:
        notes.append(f"Table removed: {name(t)}.")
    for t, cols in c.columns_added.items():
        if cols:
            notes.append(
                f"New column(s) in {name(t)}: {', '.join(cols)} (their values are not listed as changes)."
            )
    for t, cols in c.columns_removed.items():
        if cols:
            notes.append(f"Column(s) removed from {name(t)}: {', '.join(cols)}.")
    out.extend(f"<p>{html.escape(n)}</p>" for n in notes)
    labels = {
        "table": "Table",
        "key": "Row",
        "label": "What",
        "citekey": "Source",
        "locator": "Where in the source",
    }
    for which, caption in (("added", "Rows added"), ("removed", "Rows removed")):
        df = c.rows_frame(which)
        if len(df):
            df["table"] = df["table"].map(name)
            out.append(table(df, list(labels), labels, caption=caption, shown=LISTING_ROWS).html)
    if c.changed:
        df = c.changed_frame()
        df["table"] = df["table"].map(name)
        df["change"] = [f"{_shown(o)} → {_shown(n)}" for o, n in zip(df["old"], df["new"], strict=True)]
        cols = ["table", "key", "column", "change", "citekey", "locator"]
        out.append(
            table(
                df,
                cols,
                {**labels, "column": "Column", "change": "Old → new"},
                caption="Values changed (old → new)",
                shown=LISTING_ROWS,
            ).html
        )
    return "\n".join(out)


def contents_html(
    tables: Mapping[str, pd.DataFrame],
    *,
    titles: Mapping[str, str] | None = None,
    descriptions: Mapping[str, str] | None = None,
    exclude: Iterable[str] = (RELEASES_RESOURCE,),
) -> str:
    """What a release contains: one line per table with its row count (for the first release)."""
    skip = set(exclude)
    titles, descriptions = dict(titles or {}), dict(descriptions or {})
    rows = [
        {"table": titles.get(t, t), "rows": len(df), "what": descriptions.get(t, "")}
        for t, df in tables.items()
        if t not in skip
    ]
    df = pd.DataFrame(rows, columns=["table", "rows", "what"])
    return table(
        df,
        ["table", "rows", "what"],
        {"table": "Table", "rows": "Rows", "what": "What a row is"},
        caption="What the first release contains",
    ).html


def report_html(
    root: Path, dataset: Mapping[str, pd.DataFrame] | None = None, package: dict | None = None
) -> str:
    """The "changes" section of the What's new page: for the first release, that it is the first
    and what it contains; otherwise the difference from the previous release's tag to the data
    being built, plus any change made since the latest release was tagged."""
    root = Path(root)
    if package is None:
        package = json.loads(package_file(root).read_text(encoding="utf-8"))
    resources = [r for r in package.get("resources", []) if isinstance(r, dict)]
    titles = {r.get("name"): r.get("title") or r.get("name") for r in resources}
    descriptions = {r.get("name"): r.get("description") or "" for r in resources}
    latest = latest_release(root)
    prev, c = since_previous(root)
    out: list[str] = []
    if prev is None:
        tables = dataset if dataset is not None else dataset_now(root)
        out.append(
            f"<p>Version {html.escape(latest.version)} is the first release of the review: "
            "there is no earlier version to compare it with. Everything in the dataset is new; "
            "the table below counts what it contains.</p>"
        )
        out.append(contents_html(tables, titles=titles, descriptions=descriptions))
    else:
        where = (
            f"its data archived in <code>{html.escape(prev.archive)}</code>"
            if prev.archive
            else f"git tag <code>{html.escape(prev.tag)}</code>"
        )
        out.append(
            f"<p>Compared with version {html.escape(prev.version)} ({where}, released "
            f"{prev.date.isoformat()}), the data this site was built from have "
            f"{html.escape(summary_text(c))}.</p>"
        )
        studies = [r for r in c.added if r.table == "studies"]
        if studies:
            # A table cut to its first rows (the rest on demand), not a list: the page must not
            # grow with the number of studies a release adds.
            out.append(
                table(
                    pd.DataFrame(
                        {"label": [r.label or r.key for r in studies], "key": [r.key for r in studies]}
                    ),
                    ["label", "key"],
                    {"label": "Study", "key": "Id"},
                    caption=f"Studies added ({len(studies)})",
                    shown=LISTING_ROWS,
                ).html
            )
        flagged = flags_added(c)
        if flagged:
            df = pd.DataFrame(flagged)
            df["table"] = df["table"].map(lambda t: titles.get(t, t))
            df["change"] = [f"{_shown(o)} → {n}" for o, n in zip(df["old"], df["new"], strict=True)]
            out.append(
                table(
                    df,
                    ["table", "key", "label", "change", "citekey", "locator"],
                    {
                        "table": "Table",
                        "key": "Row",
                        "label": "What",
                        "change": "Flag (old → new)",
                        "citekey": "Source",
                        "locator": "Where in the source",
                    },
                    caption="Flags added in this release (on new rows, or added to a row's flags)",
                    shown=LISTING_ROWS,
                ).html
            )
        pages = chapters_assessed_since(root, prev.date)
        if pages:
            items = "".join(
                f'<li><a href="{html.escape(stem)}.html">{html.escape(title)}</a> '
                f"(assessed as up to date on {html.escape(day)})</li>"
                for stem, title, day in pages
            )
            out.append(f"<p>Pages assessed again and updated for this release:</p>\n<ul>{items}</ul>")
        out.append(changes_html(c, titles=titles))
    later = unreleased(root)
    if later:
        out.append(
            f"<p>The data on this site have also changed since version {html.escape(latest.version)} "
            f"was tagged (<code>{html.escape(latest.tag)}</code>): {html.escape(summary_text(later))}. "
            "These changes will be part of the next release.</p>"
        )
        out.append(changes_html(later, titles=titles))
    return '<div class="lr-changes">\n' + "\n".join(out) + "\n</div>"


def current_release_table(root: Path) -> Any:
    """The latest release of the update log as a two-column table (item, value)."""
    latest = latest_release(root)
    items = {
        "Version": latest.version,
        "Released": latest.date.isoformat(),
        "Search date": latest.search_date.isoformat(),
        "Git tag": latest.tag,
        "What changed": latest.summary,
        "Scope": latest.scope_note or "—",
    }
    frame = pd.DataFrame({"item": list(items), "value": list(items.values())})
    return table(frame, {"item": "Item", "value": "Value"}, caption="The current release")


def newest_first(log: pd.DataFrame) -> pd.DataFrame:
    """The update log (``ds.releases``), newest release first (by version, not by row order)."""
    return log.assign(order=log["version"].map(version_key)).sort_values("order", ascending=False)
