"""The page API (livingreview.book) and what a chapter may hold.

A chapter is prose with short cells: no function or class of its own (reusable code lives in the
engine), and its table of flagged figures is made from the rows it showed, never listed by hand.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pandas as pd
import pytest

from livingreview import book
from livingreview.core.myst import code_cells
from livingreview.dataset.load import load
from livingreview.present import evidence

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.md"))
FIXTURE = Path(__file__).parent / "fixtures" / "valid"

# Code lines (non-blank, non-comment, in code cells) across all chapters. The target is
# 450; the chapters are not there yet (see the report of issue 13): this bound only stops growth.
# Lower it whenever a chapter loses code to the engine.
# Raised from 1185 by the evidence update of version 1.1 (issue 15): the new studies' figures,
# provenance tables and the update's PRISMA boxes on seven pages (1383 after moving what could
# move to the engine: Page.figs, Page.provenance, UpdateCounts.boxes). The lead decides whether
# to keep this growth or to move more of it into the engine.
CODE_LINES_NOW = 825  # the target is 450
CODE_LINES_TARGET = 450


def code_lines(markdown: str) -> list[str]:
    """The non-blank, non-comment lines of a page's code cells."""
    return [
        line
        for cell in code_cells(markdown)
        for line in cell.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def test_code_lines_are_counted_in_code_cells_only() -> None:
    page = (
        "# Title\n\nProse with `code` and\n    an indented line.\n\n"
        "```{code-cell} ipython3\n:tags: [remove-cell]\nx = 1\n\n# a comment\ny = 2  # kept\n```\n\n"
        "```python\nnot = 'executed'\n```\n"
    )
    assert code_lines(page) == ["x = 1", "y = 2  # kept"]


@pytest.mark.parametrize("page", CHAPTERS, ids=lambda p: p.name)
def test_no_function_or_class_is_defined_in_a_chapter(page: Path) -> None:
    defined = [
        getattr(node, "name", "lambda")
        for cell in code_cells(page.read_text(encoding="utf-8"))
        for node in ast.walk(ast.parse(cell))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda)
    ]
    assert not defined, f"{page.name} defines {defined}: put it in the engine"


def test_chapter_code_does_not_grow() -> None:
    counts = {p.name: len(code_lines(p.read_text(encoding="utf-8"))) for p in CHAPTERS}
    assert sum(counts.values()) <= CODE_LINES_NOW, counts


# -- the page's flagged figures ---------------------------------------------------------------------


@pytest.fixture
def page(tmp_path: Path) -> book.Page:
    """The valid fixture with two flagged figures planted: one the page shows, one it does not."""
    root = tmp_path / "book"
    shutil.copytree(FIXTURE, root)
    (root / "_config.yml").write_text("title: Fixture\n", encoding="utf-8")
    outcomes = root / "data" / "outcomes.csv"
    outcomes.write_text(
        outcomes.read_text(encoding="utf-8")
        + "gamma-used,gamma,complete remission,2,5,,,,,,Table 3,ambiguous,Planted: shown by the page.\n"
        + "gamma-unused,gamma,MRD negativity,1,5,,,,,,Table 3,implausible,Planted: never shown.\n"
        + "beta-printed,beta,complete remission,,,45,30,60,percent,,Table 4,secondary,Planted: printed.\n",
        encoding="utf-8",
    )
    dataset = load(root)
    # The book's figure rows name the document each was read in; the fixture's rely on their study.
    outcomes = dataset.tables["outcomes"]
    outcomes["citekey"] = outcomes["study_id"].map(dataset.studies.set_index("study_id")["citekey"])
    return book.Page(dataset)


def test_the_flags_table_lists_the_flagged_rows_the_page_showed_and_no_other(page: book.Page) -> None:
    assert page.text("gamma-used").startswith("2 of 5")
    page.text("alpha-cr")  # a clean row: shown, but not flagged
    html = str(page.flags_table())
    assert "gamma-used" in html and "Planted: shown by the page." in html
    assert "gamma-unused" not in html and "never shown" not in html
    assert "alpha-cr" not in html
    # beta-os is flagged in the fixture; once the page shows it, it is listed too
    page.row("beta-os")
    assert "beta-os" in str(page.flags_table())


def test_a_page_that_shows_no_flagged_row_has_no_flags_table(page: book.Page) -> None:
    page.text("alpha-cr")
    assert page.flags_table() == ""


