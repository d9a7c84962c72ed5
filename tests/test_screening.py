"""The screening log (data/screening.csv) and its rules (livingreview/screening.py).

The real log passes and gives PRISMA counts that add up; then each test plants one mistake in a
copy of the real data (data/ and references.bib) and asserts, through ``check_project`` (what
``make check`` runs), exactly the expected problem(s), each with its ``file:line: column:`` prefix
(editor lines: CSV header = line 1) and the gist of its fix.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from livingreview.checks import screening
from livingreview.checks.screening import check_screening
from livingreview.checks.validate import check_project, main
from livingreview.review import screening as review_screening
from livingreview.review.prisma import PrismaCounts
from livingreview.review.screening import prisma_counts, split_keys

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "valid"
LOG = "data/screening.csv"


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copy2(ROOT / "references.bib", root / "references.bib")
    return root


def read_rows(root: Path, table: str = "screening") -> list[list[str]]:
    with open(root / "data" / f"{table}.csv", newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def write_rows(root: Path, rows: list[list[str]], table: str = "screening") -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    (root / "data" / f"{table}.csv").write_text(buf.getvalue(), encoding="utf-8")


def line_of(root: Path, first_cell: str, table: str = "screening") -> int:
    """Editor line of the record whose first cell is ``first_cell`` (values here hold no newline)."""
    rows = read_rows(root, table)
    hits = [n for n, r in enumerate(rows, start=1) if r and r[0] == first_cell]
    assert len(hits) == 1, (table, first_cell, hits)
    return hits[0]


def edit(root: Path, record_id: str, **cells: str) -> int:
    """Change cells of one screening record; return its editor line."""
    rows = read_rows(root)
    header = rows[0]
    row = next(r for r in rows[1:] if r[0] == record_id)
    for column, value in cells.items():
        row[header.index(column)] = value
    write_rows(root, rows)
    return line_of(root, record_id)


def assert_problems(root: Path, *expected: tuple[str, tuple[str, ...]]) -> list[str]:
    """Exactly the expected problems, each (prefix, parts of the message)."""
    found = sorted(str(p) for p in check_project(root))
    assert len(found) == len(expected), "\n".join(found)
    for (head, parts), line in zip(sorted(expected), found, strict=True):
        assert line.startswith(head), f"{line!r} does not start with {head!r}"
        for part in parts:
            assert part in line, f"{part!r} not in {line!r}"
    return found


def log_frame(root: Path = ROOT) -> pd.DataFrame:
    return pd.read_csv(root / LOG, dtype=str, keep_default_na=False)


# --------------------------------------------------------------------------- the real log


def test_the_real_log_passes() -> None:
    assert check_screening(ROOT) == []


def test_the_unchanged_copy_passes(project: Path) -> None:
    # The control for every planted mistake below.
    assert check_project(project) == []


def test_prisma_counts_of_the_real_log_add_up_and_follow_the_rows() -> None:
    log = log_frame()
    counts = prisma_counts(log)
    assert isinstance(counts, PrismaCounts)
    assert counts.check() == []
    assert (counts.databases, counts.registers) == (0, 0)  # none searched
    assert not counts.two_columns
    cited = log[log["identified_via"] == "citation searching"]
    assert counts.other_methods == (log["identified_via"] != "citation searching").sum() + sum(
        len(split_keys(v)) for v in cited["found_in"]
    )
    assert counts.other_methods - counts.duplicates_removed == counts.records_screened == len(log)
    assert counts.records_excluded == (log["stage_reached"] == "screened").sum()
    assert counts.reports_not_retrieved == (log["stage_reached"] == "sought").sum()
    assert counts.studies_included == counts.reports_included == (log["decision"] == "included").sum()


def test_included_records_are_exactly_the_studies_with_figures() -> None:
    log = log_frame()
    studies = pd.read_csv(ROOT / "data" / "studies.csv", dtype=str, keep_default_na=False)
    with_figures: set[str] = set()
    for table in ("outcomes", "patients", "adverse_events"):
        with_figures |= set(pd.read_csv(ROOT / "data" / f"{table}.csv", dtype=str)["study_id"])
    keys = set(studies.loc[studies["study_id"].isin(with_figures), "citekey"])
    later_reports = set(log.loc[log["study_id"] != "", "citekey"])  # e.g. a long-term follow-up
    assert later_reports == {"blinainfantlongterm"}
    assert set(log.loc[log["decision"] == "included", "citekey"]) == keys | later_reports


def test_every_record_is_traceable() -> None:
    log = log_frame()
    founding = set(log.loc[log["identified_via"] == "founding document", "citekey"])
    assert founding == {"brethon2021", "durer2019", "clesham2020", "vandersluis2023", "authorea475403"}
    cited = log[log["identified_via"] == "citation searching"]
    assert all(split_keys(v) and set(split_keys(v)) <= founding for v in cited["found_in"])
    assert (cited["reference_numbers"] != "").all()
    assert ((log["citekey"] != "") | (log["citation"] != "")).all()


def test_no_screening_log_means_nothing_to_check() -> None:
    assert check_screening(FIXTURE) == []


# --------------------------------------------------------------------------- prisma_counts


def test_prisma_counts_counts_duplicates_and_reasons() -> None:
    log = pd.DataFrame(
        {
            "identified_via": [
                "founding document",
                "citation searching",
                "citation searching",
                "citation searching",
                "citation searching",
            ],
            "found_in": ["", "a; b", "a", "b", "a"],
            "stage_reached": ["assessed", "assessed", "screened", "sought", "assessed"],
            "decision": ["included", "included", "excluded", "excluded", "excluded"],
            "reason": [
                "",
                "",
                "not on the review questions",
                "report not retrieved",
                "no figure on the review outcomes",
            ],
        }
    )
    c = prisma_counts(log)
    assert (c.other_methods, c.duplicates_removed, c.records_screened) == (6, 1, 5)
    assert (c.records_excluded, c.reports_sought, c.reports_not_retrieved, c.reports_assessed) == (1, 4, 1, 3)
    assert c.reports_excluded == {"no figure on the review outcomes": 1}
    assert (c.studies_included, c.reports_included) == (2, 2)
    assert c.check() == []


def test_prisma_counts_refuses_a_value_outside_the_enum() -> None:
    log = pd.DataFrame(
        {
            "identified_via": ["founding document"],
            "found_in": [""],
            "stage_reached": ["read"],
            "decision": ["included"],
            "reason": [""],
        }
    )
    with pytest.raises(ValueError, match="stage_reached value"):
        prisma_counts(log)


# --------------------------------------------------------------------------- planted mistakes


def test_excluded_without_reason(project: Path) -> None:
    line = edit(project, "gardner2016", reason="")
    assert_problems(
        project,
        (
            f"{LOG}:{line}: reason: ",
            ("an excluded record needs a reason", "allowed at stage 'sought': report not retrieved"),
        ),
    )


def test_included_with_a_reason(project: Path) -> None:
    line = edit(project, "ueda2016", reason="report not retrieved")
    assert_problems(
        project, (f"{LOG}:{line}: reason: ", ("an included record has no exclusion reason", "empty the cell"))
    )


def test_reason_of_another_stage(project: Path) -> None:
    line = edit(project, "gardner2016", reason="not on the review questions")
    assert_problems(
        project,
        (
            f"{LOG}:{line}: reason: ",
            ("belongs to stage 'screened', not 'sought'", "set stage_reached to 'screened'"),
        ),
    )


def test_included_but_not_assessed(project: Path) -> None:
    line = edit(project, "ueda2016", stage_reached="sought")
    assert_problems(
        project,
        (
            f"{LOG}:{line}: stage_reached: ",
            ("an included record must have been assessed", "set stage_reached to 'assessed'"),
        ),
    )


def test_included_record_that_is_not_a_study(project: Path) -> None:
    line = edit(project, "steensma2011", stage_reached="assessed", decision="included", reason="")
    assert_problems(
        project,
        (
            f"{LOG}:{line}: citekey: ",
            (
                "included record 'steensma2011' is not a study in data/studies.csv",
                "add the study and its figures there, or exclude the record",
            ),
        ),
    )


def test_included_record_without_figures(project: Path) -> None:
    line = edit(project, "gardner2016", stage_reached="assessed", decision="included", reason="")
    assert_problems(
        project,
        (
            f"{LOG}:{line}: decision: ",
            (
                "record 'gardner2016' is included but none of its studies (gardner2016) has a figure",
                "reason 'report not retrieved'",
            ),
        ),
    )


def test_study_with_figures_excluded(project: Path) -> None:
    line = edit(
        project, "ueda2016", stage_reached="sought", decision="excluded", reason="report not retrieved"
    )
    figure = line_of(project, "ueda2016-p1", "patients")
    assert_problems(
        project,
        (
            f"{LOG}:{line}: decision: ",
            (
                f"study 'ueda2016' (citekey 'ueda2016') has figures (data/patients.csv:{figure})",
                "include it (stage_reached 'assessed'",
            ),
        ),
    )


def test_study_with_figures_without_a_record(project: Path) -> None:
    rows = read_rows(project)
    write_rows(project, [r for r in rows if r[0] != "ueda2016"])
    study = line_of(project, "ueda2016", "studies")
    assert_problems(
        project,
        (
            f"{LOG}: citekey: ",
            (
                f"study 'ueda2016' (data/studies.csv:{study}) has figures",
                "no record has its citekey 'ueda2016': add a row with citekey 'ueda2016'",
            ),
        ),
    )


def test_citekey_typo_is_one_problem(project: Path) -> None:
    # The generic citekey rule and check_screening say it in the same words (shown once), and
    # neither "not a study" nor "study ueda2016 has no record" is added: the "did you mean" says it.
    line = edit(project, "ueda2016", citekey="ueda216")
    assert_problems(
        project,
        (
            f"{LOG}:{line}: citekey: ",
            ("unknown citekey 'ueda216' (not in references.bib)", "did you mean `ueda2016`?"),
        ),
    )


def test_the_same_work_logged_twice(project: Path) -> None:
    rows = read_rows(project)
    first = line_of(project, "rayes2016")
    copy = list(next(r for r in rows if r[0] == "rayes2016"))
    copy[0] = "rayes2016-again"
    write_rows(project, rows + [copy])
    assert_problems(
        project,
        (
            f"{LOG}:{len(rows) + 1}: citekey: ",
            (f"citekey 'rayes2016' already has a record on line {first}", "merge the rows"),
        ),
    )


def test_founding_document_with_found_in(project: Path) -> None:
    line = edit(project, "clesham2020", found_in="vandersluis2023")
    assert_problems(
        project,
        (
            f"{LOG}:{line}: found_in: ",
            ("a founding document is not found in a reference list", "leave found_in empty"),
        ),
    )


def test_citation_searching_without_found_in(project: Path) -> None:
    line = edit(project, "rayes2016", found_in="")
    assert_problems(
        project,
        (f"{LOG}:{line}: found_in: ", ("say which founding document's reference list names this work",)),
    )


def test_found_in_a_document_that_is_not_founding(project: Path) -> None:
    line = edit(project, "rayes2016", found_in="durer2018")
    assert_problems(
        project,
        (
            f"{LOG}:{line}: found_in: ",
            (
                "'durer2018' is not the citekey of a founding document of this log",
                "did you mean `durer2019`?",
            ),
        ),
    )


def test_citation_searching_without_reference_number(project: Path) -> None:
    line = edit(project, "rayes2016", reference_numbers="")
    assert_problems(
        project,
        (
            f"{LOG}:{line}: reference_numbers: ",
            ("say under which number the citing reference list gives this work",),
        ),
    )


def test_record_without_citekey_or_citation(project: Path) -> None:
    line = edit(project, "durer2019-ref07", citation="")
    assert_problems(
        project,
        (
            f"{LOG}:{line}: citation: ",
            ("a record needs its citekey", "its citation as the reference list prints it"),
        ),
    )


def test_prisma_boxes_that_do_not_add_up(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The safety net: counts that do not add up are reported even when no row rule fires.
    real = screening.prisma_counts

    def off_by_one(log: pd.DataFrame) -> PrismaCounts:
        c = real(log)
        c.reports_included += 1
        return c

    monkeypatch.setattr(screening, "prisma_counts", off_by_one)
    assert_problems(
        project,
        (
            f"{LOG}: the PRISMA 2020 boxes do not add up: ",
            ("reports assessed − Σ reports excluded", "but reports of included studies"),
        ),
    )


def test_make_check_reports_screening_problems(project: Path, capsys: pytest.CaptureFixture) -> None:
    line = edit(project, "gardner2016", reason="")
    assert main(["--root", str(project)]) == 1
    err = capsys.readouterr().err
    assert f"{LOG}:{line}: reason: an excluded record needs a reason" in err


# --------------------------------------------------------------------------- the 1.1 update


def test_update_counts_of_the_real_log() -> None:
    log = log_frame()
    u = review_screening.update_counts(log, "1.1.0")
    old = log[log["added_in"] == "1.0.0"]
    new = log[log["added_in"] == "1.1.0"]
    assert u.previous_studies == (old["decision"] == "included").sum() == prisma_counts(old).studies_included
    assert u.new.records_screened == len(new) and u.new.check() == []
    assert u.new.duplicates_removed == 0  # one identification per targeted-search record
    assert u.new_reports == (new["decision"] == "included").sum()
    assert u.new_reports_of_previous_studies == 1  # the long-term follow-up of van der Sluis 2023
    assert u.total_studies == u.previous_studies + u.new_studies == prisma_counts(log).studies_included - 1
    # the first release is an update of nothing
    first = review_screening.update_counts(log, "1.0.0")
    assert first.previous_studies == 0 and first.new.studies_included == u.previous_studies


def test_update_counts_needs_versions() -> None:
    with pytest.raises(ValueError, match="added_in"):
        review_screening.update_counts(pd.DataFrame({"decision": ["included"]}), "1.1.0")
    log = log_frame().assign(added_in="1.1")
    with pytest.raises(ValueError, match="not a version"):
        review_screening.update_counts(log, "1.1.0")


def test_targeted_search_record_without_queries_or_with_found_in(project: Path) -> None:
    line = edit(project, "ghorashian2022", search_queries="", found_in="vandersluis2023")
    assert_problems(
        project,
        (f"{LOG}:{line}: found_in: ", ("a record of a targeted search is not found in a reference list",)),
        (f"{LOG}:{line}: search_queries: ", ("needs the queries that found it",)),
    )


def test_added_in_must_be_a_release(project: Path) -> None:
    line = edit(project, "moskop2022", added_in="1.2.0")
    assert_problems(project, (f"{LOG}:{line}: added_in: ", ("'1.2.0' is not a release", "1.0.0, 1.1.0")))


def test_later_report_without_its_figures(project: Path) -> None:
    line = edit(project, "blinainfantlongterm", study_id="clesham2020")
    assert_problems(
        project,
        (
            f"{LOG}:{line}: decision: ",
            ("later report of study 'clesham2020'", "no figure row of that study has citekey"),
        ),
    )


def test_later_report_of_an_unknown_study(project: Path) -> None:
    line = edit(project, "blinainfantlongterm", study_id="nosuchstudy")
    assert_problems(project, (f"{LOG}:{line}: study_id: ", ("'nosuchstudy' is not in data/studies.csv",)))


def test_figures_read_from_an_excluded_or_missing_record(project: Path) -> None:
    line = edit(
        project,
        "blinainfantlongterm",
        stage_reached="sought",
        decision="excluded",
        reason="report not retrieved",
    )
    assert_problems(
        project,
        (
            f"{LOG}:{line}: decision: ",
            ("figures were read from 'blinainfantlongterm'", "its record is excluded"),
        ),
    )
    rows = [r for r in read_rows(project) if r[0] != "blinainfantlongterm"]
    write_rows(project, rows)
    assert_problems(
        project,
        (
            f"{LOG}: citekey: ",
            (
                "figures of study 'vandersluis2023' were read from 'blinainfantlongterm'",
                "study_id 'vandersluis2023'",
            ),
        ),
    )
