"""The data package's path is a book setting (``_config.yml``: ``sphinx: config:
livingreview_data_package``, default ``data/datapackage.json``; livingreview.core.paths).

A copy of the valid fixture book (tests/fixtures/valid, invented data) with its package moved to
``dataset/package.json`` must load, pass the checks, and name that path in every problem; the
update log's archive and git tags are read at the configured path too. The messages for the
default path are those of tests/test_validate.py and tests/test_changes.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from livingreview.checks.validate import check_project, main
from livingreview.core.paths import PACKAGE_FILE, book_settings, find_root, package_file, package_name
from livingreview.dataset.load import DataError, load, read_package
from livingreview.review import changes
from tests.test_changes import git

FIXTURE = Path(__file__).parent / "fixtures" / "valid"
ROOT = Path(__file__).resolve().parent.parent
CONFIG = "sphinx:\n  config:\n    livingreview_data_package: dataset/package.json\n"


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """The fixture book with its data package at dataset/package.json (and no data/ folder)."""
    root = tmp_path / "book"
    shutil.copytree(FIXTURE, root)
    (root / "data").rename(root / "dataset")
    (root / "dataset" / "datapackage.json").rename(root / "dataset" / "package.json")
    (root / "_config.yml").write_text(CONFIG, encoding="utf-8")
    return root


def problems(root: Path) -> list[str]:
    return [str(p) for p in check_project(root)]


def test_default_book_keeps_data_datapackage_json(tmp_path: Path) -> None:
    assert package_name(ROOT) == PACKAGE_FILE == "data/datapackage.json"
    assert package_file(ROOT) == ROOT / "data" / "datapackage.json"
    assert book_settings(ROOT).data_package == "data/datapackage.json"  # named in _config.yml
    (tmp_path / "_config.yml").write_text("title: x\n", encoding="utf-8")
    assert package_name(tmp_path) == "data/datapackage.json"  # not named: the default
    assert package_name(tmp_path / "nowhere") == "data/datapackage.json"  # no _config.yml


def test_setting_is_read_and_normalised(book: Path) -> None:
    assert package_name(book) == "dataset/package.json"
    assert package_file(book) == book / "dataset" / "package.json"
    (book / "_config.yml").write_text(CONFIG.replace("dataset/", "./dataset/"), encoding="utf-8")
    assert package_name(book) == "dataset/package.json"


def test_find_root_uses_the_configured_package(book: Path) -> None:
    assert find_root(book / "chapters") == book.resolve()
    # The default path does not make a book when _config.yml names another.
    (book / "dataset" / "package.json").rename(book / "dataset" / "other.json")
    (book / "data").mkdir()
    (book / "data" / "datapackage.json").write_text("{}", encoding="utf-8")
    assert find_root(book / "chapters") != book.resolve()


def test_book_with_moved_package_loads_and_passes_the_checks(book: Path, capsys) -> None:
    ds = load(book)
    assert {name: len(df) for name, df in ds.tables.items()} == {"studies": 3, "outcomes": 5}
    assert read_package(book)["name"] == "fixture-review"
    assert check_project(book) == []
    assert main(["--root", str(book)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.strip() == "check: OK — 2 tables, 8 rows, 3 references"


def test_problems_name_the_configured_package(book: Path, capsys) -> None:
    data = book / "dataset"
    (data / "scratch.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    rows = (data / "studies.csv").read_text(encoding="utf-8").splitlines()
    rows[0] += ",colour"
    rows[1:] = [r + ",red" for r in rows[1:]]
    (data / "studies.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (data / "outcomes.csv").unlink()
    assert problems(book) == [
        "dataset/outcomes.csv: file not found (listed as resource 'outcomes' in dataset/package.json)",
        "dataset/scratch.csv: CSV file is not listed as a resource in dataset/package.json",
        "dataset/studies.csv:1: colour: column 'colour' is not in the schema of resource 'studies' "
        "in dataset/package.json; delete the column, or describe it in the schema first",
    ]
    assert main(["--root", str(book)]) == 1
    assert "dataset/scratch.csv: CSV file is not listed as a resource in dataset/package.json" in (
        capsys.readouterr().err
    )
    with pytest.raises(DataError, match="dataset/outcomes.csv: file not found"):
        load(book)


def test_missing_or_broken_configured_package(book: Path) -> None:
    path = book / "dataset" / "package.json"
    path.write_text("{not json", encoding="utf-8")
    assert problems(book) == [
        "dataset/package.json:1: invalid JSON: Expecting property name enclosed in double quotes"
    ]
    path.unlink()
    assert problems(book) == ["dataset/package.json: file not found"]
    with pytest.raises(DataError, match="dataset/package.json: file not found"):
        load(book)


# -- the update log: an archived release and a git tag, at the configured path ---------------------

RELEASES = {
    "name": "releases",
    "path": "releases.csv",
    "format": "csv",
    "schema": {
        "fields": [
            {"name": n, "type": "string"}
            for n in ("version", "date", "search_date", "tag", "summary", "scope_note", "archive")
        ],
        "primaryKey": ["version"],
    },
}
LOG_HEADER = "version,date,search_date,tag,summary,scope_note,archive\n"
RELEASE_1 = "1.0.0,2001-01-01,2001-01-01,v1.0.0,Invented first release.,,"
RELEASE_2 = "1.1.0,2001-02-01,2001-01-31,v1.1.0,Invented second release.,,\n"


def _with_log(book: Path, archive: str = "") -> None:
    path = book / "dataset" / "package.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    if not any(r["name"] == "releases" for r in descriptor["resources"]):
        descriptor["resources"].append(RELEASES)
        path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    releases = LOG_HEADER + RELEASE_1 + archive + "\n" + (RELEASE_2 if archive else "")
    (book / "dataset" / "releases.csv").write_text(releases, encoding="utf-8")


def _change_a_figure(book: Path) -> None:
    path = book / "dataset" / "studies.csv"
    text = path.read_text(encoding="utf-8")
    assert text.count(",30,") == 1  # study alpha enrols 30 patients
    path.write_text(text.replace(",30,", ",35,"), encoding="utf-8")


def test_archived_release_of_a_moved_package(book: Path) -> None:
    _with_log(book)
    folder = "dataset/archive/v1.0.0"  # a copy of the package's folder, package.json by its name
    shutil.copytree(book / "dataset", book / folder)
    _with_log(book, archive=folder)
    _change_a_figure(book)
    assert changes.check_releases(book) == []
    prev, c = changes.since_previous(book)
    assert prev is not None and prev.archive == folder
    assert [(f.table, f.key, f.column, f.old, f.new) for f in c.changed] == [
        ("studies", "alpha", "n_patients", "30", "35")
    ]
    (book / folder / "package.json").unlink()
    assert changes.check_releases(book) == [
        (
            "dataset/releases.csv",
            2,
            "archive",
            "dataset/archive/v1.0.0/package.json not found: copy the release's data package there "
            "(git show <commit>:dataset/<file> > dataset/archive/v1.0.0/<file>)",
        )
    ]
    with pytest.raises(
        changes.ChangesError, match="^dataset/releases.csv: release 1.0.0 .* holds no package.json"
    ):
        changes.since_previous(book)


def test_tagged_release_of_a_moved_package(book: Path) -> None:
    _with_log(book)
    git(book, "init", "-q", "-b", "main")
    git(book, "add", "-A")
    git(book, "commit", "-q", "-m", "release 1.0.0")
    git(book, "tag", "-a", "v1.0.0", "-m", "Release 1.0.0")
    _change_a_figure(book)
    old = changes.dataset_at("refs/tags/v1.0.0", book)
    assert set(old) == {"studies", "outcomes", "releases"}
    c = changes.diff(old, changes.dataset_now(book), exclude=["releases"])
    assert [(f.key, f.old, f.new) for f in c.changed] == [("alpha", "30", "35")]