def test_rows_and_frames_shown_are_recorded_in_first_use_order(page: book.Page) -> None:
    frame = page.outcomes[page.outcomes["study_id"] == "gamma"]
    page.show(frame)
    page.rows(["beta-os"])
    (outcomes,) = page.used_rows()
    assert list(outcomes["outcome_id"]) == [*frame["outcome_id"], "beta-os"]
    assert "gamma-used" in set(frame["outcome_id"]) and "gamma-unused" in set(frame["outcome_id"])


def test_study_rows_come_study_by_study_in_the_order_given_and_are_recorded(page: book.Page) -> None:
    rows = page.study_rows("outcomes", ["gamma", "alpha"])
    gamma = sorted(i for i in page.outcomes["outcome_id"] if i.startswith("gamma"))
    alpha = sorted(i for i in page.outcomes["outcome_id"] if i.startswith("alpha"))
    assert rows["outcome_id"].tolist() == gamma + alpha and "_study" not in rows
    (used,) = page.used_rows()
    assert used["outcome_id"].tolist() == gamma + alpha
    assert "gamma-unused" in str(page.flags_table())  # shown in the frame, so listed


def test_the_page_is_the_dataset_for_reading(page: book.Page) -> None:
    assert list(page) == list(page.dataset) and page["studies"] is page.dataset["studies"]
    assert page.outcomes is page.dataset.outcomes
    assert not any(page.used.values())  # reading a table shows nothing by itself
    with pytest.raises(KeyError, match="no row 'nope'"):
        page.row("nope")


def test_forest_rows_are_the_figure_rows_by_id_labelled_and_recorded_as_shown(page: book.Page) -> None:
    rows = page.forest_rows({"gamma-used": "Gamma", "alpha-cr": "Alpha"})
    assert rows["label"].tolist() == ["Gamma", "Alpha"] and "group" not in rows
    assert rows["estimate"].tolist() == [40.0, 70.0]  # exact proportions of 2/5 and 21/30, in percent
    assert rows["study_id"].tolist() == ["gamma", "alpha"]  # the row's own columns are kept
    assert "gamma-used" in str(page.flags_table())
    computed = {"estimate": 10.0, "ci_lower": 5.0, "ci_upper": 20.0, "figure": "computed here"}
    grouped = page.forest_rows([("G1", "Beta", "beta-printed"), ("G2", "Computed", computed)])
    assert grouped["group"].tolist() == ["G1", "G2"] and grouped["figure"][1] == "computed here"
    assert grouped["basis"][0] == "interval printed by the source"  # a printed 30 to 60
    assert "beta-printed" in str(page.flags_table())


def test_forest_rows_mark_the_flagged_figures_and_refuse_a_figure_not_in_percent(page: book.Page) -> None:
    marked = page.forest_rows({"gamma-used": "Gamma", "alpha-cr": "Alpha"}, flag_mark=" †")
    assert marked["label"].tolist() == ["Gamma †", "Alpha"]  # gamma-used is flagged, alpha-cr is not
    computed = {"estimate": 10.0, "ci_lower": 5.0, "ci_upper": 20.0, "figure": "computed", "flag": None}
    assert page.forest_rows([("G", "Computed", computed)], flag_mark=" †")["label"].tolist() == ["Computed"]
    # beta-os is a median survival in months: on a percent axis it would read as 14.5%
    with pytest.raises(ValueError, match="'beta-os' is printed in months, not percent"):
        page.forest_rows({"beta-os": "Beta"})


def test_a_page_forest_describes_its_rows_and_draws_percent_without_marker_sizes(page: book.Page) -> None:
    chart = page.forest(
        [("G1", "Gamma", "gamma-used"), ("G2", "Alpha", "alpha-cr")],
        describe="Two figures: ",
        item="{label} ({group}): {figure}",
        title="Fixture",
    ).to_dict()
    assert chart["description"] == (
        f"Two figures: Gamma (G1): {page.text('gamma-used')}; Alpha (G2): {page.text('alpha-cr')}."
    )
    assert len(chart["hconcat"]) == 3  # labels, plot, estimates: no n column
    domains = [layer["encoding"]["x"]["scale"].get("domain") for layer in chart["hconcat"][1]["layer"]]
    assert [0, 100] in domains
    assert "gamma-used" in str(page.flags_table())


