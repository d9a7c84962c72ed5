"""The update log and the difference between releases (livingreview.review.changes).

Each test builds its own git repository in tmp_path holding a tiny, obviously fake data package,
tags a release, edits the data and checks what `diff` reports."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from livingreview.checks.prose import find_hand_typed
from livingreview.core.paths import book_settings
from livingreview.present import releases
from livingreview.review import changes, living
from livingreview.review.changes import ChangesError, FieldChange

ROOT = Path(__file__).resolve().parent.parent

PACKAGE = {
    "name": "fake-review",
    "resources": [
        {
            "name": "studies",
            "path": "studies.csv",
            "format": "csv",
            "title": "Studies",
            "schema": {
                "fields": [
                    {"name": n, "type": "string"}
                    for n in ("study_id", "citekey", "short_name", "n", "locator")
                ],
                "primaryKey": ["study_id"],
            },
        },
        {
            "name": "outcomes",
            "path": "outcomes.csv",
            "format": "csv",
            "title": "Outcomes",
            "schema": {
                "fields": [
                    {"name": n, "type": "string"}
                    for n in ("outcome_id", "study_id", "citekey", "estimate", "locator")
                ],
                "primaryKey": "outcome_id",
            },
        },
        {
            "name": "releases",
            "path": "releases.csv",
            "format": "csv",
            "schema": {
                "fields": [
                    {"name": n, "type": "string"}
                    for n in ("version", "date", "search_date", "tag", "summary", "scope_note")
                ],
                "primaryKey": ["version"],
            },
        },
    ],
}
STUDIES = """\
study_id,citekey,short_name,n,locator
fakea,fake2001,Fake study A,10,Table 1
fakeb,fake2002,Fake study B,20,Table 2
"""
OUTCOMES = """\
outcome_id,study_id,citekey,estimate,locator
fakea-os,fakea,fake2001,40,Figure 1
fakeb-os,fakeb,fake2002,55,"Results, para 2"
"""
RELEASE_HEADER = "version,date,search_date,tag,summary,scope_note\n"
RELEASE_1 = "1.0.0,2001-01-01,2001-01-01,v1.0.0,Fake first release.,\n"
RELEASE_2 = "1.1.0,2001-02-01,2001-01-31,v1.1.0,Fake second release.,\n"

GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def write(
    repo: Path,
    studies: str = STUDIES,
    outcomes: str = OUTCOMES,
    releases: str = RELEASE_HEADER + RELEASE_1,
    package: dict = PACKAGE,
) -> None:
    data = repo / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "datapackage.json").write_text(json.dumps(package, indent=2), encoding="utf-8")
    (data / "studies.csv").write_text(studies, encoding="utf-8")
    (data / "outcomes.csv").write_text(outcomes, encoding="utf-8")
    (data / "releases.csv").write_text(releases, encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with release 1.0.0 committed and tagged (annotated tag) v1.0.0."""
    repo = tmp_path / "review"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "release 1.0.0")
    git(repo, "tag", "-a", "v1.0.0", "-m", "Release 1.0.0")
    return repo


def edit(repo: Path, releases: str = RELEASE_HEADER + RELEASE_1 + RELEASE_2) -> None:
    """Change one figure, add a study, remove another (with its outcome)."""
    write(
        repo,
        studies=STUDIES.replace("fakeb,fake2002,Fake study B,20,Table 2\n", "")
        + "fakec,fake2003,Fake study C,30,Abstract\n",
        outcomes=OUTCOMES.replace("fakea-os,fakea,fake2001,40,", "fakea-os,fakea,fake2001,45,").replace(
            'fakeb-os,fakeb,fake2002,55,"Results, para 2"\n', ""
        ),
        releases=releases,
    )


