"""Provenance of the real dataset.

1. `make check` is clean on the data as committed.
2. Every number in a row that names one of the founding source documents as its `citekey`
   occurs, as printed, in that document's text (../shared/sources/): a typo such as 81.9 for
   81.6 fails here. Values that a source states in words are the only exceptions (see
   `_stated_in_words`).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from livingreview.checks.validate import check_project

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT.parent / "shared" / "sources"
# references.bib key of each founding document -> its extracted text. The preprint's patient
# facts come from BIBLIOGRAPHY.md's description of its page (flagged `secondary` in the data).
FOUNDING = {
    "brethon2021": ["000_*.txt"],
    "durer2019": ["001_*.txt"],
    "clesham2020": ["002_*.txt"],
    "vandersluis2023": ["003_*.txt"],
    "authorea475403": ["004_*.txt", "BIBLIOGRAPHY.md"],
}


def test_make_check_is_clean_on_the_real_data() -> None:
    problems = check_project(ROOT)
    assert problems == [], "\n".join(map(str, problems))


def _numbers_in_source(citekey: str) -> set[str]:
    text = "".join(
        p.read_text(encoding="utf-8") for pattern in FOUNDING[citekey] for p in SOURCES.glob(pattern)
    )
    return set(re.findall(r"\d+(?:\.\d+)?", text))


def _stated_in_words(column: str, value: str, row: dict[str, str]) -> bool:
    # "No" CRS, "no fatal", "none of": zero is printed as a word; a confidence level is printed
    # as a percent ("95% CI") and stored as a fraction; a case report's n of 1 is implied.
    if value == "0":
        return True
    if column == "ci_level":
        return True
    return column == "n" and value == "1" and row.get("design") == "case report"


@pytest.fixture(scope="module")
def numbers() -> dict[str, set[str]]:
    if not SOURCES.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SOURCES} is missing: CI runs with shared/ beside the clone")
        pytest.skip("../shared/sources not beside this checkout")
    return {key: _numbers_in_source(key) for key in FOUNDING}


def test_every_number_read_from_a_founding_source_is_printed_there(numbers: dict[str, set[str]]) -> None:
    package = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    checked, missing = 0, []
    for resource in package["resources"]:
        numeric = [f["name"] for f in resource["schema"]["fields"] if f["type"] in ("number", "integer")]
        table = pd.read_csv(ROOT / "data" / Path(resource["path"]).name, dtype=str, keep_default_na=False)
        if "citekey" not in table.columns:
            continue  # a table of the review's own records (releases, screening), not figures
        key_col = table.columns[0]
        for line, row in enumerate(table.to_dict("records"), start=2):
            printed = numbers.get(row["citekey"])
            if printed is None:
                continue
            for column in numeric:
                value = row[column]
                if not value or _stated_in_words(column, value, row):
                    continue
                checked += 1
                if value not in printed:
                    missing.append(
                        f"data/{Path(resource['path']).name}:{line}: {column}: {value} "
                        f"({row[key_col]}) is not printed in {row['citekey']}"
                    )
    assert checked > 300, f"only {checked} numbers checked: is the dataset loaded?"
    assert missing == [], "\n".join(missing)


# --------------------------------------------------------------------------- the 1.1 update
# Rows read on a stored web page (version 1.1.0 on) name that page in `document_id`; the page's
# row in data/documents.csv names the fact sheet (first extraction) it came from, in
# ../shared/sources/updates/. Every number of such a row must occur in that sheet, as digits or,
# for a count or percentage the page prints in words ("five", "Sixty-four"), as those words in
# both the row's value_as_printed and the sheet.

UPDATES = SOURCES / "updates"
ARCHIVE_1_0 = ROOT / "data" / "archive" / "v1.0.0"  # the data package of release 1.0.0
FIGURE_TABLES = ("studies", "outcomes", "patients", "adverse_events")
_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(value: str) -> str | None:
    """'64' -> 'sixty-four', '5' -> 'five'; None for anything but a whole number below 100."""
    if not re.fullmatch(r"\d{1,2}", value):
        return None
    n = int(value)
    if n < 20:
        return _UNITS[n]
    tens, unit = divmod(n, 10)
    return _TENS[tens - 2] + ("" if unit == 0 else f"-{_UNITS[unit]}")


def test_number_words() -> None:
    assert [number_words(v) for v in ("0", "5", "19", "30", "64", "72", "100", "4.2")] == [
        "zero",
        "five",
        "nineteen",
        "thirty",
        "sixty-four",
        "seventy-two",
        None,
        None,
    ]


def _table(name: str) -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / f"{name}.csv", dtype=str, keep_default_na=False)


def _numeric_columns(name: str) -> list[str]:
    package = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in package["resources"] if r["name"] == name)
    return [f["name"] for f in resource["schema"]["fields"] if f["type"] in ("number", "integer")]


def unprinted_numbers(row: dict[str, str], numeric: list[str], sheet: str) -> list[tuple[str, str]]:
    """(column, value) of each number of ``row`` that the fact sheet's text does not print."""
    printed = set(re.findall(r"\d+(?:\.\d+)?", sheet))
    printed |= {"0" + p for p in re.findall(r"(?<![\d.])\.\d+", sheet)}  # P = .8112 is 0.8112
    words = sheet.lower()
    text = " ".join(str(v) for c, v in row.items() if c not in numeric).lower()
    missing = []
    for column in numeric:
        value = row.get(column, "")
        if not value or value in printed or _stated_in_words(column, value, row):
            continue
        # printed in words: the word in the sheet, and the row saying the same (in words or digits)
        word = number_words(value)
        if word and word in words and (word in text or re.search(rf"(?<![\d.]){value}(?![\d.])", text)):
            continue
        missing.append((column, value))
    return missing


