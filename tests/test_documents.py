"""The stored pages behind the rows of the 1.1 update (livingreview/documents.py).

The real data pass; each test then plants one mistake in a copy of the real data and asserts,
through ``check_project`` (what ``make check`` runs), exactly the expected problem with its
``file:line: column:`` prefix."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from livingreview.checks.documents import check_documents, split_ids
from livingreview.checks.validate import check_project

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copy2(ROOT / "references.bib", root / "references.bib")
    return root


def edit(root: Path, table: str, key: str, **cells: str) -> int:
    path = root / "data" / f"{table}.csv"
    rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
    header = rows[0]
    hits = [n for n, r in enumerate(rows) if r and r[0] == key]
    assert len(hits) == 1
    for column, value in cells.items():
        rows[hits[0]][header.index(column)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return hits[0] + 1


def problems(root: Path) -> list[str]:
    return sorted(str(p) for p in check_project(root))


def test_split_ids() -> None:
    assert split_ids("a; b ;c") == ["a", "b", "c"] and split_ids(None) == [] and split_ids("") == []


def test_the_real_data_pass() -> None:
    assert check_documents(ROOT) == []


def test_the_unchanged_copy_passes(project: Path) -> None:
    assert problems(project) == []


def test_a_row_of_a_targeted_search_record_names_its_page(project: Path) -> None:
    line = edit(project, "outcomes", "moskop2022-mrdneg", document_id="")
    assert problems(project) == [
        f"data/outcomes.csv:{line}: document_id: 'moskop2022' was found by a targeted search: name the "
        "stored page this row was read and confirmed on (a document_id of data/documents.csv)"
    ]


def test_the_page_is_a_copy_of_the_rows_publication(project: Path) -> None:
    line = edit(project, "outcomes", "moskop2022-mrdneg", document_id="leahy2022-publisher")
    (found,) = problems(project)
    assert found.startswith(f"data/outcomes.csv:{line}: document_id: page 'leahy2022-publisher' is a copy")


def test_a_row_read_on_a_secondary_page_is_flagged_secondary(project: Path) -> None:
    line = edit(project, "outcomes", "aall1731-followup", flag="")
    (found,) = problems(project)
    assert found.startswith(f"data/outcomes.csv:{line}: flag: read on page 'aall1731-mirror', a secondary")
    line = edit(project, "studies", "aall1731", flagged_columns="n")
    assert (
        f"data/studies.csv:{line}: flagged_columns: the whole row was read on a secondary page"
        in "\n".join(problems(project))
    )


def test_an_unknown_page_is_the_foreign_keys_problem(project: Path) -> None:
    line = edit(project, "outcomes", "moskop2022-mrdneg", document_id="nosuchpage")
    (found,) = problems(project)
    assert found.startswith(f"data/outcomes.csv:{line}: document_id: document_id 'nosuchpage' not found")


def test_overlaps_are_symmetric_and_name_studies(project: Path) -> None:
    line = edit(project, "studies", "moskop2022", overlaps_with="")
    cibmtr = edit(project, "studies", "cibmtrtisagen2025")
    assert problems(project) == [
        f"data/studies.csv:{cibmtr}: overlaps_with: 'cibmtrtisagen2025' may share patients with "
        f"'moskop2022', but 'moskop2022' does not name 'cibmtrtisagen2025' (line {line}): the relation "
        "is symmetric, add it there too"
    ]
    edit(project, "studies", "moskop2022", overlaps_with="cibmtrtisagen2025; moskop2022; nosuch")
    assert problems(project) == [
        f"data/studies.csv:{line}: overlaps_with: 'moskop2022' names itself",
        f"data/studies.csv:{line}: overlaps_with: 'nosuch' is not a study_id of this table",
    ]
