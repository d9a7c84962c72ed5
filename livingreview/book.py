"""What a chapter calls: one line to start a page, a few short calls for its charts and tables.

    from livingreview import book
    ds = book.start()                       # the page's view of the dataset
    ds.forest(ds.forest_rows({"vandersluis2023-os-2y": "Blinatumomab"}), describe="...", title="...")
    ds.flags_table()                        # the flagged figures this page showed

The prose cites single figures by id ({fig}`vandersluis2023-os-2y`, :mod:`livingreview.build.roles`).
``start()`` returns a :class:`Page`: the book's dataset (``ds.outcomes``, ``ds["patients"]``:
frames with the schema applied) that also records every row the page shows — the rows its prose
cites, and those its cells show through :meth:`Page.row`, :meth:`Page.show` and the methods built
on them — so that the page's table of flagged figures is made from what the page used, never
listed by hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from livingreview.core.myst import glue_key, split_ref
from livingreview.core.paths import (
    FIGURE_TABLES,
    ROWS_DIR,
    SHOWN_TABLES,
    build_cache,
    find_root,
    package_file,
)
from livingreview.dataset.load import Dataset, primary_key, resource_schema
from livingreview.present import evidence, render
from livingreview.present.tables import is_missing

if TYPE_CHECKING:
    from livingreview.review.changes import Release


class Text(str):
    """A string glued into prose as it is: myst-nb shows a plain ``str`` with its quotes."""

    def __repr__(self) -> str:
        return str(self)


def glue(name: str, value: Any) -> Any:
    """Glue ``value`` for ``{glue:text}`name``` in the prose, without showing it here."""
    from myst_nb import glue as nb_glue

    if isinstance(value, str):
        value = Text(value)
    nb_glue(name, value, display=False)
    return value


# The columns of a provenance table (:meth:`Page.provenance_table`), with their headings.
PROVENANCE_HEADINGS = {
    "study": "Study",
    "arm": "Group",
    "what": "Figure",
    "figure": "As printed",
    "page": "Read on (page, grade): locator",
    "overlap": "May share patients with",
}


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

    def study_rows(self, table: str, studies: Iterable[str]) -> pd.DataFrame:
        """The rows of ``table`` from these studies, recorded as shown: study by study in the order
        given, each study's rows in the order of their ids (:meth:`where`'s rows of each study)."""
        key = self._id_column(table)
        parts = [
            self.where(table, study_id=s).sort_values(key, kind="stable") for s in dict.fromkeys(studies)
        ]
        return self.show(pd.concat(parts) if parts else self.dataset[table].iloc[0:0], table)

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

    def provenance(self, ids: Iterable[str]) -> pd.DataFrame:
        """Figure rows with, beside each, the study, what it measures, the figure as printed, the
        page it was read on (kind and grade) or its founding document, and the studies that may
        share its patients: :func:`livingreview.present.evidence.provenance_frame`."""
        rows = self.rows(list(ids))
        return evidence.provenance_frame(rows, self.dataset.studies, self.dataset["documents"])

    def forest_rows(
        self,
        rows: Mapping[str, str] | Iterable[tuple[str, str, str | Mapping[str, Any]]],
        *,
        flag_mark: str = "",
    ) -> pd.DataFrame:
        """The rows of a forest plot (and of the table beside it), recorded as shown: each figure
        row's columns with :func:`livingreview.present.evidence.forest_row`'s (``estimate``,
        ``ci_lower``, ``ci_upper`` on the plot's scale, ``figure``, ``basis``) and a ``label``.

        ``rows``: row id -> label; or ``(group, label, row id)`` triples, in the plot's order,
        where a row may instead be one computed on the page (a ``complement_row``).
        ``flag_mark``: added to the label of each flagged row, so that a chart, whose labels carry
        no flag text, still marks the figures listed in the page's flags table."""
        if isinstance(rows, Mapping):
            specs: list[tuple[Any, str, Any]] = [(None, label, i) for i, label in rows.items()]
        else:
            specs = list(rows)
        records = []
        for group, label, source in specs:
            if isinstance(source, str):
                row = self.row(source)
                record = {**row.to_dict(), **evidence.forest_row(row)}
            else:
                record = dict(source)
            if flag_mark and not is_missing(record.get("flag")):
                label += flag_mark
            records.append({**record, "label": label} | ({} if group is None else {"group": group}))
        return pd.DataFrame(records)

    def forest(
        self,
        rows: pd.DataFrame | Mapping[str, str] | Iterable[tuple[str, str, str | Mapping[str, Any]]],
        *,
        describe: str,
        item: str = "{label}: {figure}",
        after: str = ".",
        **chart: Any,
    ) -> Any:
        """A forest plot of figure rows in percent (a frame from :meth:`forest_rows`, or what it
        takes), grouped by ``group`` when the rows have one, without marker sizes, on 0–100%.
        Its text description is ``describe``, then each row's figure as ``item`` says
        (:func:`livingreview.present.evidence.figure_list`), then ``after``. ``chart``: the rest of
        :func:`livingreview.present.charts.forest`'s arguments, or other values for these."""
        from livingreview.present import charts

        frame = rows if isinstance(rows, pd.DataFrame) else self.forest_rows(rows)
        defaults = {"n": None, "x_domain": (0, 100), "group": "group" if "group" in frame else None}
        description = describe + evidence.figure_list(frame, item) + after
        return charts.forest(frame, **{**defaults, **chart}, description=description)

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

    def cited(self, target: str) -> str:
        """The text of a ``{fig}`row-id``` or ``{value}`row-id:column``` reference in the prose
        (recorded as shown): what the page's prose shows where it cites the dataset."""
        row_id, column = split_ref(target)
        role = "{fig}" if column is None else "{value}"
        try:
            table = self._table_of(row_id)
        except KeyError as e:
            raise KeyError(f"{role}`{target}` in the prose: {e.args[0]}") from None
        where = f"{role}`{target}` in the prose: {table} row {row_id!r}"
        if column is None:
            if table not in FIGURE_TABLES:
                raise ValueError(
                    f"{where} is not a figure; cite one of its values as {{value}}`{row_id}:column`"
                )
            try:
                return self.text(row_id)
            except ValueError as e:
                raise ValueError(f"{where}: {e}") from None
        if column not in self.dataset[table].columns:
            raise KeyError(f"{where}: no column {column!r} in {table}")
        try:
            return evidence.value_text(self.value(row_id, column))
        except ValueError as e:
            raise ValueError(f"{where}: {column}: {e}") from None

    def count(self, row_id: str, column: str = "events") -> int:
        return int(self.value(row_id, column))

    # -- cases, patients and tables of figures --------------------------------------------------------
    def as_printed(self, row_id: str, column: str, *, quoted: bool = False) -> str:
        """One value of a row as printed (in quotation marks if ``quoted``: the source's words), with
        the row's flag where it concerns that column; recorded as shown."""
        text = evidence.value_text(self.value(row_id, column))
        if quoted:
            text = f"“{text}”"
        return text + evidence.flag_text(self._by_id(self._table_of(row_id)).loc[row_id], column)

    def flag(self, row_id: str, column: str | None = None) -> str:
        """The marker of a row's flag, for a sentence that states it ('' when the row, or the
        ``column`` shown, is not flagged); the row (or that value) is recorded as shown."""
        row = self.row(row_id) if column is None else self._by_id(self._table_of(row_id)).loc[row_id]
        if column is not None:
            self.value(row_id, column)
        return evidence.flag_text(row, column).strip()

    def where(self, table: str, **equal: Any) -> pd.DataFrame:
        """The rows of ``table`` whose columns equal these values, in the dataset's order (read,
        not recorded as shown: a page that shows them passes them to :meth:`show`)."""
        frame = self.dataset[table]
        keep = pd.Series(True, index=frame.index)
        for column, value in equal.items():
            keep &= frame[column].eq(value).fillna(False).astype(bool)
        return frame[keep]

    def cases_behind(
        self, row_id: str, column: str = "events", *, table: str = "patients", **equal: Any
    ) -> pd.DataFrame:
        """The rows of ``table`` (one per patient) behind a figure's count: the figure's study's rows
        whose columns equal ``equal``. A build error if there are not as many as the figure's
        ``column`` says: the page would list cases that do not bear out the count it states."""
        expected = self.count(row_id, column)
        study = self._by_id(self._table_of(row_id)).loc[row_id, "study_id"]
        rows = self.where(table, study_id=study, **equal)
        if len(rows) != expected:
            raise ValueError(
                f"{row_id}: {column} is {expected}, but {len(rows)} row(s) of {table} match {equal}"
            )
        return rows

    def figures_of(self, *studies: str, table: str = "outcomes") -> list[str]:
        """The ids of ``table``'s rows from these studies: study by study in the order given, each
        study's rows in the dataset's order (so a study's new figures join a page's list of them)."""
        return [i for s in studies for i in self.where(table, study_id=s)[self._id_column(table)]]

    def require_shown(self, table: str, **equal: Any) -> None:
        """A build error unless the page has shown every row of ``table`` whose columns equal
        ``equal``: for a page that promises all such rows (call it after the page has shown them)."""
        rows = self.where(table, **equal)[self._id_column(table)]
        missing = [i for i in rows if i not in self.used[table]]
        if missing:
            raise ValueError(f"{table} rows with {equal} not shown on the page: {', '.join(missing)}")

    def cases(self, mask: pd.Series, read_in: Mapping[str, str]) -> pd.DataFrame:
        """The patient rows ``mask`` selects, recorded as shown, with the columns a table of cases
        shows: where each was read (:func:`~livingreview.present.evidence.with_sources`; ``read_in``:
        short names of the documents, by citekey), ``case`` (the study, the case label and where it
        was read: :func:`~livingreview.present.evidence.case_text`) and ``age``
        (:func:`~livingreview.present.evidence.age_text`)."""
        rows = self.show(self.dataset["patients"][mask], "patients")
        rows = evidence.with_sources(rows, self.dataset.studies, read_in)
        records = rows.to_dict("records")
        rows["case"] = [evidence.case_text(r, r["study"], r["source"]) for r in records]
        rows["age"] = [evidence.age_text(r) for r in records]
        return rows

    def figures(self, ids: Iterable[str], read_in: Mapping[str, str]) -> pd.DataFrame:
        """Figure rows by id, recorded as shown, with where each was read
        (:func:`~livingreview.present.evidence.with_sources`) and ``figure``, its reader's text (a
        count printed without its denominator says so: :func:`evidence.figure_or_count`)."""
        rows = evidence.with_sources(self.rows(list(ids)), self.dataset.studies, read_in)
        rows["figure"] = [evidence.figure_or_count(r) for r in rows.to_dict("records")]
        return rows

    def provenance_table(
        self,
        frame: pd.DataFrame,
        *,
        caption: str,
        labels: Mapping[str, str] | None = None,
        shown: int | None = None,
    ) -> Any:
        """A :meth:`provenance` frame as a table: study, group, figure, as printed, the page it was
        read on and the studies that may share its patients (``labels``: other headings)."""
        from livingreview.present import tables

        return tables.table(frame, PROVENANCE_HEADINGS, labels=labels, caption=caption, shown=shown)

    # -- the release a page describes, and where its figures were read --------------------------------
    def release(self) -> Release:
        """The release this build publishes: the latest of the update log
        (:func:`livingreview.review.changes.latest_release`)."""
        from livingreview.review import changes

        return changes.latest_release(self.dataset.root)

    def glue_release(self) -> Release:
        """Glue the published release for the prose, under the names the pages that state it use:
        ``version``, ``release_date`` and ``search_date`` (ISO dates). Returns the release."""
        release = self.release()
        glue("version", str(release.version))
        glue("release_date", release.date.isoformat())
        glue("search_date", release.search_date.isoformat())
        return release

    def version(self, parts: int | None = None) -> str:
        """The published version, or its first ``parts`` numbers (``2``: '1.1' of '1.1.0', the
        version a page names when it says what that version added)."""
        return ".".join(self.release().version.split(".")[:parts])

    def read_on(self, row_id: str) -> str:
        """The stored page a figure row was read on, as its kind and grade ('mirror page,
        secondary'), or 'founding document' (:func:`~livingreview.present.evidence.page_text`, the
        :meth:`provenance` column without the locator); the row is recorded as shown."""
        return evidence.page_text(self.row(row_id), self._by_id("documents"))

    def documents_of(self, ids: Iterable[str]) -> pd.DataFrame:
        """The stored pages (``documents`` rows, by ``document_id``) these figure rows were read on,
        each once, by document id; each row's ``document_id`` is recorded as shown. A
        build error for a row read in a founding document: it names no stored page."""
        ids = list(ids)
        pages = {i: self.value(i, "document_id") for i in ids}
        founding = [i for i, d in pages.items() if is_missing(d)]
        if founding:
            raise ValueError(f"read in a founding document, not on a stored page: {', '.join(founding)}")
        return self._by_id("documents").loc[sorted(set(pages.values()))]

    def overlaps(self, study_id: str) -> str:
        """The names of the studies that may share a study's patients, or 'none stated' (the
        :meth:`provenance` column; read, not recorded, as there: the page shows the study's figures)."""
        studies = self._by_id("studies")
        return evidence.overlaps_text(studies.loc[study_id], studies["short_name"])

    def design(self, study_id: str, *columns: str, therapy: str = "interventions") -> str:
        """A study's design as a table of studies shows it: the values of ``columns`` (its design,
        setting…), then its therapy, or 'therapy not stated' where the study records none, joined
        by '; '. Each value is recorded as shown."""
        parts = [str(self.value(study_id, c)) for c in columns]
        given = self.value(study_id, therapy)
        return "; ".join([*parts, "therapy not stated" if is_missing(given) else str(given)])

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
    build passes in as it reads the page (:mod:`livingreview.build.roles`): each one's text is
    glued for its role to paste, and recorded as shown, so the page's table of flagged figures
    includes it; an unknown id stops the page."""
    from livingreview.dataset import load as data
    from livingreview.present import tables

    render.enable()
    root = find_root()
    cache = build_cache(root) if root else None
    tables.keep_rows_in(cache / ROWS_DIR if cache else None)
    page = Page(data.load(root, cache_dir=cache))
    for target in prose:
        glue(glue_key(target), page.cited(target))
    return page