def test_diff_reports_exactly_the_edits_with_locators(repo: Path) -> None:
    edit(repo)
    old = changes.dataset_at("refs/tags/v1.0.0", repo)
    new = changes.dataset_now(repo)
    c = changes.diff(old, new, exclude=["releases"])

    assert [(r.table, r.key, r.label, r.citekey, r.locator) for r in c.added] == [
        ("studies", "fakec", "Fake study C", "fake2003", "Abstract")
    ]
    assert [(r.table, r.key, r.citekey, r.locator) for r in c.removed] == [
        ("studies", "fakeb", "fake2002", "Table 2"),
        ("outcomes", "fakeb-os", "fake2002", "Results, para 2"),
    ]
    assert c.changed == [
        FieldChange(
            "outcomes", "fakea-os", "estimate", "40", "45", label="", citekey="fake2001", locator="Figure 1"
        )
    ]
    assert c.added[0].get("n") == "30"
    assert not c.tables_added and not c.tables_removed
    counts = c.counts().set_index("table")
    assert counts.loc["studies", ["added", "removed", "values_changed"]].tolist() == [1, 1, 0]
    outcomes = counts.loc["outcomes", ["added", "removed", "rows_changed", "values_changed"]]
    assert outcomes.tolist() == [0, 1, 1, 1]
    assert releases.summary_text(c) == "1 row added, 2 rows removed, 1 value changed in 1 row"


def test_primary_keys_come_from_each_version_or_the_caller(repo: Path) -> None:
    old = changes.dataset_at("refs/tags/v1.0.0", repo)
    assert old["studies"].attrs["primary_key"] == ["study_id"]
    assert old["outcomes"].attrs["primary_key"] == ["outcome_id"]  # a string key in the schema
    edit(repo)
    new = changes.dataset_now(repo)
    # Matching outcomes on study_id instead: the figure change is still found under that key.
    c = changes.diff(old, new, {"outcomes": ["study_id"]}, exclude=["releases", "studies"])
    assert [(f.key, f.column, f.old, f.new) for f in c.changed] == [("fakea", "estimate", "40", "45")]
    assert [r.key for r in c.removed] == ["fakeb"]


def test_no_change_is_empty_and_values_are_compared_as_written(repo: Path) -> None:
    old = changes.dataset_at("refs/tags/v1.0.0", repo)
    assert changes.diff(old, changes.dataset_now(repo)).empty
    write(repo, outcomes=OUTCOMES.replace(",40,", ",40.0,"))
    c = changes.diff(old, changes.dataset_now(repo))
    assert [(f.old, f.new) for f in c.changed] == [("40", "40.0")]  # as printed, not as a number


def test_new_table_and_new_column_are_reported_once(repo: Path) -> None:
    package = json.loads(json.dumps(PACKAGE))
    package["resources"][0]["schema"]["fields"].append({"name": "flag", "type": "string"})
    package["resources"].append(
        {
            "name": "screening",
            "path": "screening.csv",
            "format": "csv",
            "schema": {"fields": [{"name": "record_id"}], "primaryKey": "record_id"},
        }
    )
    write(
        repo,
        studies=STUDIES.replace("locator\n", "locator,flag\n")
        .replace("Table 1\n", "Table 1,\n")
        .replace("Table 2\n", "Table 2,unclear\n"),
        package=package,
    )
    (repo / "data" / "screening.csv").write_text("record_id\nfake-r1\n", encoding="utf-8")
    c = changes.diff(changes.dataset_at("refs/tags/v1.0.0", repo), changes.dataset_now(repo))
    assert c.tables_added == ["screening"]
    assert [(r.table, r.key) for r in c.added] == [("screening", "fake-r1")]
    assert c.columns_added["studies"] == ["flag"]
    assert c.changed == []  # the new column's values are not "changes" of every row


def test_table_without_primary_key_compares_whole_rows() -> None:
    import pandas as pd

    old = {"t": pd.DataFrame({"a": ["1", "1", "2"], "b": ["x", "x", "y"]})}
    new = {"t": pd.DataFrame({"a": ["1", "3"], "b": ["x", "z"]})}
    c = changes.diff(old, new)
    assert [r.values for r in c.added] == [(("a", "3"), ("b", "z"))]
    assert sorted(r.values for r in c.removed) == [(("a", "1"), ("b", "x")), (("a", "2"), ("b", "y"))]