# -- a figure's text and its provenance -----------------------------------------------------------


def test_a_figure_keeps_its_printed_decimals_and_provenance_names_the_page() -> None:
    page = book.Page(load(ROOT))
    # 86.0% is stored as 86 and printed with its trailing zero (value_as_printed)
    assert page.cited("cibmtr2025-cr").startswith("86.0%") and page.text("leahy2022-cr").startswith("94%")
    frame = page.provenance(["aall1731-followup", "vandersluis2023-dfs-2y"])
    assert frame["page"].tolist() == [
        "mirror page, secondary: Abstract, Results",
        "founding document: Abstract, Results; Results: Disease-free and overall survival para 1; "
        "Discussion para 4",
    ]
    assert "flagged as printed: secondary" in frame["figure"][0]
    cohort = page.provenance(["moskop2022-mrdneg"])
    assert cohort["overlap"][0].startswith("CIBMTR real-world tisagenlecleucel registry")
    assert set(page.used["outcomes"]) >= {"aall1731-followup", "moskop2022-mrdneg", "cibmtr2025-cr"}


# -- cases, patients and tables of figures ----------------------------------------------------------


def test_where_and_figures_of_select_rows_by_value_in_the_order_asked(page: book.Page) -> None:
    gamma = ["gamma-cr", "gamma-used", "gamma-unused"]
    assert list(page.where("outcomes", study_id="gamma")["outcome_id"]) == gamma
    assert page.where("outcomes", study_id="gamma", flag="ambiguous")["outcome_id"].tolist() == ["gamma-used"]
    assert page.figures_of("gamma", "alpha") == [*gamma, "alpha-cr", "alpha-mrd"]
    assert not any(page.used.values())  # selecting rows is reading them, not showing them


def test_require_shown_fails_until_every_matching_row_is_shown(page: book.Page) -> None:
    page.rows(["gamma-cr", "gamma-used"])
    with pytest.raises(ValueError, match="not shown on the page: gamma-unused$"):
        page.require_shown("outcomes", study_id="gamma")
    page.row("gamma-unused")
    page.require_shown("outcomes", study_id="gamma")


def test_as_printed_and_flag_give_the_value_and_its_flag_and_record_them(page: book.Page) -> None:
    assert page.as_printed("alpha-cr", "unit") == "percent"  # a clean row: no flag
    assert page.as_printed("beta-os", "unit", quoted=True) == (
        "“months” [flagged as printed: estimate read off curve; see the note below]"
    )
    assert page.flag("beta-os") == "[flagged as printed: estimate read off curve; see the note below]"
    assert page.flag("alpha-cr") == ""
    assert list(page.used["outcomes"]) == ["alpha-cr", "beta-os"]
    assert "beta-os" in str(page.flags_table())


def test_cases_behind_a_count_are_checked_against_it() -> None:
    page = book.Page(load(ROOT))
    rows = page.cases_behind(
        "clesham2020-cart-remission", "total", relapse_after_therapy="yes", lineage_switch="no"
    )
    assert len(rows) == page.count("clesham2020-cart-remission", "total") > 0
    assert set(rows["study_id"]) == {page.value("clesham2020-cart-remission", "study_id")}
    # without the condition that leaves out the lineage switch, the rows outnumber the count
    with pytest.raises(ValueError, match=r"clesham2020-cart-remission: total is \d+, but \d+ row"):
        page.cases_behind("clesham2020-cart-remission", "total", relapse_after_therapy="yes")


def test_cases_are_recorded_and_carry_the_case_and_age_a_table_shows() -> None:
    page = book.Page(load(ROOT))
    mask = page.patients["study_id"] == "clesham2020"
    cases = page.cases(mask, {"clesham2020": "The letter"})
    assert list(cases["patient_id"]) == list(page.patients.loc[mask, "patient_id"])
    assert list(page.used["patients"]) == list(cases["patient_id"])
    first = cases.iloc[0]
    assert first["case"].startswith(page.value("clesham2020", "short_name") + ": ")
    assert first["age"] == evidence.age_text(first)


def test_provenance_table_has_the_provenance_headings_with_a_page_s_own(page: book.Page) -> None:
    frame = pd.DataFrame([{c: f"x-{c}" for c in book.PROVENANCE_HEADINGS}])
    html = str(page.provenance_table(frame, caption="Figures", labels={"what": "Figure (time point)"}))
    assert "Figure (time point)" in html and "Read on (page, grade): locator" in html
    assert html.index(">Study<") < html.index(">Group<") < html.index(">May share patients with<")


