"""Figures cited in the prose: {fig}`row-id` and {value}`row-id:column` (livingreview.build.roles).

The role shows what the page API would (the same text, from the same dataset) and the page's
flags table includes what the prose cites; an unknown id or a malformed reference fails the build
and names the page.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from html import escape as html_escape
from pathlib import Path

import pytest

from livingreview import book
from livingreview.build.roles import with_prose_refs
from livingreview.core.myst import code_cells, prose_refs, split_ref
from livingreview.dataset.load import load

ROOT = Path(__file__).resolve().parent.parent


def test_prose_references_in_order_of_first_citation() -> None:
    page = "A {fig}`b-1` and {value}`a:n`, again {fig}`b-1`; {cite:p}`x` and {glue:text}`y` are not."
    assert prose_refs(page) == ["b-1", "a:n"]
    assert prose_refs("% a comment: write {fig}`row-id`\nText {fig}`c`.") == ["c"]
    assert split_ref("a:n") == ("a", "n") and split_ref("b-1") == ("b-1", None)


def test_the_page_code_is_given_the_prose_references_on_the_same_line() -> None:
    page = "```{code-cell} ipython3\nds = book.start()\n```\n\nSee {fig}`b-1` in {value}`a:n`.\n"
    rewritten = with_prose_refs(page)
    assert code_cells(rewritten) == ["ds = book.start(prose=('b-1', 'a:n'))"]
    assert rewritten.count("\n") == page.count("\n")
    assert with_prose_refs("no roles\n```{code-cell} ipython3\nds = book.start()\n```\n").endswith(
        "ds = book.start()\n```\n"
    )
    # a book.start() named in the prose (or in a plain code block) is not the page's code
    named = "Call `book.start()` first.\n\n```python\nbook.start()\n```\n\n" + page
    assert code_cells(with_prose_refs(named)) == ["ds = book.start(prose=('b-1', 'a:n'))"]
    assert with_prose_refs(named).startswith("Call `book.start()` first.\n\n```python\nbook.start()\n")


def test_a_value_records_its_column_and_a_figure_its_row() -> None:
    page = book.Page(load(ROOT))
    n = page.dataset.studies.set_index("study_id").at["vandersluis2023", "n"]
    assert page.cited("vandersluis2023:n") == str(int(n))
    assert page.used["studies"] == {"vandersluis2023": {"n"}}
    assert page.cited("vandersluis2023-dfs-2y") == page.text("vandersluis2023-dfs-2y")
    assert page.used["outcomes"] == {"vandersluis2023-dfs-2y": None}
    with pytest.raises(KeyError, match="no row 'nope'"):
        page.cited("nope")


@pytest.mark.parametrize(
    "target, says",
    [
        ("nope", "{fig}`nope` in the prose: no row 'nope'"),
        (
            "vandersluis2023",
            "studies row 'vandersluis2023' is not a figure; cite one of its values as {value}",
        ),
        ("vandersluis2023-dfs-2y:nocolumn", "no column 'nocolumn' in outcomes"),
        (
            "vandersluis2023-dfs-2y:p_value",
            "outcomes row 'vandersluis2023-dfs-2y': p_value: no value to show",
        ),
    ],
)
def test_a_bad_reference_names_itself_its_row_and_column(target: str, says: str) -> None:
    page = book.Page(load(ROOT))
    with pytest.raises((KeyError, ValueError)) as raised:
        page.cited(target)
    assert says in str(raised.value.args[0])


# -- in a built book ----------------------------------------------------------------------------

CHAPTER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
# Chapter

```{{code-cell}} ipython3
:tags: [remove-cell]
from livingreview import book

ds = book.start()
```

Two-year DFS against matched comparators: {{fig}}`{fig}`, in {{value}}`vandersluis2023:n` infants.

```{{code-cell}} ipython3
:tags: [remove-input]
print("recorded:", *ds.used["outcomes"], *ds.used["studies"])
```
"""


def _book(tmp_path: Path, fig: str) -> Path:
    """The book's own data, bibliography and configuration, with one chapter."""
    root = tmp_path / "book"
    (root / "chapters").mkdir(parents=True)
    shutil.copytree(ROOT / "data", root / "data")
    for name in ("_config.yml", "references.bib"):
        shutil.copy(ROOT / name, root / name)
    (root / "_toc.yml").write_text("format: jb-book\nroot: chapters/chapter\n", encoding="utf-8")
    (root / "chapters" / "chapter.md").write_text(CHAPTER.format(fig=fig), encoding="utf-8")
    return root


def _build(root: Path) -> subprocess.CompletedProcess[str]:
    code = "import sys; from pathlib import Path; from livingreview.cli import jupyter_book_build; "
    code += "sys.exit(jupyter_book_build(Path(sys.argv[1])))"
    return subprocess.run(
        [sys.executable, "-c", code, str(root)], capture_output=True, text=True, timeout=600, cwd=ROOT
    )


@pytest.mark.build
def test_a_cited_figure_is_shown_and_its_flag_listed(tmp_path: Path) -> None:
    root = _book(tmp_path, "interfant06controls-dfs-2y-matched")
    proc = _build(root)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    html = (root / "_build" / "html" / "chapters" / "chapter.html").read_text(encoding="utf-8")
    page = book.Page(load(ROOT))
    fig, n = page.text("interfant06controls-dfs-2y-matched"), page.cited("vandersluis2023:n")
    assert "flagged as printed: ambiguous" in fig  # the flag goes with the figure
    shown = f'<span class="pasted-text">{html_escape(fig)}</span>, in <span class="pasted-text">{n}</span>'
    assert shown in html
    # the page's code knows what its prose cites (so its flags table lists it)
    assert "recorded: interfant06controls-dfs-2y-matched vandersluis2023" in html


@pytest.mark.build
def test_an_unknown_figure_fails_the_build_and_names_the_page(tmp_path: Path) -> None:
    proc = _build(_book(tmp_path, "no-such-row"))
    assert proc.returncode != 0
    tail = proc.stderr[proc.stderr.rindex("what failed it (") :]
    assert "chapters/chapter.md" in tail and "no-such-row" in tail, tail


def test_what_the_prose_cites_is_part_of_the_page_fingerprint() -> None:
    from livingreview.build import freshness

    page = "```{code-cell} ipython3\nds = book.start()\n```\n\nSee {fig}`vandersluis2023-dfs-2y`.\n"
    # the same before and after the build gives the code the references (read from the file when
    # Sphinx asks what is outdated, from the rewritten source when the page is read)
    assert freshness.fingerprint(page, ROOT) == freshness.fingerprint(with_prose_refs(page), ROOT)
    tables = freshness.resources(ROOT)
    assert "outcomes" in freshness.tables_used(page, tables)
    assert "outcomes" not in freshness.tables_used(page.replace("{fig}`vandersluis2023-dfs-2y`", ""), tables)


@pytest.mark.build
def test_a_figure_cited_on_a_page_without_the_page_api_fails_the_build(tmp_path: Path) -> None:
    root = _book(tmp_path, "vandersluis2023-dfs-2y")
    page = root / "chapters" / "chapter.md"
    page.write_text(
        page.read_text(encoding="utf-8")
        .replace("ds = book.start()", "ds = None")
        .replace('print("recorded:", *ds.used["outcomes"], *ds.used["studies"])', "print(1)"),
        encoding="utf-8",
    )
    proc = _build(root)
    assert proc.returncode != 0
    tail = proc.stderr[proc.stderr.rindex("what failed it (") :]
    assert "chapters/chapter.md" in tail and "must call book.start()" in tail, tail