def test_duplicate_key_is_an_error() -> None:
    import pandas as pd

    old = pd.DataFrame({"id": ["a", "a"], "v": ["1", "2"]})
    old.attrs["primary_key"] = ["id"]
    with pytest.raises(ChangesError, match="appears more than once"):
        changes.diff({"t": old}, {"t": old})


def test_previous_release_and_since_previous(repo: Path) -> None:
    assert changes.previous_release(repo) is None  # one release: nothing to compare with
    assert changes.since_previous(repo) == (None, None)
    edit(repo)
    prev = changes.previous_release(repo)
    assert (prev.version, prev.tag, prev.tag_exists) == ("1.0.0", "v1.0.0", True)
    assert changes.latest_release(repo).version == "1.1.0"
    prev, c = changes.since_previous(repo)
    assert prev.version == "1.0.0"
    assert "releases" not in c.tables  # the update log itself is not evidence
    assert len(c.added) == 1 and len(c.removed) == 2 and len(c.changed) == 1


def test_missing_tag_raises_with_the_fix(repo: Path) -> None:
    git(repo, "tag", "-d", "v1.0.0")
    edit(repo)
    assert changes.previous_release(repo).tag_exists is False
    with pytest.raises(ChangesError) as err:
        changes.since_previous(repo)
    message = str(err.value)
    assert "v1.0.0" in message and "does not exist" in message
    assert "git fetch --tags" in message
    assert "git tag -a v1.0.0" in message and "git push origin v1.0.0" in message
    with pytest.raises(ChangesError, match="git fetch --tags"):
        releases.report_html(repo)


def test_outside_git_raises_with_the_fix(repo: Path, tmp_path: Path) -> None:
    edit(repo)
    copy = tmp_path / "copy"
    shutil.copytree(repo / "data", copy / "data")
    with pytest.raises(ChangesError, match="not a git checkout.*git fetch --tags"):
        changes.since_previous(copy)
    with pytest.raises(ChangesError, match="not a git checkout"):
        changes.dataset_at("refs/tags/v1.0.0", copy)
    # The first release needs no git at all.
    write(copy)
    assert changes.since_previous(copy) == (None, None)
    assert "first release" in releases.report_html(copy)


def test_unknown_ref_and_unsafe_ref(repo: Path) -> None:
    with pytest.raises(ChangesError, match="does not exist"):
        changes.dataset_at("refs/tags/v9.9.9", repo)
    with pytest.raises(ChangesError, match="not a usable git ref"):
        changes.dataset_at("--output=/tmp/x", repo)


def test_report_html_first_release_and_later(repo: Path) -> None:
    first = releases.report_html(repo)
    assert "first release" in first and "there is no earlier version" in first
    assert "<td>2</td>" in first  # two studies and two outcomes, counted
    assert "Fake first release" not in first  # the update log is not listed as content
    edit(repo)
    later = releases.report_html(repo)
    assert "Compared with version 1.0.0" in later and "<code>v1.0.0</code>" in later
    assert "40 → 45" in later and "Figure 1" in later and "fake2001" in later
    assert "Results, para 2" in later and "Fake study C" in later


def test_report_escapes_values(repo: Path) -> None:
    write(
        repo,
        outcomes=OUTCOMES.replace("Figure 1", "Figure <script>1</script> & more"),
        releases=RELEASE_HEADER + RELEASE_1 + RELEASE_2,
    )
    out = releases.report_html(repo)
    assert "<script>" not in out
    assert "Figure &lt;script&gt;1&lt;/script&gt; &amp; more" in out


