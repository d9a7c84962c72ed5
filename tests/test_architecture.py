"""The engine's layout: every import points down (import-linter's contracts in pyproject.toml),
chapters import nothing of the build or the tools, and the freshness digest covers only what
pages can import. Each contract is also shown failing on a planted import, in a temporary copy."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from livingreview.build import freshness
from livingreview.core.myst import code_cells

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).parent / "lint-imports"


def lint(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT), "--no-cache", "--no-logo", "pyproject.toml"],
        cwd=folder,
        capture_output=True,
        text=True,
        env={"PATH": str(LINT.parent), "PYTHONPATH": str(folder)},
    )


@pytest.fixture
def engine_copy(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "livingreview", tmp_path / "livingreview", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_engine_keeps_its_contracts() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_breaks_the_layers(engine_copy: Path) -> None:
    assert lint(engine_copy).returncode == 0  # the copy as it is: kept
    module = engine_copy / "livingreview" / "stats" / "proportions.py"
    module.write_text(module.read_text() + "\nfrom livingreview.present import tables  # noqa\n")
    result = lint(engine_copy)
    assert result.returncode == 1
    assert "livingreview.stats is not allowed to import livingreview.present" in result.stdout
    assert "livingreview.stats.proportions -> livingreview.present.tables" in result.stdout


def test_a_cycle_inside_a_layer_is_refused(engine_copy: Path) -> None:
    # review.living already imports review.changes; the way back closes a cycle within one layer
    module = engine_copy / "livingreview" / "review" / "changes.py"
    module.write_text(module.read_text() + "\nfrom livingreview.review import living  # noqa\n")
    result = lint(engine_copy)
    assert result.returncode == 1
    assert "No cycles are allowed in livingreview.review" in result.stdout


def _chapter_imports(markdown: str) -> set[str]:
    names: set[str] = set()
    for cell in code_cells(markdown):
        for node in ast.walk(ast.parse(cell)):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


@pytest.mark.parametrize("page", sorted((ROOT / "chapters").glob("*.md")), ids=lambda p: p.name)
def test_chapters_import_nothing_of_the_build_or_the_tools(page: Path) -> None:
    forbidden = tuple(f"livingreview.{name}" for name in freshness.NOT_FOR_PAGES)
    imported = _chapter_imports(page.read_text(encoding="utf-8"))
    assert not {name for name in imported if name.startswith(forbidden)}


def test_the_freshness_digest_covers_what_pages_import_and_nothing_else() -> None:
    files = {p.relative_to(freshness.ENGINE_DIR).as_posix() for p in freshness.page_engine_files()}
    assert "present/tables.py" in files and "book.py" in files and "dataset/load.py" in files
    assert not {f for f in files if f.startswith(("build/", "cli/"))}
    assert "cli/bench.py" not in files and "build/sphinx.py" not in files