def test_figures_are_recorded_with_their_text_and_where_they_were_read() -> None:
    page = book.Page(load(ROOT))
    ids = ["eliana-remission", "clesham2020-cart-remission"]
    rows = page.figures(ids, {"clesham2020": "The letter"})
    assert rows["figure"].tolist() == [evidence.figure_or_count(page.row(i)) for i in ids]
    assert rows["read_in"][1] == "The letter, " + page.value("clesham2020-cart-remission", "locator")
    assert rows["study"][1] == page.value("clesham2020", "short_name")
    assert list(page.used["outcomes"]) == ids


# -- the release a page describes, and where its figures were read ----------------------------------


def test_version_is_the_latest_release_s_and_may_be_cut_to_its_first_numbers() -> None:
    from livingreview.review import changes

    page = book.Page(load(ROOT))
    full = changes.read_releases(ROOT)[-1].version
    assert page.release().version == page.version() == full
    assert page.version(2) == ".".join(full.split(".")[:2]) and page.version(2).count(".") == 1


def test_read_on_and_overlaps_are_the_provenance_columns_of_one_row() -> None:
    page = book.Page(load(ROOT))
    ids = ["aall1731-followup", "vandersluis2023-dfs-2y", "moskop2022-mrdneg"]
    frame = page.provenance(ids)
    columns = zip(ids, frame["page"], frame["overlap"], frame["study_id"], strict=True)
    for row_id, where, overlap, study in columns:
        assert where == f"{page.read_on(row_id)}: {page.value(row_id, 'locator')}"
        assert page.overlaps(study) == overlap
    assert page.read_on("aall1731-followup") == "mirror page, secondary"
    assert page.read_on("vandersluis2023-dfs-2y") == "founding document"
    assert page.overlaps("vandersluis2023") == "none stated"
    assert page.overlaps("moskop2022").startswith("CIBMTR real-world tisagenlecleucel registry")
    fresh = book.Page(load(ROOT))
    fresh.read_on("aall1731-followup")
    fresh.overlaps("moskop2022")
    assert list(fresh.used["outcomes"]) == ["aall1731-followup"] and not fresh.used["studies"]


def test_design_joins_a_study_s_columns_and_its_therapy_or_says_none_is_stated(page: book.Page) -> None:
    # The fixture's studies record no interventions: other columns stand in for the therapy.
    assert page.design("alpha", "design", therapy="locator") == "single-arm trial; Table 1"
    assert page.design("gamma", "design", "locator", therapy="start_date") == (
        "case series; Section 2; therapy not stated"
    )
    shown = {"alpha": {"design", "locator"}, "gamma": {"design", "locator", "start_date"}}
    assert page.used["studies"] == shown


def test_glue_release_glues_the_version_and_its_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    glued: dict[str, object] = {}
    monkeypatch.setattr(book, "glue", lambda name, value: glued.setdefault(name, value))
    page = book.Page(load(ROOT))
    release = page.glue_release()
    assert release == page.release()
    assert glued == {
        "version": release.version,
        "release_date": release.date.isoformat(),
        "search_date": release.search_date.isoformat(),
    }
    assert all(isinstance(v, str) for v in glued.values())


def test_documents_of_are_the_stored_pages_of_figure_rows_once_each() -> None:
    page = book.Page(load(ROOT))
    ids = ["vandersluis2023-lt-dfs-4y", "interfant06controls-lt-dfs-4y", "aall1731-followup"]
    docs = page.documents_of(ids)
    # the two long-term figures were read on one page: it is listed once
    assert page.value(ids[0], "document_id") == page.value(ids[1], "document_id")
    assert list(docs["document_id"]) == sorted({page.value(i, "document_id") for i in ids})
    assert len(docs) == 2 and docs.index.is_unique
    mirror = docs.loc[page.value("aall1731-followup", "document_id")]
    assert page.read_on("aall1731-followup") == f"{mirror['kind']} page, {mirror['grade']}"
    assert page.used["outcomes"]["vandersluis2023-lt-dfs-4y"] == {"document_id"}
    with pytest.raises(ValueError, match="founding document.*vandersluis2023-dfs-2y"):
        page.documents_of(["vandersluis2023-dfs-2y"])
