"""`python -m livingreview check | build | site`: what the Makefile and CI call.

- check: validate the dataset, the bibliography and the chapters' citations (fast, no build).
- build: check, then the strict Jupyter Book build (in this process, pages read and executed in
  parallel, one process more than the CPUs, each page in a warm-started kernel), then the
  built-site check. Any problem, warning or chapter
  exception exits non-zero. When nothing the build reads or writes has changed since its last
  success, it says so and does nothing.
- site:  the built-site check alone.
- bundle: generate the offline Vega bundle into the environment (``make`` does, on install).
- bench: build times, page weights and chart times, measured on a temporary copy of the project
  (``python -m livingreview bench --help``; see README, "Performance").
- search, screen: literature and registry surveillance (``livingreview.surveillance.cli``).
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
from pathlib import Path

from livingreview.core.paths import ENGINE_DIR, NOT_PROJECT, REPO_ROOT, book_settings, build_cache


def _report(problems: list, what: str) -> int:
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"{what}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"{what}: OK")
    return 0


def cmd_check(root: Path) -> int:
    from livingreview.checks import validate

    return validate.main(["--root", str(root)])


# -- up to date? ------------------------------------------------------------------------------
# A build whose inputs and outputs are exactly as they were after the last successful build has
# nothing to do. Its inputs: every file of the project (outside outputs, caches and tools), the
# engine's code, the installed packages (their names and versions) and Python's version. Its
# outputs: every file of the built site, by size and modification time.

BUILD_STAMP = "last-build.json"  # in the build cache (livingreview.core.paths.build_cache)


def _tree(folder: Path) -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in NOT_PROJECT)
        files += [Path(dirpath) / f for f in sorted(filenames) if not f.endswith((".pyc", ".tmp"))]
    return files


def inputs_digest(root: Path, builder: str = "html") -> str:
    """What a build reads, as one digest (contents, not modification times)."""
    import hashlib

    h = hashlib.sha256(f"{sys.version}|{builder}".encode())
    for base, files in ((root, _tree(root)), (ENGINE_DIR, _tree(ENGINE_DIR))):
        for f in files:
            h.update(f"\0{f.relative_to(base).as_posix()}\0".encode())
            h.update(f.read_bytes())
    for entry in sys.path:  # installed packages: dist-info names carry their versions
        if entry and os.path.isdir(entry):
            names = sorted(n for n in os.listdir(entry) if n.endswith((".dist-info", ".egg-info", ".pth")))
            h.update(f"\0{entry}\0{'|'.join(names)}".encode())
    return h.hexdigest()


def outputs_digest(root: Path, builder: str = "html") -> str:
    import hashlib

    out = root / "_build" / builder
    h = hashlib.sha256()
    for f in _tree(out) if out.is_dir() else []:
        st = f.stat()
        h.update(f"{f.relative_to(out).as_posix()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _last_build(root: Path) -> dict[str, str]:
    import json

    try:
        return json.loads((build_cache(root) / BUILD_STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _record_build(root: Path, inputs: str) -> None:
    import json

    stamp = build_cache(root) / BUILD_STAMP
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({"inputs": inputs, "outputs": outputs_digest(root)}) + "\n", encoding="utf-8")


def cmd_site(root: Path) -> int:
    from livingreview.build.site import check_site

    return _report(check_site(root), "site")


def cmd_bundle(root: Path) -> int:
    from livingreview.build.sphinx import install_bundle

    print(f"bundle: {install_bundle()}")
    return 0


def jupyter_book_command(root: Path, builder: str = "html") -> list[str]:
    """The strict build: any warning fails it, and every warning is listed (keep-going)."""
    jb = Path(sys.executable).parent / "jupyter-book"
    return [
        str(jb),
        "build",
        str(root),
        "--builder",
        builder,
        "--warningiserror",
        "--nitpick",
        "--keep-going",
    ]


def build_jobs() -> int:
    """Processes reading (and so executing) pages at once: one more than the CPUs (a page's
    kernel spends part of its life waiting on the Jupyter protocol's polling, not computing:
    measured on 2 CPUs, 3 readers build cold in 11 s where 2 take 12-13 s), or
    ``LIVINGREVIEW_JOBS``."""
    value = os.environ.get("LIVINGREVIEW_JOBS", "")
    return max(1, int(value)) if value.isdigit() else (os.cpu_count() or 1) + 1


def jupyter_book_build(
    root: Path,
    builder: str = "html",
    jobs: int | None = None,
    *,
    check_failed: Path | None = None,
    report: bool = True,
) -> int:
    """What :func:`jupyter_book_command` runs (the same configuration, toc and strictness:
    warnings are errors, nitpicky, keep going), in this process and with ``jobs`` parallel
    readers, so that pages execute side by side. The jupyter-book command line has no option
    for Sphinx's parallel mode. A failed build ends with the list of what failed it
    (:mod:`livingreview.buildlog`); ``report=False`` leaves that to the caller."""
    from jupyter_book.sphinx import build_sphinx
    from sphinx_external_toc.parsing import MalformedError, parse_toc_yaml

    toc = root / "_toc.yml"
    try:
        parse_toc_yaml(toc)
    except (MalformedError, OSError) as exc:
        print(f"build: the table of contents {toc} cannot be read: {exc}", file=sys.stderr)
        return 1
    result = build_sphinx(
        root,
        root / "_build" / builder,
        use_external_toc=True,
        noconfig=True,
        path_config=str(root / "_config.yml"),
        confoverrides={
            "external_toc_path": toc.as_posix(),
            "latex_individualpages": False,
            "nitpicky": True,
            "livingreview_check_failed": str(check_failed or ""),
        },
        builder=builder,
        warningiserror=True,
        keep_going=True,
        jobs=jobs or build_jobs(),
    )
    # A page that fails in a parallel reader reaches here as an error naming the page only; its
    # cause (the chapter's own exception, with its cell) is in the reader's traceback.
    stopped = check_failed is not None and check_failed.exists()
    if isinstance(result, BaseException) and getattr(result, "traceback", None) and not stopped:
        print(result.traceback, file=sys.stderr)
    global _last_error
    _last_error = result if isinstance(result, BaseException) else None
    if result != 0 and not stopped and report:
        _print_what_failed(root)
    return 0 if result == 0 else 1


_last_error: BaseException | None = None


def _print_what_failed(root: Path) -> None:
    from livingreview.build import buildlog

    # Last, so that what failed the build is not lost above a long log.
    sys.stdout.flush()
    print(buildlog.summary(root, _last_error), file=sys.stderr)


def _start_check(root: Path) -> subprocess.Popen[str]:
    """``check`` in a process of its own (the same engine as this one), its output kept."""
    engine_parent = str(ENGINE_DIR.parent)
    # At a lower priority: Sphinx's start-up and the pages are what the build waits for; the
    # check only has to be done by the end.
    code = (
        "import os, sys; os.nice(10); sys.path.insert(0, sys.argv[1]); "
        "from livingreview.checks.validate import main; sys.exit(main(['--root', sys.argv[2]]))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, engine_parent, str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _mark_if_failed(check: subprocess.Popen[str], marker: Path, output: list[str]) -> None:
    output.extend(check.communicate())
    if check.returncode:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()


def cmd_build(root: Path) -> int:
    """check, build, site; or nothing at all when nothing changed since the last good build.

    The check runs alongside the build rather than before it (at scale it takes seconds on one
    core while the other waits): if it fails, the build stops before the next page it would read
    (livingreview.build.sphinx watches for the marker file) and the check's problems are listed."""
    last, inputs = _last_build(root), inputs_digest(root)
    if last.get("inputs") == inputs and last.get("outputs") == outputs_digest(root):
        print("check: OK (nothing it reads has changed since it last passed)")
        print(
            "build: up to date (nothing the build reads or writes has changed since it last "
            "succeeded; `make clean` forces a full build)"
        )
        print("site: OK (unchanged since it last passed)")
        return 0
    import threading

    from livingreview.build import kernels
    from livingreview.build.sphinx import start_bundle, wait_for_bundle

    if not (root / "_build" / ".jupyter_cache").exists():
        # Nothing executed yet: every page with code will be. Start the warm kernels' template
        # now, so its imports overlap Sphinx's start-up (otherwise it starts when reading does).
        kernels.start(root, warm=book_settings(root).warm_kernels)
    start_bundle(build_cache(root))  # alongside the check, if not cached
    marker = build_cache(root) / f"check-failed-{os.getpid()}"
    check, output, watcher = None, [], None
    if last.get("inputs") == inputs:  # only the outputs were touched
        print("check: OK (nothing it reads has changed since it last passed)")
    else:
        check = _start_check(root)
        watcher = threading.Thread(target=_mark_if_failed, args=(check, marker, output), daemon=True)
        watcher.start()
    try:
        built = jupyter_book_build(root, check_failed=marker, report=False) == 0
    finally:
        kernels.stop()
        wait_for_bundle()
        if watcher is not None:
            watcher.join()
        marker.unlink(missing_ok=True)
    if check is not None:
        sys.stdout.write(output[0])
        sys.stderr.write(output[1])
        if check.returncode:
            print("build: stopped, fix the problems the check lists above first", file=sys.stderr)
            return 1
    if not built:
        _print_what_failed(root)
        return 1
    if cmd_site(root):
        return 1
    _record_build(root, inputs)
    return 0


def main(argv: list[str] | None = None) -> int:
    from_command_line = argv is None
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:
        from livingreview.cli import bench

        return bench.main(argv[1:])
    if argv[:1] in (["search"], ["screen"]):  # literature and registry surveillance
        from livingreview.surveillance.cli import main as surveillance

        return surveillance(argv, REPO_ROOT)
    parser = argparse.ArgumentParser(
        prog="python -m livingreview",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["check", "build", "site", "bench", "bundle"])
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="the book's folder (default: this repo)")
    args = parser.parse_args(argv)
    commands = {"check": cmd_check, "build": cmd_build, "site": cmd_site, "bundle": cmd_bundle}
    status = commands[args.command](args.root.resolve())
    if from_command_line:
        # A build leaves a large heap (Sphinx, pandas, every extension); the interpreter's
        # collections while it shuts down take half a second. The process is about to exit.
        gc.freeze()
    return status


if __name__ == "__main__":
    sys.exit(main())
