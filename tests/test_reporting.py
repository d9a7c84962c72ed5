"""What the Methods page reports about the review's conduct (livingreview.review.reporting), the
data dictionary's tables and the update log's order: each checked against the log it is computed
from, or on a planted case."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from livingreview.dataset.load import load
from livingreview.present import dictionary, releases
from livingreview.review import reporting
from livingreview.review.screening import prisma_counts

ROOT = Path(__file__).resolve().parent.parent


def test_founding_log_is_the_first_version_only() -> None:
    log = pd.DataFrame({"added_in": ["1.1.0", "1.0.0", "1.10.0", "1.0.0"], "x": [1, 2, 3, 4]})
    assert reporting.first_version(log) == "1.0.0"
    assert reporting.founding_log(log)["x"].tolist() == [2, 4]
    assert reporting.release_log(log, "1.10.0")["x"].tolist() == [3]


def test_methods_numbers_agree_with_the_flow_of_the_first_version() -> None:
    ds = load(ROOT)
    numbers = reporting.methods_numbers(ds, ROOT)
    log = reporting.founding_log(ds.screening)
    counts = prisma_counts(log)
    assert numbers["n_records"] == str(len(log)) == str(counts.records_screened)
    assert int(numbers["n_identified"]) - int(numbers["n_duplicates"]) == len(log)
    assert int(numbers["n_screen_excluded"]) + int(numbers["n_sought"]) == len(log)
    summary = reporting.decisions_summary(ds.screening)
    assert summary["records"].sum() == len(log)
    assert int(summary.loc[summary["decision"] == "included", "records"].sum()) == int(numbers["n_included"])


def test_update_numbers_add_up() -> None:
    ds = load(ROOT)
    u = reporting.update_numbers(ds, ROOT)
    assert int(u["u_total"]) == int(u["u_prev"]) + int(u["u_new_studies"])
    assert int(u["u_primary"]) + int(u["u_secondary"]) == int(u["u_pages"]) == len(ds.documents)
    decided = reporting.update_decisions(ds, ROOT)
    assert len(decided) == int(u["u_records"])
    # a record without a stored page says so instead of an empty address
    assert ((decided["document_id"] == "") == (decided["page"] == "no address")).all()


def test_not_retrieved_lists_the_works_sought_with_their_label() -> None:
    log = pd.DataFrame(
        {
            "added_in": ["1.0.0"] * 3,
            "stage_reached": ["sought", "assessed", "sought"],
            "citekey": ["a", "b", ""],
            "citation": ["", "", "Doe 2020"],
        }
    )
    pending = reporting.not_retrieved(log, lambda key, citation: f"{key}|{citation}")
    assert pending["work"].tolist() == ["a|", "|Doe 2020"]


def test_the_data_dictionary_has_one_table_per_resource() -> None:
    ds = load(ROOT)
    made = dictionary.dictionary_tables(ds)
    resources = ds.package["resources"]
    assert len(made) == len(resources)
    for resource, html in zip(resources, made, strict=True):
        assert f"{resource['name']} ({resource['path']}, {len(ds[resource['name']])} rows)" in html


def test_the_update_log_is_newest_first_by_version_not_by_text() -> None:
    log = pd.DataFrame({"version": ["1.2.0", "1.10.0", "1.9.0"]})
    assert releases.newest_first(log)["version"].tolist() == ["1.10.0", "1.9.0", "1.2.0"]


def test_the_search_flow_starts_from_the_studies_the_update_flow_ends_with() -> None:
    # Methods gives both: the latest update's flow ends with its total of studies, and the flow of
    # the database and register searches (none run yet) starts from the studies included before
    # them. A later report of an included study is a report, not another study, in both.
    from livingreview.surveillance import pages

    ds = load(ROOT)
    update = reporting.update_numbers(ds, ROOT)
    search = pages.methods_numbers(ROOT)
    assert search["n_previous_studies"] == update["u_total"]
