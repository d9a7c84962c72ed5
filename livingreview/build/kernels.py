"""Warm kernels: each page still runs in a fresh IPython kernel of its own, forked from a template
process that has already imported the engine and its libraries.

Why: a cold kernel spends about two seconds importing ipykernel, pandas, Altair, SciPy and
statsmodels before a chapter's first line runs; over ten pages that is most of a cold build's
CPU time on a two-CPU machine (measured with ``make bench``). Forking a process that has done
those imports costs milliseconds, and the children share its memory copy-on-write.

How (the same pattern as multiprocessing's ``forkserver``, which cannot be used here because
jupyter_client starts a kernel as a command):

- When a build has pages to read that carry code, :func:`start` (Sphinx's main process, before
  parallel readers fork) launches the template (``python -m livingreview.build.kernels serve``), which
  listens on a UNIX socket in a private folder, then imports :data:`PRELOAD` and waits.
- The same folder holds a kernelspec named ``python3`` whose command is this module's launcher,
  and goes first on ``JUPYTER_PATH`` for this build's processes only, so the pages' usual
  ``kernelspec: python3`` resolves to it. Nothing is installed; no page's source changes.
- The launcher (the process jupyter_client starts and manages) hands the template its
  connection-file arguments, working folder, environment and standard streams. The template
  forks; the child becomes an ordinary ``IPKernelApp`` in its own session and tells the
  launcher its pid. The launcher forwards signals (interrupt, terminate) to the kernel and
  exits with its status; a kernel whose launcher has gone (killed) exits at once.
- Without the template (not started, failed, gone), the launcher turns itself into a plain
  ``ipykernel_launcher``: slower, never wrong. On Linux only (fork without exec is unsafe on
  macOS); ``livingreview_warm_kernels: false`` (``_config.yml``, ``sphinx: config:``) turns it off.

Isolation: a kernel is a process of its own, so no page sees another's variables; the children
share only what the template imported, in the state importing left it (no page code runs in the
template: it imports, and parses the dataset into the build's cache). Random generators are
reseeded in each child. Two differences from a kernel started cold, both deliberate: build
kernels keep no IPython history, and a kernel exits without running atexit handlers once it has
answered its shutdown request (see :func:`_child`). tests/test_kernels.py compares the two.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import traceback
from contextlib import suppress
from pathlib import Path
from typing import Any

ENV_SOCKET = "LIVINGREVIEW_KERNEL_SERVER"
KERNEL_NAME = "python3"  # what every chapter's front matter names
# What a page's kernel would otherwise import itself: ipykernel and what it loads when a kernel
# starts (the debugger, psutil), what chapters import, and what the engine imports lazily
# (statsmodels alone takes over a second). Found by listing the modules a kernel had loaded at
# its end that the template had not.
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.debugger",
    "IPython.core.completerlib",
    "IPython.extensions.storemagic",
    "IPython.display",
    "psutil",
    "numpy",
    "pandas",
    "altair",
    "narwhals.stable.v1",
    "scipy.stats",
    "statsmodels.stats.proportion",
    "myst_nb.ext.glue",
    "livingreview.book",
    "livingreview.dataset.bib",
    "livingreview.review.changes",
    "livingreview.present.charts",
    "livingreview.dataset.load",
    "livingreview.present.evidence",
    "livingreview.present.render",
    "livingreview.checks.screening",
    "livingreview.stats",
    "livingreview.present.tables",
)
# Build kernels keep no IPython history (an SQLite file that concurrent kernels would share).
KERNEL_OPTIONS = ("--HistoryManager.enabled=False",)
_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


# -- the template (server) ---------------------------------------------------------------------


def serve(path: str, parent: int, root: str = "") -> int:
    """Listen first (launchers may connect while the imports run), import, parse the book's
    dataset into the build's cache (``root``: the book; else each reader's first page would
    parse it, in parallel), then fork a kernel per connection until the build that started us
    has gone."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    if sys.path and Path(sys.path[0] or ".").resolve() == Path.cwd():
        del sys.path[0]  # our private folder, not a page's: as ipykernel_launcher does
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception as exc:  # a kernel that needs it will fail on its own, with its traceback
            print(f"livingreview.build.kernels: could not preload {name}: {exc}", file=sys.stderr)
    if root:
        _warm_dataset(Path(root))
    # Objects that exist now are never collected in the children: the collector does not write to
    # (and so copy) the pages of memory they share.
    gc.collect()
    gc.freeze()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel (Linux)
    listener.settimeout(1.0)
    while os.getppid() == parent:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        conn.settimeout(None)
        pid = os.fork()
        if pid == 0:
            listener.close()
            _child(conn)  # never returns
        conn.close()
    return 0


def _warm_dataset(root: Path) -> None:
    """What ``book.start()`` does first on every page: the pages read the parsed tables back."""
    try:
        from livingreview import book  # noqa: F401 (imported once here, for every page)
        from livingreview.core.paths import build_cache, find_root
        from livingreview.dataset import load as data

        if find_root(root) == root.resolve():
            data.load(root, cache_dir=build_cache(root))
    except Exception as exc:  # a page that loads the data reports the problem, with its cell
        print(f"livingreview.build.kernels: the dataset was not preloaded: {exc}", file=sys.stderr)


def _child(conn: socket.socket) -> None:
    status = 1
    try:
        status = _run_kernel(conn)
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        with suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        with suppress(OSError):
            conn.sendall(f"exit {status}\n".encode())
        # No atexit handlers: the kernel has answered its shutdown request and its outputs are
        # with the client. ipykernel's own handlers (closing its sockets and threads) can
        # deadlock with its control thread, which may still be flushing (seen here: one
        # shutdown in three waited the 2.5 s jupyter_client allows before SIGTERM).
        os._exit(status)


