"""What a chapter calls: one line to start a page, then one line per figure.

    from livingreview import book
    ds = book.start()                       # the page's view of the dataset
    ds.fig("vds_os", "vandersluis2023-os-2y")   # glue a figure for {glue:text}`vds_os`
    ds.flags_table()                        # the flagged figures this page showed

``start()`` returns a :class:`Page`: the book's dataset (``ds.outcomes``, ``ds["patients"]``:
frames with the schema applied) that also records every row the page shows — through
:meth:`Page.fig`, :meth:`Page.row`, :meth:`Page.show` — so that the page's table of flagged
figures is made from what the page used, never listed by hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pandas as pd

from livingreview.core.myst import split_ref
from livingreview.core.paths import ROWS_DIR, SHOWN_TABLES, build_cache, find_root, package_file
from livingreview.dataset.load import Dataset, primary_key, resource_schema
from livingreview.present import evidence, render


class Text(str):
    """A string glued into prose as it is: myst-nb shows a plain ``str`` with its quotes."""

    def __repr__(self) -> str:
        return str(self)


def glue_name(row_id: str) -> str:
    """The glue name of a row id: ``'leahy2022-os-2y'`` -> ``'leahy2022_os_2y'``."""
    return row_id.replace("-", "_")


def glue(name: str, value: Any) -> Any:
    """Glue ``value`` for ``{glue:text}`name``` in the prose, without showing it here."""
    from myst_nb import glue as nb_glue

    if isinstance(value, str):
        value = Text(value)
    nb_glue(name, value, display=False)
    return value


class Page(Mapping[str, pd.DataFrame]):
    """One page's view of the dataset: the tables, plus a record of the rows the page shows."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        # table -> row id -> the columns the page shows (None: the whole row), in first-use order
        self.used: dict[str, dict[Any, set[str] | None]] = {name: {} for name in SHOWN_TABLES}
        self._ids: dict[str, str] = {}  # table -> its id column
        self._index: dict[str, pd.DataFrame] = {}

    # -- the dataset, as before ------------------------------------------------------------------
    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.dataset[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.dataset)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in ("dataset", "used"):
            raise AttributeError(name)
        return getattr(self.dataset, name)

    # -- rows the page shows -----------------------------------------------------------------------
    def _id_column(self, table: str) -> str:
        if table not in self._ids:
            resource = next(r for r in self.dataset.package["resources"] if r.get("name") == table)
            schema = resource_schema(resource, package_file(self.dataset.root).parent)
            self._ids[table] = primary_key(schema)[0]
        return self._ids[table]

    def _by_id(self, table: str) -> pd.DataFrame:
        if table not in self._index:
            self._index[table] = self.dataset[table].set_index(self._id_column(table), drop=False)
        return self._index[table]

    def _table_of(self, row_id: str) -> str:
        for table in SHOWN_TABLES:
            if table in self.dataset and row_id in self._by_id(table).index:
                return table
        raise KeyError(f"no row {row_id!r} in {', '.join(t for t in SHOWN_TABLES if t in self.dataset)}")

    def _record(self, table: str, row_id: Any, column: str | None = None) -> None:
        seen = self.used[table]
        if column is None:
            seen[row_id] = None
        elif row_id not in seen:
            seen[row_id] = {column}
        elif seen[row_id] is not None:
            seen[row_id].add(column)

    def row(self, row_id: str, table: str | None = None) -> pd.Series:
        """The row with this id (an outcome, adverse event, patient or study), recorded as shown."""
        table = table or self._table_of(row_id)
        self._record(table, row_id)
        return self._by_id(table).loc[row_id]

    def value(self, row_id: str, column: str) -> Any:
        """One value of a row, recorded as shown (a flag on other columns of the row is not)."""
        table = self._table_of(row_id)
        self._record(table, row_id, column)
        return self._by_id(table).loc[row_id, column]

    def rows(self, ids: Iterable[str], table: str | None = None) -> pd.DataFrame:
        """Rows by id, in that order, recorded as shown."""
        ids = list(ids)
        table = table or (self._table_of(ids[0]) if ids else "outcomes")
        for i in ids:
            self._record(table, i)
        return self._by_id(table).loc[ids].reset_index(drop=True)

    def show(self, frame: pd.DataFrame, table: str | None = None) -> pd.DataFrame:
        """Record every row of ``frame`` (rows of one table, with its id column) as shown."""
        for name in [table] if table else SHOWN_TABLES:
            if name in self.dataset and self._id_column(name) in frame.columns:
                for i in frame[self._id_column(name)]:
                    self._record(name, i)
                break
        return frame

    # -- one line per figure ------------------------------------------------------------------------
    def text(self, row_id: str, **kwargs: Any) -> str:
        """The reader's text of one figure row (counts with exact CI, or as printed; flag)."""
        return evidence.figure_text(self.row(row_id), **kwargs)

    def fig(self, name: str, row_id: str, **kwargs: Any) -> str:
        """Glue the reader's text of one figure row for ``{glue:text}`name``` in the prose."""
        return glue(name, self.text(row_id, **kwargs))

    def figs(self, ids: Iterable[str], digits: Mapping[str, int] | None = None) -> list[str]:
        """Glue each figure row under its own id, dashes written as underscores
        (``{glue:text}`leahy2022_cr``` for ``leahy2022-cr``): a page's list of figures in one call.
        ``digits``: decimals for the rows printed with a trailing zero (``{"cibmtr2025-cr": 1}``)."""
        digits = dict(digits or {})
        return [self.fig(glue_name(i), i, digits=digits.get(i)) for i in ids]

    def provenance(self, ids: Iterable[str], **kwargs: Any) -> pd.DataFrame:
        """Figure rows with, beside each, the study, what it measures, the figure as printed, the
        page it was read on (kind and grade) or its founding document, and the studies that may
        share its patients: :func:`livingreview.present.evidence.provenance_frame`."""
        rows = self.rows(list(ids))
        return evidence.provenance_frame(rows, self.dataset.studies, self.dataset["documents"], **kwargs)

    def duration(self, row_id: str, column: str, unit_column: str | None = None, **kwargs: Any) -> str:
        """A duration from one column of a row (its unit from ``unit_column`` or ``unit=``)."""
        self.value(row_id, column)  # recorded: this value (a flag on other columns is not shown)
        if unit_column:
            kwargs["unit"] = str(self.value(row_id, unit_column))
        return evidence.duration_text(self._by_id(self._table_of(row_id)).loc[row_id], column, **kwargs)

    def phrase(self, row_id: str, column: str, pattern: str) -> str:
        """The part of a printed text field that ``pattern``'s group matches (a build error if the
        field does not contain it: the prose would otherwise state what the data no longer say)."""
        text = str(self.value(row_id, column))
        m = re.search(pattern, text)
        if m is None:
            raise ValueError(f"{row_id}: {column}: {pattern!r} not found in {text!r}")
        return m.group(1)

    def number(self, name: str, row_id: str, column: str) -> str:
        """Glue a whole number from one column of a row (a study's n, a count)."""
        return glue(name, str(int(self.value(row_id, column))))

    def cited(self, target: str) -> str:
        """The text of a ``{fig}`row-id``` or ``{value}`row-id:column``` reference in the prose
        (recorded as shown): what the page's prose shows where it cites the dataset."""
        row_id, column = split_ref(target)
        if column is None:
            return self.text(row_id)
        return evidence.value_text(self.value(row_id, column))

    def count(self, row_id: str, column: str = "events") -> int:
        return int(self.value(row_id, column))

    def bibliography(self) -> Any:
        """The book's bibliography (the first of ``_config.yml``'s ``bibtex_bibfiles``)."""
        from livingreview.core.paths import book_settings
        from livingreview.dataset.bib import load_bibliography

        return load_bibliography(self.dataset.root / book_settings(self.dataset.root).bib_file)

    # -- what the page used -------------------------------------------------------------------------
    def used_rows(self) -> list[pd.DataFrame]:
        """The rows the page showed, per table (in the order it first showed them); a row of which
        the page showed only some values is left out when its flag concerns none of them
        (``flagged_columns``)."""
        frames = []
        # A figure stands on its study: a flag on the whole study record (not on named columns)
        # goes with every figure shown from it.
        studies = self.used.get("studies", {})
        if "studies" in self.dataset:
            for table in SHOWN_TABLES[:-1]:
                for row_id in list(self.used[table]):
                    study = self._by_id(table).loc[row_id].get("study_id")
                    record = (
                        self._by_id("studies").loc[study] if study in self._by_id("studies").index else None
                    )
                    if record is not None and _whole_record_flag(record) and study not in studies:
                        studies[study] = None
        for table in SHOWN_TABLES:
            keep = []
            for row_id, columns in self.used[table].items():
                row = self._by_id(table).loc[row_id]
                concerns = row.get("flagged_columns")
                if columns is not None and isinstance(concerns, str):
                    if not columns & {c.strip() for c in concerns.split(";")}:
                        continue
                keep.append(row_id)
            if keep:
                frames.append(self._by_id(table).loc[keep].reset_index(drop=True))
        return frames

    def flags_table(self, **kwargs: Any) -> Any:
        """The page's table of flagged figures, from the rows it showed."""
        frames = self.used_rows()
        return evidence.flags_table(frames, **kwargs) if frames else ""


def _whole_record_flag(row: pd.Series) -> bool:
    flag, concerns = row.get("flag"), row.get("flagged_columns")
    return isinstance(flag, str) and not isinstance(concerns, str)


def start(prose: Iterable[str] = ()) -> Page:
    """Set up the page (offline charts) and return the page's view of the dataset of the book being
    built (not of wherever the engine is installed), schema applied. The first page of a build to
    load the data keeps the frames in the build's cache; the others read them back.

    ``prose``: the figures the page's prose cites (``{fig}`` and ``{value}`` roles), which the
    build passes in as it reads the page (:mod:`livingreview.build.roles`): they are recorded as
    shown, so the page's table of flagged figures includes them, and an unknown id stops the page."""
    from livingreview.dataset import load as data
    from livingreview.present import tables

    render.enable()
    root = find_root()
    cache = build_cache(root) if root else None
    tables.keep_rows_in(cache / ROWS_DIR if cache else None)
    page = Page(data.load(root, cache_dir=cache))
    for target in prose:
        page.cited(target)
    return page
