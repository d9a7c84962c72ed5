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


def _run_cell(source: str, cwd: Path) -> list[dict]:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    )
    client.execute()
    return nb.cells[0]["outputs"]


def test_kernels_start_over_ipc_sockets_of_their_own(tmp_path: Path) -> None:
    from nbclient import NotebookClient

    patches.kernels_over_ipc()
    managers = [
        NotebookClient(nbformat_notebook(), kernel_name="python3").create_kernel_manager() for _ in range(2)
    ]
    assert [km.transport for km in managers] == ["ipc", "ipc"]
    assert managers[0].ip != managers[1].ip  # no name handed out twice
    assert all(Path(km.ip).parent.name == patches.IPC_DIR for km in managers)
    # A real kernel started this way runs code; its connection file says ipc.
    (out,) = _run_cell(
        "import json, ipykernel.connect as c; print(json.load(open(c.get_connection_file()))['transport'])",
        tmp_path,
    )
    assert out["text"].strip() == "ipc"


def nbformat_notebook():
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb
