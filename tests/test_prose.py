"""No hand-typed statistics in chapter prose: every chapter passes, and planted examples fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from livingreview.checks.prose import find_hand_typed
from livingreview.core.paths import book_settings

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.md"))
NOUNS = book_settings(ROOT).count_nouns  # the book's own count nouns (_config.yml)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_chapter_prose_has_no_hand_typed_statistics(chapter: Path) -> None:
    found = find_hand_typed(chapter.read_text(encoding="utf-8"), NOUNS)
    assert found == [], "\n".join(f"{chapter.name}:{h.line}: {h.kind}: {h.text!r}" for h in found)


PAGE = """---
kernelspec:
  name: python3
---
# A page

```{code-cell} ipython3
rate = 16 / 30  # code may hold numbers: it computes them
print(f"{rate:.1%}")
```

Two-year survival was {glue:text}`dfs` in the CD19-directed phase 2 study of Interfant-06 and MLL-10.

```{admonition} Note
Here 12 infants are typed by hand.
```
"""


@pytest.mark.parametrize(
    "planted, kind",
    [
        ("Survival was 81.6% at two years.", "percentage"),
        ("Nine patients, 9 of 11, responded.", "n of N"),
        ("It worked in 9/11.", "ratio"),
        ("The hazard ratio was 0.22.", "decimal"),
        ("A cohort (n = 214) was used.", "n ="),
        ("The difference was significant (P=0.04).", "p-value"),
        ("We treated 30 infants.", "count"),
        ("Relapse occurred at 3 months.", "count"),
    ],
)
def test_planted_statistic_is_found(planted: str, kind: str) -> None:
    found = find_hand_typed(PAGE + "\n" + planted + "\n", NOUNS)
    kinds = {(h.kind) for h in found}
    assert kind in kinds, found


def test_the_engine_knows_generic_count_nouns_and_the_book_adds_its_own() -> None:
    assert "infants" in NOUNS and "relapses" in NOUNS
    typed = "We treated 30 patients; 12 infants relapsed; 2 relapses occurred.\n"
    assert [h.text for h in find_hand_typed(typed)] == ["30 patients"]
    assert [h.text for h in find_hand_typed(typed, NOUNS)] == ["12 infants", "2 relapses", "30 patients"]


def test_code_roles_names_and_glue_are_not_statistics() -> None:
    found = find_hand_typed(PAGE, NOUNS)
    # Only the admonition body's "12 infants" is prose with a hand-typed count.
    assert [(h.kind, h.text) for h in found] == [("count", "12 infants")]


def test_make_check_reports_a_hand_typed_statistic(tmp_path: Path) -> None:
    import shutil

    from livingreview.checks.validate import check_project

    for name in ("data", "chapters"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "references.bib", tmp_path / "references.bib")
    page = tmp_path / "chapters" / "index.md"
    page.write_text(
        page.read_text(encoding="utf-8") + "\nSurvival was 81.6% at two years.\n", encoding="utf-8"
    )
    line = len(page.read_text(encoding="utf-8").splitlines())
    found = [str(p) for p in check_project(tmp_path) if "hand-typed" in str(p)]
    assert found == [
        f"chapters/index.md:{line}: prose: hand-typed statistic '81.6%' (percentage); "
        "cite it from the dataset with {fig}`row-id` or {value}`row-id:column`, or compute it in a "
        "code cell and show it with book.glue(...) and {glue:text}`name`"
    ]
