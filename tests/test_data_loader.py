"""livingreview.dataset.load: typed DataFrames from the data package (fixture: tests/fixtures/valid)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import livingreview
from livingreview.checks.validate import load_checked
from livingreview.dataset.load import DataError, Dataset, default_root, load, schema_table

FIXTURE = Path(__file__).parent / "fixtures" / "valid"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    return root


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load(FIXTURE)


def edit_package(root: Path, fn) -> None:
    path = root / "data" / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    fn(descriptor)
    path.write_text(json.dumps(descriptor), encoding="utf-8")


def test_one_frame_per_resource_with_attribute_and_item_access(ds):
    assert list(ds) == ["studies", "outcomes"]
    assert len(ds) == 2
    assert ds.studies is ds["studies"]
    assert ds.outcomes is ds["outcomes"]
    assert "studies" in ds and "patients" not in ds
    assert (len(ds.studies), len(ds.outcomes)) == (3, 5)
    with pytest.raises(AttributeError, match="no resource 'patients'"):
        ds.patients  # noqa: B018
    with pytest.raises(KeyError):
        ds["patients"]


def test_dtypes_follow_the_table_schema(ds):
    s, o = ds.studies, ds.outcomes
    assert s["n_patients"].dtype == "Int64"
    assert o["events"].dtype == "Int64" and o["total"].dtype == "Int64"
    assert o["estimate"].dtype == "Float64" and o["ci_lower"].dtype == "Float64"
    assert s["multicentre"].dtype == "boolean"
    assert isinstance(s["study_id"].dtype, pd.StringDtype)
    assert isinstance(o["note"].dtype, pd.StringDtype)
    assert pd.api.types.is_datetime64_dtype(s["start_date"].dtype)


def test_enum_columns_are_categoricals_in_schema_order(ds):
    design = ds.studies["design"]
    assert isinstance(design.dtype, pd.CategoricalDtype)
    assert list(design.cat.categories) == ["randomised trial", "single-arm trial", "cohort", "case series"]
    assert design.cat.ordered
    assert list(ds.outcomes["unit"].cat.categories) == ["percent", "proportion", "months"]
    # sorting follows the enum, not the alphabet
    assert list(ds.studies.sort_values("design")["study_id"]) == ["alpha", "beta", "gamma"]


def test_values_and_missing_values(ds):
    s, o = ds.studies.set_index("study_id"), ds.outcomes.set_index("outcome_id")
    assert s.loc["alpha", "n_patients"] == 30
    assert s.loc["alpha", "start_date"] == pd.Timestamp("2019-03-01")
    assert s["multicentre"].tolist() == [True, False, pd.NA]
    assert pd.isna(s.loc["gamma", "start_date"])
    assert o.loc["alpha-mrd", "estimate"] == pytest.approx(66.7)
    assert pd.isna(o.loc["beta-os", "events"])
    assert o.loc["beta-os", "events"] is pd.NA
    assert o.loc["alpha-cr", "flag"] is pd.NA  # empty string -> missing
    assert o.loc["beta-os", "note"].startswith("Median survival read from a Kaplan-Meier plot,")


def test_primary_key_stays_a_column(ds):
    assert isinstance(ds.studies.index, pd.RangeIndex)
    assert list(ds.studies.columns[:2]) == ["study_id", "citekey"]
    assert list(ds.outcomes["outcome_id"]) == ["alpha-cr", "alpha-mrd", "beta-cr", "beta-os", "gamma-cr"]


def test_default_root_is_the_repository():
    assert default_root() == Path(livingreview.__file__).resolve().parent.parent


def test_load_does_not_validate_cross_references(project):
    csv = project / "data" / "studies.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("okafor2022", "okafor2021"), encoding="utf-8")
    assert load(project).studies["citekey"].tolist()[1] == "okafor2021"  # fast path: no bib check
    with pytest.raises(DataError) as info:
        load_checked(project)
    assert [str(p) for p in info.value.problems] == [
        "data/studies.csv:3: citekey: unknown citekey 'okafor2021' (not in references.bib); "
        "did you mean `okafor2022`?"
    ]
    assert "1 data problem:" in str(info.value)


def test_load_checked_lists_all_problems(project):
    csv = project / "data" / "outcomes.csv"
    text = csv.read_text(encoding="utf-8")
    text = text.replace("alpha-cr,alpha,complete remission,21,30", "alpha-cr,alpha,complete remission,31,30")
    text = text.replace("Figure 1,,", ",,")
    csv.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_checked(project)
    assert [(p.row, p.column) for p in info.value.problems] == [(2, "events"), (4, "locator")]


def test_unconvertible_value_raises_dataerror_even_without_validation(project):
    csv = project / "data" / "studies.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace(",12,", ",twelve,"), encoding="utf-8")
    with pytest.raises(DataError) as info:
        load(project)
    assert [str(p) for p in info.value.problems] == [
        "data/studies.csv:3: n_patients: cannot load 'twelve' as integer"
    ]


def test_value_outside_enum_raises_instead_of_becoming_nan(project):
    csv = project / "data" / "studies.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("case series", "case report"), encoding="utf-8")
    with pytest.raises(DataError, match=r"data/studies.csv:4: design: cannot load 'case report'"):
        load(project)


def test_missing_package_raises_dataerror(tmp_path):
    with pytest.raises(DataError, match="data/datapackage.json: file not found"):
        load(tmp_path)


def test_custom_missing_values_and_boolean_values(project):
    def edit(d):
        schema = d["resources"][0]["schema"]
        schema["missingValues"] = ["", "NA"]
        mc = next(f for f in schema["fields"] if f["name"] == "multicentre")
        mc["trueValues"], mc["falseValues"] = ["yes"], ["no"]

    edit_package(project, edit)
    csv = project / "data" / "studies.csv"
    text = csv.read_text(encoding="utf-8").replace(",true,", ",yes,").replace(",false,", ",no,")
    csv.write_text(text.replace("2020-07-15", "NA"), encoding="utf-8")
    s = load(project).studies
    assert s["multicentre"].tolist()[:2] == [True, False]
    assert pd.isna(s["start_date"].iloc[1])


def test_column_order_in_csv_does_not_matter(project):
    csv = project / "data" / "studies.csv"
    df = pd.read_csv(csv, dtype=str, keep_default_na=False)
    df[list(reversed(df.columns))].to_csv(csv, index=False)
    s = load(project).studies
    assert list(s.columns[:3]) == ["study_id", "citekey", "design"]  # schema order
    assert s["n_patients"].dtype == "Int64"


def test_schema_table_describes_every_field(ds):
    table = schema_table(ds)
    assert list(table.columns) == [
        "resource",
        "field",
        "title",
        "type",
        "required",
        "description",
        "allowed",
        "key",
    ]
    assert len(table) == 9 + 13
    row = table.set_index(["resource", "field"])
    assert row.loc[("studies", "design"), "allowed"] == (
        "one of: randomised trial, single-arm trial, cohort, case series"
    )
    assert row.loc[("studies", "n_patients"), "allowed"] == "≥ 1"
    assert row.loc[("studies", "n_patients"), "type"] == "integer"
    assert bool(row.loc[("studies", "n_patients"), "required"]) is True
    assert bool(row.loc[("studies", "start_date"), "required"]) is False
    assert row.loc[("studies", "study_id"), "key"] == "primary key"
    assert row.loc[("outcomes", "study_id"), "key"] == "→ studies.study_id"
    assert row.loc[("studies", "citekey"), "description"] == "Key of the primary report in references.bib."


def test_schema_table_accepts_a_root(project):
    assert schema_table(project).equals(schema_table(load(project)))
