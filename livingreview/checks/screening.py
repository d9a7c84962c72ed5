"""The rules of the screening log (``data/screening.csv``; its vocabulary and PRISMA counts are in
:mod:`livingreview.review.screening`).

    from livingreview.checks.screening import check_screening
    problems = check_screening(root)         # -> [Problem], also run by `make check`

``check_screening`` reports what the Table Schema cannot express (conditional and cross-table
rules, the PRISMA arithmetic). Types, enums, required cells, missing columns and unknown
citekeys are also reported by the generic checks of ``livingreview.checks.validate``; rules that need a
missing column or an invalid value are skipped here rather than repeated, and an unknown citekey is
reported with the generic rule's exact words so that ``check_project`` shows it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from livingreview.core.paths import book_settings, package_file
from livingreview.dataset import bib as _bib
from livingreview.dataset.load import (
    CsvTable,
    DataError,
    Problem,
    csv_options,
    is_blank,
    read_csv_records,
    read_package,
    rel,
    resource_path,
)
from livingreview.review.screening import (
    _COLUMNS,
    CITATION,
    DECISIONS,
    DEFAULT_FILE,
    FIGURE_TABLES,
    FOUNDING,
    IDENTIFIED_VIA,
    NOT_RETRIEVED,
    REASONS,
    REASONS_BY_STAGE,
    RESOURCE,
    STAGES,
    TARGETED,
    prisma_counts,
    split_keys,
)

__all__ = ["check_screening"]


# --------------------------------------------------------------------------- check


@dataclass
class _Csv:
    file: str
    table: CsvTable

    def rows(self):
        """(line, {column: value or None}) for every non-blank record."""
        header = self.table.header
        for record, line in zip(self.table.records, self.table.lines, strict=True):
            if is_blank(record):
                continue
            cells = {}
            for j, col in enumerate(header):
                if col in cells:
                    continue
                v = record[j] if j < len(record) else ""
                cells[col] = v.strip() or None
            yield line, cells


def _read(root: Path, descriptor: dict, name: str, default: str | None = None) -> _Csv | None:
    package_dir = package_file(root).parent
    resource = next(
        (r for r in descriptor.get("resources", []) if isinstance(r, dict) and r.get("name") == name), None
    )
    path = resource_path(resource, package_dir) if resource is not None else None
    if path is None and default is not None:
        path = root / default
    if path is None or not path.is_file():
        return None
    try:
        table = read_csv_records(path, **csv_options(resource or {}, path))
    except (UnicodeDecodeError, OSError, LookupError, ValueError):
        return None  # reported by livingreview.checks.validate
    return _Csv(rel(path, root), table)


def _in(value: str | None, allowed) -> str | None:
    """The value if it is allowed, else None (an invalid value is the schema check's problem)."""
    return value if value in allowed else None


def check_screening(root: Path | str) -> list[Problem]:
    """Problems in the screening log, each as ``data/screening.csv:LINE: column: what, and the fix``.

    Returns [] when the project has no screening log (no ``screening`` resource and no
    ``data/screening.csv``). Checks: a record needs a citekey or a citation; founding documents
    have no ``found_in``, records found by citation searching name the founding document(s) whose
    reference list cites them and the reference numbers; a reason iff excluded, and a reason that
    belongs to the stage reached; an included record was assessed, has a citekey that is a study
    of ``data/studies.csv`` with figures; every study with figures has an included record; one
    record per citekey; citekeys exist in ``references.bib``; and the PRISMA boxes add up
    (``PrismaCounts.check()``)."""
    root = Path(root)
    try:
        descriptor = read_package(root)
    except DataError:
        return []  # reported by livingreview.checks.validate
    log = _read(root, descriptor, RESOURCE, DEFAULT_FILE)
    if log is None:
        return []
    file = log.file
    problems: list[Problem] = []

    def add(line: int | None, column: str | None, message: str) -> None:
        problems.append(Problem(file, line, column, message))

    header = set(log.table.header)
    has = {c: c in header for c in _COLUMNS}
    rows = list(log.rows())

    # ---- what the rest of the project says
    bib_file = book_settings(root).bib_file
    bibliography = _bib.load_bibliography(root / bib_file, bib_file)
    studies = _read(root, descriptor, "studies")
    study_keys: dict[str, list[str]] = {}  # citekey -> study_ids
    study_lines: dict[str, int] = {}  # study_id -> line in studies.csv
    if studies is not None and {"study_id", "citekey"} <= set(studies.table.header):
        for line, cells in studies.rows():
            sid, key = cells.get("study_id"), cells.get("citekey")
            if sid and key:
                study_keys.setdefault(key, []).append(sid)
                study_lines.setdefault(sid, line)
    figures: dict[str, str] = {}  # study_id -> "data/outcomes.csv:12" (first figure)
    read_from: dict[str, dict[str, str]] = {}  # citekey of figure rows -> {study_id: first row}
    for name in FIGURE_TABLES:
        t = _read(root, descriptor, name)
        if t is None or "study_id" not in t.table.header:
            continue
        for line, cells in t.rows():
            sid = cells.get("study_id")
            if sid and sid in study_lines:
                figures.setdefault(sid, f"{t.file}:{line}")
                if cells.get("citekey"):
                    read_from.setdefault(cells["citekey"], {}).setdefault(sid, f"{t.file}:{line}")
    releases = _read(root, descriptor, "releases")
    versions = (
        {cells.get("version") for _, cells in releases.rows()}
        if releases is not None and "version" in releases.table.header
        else None
    )

    def with_figures(key: str) -> list[str]:
        return [sid for sid in study_keys.get(key, []) if sid in figures]

    founding = {
        cells["citekey"]
        for _, cells in rows
        if cells.get("citekey") and cells.get("identified_via") == FOUNDING
    }

    # ---- row rules
    first_line: dict[str, int] = {}
    unknown: set[str] = set()  # citekeys not in references.bib (one problem each, no cascade)
    typo_for: set[str] = set()  # existing keys that an unknown citekey is probably a typo of
    stage_problem = False
    for line, c in rows:
        key, via = c.get("citekey"), _in(c.get("identified_via"), IDENTIFIED_VIA)
        stage, decision = _in(c.get("stage_reached"), STAGES), _in(c.get("decision"), DECISIONS)
        reason = c.get("reason")
        if has["citekey"] and has["citation"] and not key and not c.get("citation"):
            add(
                line,
                "citation",
                "a record needs its citekey (its key in references.bib) or, for a work "
                "not in references.bib, its citation as the reference list prints it",
            )
        if key:
            if key in first_line:
                add(
                    line,
                    "citekey",
                    f"citekey {key!r} already has a record on line {first_line[key]}; "
                    "log each work once: merge the rows and list every citing document "
                    "in found_in ('; '-separated)",
                )
            else:
                first_line[key] = line
            if bibliography.found and key not in bibliography and key not in bibliography.broken:
                add(line, "citekey", _bib.unknown_citekey(key, bibliography))
                unknown.add(key)
                meant = _bib.suggest(key, bibliography.keys)
                if meant:
                    typo_for.add(meant)  # its "missing record" would repeat the "did you mean"
        # where the record was found
        if has["found_in"]:
            cited_by = split_keys(c.get("found_in"))
            if via in (FOUNDING, TARGETED) and cited_by:
                what = "a founding document" if via == FOUNDING else "a record of a targeted search"
                add(
                    line,
                    "found_in",
                    f"{what} is not found in a reference list: leave "
                    "found_in empty, or set identified_via to 'citation searching'",
                )
            elif via == CITATION and not cited_by:
                add(
                    line,
                    "found_in",
                    "say which founding document's reference list names this work: its "
                    "citekey, e.g. 'durer2019' (several joined by '; ')",
                )
            for k in cited_by:
                if k not in founding:
                    choices = ", ".join(sorted(founding)) or "none in this log"
                    hint = _bib.suggest(k, sorted(founding))
                    add(
                        line,
                        "found_in",
                        f"{k!r} is not the citekey of a founding document of this log"
                        + (f"; did you mean `{hint}`?" if hint and hint != k else "")
                        + f" (founding documents: {choices})",
                    )
        if via == TARGETED and has["search_queries"] and not c.get("search_queries"):
            add(
                line,
                "search_queries",
                "a record found by a targeted search needs the queries that found it, verbatim "
                "(several joined by ' || ')",
            )
        if has["added_in"] and versions is not None and c.get("added_in") and c["added_in"] not in versions:
            add(
                line,
                "added_in",
                f"version {c['added_in']!r} is not a release of data/releases.csv "
                f"({', '.join(sorted(v for v in versions if v))}): add the release or correct the version",
            )
        later_of = c.get("study_id") if has["study_id"] else None
        if later_of and later_of not in study_lines and studies is not None:
            add(
                line,
                "study_id",
                f"study {later_of!r} is not in {studies.file}: a later report belongs to a study "
                "of the dataset (or leave study_id empty when the record is its own study)",
            )
        if has["reference_numbers"] and via == CITATION and not c.get("reference_numbers"):
            add(
                line,
                "reference_numbers",
                "say under which number the citing reference list gives this "
                "work, e.g. 'Durer ref 3' (several joined by '; ')",
            )
        # reason iff excluded, and a reason of the stage reached
        if has["reason"] and decision == "excluded" and not reason:
            allowed = REASONS_BY_STAGE.get(stage or "", REASONS)
            add(
                line,
                "reason",
                "an excluded record needs a reason; allowed"
                + (f" at stage {stage!r}" if stage else "")
                + f": {'; '.join(allowed)}",
            )
        elif has["reason"] and decision == "included" and reason:
            add(
                line,
                "reason",
                f"an included record has no exclusion reason (got {reason!r}): empty the "
                "cell, or set decision to 'excluded'",
            )
        elif decision == "excluded" and stage and reason in REASONS and reason not in REASONS_BY_STAGE[stage]:
            where = next(s for s, rs in REASONS_BY_STAGE.items() if reason in rs)
            stage_problem = True
            add(
                line,
                "reason",
                f"reason {reason!r} belongs to stage {where!r}, not {stage!r}: set "
                f"stage_reached to {where!r}, or use a reason of stage {stage!r}: "
                f"{'; '.join(REASONS_BY_STAGE[stage])}",
            )
        if decision == "included" and stage and stage != "assessed":
            stage_problem = True
            add(
                line,
                "stage_reached",
                f"an included record must have been assessed for eligibility (got "
                f"{stage!r}; the PRISMA boxes would not add up): set stage_reached "
                "to 'assessed', or decision to 'excluded' with a reason",
            )
        # inclusion <-> figures in the dataset
        if decision == "included" and has["citekey"] and studies is not None:
            if not key:
                add(
                    line,
                    "citekey",
                    "an included record needs the references.bib key of its report, and "
                    "its study in data/studies.csv with that citekey",
                )
            elif key in unknown:
                pass  # already one problem: the citekey is not in references.bib
            elif later_of:
                if later_of in study_lines and later_of not in read_from.get(key, {}):
                    add(
                        line,
                        "decision",
                        f"record {key!r} is included as a later report of study {later_of!r}, but "
                        f"no figure row of that study has citekey {key!r}: add the figures read "
                        "from it, or exclude the record with a reason",
                    )
            elif key not in study_keys:
                add(
                    line,
                    "citekey",
                    f"included record {key!r} is not a study in {studies.file} (no row "
                    f"has citekey {key!r}): add the study and its figures there, or "
                    "exclude the record with a reason",
                )
            elif not with_figures(key):
                ids = ", ".join(study_keys[key])
                add(
                    line,
                    "decision",
                    f"record {key!r} is included but none of its studies ({ids}) has a "
                    f"figure in {', '.join(f'data/{t}.csv' for t in FIGURE_TABLES)}; "
                    "included means contributing at least one figure: add the figures, "
                    f"or set decision to 'excluded' (at stage 'sought', reason "
                    f"{NOT_RETRIEVED!r}, when no founding document quotes a figure)",
                )
        if decision == "excluded" and key and not with_figures(key) and read_from.get(key):
            where = next(iter(read_from[key].values()))
            add(
                line,
                "decision",
                f"figures were read from {key!r} ({where}) but its record is excluded: include it "
                "(stage_reached 'assessed', decision 'included', study_id the study), or remove "
                "those figures",
            )
        if decision == "excluded" and key and with_figures(key):
            sid = with_figures(key)[0]
            add(
                line,
                "decision",
                f"study {sid!r} (citekey {key!r}) has figures ({figures[sid]}) but its "
                "record is excluded: include it (stage_reached 'assessed', decision "
                "'included', no reason), or remove its figures",
            )

    # ---- every study with figures has a record
    if has["citekey"]:
        for key, sids in study_keys.items():
            shown = [sid for sid in sids if sid in figures]
            if shown and key not in first_line and key not in typo_for:
                sid = shown[0]
                add(
                    None,
                    "citekey",
                    f"study {sid!r} ({studies.file}:{study_lines[sid]}) has figures "
                    f"({figures[sid]}) but no record has its citekey {key!r}: add a row "
                    f"with citekey {key!r}, stage_reached 'assessed' and decision "
                    "'included'",
                )

    # ---- every document figures were read from is a study's own report or an included record
    if has["citekey"]:
        for key, by_study in read_from.items():
            if key in study_keys or key in first_line or key in unknown or key in typo_for:
                continue
            if bibliography.found and key not in bibliography and key not in bibliography.broken:
                continue  # an unknown citekey: the generic rule reports it (with its "did you mean")
            sid, where = next(iter(by_study.items()))
            add(
                None,
                "citekey",
                f"figures of study {sid!r} were read from {key!r} ({where}), which is neither a "
                "study's own report nor a record of this log: add a record with citekey "
                f"{key!r}, decision 'included' and study_id {sid!r}",
            )

    # ---- the PRISMA boxes (a safety net: row rules above name the row when they can)
    needed = ("identified_via", "found_in", "stage_reached", "decision", "reason")
    valid = all(has[c] for c in needed) and all(
        _in(c.get("identified_via"), IDENTIFIED_VIA)
        and _in(c.get("stage_reached"), STAGES)
        and _in(c.get("decision"), DECISIONS)
        for _, c in rows
    )
    if valid and not stage_problem:
        frame = pd.DataFrame([{k: c.get(k) for k in needed} for _, c in rows], columns=list(needed))
        for message in prisma_counts(frame).check():
            add(
                None,
                None,
                f"the PRISMA 2020 boxes do not add up: {message}; correct stage_reached, "
                "decision or reason of the rows concerned",
            )
    return problems
