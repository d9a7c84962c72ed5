"""One test per rule of livingreview.checks.validate: each breaks a copy of the valid fixture project
(tests/fixtures/valid, invented data) and asserts the exact `file:row: column:` prefix and the
gist of the message. Line numbers are editor lines (CSV header = line 1).

Fixture rows: studies.csv  alpha=2, beta=3, gamma=4
              outcomes.csv alpha-cr=2, alpha-mrd=3, beta-cr=4, beta-os=5, gamma-cr=6
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from livingreview.checks.validate import Problem, check_data, check_project, main

FIXTURE = Path(__file__).parent / "fixtures" / "valid"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    return root


def read_rows(root: Path, table: str) -> list[list[str]]:
    with (root / "data" / f"{table}.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def write_rows(root: Path, table: str, rows: list[list[str]]) -> None:
    with (root / "data" / f"{table}.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def set_cell(root: Path, table: str, row_id: str, column: str, value: str) -> None:
    """Set one cell, finding the row by the value of its first column."""
    rows = read_rows(root, table)
    j = rows[0].index(column)
    matches = [r for r in rows[1:] if r and r[0] == row_id]
    assert len(matches) == 1, f"no unique row {row_id!r} in {table}"
    matches[0][j] = value
    write_rows(root, table, rows)


def edit_package(root: Path, fn) -> None:
    path = root / "data" / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    fn(descriptor)
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")


def field(descriptor: dict, resource: str, name: str) -> dict:
    res = next(r for r in descriptor["resources"] if r["name"] == resource)
    return next(f for f in res["schema"]["fields"] if f["name"] == name)


def problems(root: Path) -> list[str]:
    return [str(p) for p in check_project(root)]


# --------------------------------------------------------------------------- baseline


def test_valid_fixture_has_no_problems(project):
    assert check_project(project) == []


def test_main_on_valid_fixture_returns_0_and_summarises(project, capsys):
    assert main(["--root", str(project)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.strip() == "check: OK — 2 tables, 8 rows, 3 references"


def test_problem_str_omits_missing_parts():
    assert str(Problem("data/x.csv", 3, "events", "bad")) == "data/x.csv:3: events: bad"
    assert str(Problem("references.bib", 12, "key", "dup")) == "references.bib:12: key: dup"
    assert str(Problem("data/datapackage.json", None, None, "broken")) == "data/datapackage.json: broken"
    assert str(Problem("data/x.csv", 4, None, "blank row")) == "data/x.csv:4: blank row"


# --------------------------------------------------------------------------- (c) citekeys in data


def test_citekey_typo_names_file_row_column_and_suggests(project):
    set_cell(project, "studies", "beta", "citekey", "okafor2021")
    assert problems(project) == [
        "data/studies.csv:3: citekey: unknown citekey 'okafor2021' (not in references.bib); "
        "did you mean `okafor2022`?"
    ]


def test_source_citekey_typo(project):
    set_cell(project, "outcomes", "alpha-mrd", "source_citekey", "vandenberg2021")
    assert problems(project) == [
        "data/outcomes.csv:3: source_citekey: unknown citekey 'vandenberg2021' (not in references.bib); "
        "did you mean `vanderberg2021`?"
    ]


def test_citekey_case_mismatch_suggests_exact_key(project):
    set_cell(project, "studies", "alpha", "citekey", "VanDerBerg2021")
    (p,) = check_project(project)
    assert (p.file, p.row, p.column) == ("data/studies.csv", 2, "citekey")
    assert p.message.endswith("did you mean `vanderberg2021`?")


def test_unknown_citekey_without_close_match_has_no_suggestion(project):
    set_cell(project, "studies", "gamma", "citekey", "zzzzzz")
    assert problems(project) == [
        "data/studies.csv:4: citekey: unknown citekey 'zzzzzz' (not in references.bib); "
        "add an entry with this key to references.bib, or correct the key"
    ]


# --------------------------------------------------------------------------- (a) schema / frictionless


def test_missing_required_column(project):
    rows = read_rows(project, "outcomes")
    j = rows[0].index("locator")
    write_rows(project, "outcomes", [r[:j] + r[j + 1 :] for r in rows])
    found = problems(project)
    assert found == [
        "data/outcomes.csv:1: locator: missing column 'locator' (required); "
        "the schema in data/datapackage.json lists it: add locator to the header on line 1 and a cell for "
        "it in every row"
    ]


def test_value_outside_enum_lists_allowed_values(project):
    set_cell(project, "studies", "beta", "design", "randomized")
    (p,) = check_project(project)
    assert (p.file, p.row, p.column) == ("data/studies.csv", 3, "design")
    assert p.message.startswith(
        "value 'randomized' not allowed; allowed: randomised trial, single-arm trial, cohort, case series"
    )
    assert "did you mean 'randomised trial'" in p.message


def test_duplicate_primary_key_names_the_other_row(project):
    set_cell(project, "studies", "gamma", "study_id", "alpha")
    set_cell(project, "outcomes", "gamma-cr", "study_id", "alpha")  # keep the foreign key valid
    found = problems(project)
    assert len(found) == 1
    assert found[0].startswith("data/studies.csv:4: study_id: duplicate study_id 'alpha' (also on row 2)")


def test_duplicate_primary_key_without_unique_constraint(project):
    edit_package(project, lambda d: field(d, "studies", "study_id")["constraints"].pop("unique"))
    set_cell(project, "studies", "gamma", "study_id", "alpha")
    set_cell(project, "outcomes", "gamma-cr", "study_id", "alpha")
    found = problems(project)
    assert len(found) == 1
    assert found[0].startswith("data/studies.csv:4: study_id: duplicate study_id 'alpha' (also on row 2)")


def test_duplicate_composite_primary_key(project):
    def composite(d):
        d["resources"][1]["schema"]["primaryKey"] = ["study_id", "outcome"]

    edit_package(project, composite)
    set_cell(project, "outcomes", "alpha-mrd", "outcome", "complete remission")
    found = problems(project)
    assert len(found) == 1
    assert found[0].startswith(
        "data/outcomes.csv:3: duplicate primary key (study_id, outcome) = ('alpha', 'complete remission') "
        "(also on row 2)"
    )


def test_unknown_foreign_key(project):
    set_cell(project, "outcomes", "gamma-cr", "study_id", "gama")
    assert problems(project) == [
        "data/outcomes.csv:6: study_id: study_id 'gama' not found in data/studies.csv; did you mean `gamma`?"
    ]


def test_type_error_says_what_is_expected(project):
    set_cell(project, "studies", "beta", "n_patients", "twelve")
    set_cell(project, "studies", "gamma", "start_date", "03/2020")
    set_cell(project, "studies", "alpha", "multicentre", "yes")
    assert problems(project) == [
        "data/studies.csv:2: multicentre: value 'yes' is not a boolean; "
        "allowed: true, True, TRUE, 1, false, False, FALSE, 0",
        "data/studies.csv:3: n_patients: value 'twelve' is not an integer; "
        "expected a whole number such as 12",
        "data/studies.csv:4: start_date: value '03/2020' is not a date; expected a date as YYYY-MM-DD",
    ]


def test_minimum_constraint(project):
    set_cell(project, "studies", "gamma", "n_patients", "0")
    assert problems(project) == ["data/studies.csv:4: n_patients: value 0 is below the minimum 1"]


def test_maximum_and_pattern_constraints(project):
    def tighten(d):
        field(d, "outcomes", "total")["constraints"]["maximum"] = 25

    edit_package(project, tighten)
    set_cell(project, "studies", "gamma", "study_id", "Gamma!")
    set_cell(project, "outcomes", "gamma-cr", "study_id", "Gamma!")
    found = problems(project)
    assert "data/outcomes.csv:2: total: value 30 is above the maximum 25" in found
    assert (
        "data/studies.csv:4: study_id: value 'Gamma!' does not match the pattern '[a-z0-9_-]+': "
        "use only lowercase letters, digits, '_' and '-' (no spaces, no capitals)"
    ) in found
    assert len(found) == 2


def test_required_value_missing(project):
    set_cell(project, "studies", "beta", "design", "")
    assert problems(project) == [
        "data/studies.csv:3: design: required value is missing; this cell must be filled in (what it "
        "holds: the column's description in data/datapackage.json, or the book's Data dictionary page)"
    ]


# --------------------------------------------------------------------------- file structure


def test_line_numbers_follow_the_editor_with_multiline_cells_and_blank_lines(project):
    path = project / "data" / "outcomes.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    # make alpha-cr's note span three lines and put a blank line after it
    lines[1] = lines[1] + '"first line\nsecond line\nthird line"'
    lines.insert(2, "")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    set_cell(project, "outcomes", "gamma-cr", "events", "6")  # gamma-cr is now on line 9
    assert problems(project) == [
        "data/outcomes.csv:5: blank row; delete it",
        "data/outcomes.csv:9: events: events 6 exceeds total 5",
    ]


def test_frictionless_header_guessing_is_pinned_to_line_1(project):
    """Frictionless guesses the header row from the average row width; a blank line and a
    short row made it take a data row as the header. The header must stay line 1."""
    path = project / "data" / "outcomes.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1][:-1] + '"first line\nsecond line"'  # alpha-cr loses its note cell
    lines.insert(2, "")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    set_cell(project, "outcomes", "beta-cr", "unit", "percentage")
    found = problems(project)
    # a row with too few cells is one problem: its values may sit under the wrong columns (here
    # the note under flag), so the per-cell rules are not run on it
    assert found[:1] == ["data/outcomes.csv:2: row has 12 cells but the header has 13 (missing: note)"]
    assert "data/outcomes.csv:4: blank row; delete it" in found
    assert any(
        f.startswith("data/outcomes.csv:6: unit: value 'percentage' not allowed; allowed: percent,")
        for f in found
    )
    assert not any("missing column" in f or "header" in f.replace("the header has", "") for f in found)
    assert len(found) == 3


def test_row_with_too_many_or_too_few_cells(project):
    path = project / "data" / "studies.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] += ",surplus"
    lines[3] = lines[3].rsplit(",", 2)[0]  # drop flag and note cells of gamma
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert problems(project) == [
        "data/studies.csv:2: row has 10 cells but the header has 9; is a comma inside a value not quoted? "
        'A value that contains a comma must be put in double quotes: "Abstract, Table 2"',
        "data/studies.csv:4: row has 7 cells but the header has 9 (missing: flag, note)",
    ]


def test_column_not_in_schema(project):
    rows = read_rows(project, "studies")
    write_rows(project, "studies", [r + (["colour"] if i == 0 else ["red"]) for i, r in enumerate(rows)])
    assert problems(project) == [
        "data/studies.csv:1: colour: column 'colour' is not in the schema of resource 'studies' "
        "in data/datapackage.json; delete the column, or describe it in the schema first"
    ]


def test_missing_resource_file_is_a_problem_not_an_exception(project):
    (project / "data" / "outcomes.csv").unlink()
    assert problems(project) == [
        "data/outcomes.csv: file not found (listed as resource 'outcomes' in data/datapackage.json)"
    ]


def test_csv_not_listed_in_package(project):
    (project / "data" / "scratch.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    assert problems(project) == [
        "data/scratch.csv: CSV file is not listed as a resource in data/datapackage.json"
    ]


def test_missing_datapackage_is_a_problem(project):
    (project / "data" / "datapackage.json").unlink()
    assert problems(project) == ["data/datapackage.json: file not found"]


def test_invalid_json_reports_line(project):
    path = project / "data" / "datapackage.json"
    text = path.read_text(encoding="utf-8").replace('"name": "studies",', '"name": "studies"', 1)
    path.write_text(text, encoding="utf-8")
    (p,) = check_project(project)
    assert p.file == "data/datapackage.json"
    assert p.row == 7  # json reports the token after the missing comma
    assert p.message == "invalid JSON: Expecting ',' delimiter"


def test_invalid_descriptor_and_unknown_field_type(project):
    def break_it(d):
        field(d, "studies", "n_patients")["type"] = "int"
        field(d, "outcomes", "unit")["constraints"]["enum"] = "percent"

    edit_package(project, break_it)
    found = problems(project)
    assert (
        "data/datapackage.json: resource 'studies', field 'n_patients': type 'int' is not a Table Schema "
        "type; allowed: string, number, integer, boolean, object, array, date, time, datetime, year, "
        "yearmonth, duration, geopoint, geojson, any, list"
    ) in found
    assert any(
        f.startswith("data/datapackage.json: invalid descriptor:") and "'percent' is not of type 'array'" in f
        for f in found
    )


def test_foreign_key_to_unknown_resource(project):
    def break_it(d):
        d["resources"][1]["schema"]["foreignKeys"][0]["reference"]["resource"] = "trials"

    edit_package(project, break_it)
    assert problems(project) == [
        "data/datapackage.json: resource 'outcomes': foreign key ['study_id'] refers to unknown "
        "resource 'trials'"
    ]


# --------------------------------------------------------------------------- (b) cross-field rules


def test_events_greater_than_total(project):
    set_cell(project, "outcomes", "alpha-cr", "events", "31")
    assert problems(project) == ["data/outcomes.csv:2: events: events 31 exceeds total 30"]


def test_total_must_be_positive(project):
    edit_package(project, lambda d: field(d, "outcomes", "total")["constraints"].pop("minimum"))
    set_cell(project, "outcomes", "gamma-cr", "total", "0")
    set_cell(project, "outcomes", "gamma-cr", "events", "0")
    set_cell(project, "outcomes", "gamma-cr", "estimate", "")
    assert problems(project) == ["data/outcomes.csv:6: total: total must be greater than 0 (got 0)"]


def test_negative_events_when_schema_has_no_minimum(project):
    edit_package(project, lambda d: field(d, "outcomes", "events")["constraints"].pop("minimum"))
    set_cell(project, "outcomes", "beta-cr", "events", "-1")
    assert problems(project) == ["data/outcomes.csv:4: events: events must not be negative (got -1)"]


def test_negative_events_reported_once_when_schema_has_minimum(project):
    set_cell(project, "outcomes", "beta-cr", "events", "-1")
    assert problems(project) == ["data/outcomes.csv:4: events: value -1 is below the minimum 0"]


def test_ci_lower_above_estimate(project):
    set_cell(project, "outcomes", "alpha-cr", "ci_lower", "72")
    assert problems(project) == ["data/outcomes.csv:2: ci_lower: ci_lower 72 is above estimate 70"]


def test_ci_upper_below_estimate(project):
    set_cell(project, "outcomes", "beta-cr", "ci_upper", "0.7")
    assert problems(project) == ["data/outcomes.csv:4: ci_upper: ci_upper 0.7 is below estimate 0.75"]


def test_ci_lower_above_ci_upper_without_estimate(project):
    set_cell(project, "outcomes", "beta-os", "estimate", "")
    set_cell(project, "outcomes", "beta-os", "ci_lower", "25")
    assert problems(project) == ["data/outcomes.csv:5: ci_lower: ci_lower 25 is above ci_upper 20.2"]


def test_percent_out_of_range(project):
    set_cell(project, "outcomes", "alpha-cr", "ci_upper", "101")
    assert problems(project) == [
        "data/outcomes.csv:2: ci_upper: ci_upper 101 is outside [0, 100] for unit 'percent'"
    ]


def test_proportion_out_of_range(project):
    set_cell(project, "outcomes", "beta-cr", "ci_lower", "-0.1")
    assert problems(project) == [
        "data/outcomes.csv:4: ci_lower: ci_lower -0.1 is outside [0, 1] for unit 'proportion'"
    ]


def test_months_are_not_range_checked(project):
    set_cell(project, "outcomes", "beta-os", "ci_upper", "240")
    assert check_project(project) == []


def test_estimate_disagrees_with_events_over_total(project):
    set_cell(project, "outcomes", "alpha-mrd", "events", "14")
    set_cell(project, "outcomes", "alpha-mrd", "total", "30")
    set_cell(project, "outcomes", "alpha-mrd", "estimate", "45")
    assert problems(project) == [
        "data/outcomes.csv:3: estimate: estimate 45 disagrees with events/total 14/30 = 46.7%"
    ]


@pytest.mark.parametrize(
    "estimate, ok", [("66.7", True), ("67", True), ("66.2", True), ("66", False), ("67.2", False)]
)
def test_estimate_tolerance_is_half_a_percentage_point(project, estimate, ok):
    # 14/21 = 66.67%
    set_cell(project, "outcomes", "alpha-mrd", "estimate", estimate)
    assert (check_project(project) == []) is ok


def test_proportion_estimate_disagrees(project):
    set_cell(project, "outcomes", "beta-cr", "estimate", "0.70")
    set_cell(project, "outcomes", "beta-cr", "ci_lower", "0.4")
    assert problems(project) == [
        "data/outcomes.csv:4: estimate: estimate 0.70 disagrees with events/total 9/12 = 0.750"
    ]


def test_empty_locator(project):
    set_cell(project, "outcomes", "beta-cr", "locator", "")
    assert problems(project) == [
        "data/outcomes.csv:4: locator: locator is empty; say where the figure stands in the source "
        "(table, figure or section)"
    ]


def test_blank_locator_counts_as_empty(project):
    set_cell(project, "studies", "beta", "locator", "   ")
    found = problems(project)
    assert any(f.startswith("data/studies.csv:3: locator: locator is empty") for f in found)


def test_flag_without_note(project):
    set_cell(project, "studies", "gamma", "flag", "abstract only")
    assert problems(project) == [
        "data/studies.csv:4: note: flag 'abstract only' is set but note is empty; say what is wrong"
    ]


def test_rules_use_column_names_in_any_table(project):
    """A new table with the conventional columns gets the same rules without any code change."""
    (project / "data" / "adverse_events.csv").write_text(
        "ae_id,study_id,events,total,citekey,locator\na1,alpha,4,3,okafor2022,Table 4\n", encoding="utf-8"
    )

    def add(d):
        d["resources"].append(
            {
                "name": "adverse_events",
                "path": "adverse_events.csv",
                "format": "csv",
                "schema": {
                    "fields": [
                        {"name": n, "type": "integer" if n in ("events", "total") else "string"}
                        for n in ("ae_id", "study_id", "events", "total", "citekey", "locator")
                    ]
                },
            }
        )

    edit_package(project, add)
    assert problems(project) == ["data/adverse_events.csv:2: events: events 4 exceeds total 3"]


def test_non_numeric_count_in_string_column_is_reported(project):
    (project / "data" / "extra.csv").write_text("k,events,total,locator\nx,four,3,T1\n", encoding="utf-8")
    edit_package(
        project,
        lambda d: d["resources"].append(
            {
                "name": "extra",
                "path": "extra.csv",
                "schema": {
                    "fields": [{"name": n, "type": "string"} for n in ("k", "events", "total", "locator")]
                },
            }
        ),
    )
    assert problems(project) == ["data/extra.csv:2: events: value 'four' is not a whole number"]


# --------------------------------------------------------------------------- (d), (e) bib and chapters


def test_bib_problems_are_part_of_the_project_check(project):
    bib = project / "references.bib"
    text = bib.read_text(encoding="utf-8")
    text = text.replace("  journal = {Journal of Test Fixtures},\n  year    = {2022}", "  year    = {2022}")
    bib.write_text(text, encoding="utf-8")
    assert problems(project) == [
        "references.bib:9: journal: @article 'okafor2022' is missing required field 'journal' "
        "(or 'journaltitle'); add a line `journal = {...},` as the source's reference list gives it"
    ]


def test_missing_bibliography_is_one_problem_not_a_cascade(project):
    (project / "references.bib").unlink()
    assert problems(project) == ["references.bib: file not found"]


def test_unknown_cite_key_in_chapter(project):
    md = project / "chapters" / "intro.md"
    md.write_text(
        md.read_text(encoding="utf-8").replace("{cite:t}`okafor2022`", "{cite:t}`okafor2021`"),
        encoding="utf-8",
    )
    assert problems(project) == [
        "chapters/intro.md:5: cite: unknown citekey 'okafor2021' (not in references.bib); "
        "did you mean `okafor2022`?"
    ]


def test_chapters_in_subdirectories_and_underscore_files_are_checked(project):
    sub = project / "chapters" / "part1"
    sub.mkdir()
    text = "# Draft\n\nText {cite:ps}`lindqvist2023, lindqvst2023`.\n"
    (sub / "_draft.md").write_text(text, encoding="utf-8")
    assert problems(project) == [
        "chapters/part1/_draft.md:3: cite: unknown citekey 'lindqvst2023' (not in references.bib); "
        "did you mean `lindqvist2023`?"
    ]


def test_check_data_ignores_chapters_and_bib_style(project):
    (project / "chapters" / "x.md").write_text("{cite}`nope`\n", encoding="utf-8")
    bib = project / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + "\n@misc{extra, title={No year}}\n", encoding="utf-8")
    assert check_data(project) == []
    assert len(check_project(project)) == 2


# --------------------------------------------------------------------------- one pass, all files


def test_all_problems_in_all_files_are_reported_in_one_run(project, capsys):
    set_cell(project, "studies", "alpha", "citekey", "vanderberg2012")
    set_cell(project, "studies", "beta", "design", "cohrot")
    set_cell(project, "outcomes", "alpha-cr", "events", "31")
    set_cell(project, "outcomes", "beta-cr", "locator", "")
    set_cell(project, "outcomes", "gamma-cr", "study_id", "delta")
    bib = project / "references.bib"
    bib.write_text(
        bib.read_text(encoding="utf-8") + "\n@misc{lindqvist2023, title={Again}, year={2024}}\n",
        encoding="utf-8",
    )
    methods = project / "chapters" / "methods.md"
    methods.write_text("# Methods\n\nSee {footcite}`nobody1999`.\n", encoding="utf-8")

    found = check_project(project)
    located = [(p.file, p.row, p.column) for p in found]
    assert located == [
        ("chapters/methods.md", 3, "cite"),
        ("data/outcomes.csv", 2, "events"),
        ("data/outcomes.csv", 4, "locator"),
        ("data/outcomes.csv", 6, "study_id"),
        ("data/studies.csv", 2, "citekey"),
        ("data/studies.csv", 3, "design"),
        ("references.bib", 23, "key"),
    ]

    assert main(["--root", str(project)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert lines[:-1] == [str(p) for p in found]
    assert lines[-1] == "7 problems in 4 files"


def test_row_of_empty_cells_is_a_blank_row(project):
    path = project / "data" / "studies.csv"
    path.write_text(path.read_text(encoding="utf-8") + ",,,,,,,,\n  \n", encoding="utf-8")
    assert problems(project) == [
        "data/studies.csv:5: blank row; delete it",
        "data/studies.csv:6: blank row; delete it",
    ]


def _with_flagged_columns(root: Path) -> None:
    rows = read_rows(root, "studies")
    at = rows[0].index("flag") + 1
    for r in rows:
        r.insert(at, "flagged_columns" if r is rows[0] else "")
    write_rows(root, "studies", rows)

    def add_field(descriptor):
        fields = next(r for r in descriptor["resources"] if r["name"] == "studies")["schema"]["fields"]
        at_field = [f["name"] for f in fields].index("flag") + 1
        fields.insert(at_field, {"name": "flagged_columns", "type": "string"})

    edit_package(root, add_field)


def test_flagged_columns_must_name_columns_and_need_a_flag(project):
    _with_flagged_columns(project)
    assert check_project(project) == []
    set_cell(project, "studies", "beta", "flagged_columns", "n_patients")  # no flag on beta
    set_cell(project, "studies", "gamma", "flag", "ambiguous")
    set_cell(project, "studies", "gamma", "note", "n unclear")
    set_cell(project, "studies", "gamma", "flagged_columns", "n_patient; design")
    assert problems(project) == [
        "data/studies.csv:3: flagged_columns: flagged_columns is set but flag is empty; "
        "set the flag or clear it",
        "data/studies.csv:4: flagged_columns: flagged_columns names 'n_patient', which is not a column of "
        "this table; did you mean `n_patients`?",
    ]
