"""livingreview.dataset.bib: loading/checking references.bib with bibtexparser v2, and citation keys in
MyST chapters. Entries are invented."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from livingreview.dataset.bib import cited_keys_in_markdown, load_bibliography, parse_bibliography

FIXTURE_BIB = Path(__file__).parent / "fixtures" / "valid" / "references.bib"

GOOD = """@article{alpha2020,
  author  = {Doe, Jane},
  title   = {Invented article},
  journal = {Journal of Fixtures},
  year    = {2020},
  doi     = {10.1234/jf.2020.7}
}
"""


# The fix every missing-field message ends with.
ADD = "; add a line `{0} = {{...}},` as the source's reference list gives it"


def problems(text: str) -> list[str]:
    return [str(p) for p in parse_bibliography(text, "references.bib").problems]


# --------------------------------------------------------------------------- loading


def test_fixture_bibliography_loads_cleanly():
    bib = load_bibliography(FIXTURE_BIB)
    assert bib.problems == ()
    assert bib.keys == ("vanderberg2021", "okafor2022", "lindqvist2023")
    assert "okafor2022" in bib and "okafor2021" not in bib
    assert bib.entries["vanderberg2021"]["ENTRYTYPE"] == "article"
    assert bib.entries["vanderberg2021"]["journal"] == "Journal of Test Fixtures"
    assert bib.entries["vanderberg2021"]["doi"] == "10.1234/fixture.2021.001"
    assert bib.entries["lindqvist2023"]["howpublished"] == "Invented Congress"
    assert bib.lines == {"vanderberg2021": 1, "okafor2022": 9, "lindqvist2023": 16}


def test_suggest_finds_close_key():
    bib = load_bibliography(FIXTURE_BIB)
    assert bib.suggest("okafor2021") == "okafor2022"
    assert bib.suggest("LINDQVIST2023") == "lindqvist2023"
    assert bib.suggest("completelydifferent") is None


def test_missing_file_is_a_problem(tmp_path):
    bib = load_bibliography(tmp_path / "references.bib")
    assert [str(p) for p in bib.problems] == ["references.bib: file not found"]
    assert not bib.found and bib.keys == ()


def test_shown_name_is_used_in_problems(tmp_path):
    path = tmp_path / "refs.bib"
    path.write_text("@misc{x, title = {No year}}\n", encoding="utf-8")
    bib = load_bibliography(path, shown="bib/refs.bib")
    assert [str(p) for p in bib.problems] == [
        "bib/refs.bib:1: url: @misc 'x' is missing required field 'url' (or 'howpublished' or 'doi'); "
        "add a line `url = {...},` as the source's reference list gives it"
    ]


def test_good_entry_has_no_problems():
    assert problems(GOOD) == []


def test_parse_errors_are_not_logged(caplog, capsys):
    with caplog.at_level(logging.DEBUG):
        parse_bibliography("@article{broken\n  title = {T},\n}\n")
    assert caplog.records == []
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------- malformed entries


def test_missing_comma_after_key():
    text = GOOD + "\n@article{broken\n  author = {A},\n  title = {T},\n  journal = {J},\n  year = {2021}\n}\n"
    assert problems(text) == [
        "references.bib:9: malformed @article{broken: Expected comma after entry key, but found =; "
        "a comma is probably missing (parser gave up on line 10)"
    ]


def test_missing_comma_between_fields_is_caught():
    text = "@article{beta2021,\n  author = {A},\n  title = {T}\n  journal = {J},\n  year = {2021}\n}\n"
    assert problems(text) == [
        "references.bib:3: title: entry 'beta2021': value of title runs into 'journal = ...'; "
        "a comma is probably missing after the title value"
    ]


def test_unclosed_brace_before_the_next_entry():
    text = (
        "@article{open2020,\n  author = {A},\n  title = {Unclosed,\n  journal = {J},\n"
        "  year = {2020}\n}\n\n" + GOOD
    )
    found = problems(text)
    assert len(found) == 1
    assert found[0].startswith("references.bib:1: malformed @article{open2020: Unexpected block start")
    assert found[0].endswith("a brace or quote is probably not closed before the next entry")
    assert parse_bibliography(text).keys == ("alpha2020",)  # the parser recovers at the next '@'


def test_missing_closing_brace_at_end_of_file():
    text = GOOD + "\n@misc{last2024,\n  title = {T},\n  year = {2024}\n"
    found = problems(text)
    assert len(found) == 1
    assert found[0].startswith("references.bib:9: malformed @misc{last2024: Unexpectedly reached end of file")
    assert "a closing brace '}' (or quote) is probably missing" in found[0]


def test_duplicate_key():
    text = GOOD + "\n" + GOOD.replace("Invented article", "Another")
    assert problems(text) == [
        "references.bib:9: key: duplicate key 'alpha2020' (first defined on line 1); delete this entry if "
        "it is the same work, or give it another key (e.g. add a letter: 2020a)"
    ]


def test_keys_differing_only_in_case_are_duplicates_for_bibtex():
    text = GOOD + "\n" + GOOD.replace("alpha2020", "Alpha2020")
    assert problems(text) == [
        "references.bib:9: key: key 'Alpha2020' differs only in letter case from 'alpha2020' (line 1); "
        "BibTeX/pybtex treat them as the same key; rename one of them"
    ]


def test_duplicate_field():
    text = (
        "@misc{gamma2022,\n  title = {T},\n  url = {https://example.org},\n"
        "  year = {2022},\n  year = {2023}\n}\n"
    )
    bib = parse_bibliography(text)
    assert [str(p) for p in bib.problems] == [
        "references.bib:1: year: entry 'gamma2022' has field year more than once; keep one"
    ]
    assert "gamma2022" in bib  # still citable: one problem, not a cascade of unknown keys


# --------------------------------------------------------------------------- required fields, DOI, year


def test_article_missing_journal():
    text = GOOD.replace("  journal = {Journal of Fixtures},\n", "")
    assert problems(text) == [
        "references.bib:1: journal: @article 'alpha2020' is missing required field 'journal' "
        "(or 'journaltitle'); add a line `journal = {...},` as the source's reference list gives it"
    ]


def test_empty_required_field_counts_as_missing():
    assert problems(GOOD.replace("{Doe, Jane}", "{}")) == [
        "references.bib:1: author: @article 'alpha2020' is missing required field 'author'"
        + ADD.format("author")
    ]


def test_biblatex_alternatives_are_accepted():
    text = "@article{d2021,\n  author = {A},\n  title = {T},\n  journaltitle = {J},\n  date = {2021-05}\n}\n"
    assert problems(text) == []


@pytest.mark.parametrize(
    "entry, expected",
    [
        (
            "@misc{m1, year = {2020}, url = {https://example.org}}",
            "references.bib:1: author: @misc 'm1' is missing required field 'author' (or 'title')"
            + ADD.format("author"),
        ),
        # A preprint page may give no date: a @misc needs a way to find it, never an invented year.
        (
            "@misc{m2, author = {A}}",
            "references.bib:1: url: @misc 'm2' is missing required field 'url' (or 'howpublished' or 'doi')"
            + ADD.format("url"),
        ),
        ("@misc{m3, title = {T}, url = {https://example.org}}", None),
        ("@unpublished{u1, title = {T}, year = {2020}}", None),
        (
            "@inproceedings{c1, author = {A}, title = {T}, year = {2020}}",
            "references.bib:1: booktitle: @inproceedings 'c1' is missing required field 'booktitle'"
            + ADD.format("booktitle"),
        ),
        (
            "@book{b1, editor = {E}, title = {T}, year = {2020}}",
            "references.bib:1: publisher: @book 'b1' is missing required field 'publisher'"
            + ADD.format("publisher"),
        ),
    ],
)
def test_required_fields_per_entry_type(entry, expected):
    assert problems(entry + "\n") == ([expected] if expected else [])


def test_doi_given_as_url():
    text = GOOD.replace("{10.1234/jf.2020.7}", "{https://doi.org/10.1234/jf.2020.7}")
    assert problems(text) == [
        "references.bib:6: doi: entry 'alpha2020': doi 'https://doi.org/10.1234/jf.2020.7' should be "
        "the bare DOI '10.1234/jf.2020.7' (no URL or 'doi:' prefix)"
    ]


def test_doi_malformed():
    text = GOOD.replace("{10.1234/jf.2020.7}", "{jf.2020.7}")
    assert problems(text) == [
        "references.bib:6: doi: entry 'alpha2020': doi 'jf.2020.7' is not a DOI (expected 10.NNNN/suffix); "
        "copy the DOI as the publisher prints it, or delete the field if it is not verified"
    ]


def test_year_must_be_four_digits():
    assert problems(GOOD.replace("{2020}", "{in press}")) == [
        "references.bib:5: year: entry 'alpha2020': year 'in press' is not a four-digit year; "
        "write the year of publication as four digits, e.g. {2023}"
    ]


def test_all_bib_problems_reported_together():
    text = (
        GOOD.replace("  journal = {Journal of Fixtures},\n", "")  # line 1: missing journal
        + "\n"
        + GOOD  # line 8: duplicate key
        + "\n@misc{x2020, title = {T}, year = {2020}, doi = {nope}}\n"
    )  # line 16: bad doi
    found = parse_bibliography(text).problems
    assert [(p.row, p.column) for p in found] == [(1, "journal"), (8, "key"), (16, "doi")]


# --------------------------------------------------------------------------- citations in markdown


def test_cite_roles_and_line_numbers():
    text = (
        "# Title\n"
        "Plain {cite}`a2020` and {cite:p}`b2021,c2022`.\n"
        "Textual {cite:t}`d2023`; parenthetical-star {cite:ps}`e2024, f2025`.\n"
        "Foot {footcite}`g2019` {footcite:t}`h2018` and {cite:year}`i2017`.\n"
    )
    assert cited_keys_in_markdown(text) == [
        (2, "a2020"),
        (2, "b2021"),
        (2, "c2022"),
        (3, "d2023"),
        (3, "e2024"),
        (3, "f2025"),
        (4, "g2019"),
        (4, "h2018"),
        (4, "i2017"),
    ]


def test_pre_and_post_notes_are_not_part_of_the_key():
    found = cited_keys_in_markdown("{cite:p}`{see}a2020{p. 12}, {e.g.}b2021`\n")
    assert found == [(1, "a2020"), (1, "b2021")]


def test_code_and_comments_are_skipped_but_directive_bodies_are_scanned():
    text = (
        "```python\n"
        "x = '{cite}`incode`'\n"
        "```\n"
        "```{code-cell} ipython3\n"
        "print('{cite}`incell`')\n"
        "```\n"
        "Use ``{cite}`inline` `` to cite.\n"
        "<!-- {cite}`incomment`\n"
        "still comment {cite}`incomment2` -->\n"
        "% {cite}`mystcomment`\n"
        "```{note}\n"
        "Inside a note {cite}`innote`.\n"
        "```\n"
        ":::{admonition} Title\n"
        "Colon fence {cite:t}`incolon`\n"
        ":::\n"
        "After {cite}`after`\n"
    )
    assert cited_keys_in_markdown(text) == [(12, "innote"), (15, "incolon"), (17, "after")]


def test_nested_directive_fences():
    text = "````{tab-set}\n```{tab-item} One\n{cite}`nested`\n```\n````\n{cite}`outside`\n"
    assert cited_keys_in_markdown(text) == [(3, "nested"), (6, "outside")]


def test_not_a_cite_role():
    assert cited_keys_in_markdown("{ref}`sec-a` and {term}`MRD` and `{cite}` alone\n") == []


def test_key_of_an_unreadable_entry_is_recorded_as_broken():
    # The project check uses this to not report every citation of the key as "unknown".
    text = GOOD + "\n@article{open2021,\n  author = {A},\n  title = {Unclosed,\n  year = {2021}\n}\n"
    bib = parse_bibliography(text)
    assert "open2021" not in bib
    assert bib.broken == {"open2021": 9}
    assert parse_bibliography(GOOD).broken == {}
