"""Warm kernels (livingreview.build.kernels): a page's kernel forked from a template that has done the
imports must behave as a plain ipykernel would, one process per page, and never be worse than
no template at all."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError

from livingreview.build import kernels

PROBE = (
    "import os, sys, json, random\n"
    "print(json.dumps({'pid': os.getpid(), 'cwd': os.getcwd(), 'mark': os.environ.get('LR_TEST_MARK'),"
    " 'path': sys.path, 'argv0': os.path.basename(sys.argv[0]), 'random': random.random(),"
    " 'pandas_loaded': 'pandas' in sys.modules, 'seen': 'leftover' in globals()}))\n"
    "leftover = 1\n"
)


def _run(cells: list[str], cwd: Path, timeout: int = 60) -> list[dict]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return [
        json.loads(o["text"])
        for cell in nb.cells
        for o in cell.get("outputs", [])
        if o.get("name") == "stdout" and o["text"].startswith("{")
    ]


@pytest.fixture
def warm(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("LR_TEST_MARK", "from the build")
    before = os.environ.get("JUPYTER_PATH")
    kernels.start()
    try:
        yield
    finally:
        kernels.stop()
    assert os.environ.get("JUPYTER_PATH") == before and kernels.ENV_SOCKET not in os.environ


def test_a_warm_kernel_is_a_fresh_process_per_page_with_the_imports_done(warm: None, tmp_path: Path) -> None:
    (first,) = _run([PROBE], tmp_path)
    (second,) = _run([PROBE], tmp_path)
    assert first["pandas_loaded"]  # imported by the template, before the page asked
    assert first["pid"] != second["pid"] and first["pid"] != os.getpid()
    assert not second["seen"]  # nothing of the first page's namespace
    assert first["random"] != second["random"]  # reseeded in each child
    assert first["cwd"] == str(tmp_path) and first["mark"] == "from the build"


def test_a_warm_kernel_sees_what_a_plain_kernel_sees(
    warm: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (hot,) = _run([PROBE], tmp_path)
    kernels.stop()  # no template: the kernelspec is the plain one again
    (cold,) = _run([PROBE], tmp_path)
    assert not cold["pandas_loaded"]  # really a plain kernel
    for key in ("cwd", "mark", "path"):
        assert hot[key] == cold[key], key


def test_an_interrupted_kernel_stops_and_leaves_no_process(warm: None, tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(PROBE), nbformat.v4.new_code_cell("import time; time.sleep(60)")]
    )
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    # Only the sleeping cell has a short timeout: the probe may be slow on a loaded machine.
    client = NotebookClient(
        nb,
        timeout_func=lambda cell: 3 if "sleep" in cell.source else 120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    with pytest.raises(CellTimeoutError):
        client.execute()
    pid = json.loads(nb.cells[0]["outputs"][0]["text"])["pid"]
    deadline = time.monotonic() + 60  # generous: a wait, not a measurement
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"kernel {pid} still running 60 s after its client shut it down")


def test_without_the_template_the_launcher_starts_a_plain_kernel(warm: None, tmp_path: Path) -> None:
    server = kernels._started["server"]
    server.terminate()
    server.wait(timeout=10)
    (result,) = _run([PROBE], tmp_path)
    assert not result["pandas_loaded"] and result["cwd"] == str(tmp_path)


def test_cache_writes_wait_for_each_other(tmp_path: Path) -> None:
    """The lock that keeps parallel readers from deleting each other's new cache records: a store
    waits while another process (here: another open file description) holds it."""
    import fcntl

    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    from livingreview.build.patches import WRITE_LOCK, serialise_cache_writes

    serialise_cache_writes()
    cache = get_cache(tmp_path / "cache")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    done = threading.Event()

    def store() -> None:
        cache.cache_notebook_bundle(CacheBundleIn(nb, "page.ipynb"), check_validity=False, overwrite=True)
        done.set()

    with open(Path(cache.path) / WRITE_LOCK, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        writer = threading.Thread(target=store)
        writer.start()
        assert not done.wait(0.5)  # blocked while the lock is held
    assert done.wait(10)  # and stores once it is released
    writer.join()
    assert len(cache.list_cache_records()) == 1