def test_the_number_rule_catches_a_planted_case() -> None:
    sheet = "| ivig | 19 (63%) | ... | gcsf | five (17%) |"
    row = {"events": "19", "total": "", "estimate": "63", "value_as_printed": "G-CSF in five (17%)"}
    assert unprinted_numbers(row, ["events", "total", "estimate"], sheet) == []
    assert unprinted_numbers({**row, "estimate": "64"}, ["estimate"], sheet) == [("estimate", "64")]
    assert unprinted_numbers({"events": "5", "value_as_printed": "G-CSF in five"}, ["events"], sheet) == []
    assert unprinted_numbers({"events": "5", "value_as_printed": "7 patients"}, ["events"], "five") == [
        ("events", "5")
    ]
    assert unprinted_numbers({"p_value": "0.8112"}, ["p_value"], "(RFS; P = .8112)") == []
    assert unprinted_numbers({"p_value": "0.8112"}, ["p_value"], "(RFS; P = 1.8112)") == [
        ("p_value", "0.8112")
    ]


def _update_rows() -> list[tuple[str, int, dict[str, str]]]:
    """The rows added since version 1.0.0 (whose data package is archived in data/archive/v1.0.0)."""
    rows = []
    for name in FIGURE_TABLES:
        old = pd.read_csv(ARCHIVE_1_0 / f"{name}.csv", dtype=str, keep_default_na=False)
        known = set(old[old.columns[0]])
        for line, row in enumerate(_table(name).to_dict("records"), start=2):
            if row[next(iter(row))] not in known:
                rows.append((name, line, row))
    return rows


def test_every_row_of_the_update_names_the_page_it_was_confirmed_on() -> None:
    documents = _table("documents").set_index("document_id")
    rows = _update_rows()
    assert len(rows) > 80, f"only {len(rows)} rows of the update: is the dataset loaded?"
    wrong = [
        f"data/{name}.csv:{line}: document_id: {row[next(iter(row))]} names no stored page"
        for name, line, row in rows
        if row["document_id"] not in documents.index
        or not documents.at[row["document_id"], "url"].startswith(("http://", "https://"))
    ]
    assert wrong == [], "\n".join(wrong)
    # and the pages' grades are the ones the rows' flags say
    for name, line, row in rows:
        grade = documents.at[row["document_id"], "grade"]
        assert (grade == "secondary") <= ("secondary" in row["flag"]), (name, line)


def test_every_number_of_the_update_is_printed_in_its_fact_sheet() -> None:
    if not UPDATES.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{UPDATES} is missing: CI runs with shared/ beside the clone")
        pytest.skip("../shared/sources/updates not beside this checkout")
    documents = _table("documents").set_index("document_id")
    sheets: dict[str, str] = {}
    checked, missing = 0, []
    for name, line, row in _update_rows():
        sheet_file = documents.at[row["document_id"], "fact_sheet"]
        path = UPDATES / sheet_file
        assert path.is_file(), f"data/documents.csv: {row['document_id']}: fact sheet {sheet_file} not found"
        sheet = sheets.setdefault(sheet_file, path.read_text(encoding="utf-8"))
        numeric = _numeric_columns(name)
        checked += sum(1 for c in numeric if row.get(c))
        missing += [
            f"data/{name}.csv:{line}: {column}: {value} ({row[next(iter(row))]}) "
            f"is not printed in {sheet_file}"
            for column, value in unprinted_numbers(row, numeric, sheet)
        ]
    assert checked > 150, f"only {checked} numbers of the update checked"
    assert missing == [], "\n".join(missing)
