"""Every change this build makes to a third-party package, in one place.

Each patch names the upstream report (or says none was found), the versions it was written
against, and is applied only to those: a newer release may have fixed the problem or moved the
code patched, so it is then left alone and ``tests/test_patches.py`` fails until someone looks
again (and widens ``tested`` or removes the patch). :func:`apply_all` is called by the Sphinx
extension's ``setup``; :func:`connect` adds the patches that are Sphinx event handlers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from packaging.specifiers import SpecifierSet


@dataclass(frozen=True)
class Patch:
    name: str
    package: str  # the distribution patched
    tested: str  # the versions it was written and tested against (a PEP 440 specifier)
    upstream: str  # the upstream report, or where the same problem was fixed elsewhere
    apply: Callable[[], None]

    def applies(self) -> bool:
        try:
            installed = version(self.package)
        except PackageNotFoundError:
            return False
        return SpecifierSet(self.tested).contains(installed, prereleases=True)


# -- pybtex -------------------------------------------------------------------------------------


def pin_bibtex_backend() -> None:
    """sphinxcontrib-bibtex asks pybtex for its plain-text backend once per citation it resolves,
    and pybtex finds a plugin by scanning every installed package's entry points on every call
    (about 10 ms each: two to three seconds per cold build here). Look it up once, then register
    that very class through pybtex's own ``register_plugin``: later lookups are dictionary hits."""
    import pybtex.plugin

    backend = pybtex.plugin.find_plugin("pybtex.backends", "plaintext")
    pybtex.plugin.register_plugin("pybtex.backends", "plaintext", backend, force=True)


def remember_latex_parsing() -> None:
    """pybtex parses a bibliography field from LaTeX (latexcodec, then its own LaTeX parser)
    every time an entry is formatted: for the bibliography, for each tooltip and for each of the
    book's citations, about 5,000 parses of a few hundred distinct strings (0.3-0.5 s of a cold
    build, most of it in the main process while pages are written). Its rich-text objects never
    change once made (their parts are set in ``__init__`` only), so each string is parsed once."""
    from pybtex import richtext

    parse = richtext.Text.from_latex.__func__
    if getattr(parse, "livingreview_remembered", False):
        return
    remembered = functools.lru_cache(maxsize=8192)(parse)

    def from_latex(cls: type, latex: str) -> Any:
        try:
            return remembered(cls, latex)
        except TypeError:  # not hashable: parse it as pybtex would
            return parse(cls, latex)

    from_latex.livingreview_remembered = True  # type: ignore[attr-defined]
    richtext.Text.from_latex = classmethod(from_latex)  # type: ignore[method-assign, assignment]


# -- jupyter-cache ------------------------------------------------------------------------------


def pin_notebook_readers() -> None:
    """jupyter-cache finds the function that reads a page's notebook through an entry point, and
    scans every installed package's entry points to do so, once per page (about 25 ms each). The
    entry points do not change during a build: remember each answer."""
    from jupyter_cache import readers

    if not hasattr(readers.get_entry_point, "cache_info"):
        readers.get_entry_point = functools.lru_cache(maxsize=None)(readers.get_entry_point)


WRITE_LOCK = "livingreview-write.lock"