def test_unreleased_changes_after_the_latest_tag(repo: Path) -> None:
    assert changes.unreleased(repo) is None or changes.unreleased(repo).empty
    write(repo, outcomes=OUTCOMES.replace(",55,", ",56,"))
    later = changes.unreleased(repo)
    assert [(f.key, f.old, f.new) for f in later.changed] == [("fakeb-os", "55", "56")]
    assert "will be part of the next release" in releases.report_html(repo)


@pytest.mark.parametrize(
    "row, message",
    [
        ("1.0,2001-01-01,2001-01-01,v1.0,x,\n", "not a semantic version"),
        ("1.0.0,2001-01-01,2001-01-01,1.0.0,x,\n", "should be 'v1.0.0'"),
        ("1.0.0,01/01/2001,2001-01-01,v1.0.0,x,\n", "not a date"),
        ("1.0.0,2001-01-01,2001-02-01,v1.0.0,x,\n", "after the release date"),
        (RELEASE_1 + "1.1.0,2000-12-01,2000-12-01,v1.1.0,x,\n", "before version 1.0.0"),
        (RELEASE_1 + RELEASE_1, "already listed on line 2"),
        ("", "no release listed"),
    ],
)
def test_update_log_problems(tmp_path: Path, row: str, message: str) -> None:
    write(tmp_path, releases=RELEASE_HEADER + row)
    with pytest.raises(ChangesError, match=message) as err:
        changes.read_releases(tmp_path)
    assert "data/releases.csv" in str(err.value)


def test_releases_sorted_by_version_not_by_file_order(tmp_path: Path) -> None:
    write(
        tmp_path,
        releases=RELEASE_HEADER
        + RELEASE_2
        + RELEASE_1.replace("1.0.0", "1.0.10").replace("v1.0.0", "v1.0.10"),
    )
    assert [r.version for r in changes.read_releases(tmp_path)] == ["1.0.10", "1.1.0"]


# -- the real project ----------------------------------------------------------------------------


def test_real_update_log_and_dataset() -> None:
    releases = changes.read_releases(ROOT)
    assert releases[0].version == "1.0.0"
    assert "no bibliographic database search" in releases[0].summary
    tables = changes.dataset_now(ROOT)
    assert "releases" in tables
    for name, df in tables.items():
        assert df.attrs["primary_key"], f"{name} has no primary key: diff could not match its rows"
        assert not df.duplicated(df.attrs["primary_key"]).any()


def test_whats_new_page_types_no_statistics() -> None:
    nouns = book_settings(ROOT).count_nouns  # the book's own count nouns, as `make check` uses them
    assert find_hand_typed((ROOT / "chapters" / "whats-new.md").read_text(encoding="utf-8"), nouns) == []


# -- releases archived in the repository: no tag, no history needed ------------------------------


def archive_release(repo: Path, version: str = "1.0.0") -> str:
    """Copy the data package as it is now to data/archive/v<version> (what a release does)."""
    folder = f"data/archive/v{version}"
    (repo / folder).mkdir(parents=True)
    for name in ("datapackage.json", "studies.csv", "outcomes.csv", "releases.csv"):
        shutil.copy2(repo / "data" / name, repo / folder / name)
    return folder


ARCHIVED_HEADER = RELEASE_HEADER.rstrip("\n") + ",archive\n"


def test_an_archived_release_is_compared_without_any_tag_or_git(repo: Path, tmp_path: Path) -> None:
    folder = archive_release(repo)
    git(repo, "tag", "-d", "v1.0.0")  # a clone without tags
    edit(
        repo,
        releases=ARCHIVED_HEADER + RELEASE_1.rstrip("\n") + f",{folder}\n" + RELEASE_2.rstrip("\n") + ",\n",
    )
    prev, c = changes.since_previous(repo)
    assert prev.archive == folder and prev.tag_exists is False
    assert len(c.added) == 1 and len(c.removed) == 2
    assert [(f.key, f.old, f.new) for f in c.changed] == [("fakea-os", "40", "45")]
    html = releases.report_html(repo)
    assert f"archived in <code>{folder}</code>" in html and "40 → 45" in html
    # and outside git altogether (a copy of the files)
    copy = tmp_path / "copy"
    shutil.copytree(repo / "data", copy / "data")
    assert changes.since_previous(copy)[1].changed == c.changed
    assert changes.check_releases(copy) == []


