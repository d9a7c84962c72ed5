"""What failed a build, kept so that it can be repeated at the very end of the output.

A strict build fails on any warning, but Sphinx prints each warning where it happens: in a long,
parallel log it scrolls away behind thousands of lines of kernel and progress output. This
module records every warning and error that reaches Sphinx's own warning stream (so the same
suppressions and the same "file:line" locations), including those that parallel readers send
back to the main process, and :func:`summary` lists them for the command line to print last.

    buildlog.setup(app)          # from the book's Sphinx extension
    print(buildlog.summary(root))
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging as sphinx_logging

# This process's record, newest last. Parallel readers are forked from this process; their
# records travel back to it and are handled here (Sphinx replays them through its loggers).
RECORDED: list[str] = []


class _Recorder(logging.Handler):
    def __init__(self, app: Sphinx) -> None:
        super().__init__(logging.WARNING)
        # The filters of Sphinx's own warning stream: what they suppress does not fail the
        # build, and the translator turns (docname, line) into "path:line".
        self.addFilter(sphinx_logging.WarningSuppressor(app))
        self.addFilter(sphinx_logging.WarningLogRecordTranslator(app))

    def emit(self, record: logging.LogRecord) -> None:
        # Sphinx's records put "path:line: WARNING: " in front of the message themselves.
        RECORDED.append(_one_line(record.getMessage()))


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b.*")


def _one_line(message: str) -> str:
    """A warning's first line; for a chapter's exception (its traceback follows the first line),
    also the exception's own last line, e.g. "ValueError: planted failure"."""
    lines = [_ANSI.sub("", line).rstrip() for line in message.splitlines()]
    first, rest = lines[0], [line for line in lines[1:] if _EXCEPTION_LINE.match(line)]
    return f"{first} -> {rest[-1]}" if rest else first


def setup(app: Sphinx) -> None:
    RECORDED.clear()
    logging.getLogger(sphinx_logging.NAMESPACE).addHandler(_Recorder(app))


def summary(root: Path, error: BaseException | None = None) -> str:
    """Every warning and error of the last build, one line each (paths relative to ``root``)."""
    lines = [line.replace(f"{root}/", "") for line in RECORDED]
    if error is not None:
        line = f"{type(error).__name__}: {error}".strip().replace(f"{root}/", "")
        # A page that fails in a parallel reader arrives as one error naming the page; the
        # chapter's own exception is the last exception line of the traceback it carries.
        causes = [
            c
            for c in (_ANSI.sub("", t).strip() for t in str(getattr(error, "traceback", "")).splitlines())
            if _EXCEPTION_LINE.match(c) and not c.split(":")[0].endswith(("ExecutionError", "ParallelError"))
        ]
        lines.append(f"{line} -> {causes[-1]}" if causes else line)
    if not lines:
        return "build: the book did not build cleanly, and Sphinx recorded no warning (see above)"
    head = f"build: the book did not build cleanly; what failed it ({len(lines)}):"
    return "\n".join([head, *(f"  {line}" for line in lines)])
