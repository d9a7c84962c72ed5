"""The build is strict: a chapter that raises, an unknown citation key, or a page left out of
the toc each fail it with a non-zero exit. Each case builds a tiny book with the real config."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from livingreview.cli import jupyter_book_command

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.build

PAGE = """\
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
# {title}

{body}
"""

BIB = """\
@article{known2020,
  author = {Doe, Jane},
  title = {A known work},
  journal = {Journal of Tests},
  year = {2020},
}
@article{solo2021,
  author = {Solo, A. and others},
  title = {A work whose other authors are not verified},
  journal = {Journal of Tests},
  year = {2021},
}
"""


def _book(tmp_path: Path, chapter: str, *, extra_page: bool = False) -> Path:
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    shutil.copy(ROOT / "_config.yml", book / "_config.yml")
    (book / "_toc.yml").write_text(
        "format: jb-book\nroot: chapters/index\nchapters:\n"
        "  - file: chapters/chapter\n  - file: chapters/references\n"
    )
    (book / "references.bib").write_text(BIB)
    (book / "chapters" / "index.md").write_text(
        PAGE.format(title="Home", body="Cites {cite:p}`known2020,solo2021`.")
    )
    (book / "chapters" / "references.md").write_text("# References\n\n```{bibliography}\n```\n")
    (book / "chapters" / "chapter.md").write_text(PAGE.format(title="Chapter", body=textwrap.dedent(chapter)))
    if extra_page:
        (book / "chapters" / "orphan.md").write_text("# Not in the toc\n")
    return book


def _build(book: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(jupyter_book_command(book), capture_output=True, text=True, timeout=600)


def test_clean_tiny_book_builds(tmp_path: Path) -> None:
    # The control: without a fault, the same tiny book builds, so the failures below are the faults'.
    book = _book(tmp_path, "```{code-cell} ipython3\nprint(1 + 1)\n```\n")
    proc = _build(book)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # An author list of one name and "others" is cited "Solo et al.", not "Solo and others".
    home = (book / "_build" / "html" / "chapters" / "index.html").read_text(encoding="utf-8")
    assert ">Solo <em>et al.</em>, 2021</a>" in home and "Solo and others, 2021" not in home


def test_chapter_that_raises_fails_the_build(tmp_path: Path) -> None:
    proc = _build(_book(tmp_path, "```{code-cell} ipython3\nraise ValueError('planted failure')\n```\n"))
    assert proc.returncode != 0
    assert "planted failure" in proc.stdout + proc.stderr


def test_unknown_citation_key_fails_the_build(tmp_path: Path) -> None:
    proc = _build(_book(tmp_path, "As shown {cite:p}`unknown2099`.\n"))
    assert proc.returncode != 0
    assert "unknown2099" in proc.stdout + proc.stderr


def test_page_missing_from_toc_fails_the_build(tmp_path: Path) -> None:
    book = _book(tmp_path, "Plain text.\n", extra_page=True)
    # only_build_toc_files would silently skip it; a page outside the toc must be noticed.
    proc = _build(book)
    assert proc.returncode != 0
    assert "orphan" in proc.stdout + proc.stderr


def _build_in_process(book: Path) -> subprocess.CompletedProcess[str]:
    # The build `make book` runs (parallel readers), without the data check of `cmd_build`.
    code = "import sys; from pathlib import Path; from livingreview.cli import jupyter_book_build; "
    code += "sys.exit(jupyter_book_build(Path(sys.argv[1])))"
    return subprocess.run(
        [sys.executable, "-c", code, str(book)], capture_output=True, text=True, timeout=600, cwd=ROOT
    )


def test_a_failed_build_ends_with_every_warning_and_its_page(tmp_path: Path) -> None:
    book = _book(tmp_path, "As shown {cite:p}`unknown2099`, and see {ref}`no-such-label`.\n", extra_page=True)
    proc = _build_in_process(book)
    assert proc.returncode != 0
    tail = proc.stderr.rstrip().splitlines()
    head = next(i for i, line in enumerate(tail) if "what failed it (" in line)
    listed = tail[head + 1 :]
    # The list is the very end of the output, one line per warning, each with its page.
    assert tail[head].endswith("what failed it (3):"), tail[head:]
    on_chapter = [line for line in listed if line.startswith("  chapters/chapter.md")]
    assert any("unknown2099" in line for line in on_chapter), listed
    assert any("no-such-label" in line for line in on_chapter), listed
    assert any("chapters/orphan.md" in line and "toctree" in line for line in listed), listed


def test_a_chapter_exception_is_named_with_its_page_at_the_end(tmp_path: Path) -> None:
    raising = "```{code-cell} ipython3\nraise ValueError('planted failure')\n```\n"
    proc = _build_in_process(_book(tmp_path, raising))
    assert proc.returncode != 0
    tail = proc.stderr[proc.stderr.rindex("what failed it (") :]
    assert "chapter" in tail and "planted failure" in tail, tail