def _receive(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
    while not data.endswith(b"\n"):
        more = conn.recv(1 << 16)
        if not more:
            raise ConnectionError("the launcher went away before its request was complete")
        data += more
    return json.loads(data), fds


def _run_kernel(conn: socket.socket) -> int:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()  # a process group of its own, as jupyter_client gives a kernel it starts
    request, fds = _receive(conn)
    for target, fd in zip((0, 1, 2), fds, strict=False):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.environ.pop(ENV_SOCKET, None)
    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    conn.sendall(f"pid {os.getpid()}\n".encode())
    threading.Thread(target=_exit_with_launcher, args=(conn,), daemon=True).start()

    from ipykernel import kernelapp

    argv = [*request["argv"], *KERNEL_OPTIONS]
    if os.environ.get("JPY_PARENT_PID", "").isdigit():
        # Read from the environment when ipykernel was imported (in the template, where it was
        # unset); without it the kernel prints its "Ctrl-C will not work" notice.
        argv.append(f"--IPKernelApp.parent_handle={os.environ['JPY_PARENT_PID']}")
    sys.argv = [request.get("launcher", "ipykernel_launcher"), *argv]
    app = kernelapp.IPKernelApp.instance()
    app.initialize(argv)
    app.start()  # returns once the kernel has been asked to shut down
    return 0


def _exit_with_launcher(conn: socket.socket) -> None:
    """The launcher never writes after its request: end of stream means it was killed."""
    with suppress(OSError):
        while conn.recv(64):
            pass
    os._exit(1)


# -- the launcher (what the kernelspec runs) -------------------------------------------------


def launch(argv: list[str]) -> int:
    path = os.environ.get(ENV_SOCKET, "")
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(path)
        request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "launcher": sys.argv[0]}
        socket.send_fds(conn, [json.dumps(request).encode() + b"\n"], [0, 1, 2])
        reader = conn.makefile("rb")
        first = reader.readline().split()
        if first[:1] != [b"pid"]:
            raise ConnectionError("the template did not start a kernel")
        pid = int(first[1])
    except (OSError, ValueError, IndexError) as exc:
        print(f"livingreview.build.kernels: no warm kernel ({exc}); starting a cold one", file=sys.stderr)
        os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *argv])

    def forward(signum: int, frame: Any) -> None:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signum)

    for signum in _FORWARDED:
        signal.signal(signum, forward)
    status = 1
    for line in reader:  # until the kernel has exited
        words = line.split()
        if words[:1] == [b"exit"] and len(words) == 2 and words[1].lstrip(b"-").isdigit():
            status = int(words[1])
    return status


# -- the build's side ------------------------------------------------------------------------

_started: dict[str, Any] = {}


def start(root: Path | None = None, warm: bool = True) -> None:
    """Start the template (for the book at ``root``) and make ``python3`` mean the warm kernel,
    for this process and the processes it starts from now on (Sphinx's readers, their kernels)."""
    # Linux only: fork without exec is unsafe on macOS once system frameworks are loaded (numpy
    # may use Accelerate), and Windows has no fork. Elsewhere kernels start cold, as usual.
    if _started or not warm or not sys.platform.startswith("linux"):
        return
    folder = Path(tempfile.mkdtemp(prefix="livingreview-kernels-"))
    path = folder / "template.sock"
    spec_dir = folder / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "livingreview.build.kernels", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "interrupt_mode": "signal",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    # pydevd (the debugger ipykernel loads) warns on import that frozen modules may hide
    # breakpoints; build kernels are not debugged.
    server_env = {**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "livingreview.build.kernels",
            "serve",
            str(path),
            str(os.getpid()),
            str(root or ""),
        ],
        cwd=folder,
        env=server_env,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    _started.update(
        folder=folder,
        server=server,
        env={k: os.environ.get(k) for k in ("JUPYTER_PATH", ENV_SOCKET)},
    )
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join([str(folder), *([old] if old else [])])
    os.environ[ENV_SOCKET] = str(path)
    atexit.register(stop)


def stop() -> None:
    """Stop the template (kernels already started finish on their own) and tidy up."""
    if not _started:
        return
    server: subprocess.Popen[bytes] = _started["server"]
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    for name, value in _started["env"].items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    shutil.rmtree(_started["folder"], ignore_errors=True)
    _started.clear()


def _has_code(path: Path) -> bool:
    from livingreview.core.myst import code_of

    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return False
    return bool(code_of(text)) if path.suffix == ".md" else '"cell_type": "code"' in text


def on_before_read(app: Any, env: Any, docnames: list[str]) -> None:
    """Start the template when this build reads a page with code (a build that reads none, such
    as one with nothing changed, does not start it). ``python -m livingreview build`` starts it
    earlier for a cold build. Whether a page read here will be executed, or found in myst-nb's
    cache, is only known once myst-nb has looked: a prose-only edit starts it unused."""
    mode = getattr(getattr(env, "mystnb_config", None), "execution_mode", "off")
    if mode == "off":
        return
    if any(_has_code(Path(env.doc2path(d))) for d in docnames):
        start(Path(app.srcdir), warm=app.config.livingreview_warm_kernels)


def on_finished(app: Any, exception: Exception | None) -> None:
    stop()


def setup(app: Any) -> None:
    app.connect("env-before-read-docs", on_before_read)
    app.connect("build-finished", on_finished)


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"] and len(argv) in (3, 4):
        return serve(*argv[1:2], int(argv[2]), *argv[3:])
    return launch(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