def serialise_cache_writes() -> None:
    """Let one process at a time store an executed page in myst-nb's execution cache.

    jupyter-cache was written for one writer. After storing a notebook it prunes the cache to its
    size limit: one query lists the records to keep, a second one those not in that list, and
    deletes them. A record another reader process commits between the two queries is deleted at
    once, and its file, not yet written, is reported missing: the build fails with
    ``KeyError: 'Notebook file does not exist for cache record PK: …'`` (seen here, one cold
    build in several, with three readers). An exclusive lock on a file beside the database,
    taken around the store, closes the gap; it costs nothing measurable (ten stores a build)."""
    import fcntl

    from jupyter_cache.cache.main import JupyterCacheBase

    store = JupyterCacheBase.cache_notebook_bundle
    if getattr(store, "livingreview_locked", False):
        return

    @functools.wraps(store)
    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with open(Path(self.path) / WRITE_LOCK, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            return store(self, *args, **kwargs)

    locked.livingreview_locked = True  # type: ignore[attr-defined]
    JupyterCacheBase.cache_notebook_bundle = locked  # type: ignore[method-assign]


def create_execution_cache(app: Any) -> None:
    """With parallel reading, each reader process opens myst-nb's execution cache (a SQLite
    database) and the first to find it missing creates its tables, so two readers of a cold build
    could both try. Create it once here, in the main process, before the readers start."""
    if app.parallel <= 1:
        return
    nb_config = getattr(app.env, "mystnb_config", None)
    if nb_config is None or getattr(nb_config, "execution_mode", None) != "cache":
        return
    from jupyter_cache.cache.db import create_db

    path = Path(nb_config.execution_cache_path or Path(app.outdir).parent / ".jupyter_cache")
    path.mkdir(parents=True, exist_ok=True)
    create_db(path).dispose()


# -- sphinx-multitoc-numbering -------------------------------------------------------------------

# Loaded whatever _config.yml says (sphinx-external-toc sets it up); it keeps no state of its own in
# the build environment (it replaces one method of the toctree collector, which runs in the main
# process) but does not declare it. Undeclared, Sphinx reads serially and warns, and the strict
# build turns the warning into a failure.
_PARALLEL_SAFE_UNDECLARED = ("sphinx_multitoc_numbering",)


def declare_parallel_safe(app: Any) -> None:
    for name in _PARALLEL_SAFE_UNDECLARED:
        ext = app.extensions.get(name)
        if ext is not None and ext.parallel_read_safe is None:
            ext.parallel_read_safe = True


# -- nbclient / jupyter_client -------------------------------------------------------------------

IPC_DIR = "livingreview-ipc"  # under the system's temporary folder: socket paths must stay short


def kernels_over_ipc() -> None:
    """Start every page's kernel on Unix domain sockets (ZeroMQ ``ipc``), each kernel's under a
    name of its own, instead of on TCP ports.

    jupyter_client chooses a kernel's five TCP ports by binding each to port 0 and releasing it,
    writes them to the connection file, and the kernel binds them when it starts. Sphinx's
    parallel readers are separate processes, and jupyter_client's cache of ports handed out is
    per process: between the release and the kernel's bind, another reader can be given the same
    port, and that page's kernel dies with "Address already in use" (seen here in a benchmark
    build on a loaded machine). The window is widest when the machine is loaded and kernels wait
    for the warm-kernel template. Socket files named by a fresh UUID cannot be handed out twice.
    It also ends ipykernel's "running over TCP without encryption" warning on every page."""
    import tempfile
    import uuid

    from nbclient import NotebookClient

    create = NotebookClient.create_kernel_manager
    if getattr(create, "livingreview_ipc", False):
        return

    @functools.wraps(create)
    def create_over_ipc(self: Any) -> Any:
        km = create(self)
        if not km.has_kernel:  # a manager of our own, not yet started
            folder = Path(tempfile.gettempdir()) / IPC_DIR
            folder.mkdir(mode=0o700, exist_ok=True)
            km.transport = "ipc"
            km.cache_ports = False  # TCP port bookkeeping; it would bind the path as a host
            km.ip = str(folder / uuid.uuid4().hex)
        return km

    create_over_ipc.livingreview_ipc = True  # type: ignore[attr-defined]
    NotebookClient.create_kernel_manager = create_over_ipc  # type: ignore[method-assign]


def _nothing() -> None:
    """For patches that are Sphinx event handlers (see :func:`connect`)."""


PATCHES: tuple[Patch, ...] = (
    Patch(
        "kernels_over_ipc",
        "nbclient",
        "==0.11.0",
        "https://github.com/jupyter/jupyter_client/issues/487",
        kernels_over_ipc,
    ),
    Patch(
        "pin_bibtex_backend",
        "pybtex",
        "==0.26.1",
        # pybtex's tracker is not on GitHub and has no report of this; the same cost (entry points
        # scanned on every lookup, importlib.metadata caching nothing) was fixed in Pygments:
        "https://github.com/pygments/pygments/pull/2979",
        pin_bibtex_backend,
    ),
    Patch(
        "remember_latex_parsing",
        "pybtex",
        "==0.26.1",
        "none found (pybtex's tracker is not on GitHub); measured here: 0.3-0.5 s of a cold build",
        remember_latex_parsing,
    ),
    Patch(
        "pin_notebook_readers",
        "jupyter-cache",
        "==1.0.1",
        "https://github.com/pygments/pygments/pull/2979 (the same entry-point cost; none reported "
        "to jupyter-cache)",
        pin_notebook_readers,
    ),
    Patch(
        "serialise_cache_writes",
        "jupyter-cache",
        "==1.0.1",
        # jupyter-cache has no parallel writers (its open issue on parallel execution); the same
        # kind of race with parallel Sphinx readers is sphinx-doc/sphinx#12481.
        "https://github.com/executablebooks/jupyter-cache/issues/37",
        serialise_cache_writes,
    ),
    Patch(
        "create_execution_cache",
        "jupyter-cache",
        "==1.0.1",
        "https://github.com/sphinx-doc/sphinx/issues/12481",
        _nothing,  # a builder-inited handler: connect()
    ),
    Patch(
        "declare_parallel_safe",
        "sphinx-multitoc-numbering",
        "==0.1.3",
        "https://github.com/executablebooks/sphinx-multitoc-numbering/issues/27",
        _nothing,  # a builder-inited handler: connect()
    ),
)

_HANDLERS: dict[str, tuple[str, Callable[[Any], None], int]] = {
    "create_execution_cache": ("builder-inited", create_execution_cache, 900),  # after myst-nb's
    "declare_parallel_safe": ("builder-inited", declare_parallel_safe, 500),
}


def applicable() -> list[Patch]:
    return [p for p in PATCHES if p.applies()]


def apply_all() -> list[str]:
    """Apply the patches whose package is at a tested version; returns their names."""
    done = []
    for patch in applicable():
        patch.apply()
        done.append(patch.name)
    return done


def connect(app: Any) -> None:
    """Connect the patches that are Sphinx event handlers (at a tested version)."""
    for patch in applicable():
        if patch.name in _HANDLERS:
            event, handler, priority = _HANDLERS[patch.name]
            app.connect(event, handler, priority=priority)
