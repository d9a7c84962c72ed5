"""The stored web pages behind the rows of an evidence update (``data/documents.csv``).

From version 1.1.0 a figure may be read on a stored copy of a public web page rather than in a
founding document. Such a row names its page (``document_id``), and the page's grade decides a
flag: a figure read only on a secondary page (news, bulletin, aggregator, mirror, library
catalogue) carries ``secondary`` wherever it is shown. Studies that may hold the same patients
name each other in ``studies.overlaps_with``, so that pages can say so and never pool them.

    from livingreview.checks.documents import check_documents
    problems = check_documents(root)     # -> [Problem], also run by `make check`

Rules (what the Table Schema cannot say):

- a row of studies, outcomes, patients or adverse_events whose citekey is a record of the
  screening log found by a targeted search names its page (``document_id``);
- the page is a copy of that publication (``documents.citekey`` equals the row's citekey);
- a row read on a secondary page carries the flag ``secondary`` (on the whole row);
- ``overlaps_with`` names other studies of the dataset, and the relation is symmetric.

Unknown ``document_id`` values are the foreign key's problem (livingreview.validate) and are not
repeated here.
"""

from __future__ import annotations

import re
from pathlib import Path

from livingreview.checks.screening import _read
from livingreview.dataset.load import DataError, Problem, read_package
from livingreview.review.screening import TARGETED

__all__ = ["RESOURCE", "ROW_TABLES", "check_documents", "split_ids"]

RESOURCE = "documents"
ROW_TABLES = ("studies", "outcomes", "patients", "adverse_events")


def split_ids(value: str | None) -> list[str]:
    """``'a; b'`` -> ``['a', 'b']`` (empty/None -> [])."""
    return [v.strip() for v in re.split(r";", value or "") if v.strip()]


def check_documents(root: Path | str) -> list[Problem]:
    """Problems as ``file:LINE: column: what, and the fix``; [] for a project without documents."""
    root = Path(root)
    try:
        descriptor = read_package(root)
    except DataError:
        return []  # reported by livingreview.validate
    docs = _read(root, descriptor, RESOURCE)
    problems: list[Problem] = []
    pages: dict[str, dict[str, str | None]] = {}
    if docs is not None:
        pages = {c["document_id"]: c for _, c in docs.rows() if c.get("document_id")}
    screening = _read(root, descriptor, "screening")
    targeted = set()
    if screening is not None:
        targeted = {
            c["citekey"]
            for _, c in screening.rows()
            if c.get("identified_via") == TARGETED and c.get("citekey")
        }
    study_ids: dict[str, tuple[int, list[str]]] = {}
    for name in ROW_TABLES:
        t = _read(root, descriptor, name)
        if t is None:
            continue
        header = set(t.table.header)
        for line, c in t.rows():
            key, doc = c.get("citekey"), c.get("document_id")
            if name == "studies" and c.get("study_id"):
                study_ids[c["study_id"]] = (line, split_ids(c.get("overlaps_with")))
            if "document_id" not in header:
                continue
            if key in targeted and not doc:
                problems.append(
                    Problem(
                        t.file,
                        line,
                        "document_id",
                        f"{key!r} was found by a targeted search: name the stored page this row was "
                        "read and confirmed on (a document_id of data/documents.csv)",
                    )
                )
            page = pages.get(doc) if doc else None
            if page is None:
                continue
            if page.get("citekey") and key and page["citekey"] != key:
                problems.append(
                    Problem(
                        t.file,
                        line,
                        "document_id",
                        f"page {doc!r} is a copy of {page['citekey']!r}, not of this row's citekey "
                        f"{key!r}: name a page of {key!r}, or correct the citekey",
                    )
                )
            flags = split_ids(c.get("flag"))
            if page.get("grade") == "secondary":
                if "secondary" not in flags:
                    problems.append(
                        Problem(
                            t.file,
                            line,
                            "flag",
                            f"read on page {doc!r}, a secondary page ({page.get('kind')}): add the "
                            "flag 'secondary' and say in note that no primary page was found",
                        )
                    )
                elif c.get("flagged_columns"):
                    problems.append(
                        Problem(
                            t.file,
                            line,
                            "flagged_columns",
                            "the whole row was read on a secondary page: the 'secondary' flag "
                            "concerns every column, so leave flagged_columns empty",
                        )
                    )
    studies = _read(root, descriptor, "studies")
    if studies is not None:
        for sid, (line, others) in study_ids.items():
            for other in others:
                if other == sid:
                    problems.append(Problem(studies.file, line, "overlaps_with", f"{sid!r} names itself"))
                elif other not in study_ids:
                    problems.append(
                        Problem(
                            studies.file,
                            line,
                            "overlaps_with",
                            f"{other!r} is not a study_id of this table",
                        )
                    )
                elif sid not in study_ids[other][1]:
                    problems.append(
                        Problem(
                            studies.file,
                            line,
                            "overlaps_with",
                            f"{sid!r} may share patients with {other!r}, but {other!r} does not "
                            f"name {sid!r} (line {study_ids[other][0]}): the relation is symmetric, "
                            "add it there too",
                        )
                    )
    return problems
