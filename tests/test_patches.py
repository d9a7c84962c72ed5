"""The build's patches of third-party packages (livingreview/build/patches.py): each is written for
the versions installed, does what it says, and is left alone for a version it was not tested on."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace

import pytest
from packaging.specifiers import SpecifierSet

from livingreview.build import patches


@pytest.mark.parametrize("patch", patches.PATCHES, ids=lambda p: p.name)
def test_each_patch_was_tested_on_the_installed_version(patch: patches.Patch) -> None:
    # Fails after an upgrade: look at the upstream report, then widen `tested` or drop the patch.
    assert version(patch.package) in SpecifierSet(patch.tested), (patch.package, patch.upstream)
    assert patch.upstream and patch.applies()


def test_a_patch_is_left_alone_on_an_untested_version(monkeypatch: pytest.MonkeyPatch) -> None:
    applied = []
    fake = patches.Patch("fake", "pybtex", "==0.0.1", "none", lambda: applied.append(1))
    monkeypatch.setattr(patches, "PATCHES", (fake,))
    assert patches.apply_all() == [] and applied == []


def test_the_bibtex_backend_is_looked_up_once_and_is_the_entry_point_class() -> None:
    from importlib.metadata import entry_points

    import pybtex.plugin

    patches.pin_bibtex_backend()
    (ep,) = entry_points(group="pybtex.backends", name="plaintext")
    assert pybtex.plugin.find_plugin("pybtex.backends", "plaintext") is ep.load()


def test_latex_is_parsed_once_per_string_with_the_same_result() -> None:
    from pybtex import richtext

    parse = richtext.Text.from_latex.__func__
    fresh = parse(richtext.Text, r"Caf\'e {\em au} lait")
    patches.remember_latex_parsing()
    first = richtext.Text.from_latex(r"Caf\'e {\em au} lait")
    assert first is richtext.Text.from_latex(r"Caf\'e {\em au} lait")
    assert first == fresh and str(first) == str(fresh)


def test_notebook_readers_are_looked_up_once() -> None:
    from jupyter_cache import readers

    patches.pin_notebook_readers()
    assert hasattr(readers.get_entry_point, "cache_info")
    group = readers.ENTRY_POINT_GROUP_READER
    first = readers.get_entry_point(group, "nbformat")
    assert first is not None and readers.get_entry_point(group, "nbformat") is first


def test_the_execution_cache_is_created_once_before_parallel_readers(tmp_path: Path) -> None:
    app = SimpleNamespace(
        parallel=3,
        outdir=str(tmp_path / "_build" / "html"),
        env=SimpleNamespace(mystnb_config=SimpleNamespace(execution_mode="cache", execution_cache_path="")),
    )
    patches.create_execution_cache(app)
    assert (tmp_path / "_build" / ".jupyter_cache" / "global.db").is_file()


def test_sphinx_multitoc_numbering_is_declared_parallel_safe() -> None:
    ext = SimpleNamespace(parallel_read_safe=None)
    other = SimpleNamespace(parallel_read_safe=None)
    app = SimpleNamespace(extensions={"sphinx_multitoc_numbering": ext, "someone_else": other})
    patches.declare_parallel_safe(app)
    assert ext.parallel_read_safe is True and other.parallel_read_safe is None
