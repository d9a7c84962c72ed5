"""Data-aware rebuilds: after a data edit, the pages that read the edited table are re-executed
and show the new figure; the pages that do not read it are not re-executed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from livingreview.build import freshness

ROOT = Path(__file__).resolve().parent.parent
TABLES = ["studies", "outcomes", "patients", "adverse_events"]


def test_tables_used_follows_the_code_not_the_prose() -> None:
    page = (
        "---\nkernelspec:\n  name: python3\n---\n# P\n\nThe patients table is described here.\n\n"
        "```{code-cell} ipython3\nfrom livingreview import book\nds = book.start()\n"
        "x = ds.outcomes\ny = ds['studies']\n```\n"
    )
    assert freshness.tables_used(page, TABLES) == {"outcomes", "studies"}
    walks_all = page.replace("x = ds.outcomes", "x = [len(t) for t in ds.tables.values()]")
    assert freshness.tables_used(walks_all, TABLES) == set(TABLES)
    assert freshness.tables_used("# Prose only, ds.outcomes mentioned\n", TABLES) == set()


def test_stamp_sets_the_fingerprint_and_keeps_line_numbers() -> None:
    page = (ROOT / "chapters" / "infant-kmt2a.md").read_text(encoding="utf-8")
    stamped = freshness.stamp(page, "abc123")
    assert "livingreview_inputs: abc123" in stamped
    assert len(stamped.splitlines()) == len(page.splitlines())
    body = page.split("---\n", 2)[2]
    assert stamped.endswith(body)


def test_fingerprint_changes_with_the_tables_a_page_reads(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "data", tmp_path / "data")
    page = (ROOT / "chapters" / "infant-kmt2a.md").read_text(encoding="utf-8")
    before = freshness.fingerprint(page, tmp_path)
    patients = tmp_path / "data" / "patients.csv"
    patients.write_text(patients.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert freshness.fingerprint(page, tmp_path) == before  # the page does not read patients
    outcomes = tmp_path / "data" / "outcomes.csv"
    outcomes.write_text(outcomes.read_text(encoding="utf-8").replace(",81.6,", ",81.5,", 1), encoding="utf-8")
    assert freshness.fingerprint(page, tmp_path) != before


PAGE = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
# {title}

```{{code-cell}} ipython3
:tags: [remove-cell]
from livingreview import book
from livingreview.present import evidence

ds = book.start()
{code}
```

The figure: {{glue:text}}`value`. This page exists only to test rebuilds: it is built from
the real configuration, engine and dataset, and shows one value computed from the data, so that
a data edit can be followed from the CSV file to the page. Its text is long enough for the site
check, which fails a page that is nearly empty.
"""


def _small_book(tmp_path: Path) -> Path:
    """The real config, data and engine with three pages: one reads every table, one reads
    only outcomes, one reads no data."""
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    for name in ("_config.yml", "references.bib"):
        shutil.copy(ROOT / name, book / name)
    shutil.copytree(ROOT / "data", book / "data")
    pages = {
        "index": PAGE.format(
            title="All tables", code='book.glue("value", str(sum(len(t) for t in ds.tables.values())))'
        ),
        "survival": PAGE.format(
            title="Survival",
            code=(
                'row = ds.outcomes.set_index("outcome_id").loc["vandersluis2023-dfs-2y"]\n'
                'book.glue("value", evidence.figure_text(row.to_dict()))'
            ),
        ),
    }
    for name, text in pages.items():
        (book / "chapters" / f"{name}.md").write_text(text, encoding="utf-8")
    (book / "chapters" / "about.md").write_text(
        "# About\n\nA page with no code, which reads no data. It is here to show that a data edit "
        "leaves a page that does not read the data alone: it is neither read again nor executed, "
        "and its HTML is not rewritten. The site check wants some text on every page.\n"
    )
    (book / "_toc.yml").write_text(
        "format: jb-book\nroot: chapters/index\nchapters:\n"
        "  - file: chapters/survival\n  - file: chapters/about\n"
    )
    return book


