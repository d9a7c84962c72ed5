"""Shared fixtures: the real book, built once per test session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def built_book() -> Path:
    """Build the real book strictly (cached execution) and return its HTML folder."""
    proc = subprocess.run(
        [sys.executable, "-m", "livingreview", "build"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, f"the book did not build:\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}"
    return ROOT / "_build" / "html"
