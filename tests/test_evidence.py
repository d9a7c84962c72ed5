"""Reader-facing figure text: counts get a computed exact interval, printed estimates are shown
as printed, and a flag always travels with its figure."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import beta

from livingreview.present import evidence


def test_counts_get_an_exact_interval_computed_not_typed() -> None:
    # Clopper-Pearson bounds from the beta quantiles, computed independently of statsmodels.
    lo, hi = beta.ppf(0.025, 16, 30 - 16 + 1), beta.ppf(0.975, 16 + 1, 30 - 16)
    text = evidence.figure_text({"events": 16, "total": 30})
    assert text == f"16 of 30 (53%; computed 95% CI {100 * lo:.0f}% to {100 * hi:.0f}%)"


def test_zero_events_interval_starts_at_zero() -> None:
    assert evidence.figure_text({"patients": 0, "total": 30}).startswith(
        "0 of 30 (0%; computed 95% CI 0% to "
    )


def test_printed_estimate_keeps_its_precision_qualifier_and_unit() -> None:
    row = {"estimate": 81.6, "ci_lower": 60.8, "ci_upper": 92.0, "unit": "percent", "ci_level": 0.95}
    assert evidence.figure_text(row) == "81.6% (printed 95% CI 60.8% to 92.0%)"
    assert evidence.figure_text({"estimate": 40.0, "estimate_qualifier": "<", "unit": "percent"}) == "<40%"
    assert evidence.figure_text({"estimate": 7.7, "unit": "months"}) == "7.7 months"
    ratio = {"estimate": 0.15, "ci_lower": 0.04, "ci_upper": 0.62, "unit": "ratio", "ci_level": 0.95}
    assert evidence.figure_text(ratio) == "0.15 (printed 95% CI 0.04 to 0.62)"


def test_an_interval_printed_without_its_level_is_not_called_a_95_percent_ci() -> None:
    # Ghorashian 2022: "84% (64–93; five patients had died)", no level printed
    row = {"estimate": 84, "ci_lower": 64, "ci_upper": 93, "unit": "percent"}
    assert evidence.figure_text(row) == "84% (printed interval 64% to 93%, level not stated)"


def test_interval_limits_keep_their_printed_decimals() -> None:
    # Leahy 2022: "3.6-fold ... (95% CI, 1.04-12.75)": the limits are not rounded to the estimate's
    row = {"estimate": 3.6, "ci_lower": 1.04, "ci_upper": 12.75, "unit": "ratio", "ci_level": 0.95}
    assert evidence.figure_text(row) == "3.6 (printed 95% CI 1.04 to 12.75)"
    # an estimate printed 44.0 is stored as 44.0 (a float): the caller asks for its decimal
    row = {"estimate": 44.0, "ci_lower": 37.0, "ci_upper": 50.8, "unit": "percent", "ci_level": 0.95}
    assert evidence.figure_text(row) == "44% (printed 95% CI 37.0% to 50.8%)"
    assert evidence.figure_text(row, digits=1) == "44.0% (printed 95% CI 37.0% to 50.8%)"


def test_ranges_as_printed() -> None:
    assert (
        evidence.figure_text(
            {"range_lower": 75, "range_upper": 80, "range_kind": "printed as range", "unit": "percent"}
        )
        == "75–80%"
    )
    median = {
        "estimate": 51,
        "range_lower": 34,
        "range_upper": 119,
        "range_kind": "observed range",
        "unit": "days",
    }
    assert evidence.figure_text(median) == "51 days (range 34 to 119 days)"


def test_flag_travels_with_the_figure() -> None:
    row = {"estimate": 0.22, "ci_lower": 0.09, "ci_upper": 0.34, "unit": "ratio", "flag": "inconsistent"}
    assert evidence.figure_text(row).endswith("[flagged as printed: inconsistent; see the note below]")


def test_flags_table_lists_only_flagged_rows_with_note_and_locator() -> None:
    df = pd.DataFrame(
        {
            "outcome_id": ["a", "b"],
            "flag": ["ambiguous", None],
            "note": ["unclear <denominator>", None],
            "citekey": ["doe2020", "doe2020"],
            "locator": ["Table 2", "Table 3"],
        }
    )
    html = str(evidence.flags_table(df))
    assert "unclear &lt;denominator&gt;" in html and "doe2020: Table 2" in html
    assert "Table 3" not in html
    assert evidence.flags_table(df.iloc[1:]) == ""


def test_with_proportions_adds_exact_bounds_in_percent() -> None:
    out = evidence.with_proportions(pd.DataFrame({"events": [9, None], "total": [11, None]}))
    assert round(out.loc[0, "proportion"], 4) == round(100 * 9 / 11, 4)
    assert round(out.loc[0, "ci_lower_exact"], 4) == round(100 * beta.ppf(0.025, 9, 3), 4)
    assert pd.isna(out.loc[1, "proportion"])


def test_count_without_denominator_and_fact_without_number() -> None:
    assert evidence.figure_text({"events": 1}) == "1"
    assert evidence.figure_or({"outcome_id": "x"}) == "no number (see the source)"
    assert evidence.figure_or({"outcome_id": "x", "flag": "ambiguous"}).endswith(
        "flagged as printed: ambiguous; see the note below]"
    )


def test_figures_or_is_figure_or_for_every_row_of_the_dataset() -> None:
    """The batch path (one vectorised interval computation) reads exactly as row by row."""
    from livingreview.dataset import load as data

    ds = data.load()
    for df in (ds.outcomes, ds.adverse_events):
        assert evidence.figures_or(df) == [evidence.figure_or(r) for r in df.to_dict("records")]


def test_a_precomputed_interval_must_be_for_the_same_counts() -> None:
    import pytest

    from livingreview.stats.proportions import proportion_ci

    row = {"events": 9, "total": 11}
    assert evidence.figure_text(row, interval=proportion_ci(9, 11)) == evidence.figure_text(row)
    with pytest.raises(RuntimeError, match="not 9 of 11"):
        evidence.figure_text(row, interval=proportion_ci(8, 11))


def test_printed_precision_is_kept_when_the_stored_value_loses_its_trailing_zero() -> None:
    # A CSV keeps "44.0", but a number read back is 44.0 == 44: the printed value says "44.0".
    row = {
        "estimate": 44.0,
        "ci_lower": 37.0,
        "ci_upper": 50.8,
        "ci_level": 0.95,
        "unit": "percent",
        "value_as_printed": "44.0% (95% CI, 37.0%-50.8%)",
    }
    assert evidence.figure_text(row) == "44.0% (printed 95% CI 37.0% to 50.8%)"
    spread = {
        "estimate": 4.2,
        "range_lower": 3.2,
        "range_upper": 6.0,
        "range_kind": "observed range",
        "unit": "years",
        "value_as_printed": "4.2 years (range, 3.2-6.0)",
    }
    assert evidence.figure_text(spread) == "4.2 years (range 3.2 to 6.0 years)"
    assert evidence.figure_text({**row, "value_as_printed": "44%"}).startswith("44% ")


def test_with_sources_names_the_study_and_the_document_each_row_was_read_in() -> None:
    studies = pd.DataFrame({"study_id": ["s1", "s2"], "short_name": ["Trial One", "Series Two"]})
    rows = pd.DataFrame(
        {"study_id": ["s1", "s2"], "citekey": ["one2020", "two2021"], "locator": ["Table 2", "p. 4"]}
    )
    out = evidence.with_sources(rows, studies, {"one2020": "One 2020"})
    assert out["study"].tolist() == ["Trial One", "Series Two"]
    assert out["source"].tolist() == ["One 2020", "two2021"]  # a document without a name: its citekey
    assert out["read_in"].tolist() == ["One 2020, Table 2", "two2021, p. 4"]
    assert out["where"].tolist() == ["one2020: Table 2", "two2021: p. 4"]  # as a flags table says it
    assert "study" not in rows  # the rows given are left as they were


def test_where_a_row_stands_names_a_study_row_s_source_document_before_its_own_paper() -> None:
    assert evidence.where_text({"citekey": "doe2020", "locator": "Table 2"}) == "doe2020: Table 2"
    study = {"citekey": "roe2019", "source_citekey": "doe2020", "locator": "Discussion"}
    assert evidence.where_text(study) == "doe2020: Discussion"
    assert evidence.where_text({**study, "source_citekey": None}) == "roe2019: Discussion"
    flagged = pd.DataFrame([{"study_id": "roe", "flag": "secondary", **study}])
    assert "doe2020: Discussion" in str(evidence.flags_table(flagged))


# -- rows of a forest plot and its text description --------------------------------------------------


def test_a_forest_row_has_the_exact_interval_of_its_counts_or_the_printed_one() -> None:
    lo, hi = beta.ppf(0.025, 9, 11 - 9 + 1), beta.ppf(0.975, 9 + 1, 11 - 9)
    counted = evidence.forest_row({"events": 9, "total": 11, "estimate": 82, "locator": "Table 1"})
    assert round(counted["estimate"], 9) == round(100 * 9 / 11, 9) and counted["computed"] is True
    assert (round(counted["ci_lower"], 9), round(counted["ci_upper"], 9)) == (
        round(100 * lo, 9),
        round(100 * hi, 9),
    )
    printed = {"estimate": 81.6, "ci_lower": 60.8, "ci_upper": 92.0, "unit": "percent", "ci_level": 0.95}
    row = evidence.forest_row(printed)
    assert (row["estimate"], row["ci_lower"], row["ci_upper"], row["computed"]) == (81.6, 60.8, 92.0, False)
    assert row["basis"] == "interval printed by the source"
    assert row["figure"] == "81.6% (printed 95% CI 60.8% to 92.0%)"
    bare = evidence.forest_row({"estimate": 83.0, "unit": "percent", "total": 28})
    assert bare["estimate"] == 83.0 and pd.isna(bare["ci_lower"]) and pd.isna(bare["ci_upper"])
    assert bare["basis"].startswith("percentage printed without a count") and bare["n"] == 28
    assert counted["read_from"] is None  # no citekey: nothing to name
    cited = evidence.forest_row({"events": 9, "total": 11, "citekey": "one2020", "locator": "Table 1"})
    assert cited["read_from"] == "one2020: Table 1"


def test_a_forest_row_on_the_percent_scale_refuses_a_figure_printed_in_other_units() -> None:
    with pytest.raises(ValueError, match="'os-median' is printed in months, not percent"):
        evidence.forest_row({"outcome_id": "os-median", "estimate": 14.5, "unit": "months"})
    with pytest.raises(ValueError, match="printed in no stated unit, not percent"):
        evidence.forest_row({"outcome_id": "bare", "estimate": 14.5})
    # counts are a proportion whatever the row's unit says; another scale is the caller's to check
    assert evidence.forest_row({"events": 3, "total": 4, "unit": "count"})["estimate"] == 75.0
    assert evidence.forest_row({"estimate": 0.5, "unit": "ratio"}, scale=1.0)["estimate"] == 0.5


def test_endpoint_names_name_survival_end_points_and_their_horizon() -> None:
    rows = pd.DataFrame(
        {
            "outcome_id": ["a", "b", "c"],
            "outcome": ["DFS", "OS", "EFS"],
            "timepoint": ["2 years", "4 years", "1 year"],
        }
    )
    assert evidence.endpoint_names(rows) == [
        "Disease-free survival",
        "Overall survival",
        "Event-free survival",
    ]
    assert evidence.endpoint_names(rows, horizon=True) == [
        "2-year disease-free survival",
        "4-year overall survival",
        "1-year event-free survival",
    ]
    wrong = rows.assign(outcome=["DFS", "CR", "OS"], timepoint=["2 years", "2 years", "12 months"])
    with pytest.raises(ValueError, match="b: 'CR' is not a survival end point; c: time point '12 months'"):
        evidence.endpoint_names(wrong, horizon=True)
    assert evidence.endpoint_names(wrong.iloc[[0, 2]]) == ["Disease-free survival", "Overall survival"]


def test_a_complement_row_counts_the_others_and_says_it_was_computed() -> None:
    row = evidence.complement_row({"events": 22, "total": 30, "locator": "Results"})
    assert row["figure"].startswith("8 of 30 (27%;") and row["n"] == 30
    assert row["computed"] is True and row["basis"].startswith("computed")


def test_figure_list_fills_one_item_per_row_with_its_figure_text() -> None:
    rows = pd.DataFrame(
        [
            {"label": "A", "group": "g1", "events": 9, "total": 11},
            {"label": "B", "group": "g2", "estimate": 40.0, "estimate_qualifier": "<", "unit": "percent"},
        ]
    )
    assert evidence.figure_list(rows, "{label} ({group}): {figure}") == (
        f"A (g1): {evidence.figure_text(rows.iloc[0].to_dict())}; B (g2): <40%"
    )
    # a frame that already carries the reader's text (a computed row) is not recomputed
    assert evidence.figure_list(pd.DataFrame({"label": ["C"], "figure": ["as given"]})) == "C: as given"


def test_labels_with_n_print_a_whole_number_or_say_it_is_not_reported() -> None:
    rows = pd.DataFrame({"label": ["Day 15", "Before MARMA"], "n": [30.0, None]})
    assert evidence.labels_with_n(rows) == ["Day 15 (n=30)", "Before MARMA (n NR)"]
    assert evidence.labels_with_n(rows, template="{label}, n={n}", missing="{label}") == [
        "Day 15, n=30",
        "Before MARMA",
    ]


def test_grade_texts_show_the_dataset_grade_codes_as_a_reader_reads_them() -> None:
    assert evidence.grade_texts(["1", "3-4", ">=3", "1-2", "any"]) == ["1", "3–4", "≥3", "1–2", "any"]
    with pytest.raises(ValueError, match="not known: '4', '>3'"):
        evidence.grade_texts(["1", ">3", "4"])
    assert evidence.grade_texts(["1", "3-4"], graded=True) == ["1", "3–4"]
    with pytest.raises(ValueError, match="by grade, but a row's grade is any or not stated"):
        evidence.grade_texts(["1", "not stated", "any"], graded=True)


def test_every_grade_code_of_the_schema_has_its_text() -> None:
    package = json.loads(
        (Path(__file__).parents[1] / "data" / "datapackage.json").read_text(encoding="utf-8")
    )
    (events,) = [r for r in package["resources"] if r["name"] == "adverse_events"]
    (grade,) = [f for f in events["schema"]["fields"] if f["name"] == "grade"]
    assert set(grade["constraints"]["enum"]) == set(evidence.AE_GRADES)