def _build(book: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "livingreview", "build", "--root", str(book)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    return log


def _executed(log: str) -> set[str]:
    return set(re.findall(r"chapters/([\w-]+)\.md: Executing notebook", log))


@pytest.mark.build
def test_data_edit_reaches_the_page_and_spares_unrelated_pages(tmp_path: Path) -> None:
    book = _small_book(tmp_path)
    first = _build(book)
    assert _executed(first) == {"index", "survival"}
    page = book / "_build" / "html" / "chapters" / "survival.html"
    assert "81.6% (printed 95% CI 60.8% to 92.0%)" in page.read_text(encoding="utf-8")

    # The stale-data case: change one printed figure in the CSV, nothing in the page.
    outcomes = book / "data" / "outcomes.csv"
    text = outcomes.read_text(encoding="utf-8")
    edited = re.sub(r"^(vandersluis2023-dfs-2y,.*?),81\.6,", r"\1,77.7,", text, count=1, flags=re.M)
    assert edited != text
    outcomes.write_text(edited, encoding="utf-8")
    second = _build(book)
    assert "77.7% (printed 95% CI 60.8% to 92.0%)" in page.read_text(encoding="utf-8")
    assert _executed(second) == {"index", "survival"}

    # A table the survival page does not read: only the page that reads every table re-executes.
    patients = book / "data" / "patients.csv"
    patients.write_text(patients.read_text(encoding="utf-8").replace(",0.75,", ",0.76,", 1), encoding="utf-8")
    third = _build(book)
    assert _executed(third) == {"index"}

    # Nothing changed: nothing is executed.
    assert _executed(_build(book)) == set()


def test_the_page_api_reads_the_tables_whose_ids_the_page_names(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "data", tmp_path / "data")
    tables = freshness.resources(tmp_path)
    page = "```{code-cell} ipython3\nds = book.start()\nds.rows(['vandersluis2023-dfs-2y'])\n```\n"
    assert freshness.tables_used(page, tables) == {"outcomes", "studies"}
    patient = page.replace("vandersluis2023-dfs-2y", "clesham2020-p04")
    assert freshness.tables_used(patient, tables) == {"patients", "studies"}
    # without the files, every table a page can show
    assert freshness.tables_used(page, list(tables)) >= {"outcomes", "patients", "adverse_events", "studies"}


def test_the_page_api_counts_the_tables_its_methods_read(tmp_path: Path) -> None:
    # A page that names no row of a table can still read it through the page API: where each
    # figure was read (documents), the release it belongs to (releases), the patient rows of some
    # studies (a table named as a string), or the whole dataset handed to the engine.
    from livingreview import book
    from livingreview.core.paths import PAGE_API_READS

    tables = freshness.resources(ROOT)

    def used(code: str) -> set[str]:
        return freshness.tables_used(f"```{{code-cell}} ipython3\nds = book.start()\n{code}\n```\n", tables)

    assert "documents" in used("ds.read_on('aall1731-followup')")
    assert "documents" in used("ds.provenance(['aall1731-followup'])")
    assert "releases" in used("ds.version(2)")
    assert "patients" in used("ds.study_rows('patients', ['clesham2020'])")
    assert used("dictionary.dictionary_tables(ds)") == set(tables)
    assert used("dictionary.dictionary_tables(tables=ds)") == set(tables)
    assert used("dictionary.dictionary_tables(ds.dataset)") == set(tables)
    assert "patients" in used("ds.cases_behind('clesham2020-cart-remission', 'total')")
    assert "documents" not in used("ds.row('vandersluis2023-dfs-2y')")
    assert set(PAGE_API_READS) <= {name for name in dir(book.Page) if not name.startswith("_")}


def test_a_page_that_reads_the_bibliography_is_executed_again_when_it_changes(tmp_path: Path) -> None:
    for name in ("data", "_config.yml", "references.bib"):
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(ROOT / name, tmp_path / name)
    page = "```{code-cell} ipython3\nds = book.start()\nds.bibliography()\n```\n"
    before = freshness.fingerprint(page, tmp_path)
    bib = tmp_path / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert freshness.fingerprint(page, tmp_path) != before
    plain = "```{code-cell} ipython3\nds = book.start()\nds.row('x')\n```\n"
    unchanged = freshness.fingerprint(plain, tmp_path)
    bib.write_text(bib.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert freshness.fingerprint(plain, tmp_path) == unchanged


def test_every_table_a_page_api_method_reads_is_declared() -> None:
    # Read each Page method's body: a table it names (a string, a default argument, an attribute
    # of the dataset) or a method of the page it calls must be covered by PAGE_API_READS, besides
    # the tables a page reaches by the ids it names (SHOWN_TABLES) and the studies, which every
    # page that looks rows up depends on.
    import ast
    import inspect
    import textwrap

    from livingreview import book
    from livingreview.core.paths import PAGE_API_READS, SHOWN_TABLES

    tables = set(freshness.resources(ROOT))
    reads_releases = {"latest_release", "latest_release_if_any"}
    found: dict[str, set[str]] = {}
    calls: dict[str, set[str]] = {}
    for name, method in vars(book.Page).items():
        if not inspect.isfunction(method):
            continue
        tree = ast.parse(textwrap.dedent(inspect.getsource(method)))
        named = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value in tables}
        named |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in tables}
        if any(isinstance(n, ast.Attribute) and n.attr in reads_releases for n in ast.walk(tree)):
            named.add("releases")
        found[name] = named
        calls[name] = {
            n.func.attr
            for n in ast.walk(tree)
            if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and isinstance(n.func.value, ast.Name)
            and n.func.value.id == "self"
        }
    # ds.rows([]) is an empty frame with the columns of outcomes: no value of the table is shown
    found["rows"] -= {"outcomes"}
    # a method reads what the page methods it calls read (e.g. glue_release -> release)
    for _ in range(3):
        for name in found:
            for callee in calls[name]:
                found[name] |= found.get(callee, set())
    # "table" arguments (where, study_rows, require_shown) are named by the page as strings
    undeclared = {
        name: sorted(named - set(PAGE_API_READS.get(name, ())) - {"studies"})
        for name, named in found.items()
        if not name.startswith("_") and named - set(PAGE_API_READS.get(name, ())) - {"studies"}
    }
    # tables reached only by ids the page names (SHOWN_TABLES, looked up by _table_of) are fine
    # where the method takes ids; a fixed table (a default, a literal) must be declared
    assert not undeclared, f"declare in core.paths.PAGE_API_READS: {undeclared} (shown: {SHOWN_TABLES})"
