"""`python -m livingreview check | build | site`: what the Makefile and CI call.

- check: validate the dataset, the bibliography and the chapters' citations (fast, no build).
- build: check, then the strict Jupyter Book build, then the built-site check. Any problem,
  warning or chapter exception exits non-zero.
- site:  the built-site check alone.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _report(problems: list, what: str) -> int:
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"{what}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"{what}: OK")
    return 0


def cmd_check(root: Path) -> int:
    from livingreview import validate

    return validate.main(["--root", str(root)])


def cmd_site(root: Path) -> int:
    from livingreview.site import check_site

    return _report(check_site(root), "site")


def jupyter_book_command(root: Path, builder: str = "html") -> list[str]:
    """The strict build: any warning fails it, and every warning is listed (keep-going)."""
    jb = Path(sys.executable).parent / "jupyter-book"
    return [str(jb), "build", str(root), "--builder", builder,
            "--warningiserror", "--nitpick", "--keep-going"]


def cmd_build(root: Path) -> int:
    if cmd_check(root):
        print("build: not started, fix the problems above first", file=sys.stderr)
        return 1
    if subprocess.call(jupyter_book_command(root)):
        print("build: the book did not build cleanly (see the warnings above)", file=sys.stderr)
        return 1
    return cmd_site(root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m livingreview", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["check", "build", "site"])
    parser.add_argument("--root", type=Path, default=ROOT, help="the book's folder (default: this repo)")
    args = parser.parse_args(argv)
    return {"check": cmd_check, "build": cmd_build, "site": cmd_site}[args.command](args.root.resolve())


if __name__ == "__main__":
    sys.exit(main())