def test_update_log_check_names_missing_archives(repo: Path) -> None:
    edit(repo, releases=ARCHIVED_HEADER + RELEASE_1.rstrip("\n") + ",data/archive/v1.0.0\n" + RELEASE_2)
    problems = changes.check_releases(repo)
    assert [(p[1], p[2]) for p in problems] == [(2, "archive")]
    assert "data/archive/v1.0.0/datapackage.json not found" in problems[0][3]
    with pytest.raises(ChangesError, match="holds no datapackage.json"):
        changes.since_previous(repo)
    edit(repo, releases=ARCHIVED_HEADER + RELEASE_1.rstrip("\n") + ",\n" + RELEASE_2)
    problems = changes.check_releases(repo)
    assert len(problems) == 1 and "release 1.0.0 is not the latest and names no archive" in problems[0][3]


def test_real_previous_release_is_archived_and_differs() -> None:
    prev, c = changes.since_previous(ROOT)
    assert prev is not None and prev.version == "1.0.0" and prev.archive == "data/archive/v1.0.0"
    assert changes.check_releases(ROOT) == []
    added = {(r.table, r.key) for r in c.added}
    assert ("studies", "ghorashian2022") in added and ("outcomes", "vandersluis2023-lt-dfs-4y") in added
    assert "documents" in c.tables_added
    # the audit corrections of issue 12 are changes of 1.1.0 too
    assert any(f.key == "vandersluis2023-hr-dfs" and f.column == "flag" for f in c.changed)


def test_flags_added_and_pages_assessed_since_the_previous_release(repo: Path) -> None:
    package = json.loads(json.dumps(PACKAGE))
    package["resources"][1]["schema"]["fields"].append({"name": "flag", "type": "string"})
    old = OUTCOMES.replace("estimate,locator\n", "estimate,locator,flag\n").replace("1\n", "1,\n")
    old = old.replace('"Results, para 2"\n', '"Results, para 2",secondary\n')
    write(repo, outcomes=old, package=package)
    folder = archive_release(repo)
    new = old.replace("Figure 1,", "Figure 1,ambiguous").replace(",secondary\n", ",secondary\n")
    new += "fakea-efs,fakea,fake2001,30,Figure 2,secondary; ambiguous\n"
    write(
        repo,
        outcomes=new,
        package=package,
        releases=ARCHIVED_HEADER + RELEASE_1.rstrip("\n") + f",{folder}\n" + RELEASE_2.rstrip("\n") + ",\n",
    )
    chapters = repo / "chapters"
    chapters.mkdir()
    page = "---\nlivingreview:\n  assessed: '{}'\n---\n# {}\n"
    (chapters / "old.md").write_text(page.format("2001-01-01", "Unchanged page"), encoding="utf-8")
    (chapters / "new.md").write_text(page.format("2001-02-01", "Updated page"), encoding="utf-8")
    (chapters / "_template.md").write_text(page.format("2001-02-01", "Template"), encoding="utf-8")
    prev, c = changes.since_previous(repo)
    flagged = {(f["key"], f["old"], f["new"]) for f in changes.flags_added(c)}
    assert flagged == {("fakea-os", "", "ambiguous"), ("fakea-efs", "", "secondary; ambiguous")}
    assert living.chapters_assessed_since(repo, prev.date) == [("new", "Updated page", "2001-02-01")]
    html = releases.report_html(repo)
    assert "Flags added in this release" in html and '<a href="new.html">Updated page</a>' in html
    assert "Unchanged page" not in html and "Template" not in html
