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
