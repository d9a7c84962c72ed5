"""The bibliography (``references.bib``) and the citations in the chapters.

Parsing uses bibtexparser v2 (``bibtexparser.parse_string``); no regular expressions are run on
BibTeX source. Line numbers come from the parser's blocks (``start_line`` is 0-based there and
1-based here).
"""

from __future__ import annotations

import difflib
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import bibtexparser
from bibtexparser import Library, model
from bibtexparser.entrypoint import default_parse_stack

from livingreview.core.problem import Problem

# Required fields per entry type; each item is a tuple of alternatives (any one suffices).
# Based on the classic BibTeX/biblatex requirements. A @misc (e.g. a preprint whose page gives
# no date) needs only a title or author and a way to find it: a year is never invented.
_YEAR = ("year", "date")
REQUIRED_FIELDS: dict[str, list[tuple[str, ...]]] = {
    "article": [("author",), ("title",), ("journal", "journaltitle"), _YEAR],
    "book": [("author", "editor"), ("title",), ("publisher",), _YEAR],
    "inbook": [("author", "editor"), ("title",), ("chapter", "pages"), ("publisher",), _YEAR],
    "incollection": [("author",), ("title",), ("booktitle",), ("publisher",), _YEAR],
    "inproceedings": [("author",), ("title",), ("booktitle",), _YEAR],
    "conference": [("author",), ("title",), ("booktitle",), _YEAR],
    "phdthesis": [("author",), ("title",), ("school", "institution"), _YEAR],
    "mastersthesis": [("author",), ("title",), ("school", "institution"), _YEAR],
    "thesis": [("author",), ("title",), ("school", "institution"), _YEAR],
    "techreport": [("author",), ("title",), ("institution",), _YEAR],
    "report": [("author",), ("title",), ("institution",), _YEAR],
    "misc": [("author", "title"), ("url", "howpublished", "doi")],
    "unpublished": [("author", "title"), _YEAR],
    "online": [("author", "title"), _YEAR],
    "electronic": [("author", "title"), _YEAR],
    "preprint": [("author", "title"), _YEAR],
}
DEFAULT_REQUIRED: list[tuple[str, ...]] = [("title",), _YEAR]

DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
DOI_PREFIX_RE = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)(.*)$", re.IGNORECASE)
YEAR_RE = re.compile(r"^\d{4}$")
# In a value the parser could not unwrap, "... name = ..." means a comma was missing before it.
_SWALLOWED_FIELD_RE = re.compile(r"(?:^|[\s}\"])([A-Za-z][\w-]*)\s*=")
# only to name a failed block in the message ("@article{key")
_BLOCK_HEAD_RE = re.compile(r"\s*@\s*(\w+)\s*[{(]\s*([^,\s{}()=]*)")


@dataclass(frozen=True)
class Bibliography:
    """Parsed bibliography.

    ``keys``: entry keys in file order (entries with duplicate fields included, so one bad field
    does not also make every citation of the entry "unknown"); ``entries``: key -> dict of
    lower-case field names to values, plus ``ENTRYTYPE`` and ``ID``; ``lines``: key -> 1-based
    line of the entry; ``problems``: everything wrong with the file."""

    path: Path
    keys: tuple[str, ...]
    entries: dict[str, dict[str, str]] = field(repr=False)
    lines: dict[str, int] = field(repr=False)
    problems: tuple[Problem, ...] = ()
    found: bool = True
    #: key -> line of an entry the parser could not read (already one problem): citations of
    #: these keys are not "unknown", the entry is broken.
    broken: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def shown(self) -> str:
        """The file's name as messages show it."""
        return self.path.name

    def __contains__(self, key: object) -> bool:
        return key in self.entries

    def __len__(self) -> int:
        return len(self.keys)

    def work_label(self, key: object, default: str = "") -> str:
        """A readable label of an entry: first author's surname, year and title (``default`` for
        a key the bibliography does not have)."""
        entry = self.entries.get(str(key)) if isinstance(key, str) else None
        if entry is None:
            return default

        def clean(value: object) -> str:
            return re.sub(r"[{}]", "", str(value or "")).strip()

        first = clean(entry.get("author", "")).split(" and ")[0].split(",")[0]
        year = clean(entry.get("year", ""))
        return f"{first} {year}. {clean(entry.get('title', ''))}".strip()

    def suggest(self, key: str) -> str | None:
        """The closest existing key (case-insensitive match first, then difflib)."""
        return suggest(key, self.keys)


def unknown_citekey(key: str, bibliography: Bibliography) -> str:
    """The one message for a citekey the bibliography lacks (data rows, chapters, screening log)."""
    s = suggest(str(key), [str(c) for c in bibliography.keys])
    shown = bibliography.shown
    hint = f"; did you mean `{s}`?" if s and s != key else ""
    return f"unknown citekey {key!r} (not in {shown})" + (
        hint or f"; add an entry with this key to {shown}, or correct the key"
    )


def suggest(word: str, choices, cutoff: float = 0.6) -> str | None:
    choices = [str(c) for c in choices]
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:
        return lowered[word.lower()]
    match = difflib.get_close_matches(word, choices, n=1, cutoff=cutoff)
    if match:
        return match[0]
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=cutoff)
    return lowered[match[0]] if match else None


@contextmanager
def _quiet_bibtexparser():
    """bibtexparser logs every parse error; we report them as Problems instead."""
    logger = logging.getLogger("bibtexparser")
    old = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(old)


def _line(block_or_field) -> int | None:
    start = getattr(block_or_field, "start_line", None)
    return start + 1 if isinstance(start, int) else None


def _parse_failure_message(block: model.ParsingFailedBlock) -> str:
    error = block.error
    reason = getattr(error, "abort_reason", None) or str(error) or type(error).__name__
    reason = " ".join(str(reason).split()).rstrip(".")
    raw = block.raw or ""
    head = _BLOCK_HEAD_RE.match(raw)
    if head:
        what = f"@{head.group(1)}{{{head.group(2)}" if head.group(2) else f"@{head.group(1)}"
    else:
        what = "entry"
    hint = ""
    if "end of file" in reason:
        hint = "; a closing brace '}' (or quote) is probably missing"
    elif "Unexpected block start" in reason:
        hint = "; a brace or quote is probably not closed before the next entry"
    elif "comma" in reason.lower():
        hint = "; a comma is probably missing"
    elif "Expected a `=`" in reason:
        hint = (
            "; a '=' is missing after a field name, or a brace '{' or quote opened earlier in "
            "this entry is not closed"
        )
    where = ""
    if (
        raw
        and getattr(error, "end_index", None) is not None
        and isinstance(block.start_line, int)
        and "Unexpected block start" not in reason
    ):
        where = f" (parser gave up on line {block.start_line + 1 + raw.count(chr(10))})"
    return f"malformed {what}: {reason}{hint}{where}"


def _check_entry(entry: model.Entry, shown: str) -> list[Problem]:
    problems: list[Problem] = []
    line = _line(entry)
    key = entry.key
    etype = entry.entry_type.lower()
    fields = {f.key.lower(): f for f in entry.fields}
    if not key.strip():
        problems.append(
            Problem(
                shown,
                line,
                "key",
                f"@{etype} entry has an empty key; write the key "
                f"after the brace, e.g. @{etype}{{vandersluis2023,",
            )
        )
    # values that swallowed the next field (missing comma between fields); the swallowed field
    # counts as present so that one missing comma gives one problem
    swallowed_names: set[str] = set()
    for f in entry.fields:
        if getattr(f, "enclosing", None) == "no-enclosing" and isinstance(f.value, str):
            m = _SWALLOWED_FIELD_RE.search(f.value)
            if m:
                swallowed_names.add(m.group(1).lower())
                problems.append(
                    Problem(
                        shown,
                        _line(f),
                        f.key.lower(),
                        f"entry {key!r}: value of {f.key.lower()} runs into '{m.group(1)} = ...'; "
                        f"a comma is probably missing after the {f.key.lower()} value",
                    )
                )
    for alternatives in REQUIRED_FIELDS.get(etype, DEFAULT_REQUIRED):
        if any(a in swallowed_names for a in alternatives):
            continue
        if not any(str(fields[a].value).strip() for a in alternatives if a in fields):
            others = " or ".join(repr(a) for a in alternatives[1:])
            extra = f" (or {others})" if others else ""
            problems.append(
                Problem(
                    shown,
                    line,
                    alternatives[0],
                    f"@{etype} {key!r} is missing required field {alternatives[0]!r}{extra}; "
                    f"add a line `{alternatives[0]} = {{...}},` as the source's reference list gives it",
                )
            )
    doi = fields.get("doi")
    if doi is not None:
        value = str(doi.value).strip()
        prefixed = DOI_PREFIX_RE.match(value)
        if prefixed and DOI_RE.match(prefixed.group(1).strip()):
            problems.append(
                Problem(
                    shown,
                    _line(doi),
                    "doi",
                    f"entry {key!r}: doi {value!r} should be the bare DOI "
                    f"{prefixed.group(1).strip()!r} (no URL or 'doi:' prefix)",
                )
            )
        elif not DOI_RE.match(value):
            problems.append(
                Problem(
                    shown,
                    _line(doi),
                    "doi",
                    f"entry {key!r}: doi {value!r} is not a DOI (expected 10.NNNN/suffix); "
                    "copy the DOI as the publisher prints it, or delete the field if it is "
                    "not verified",
                )
            )
    year = fields.get("year")
    if year is not None:
        value = str(year.value).strip()
        swallowed = getattr(year, "enclosing", None) == "no-enclosing" and _SWALLOWED_FIELD_RE.search(value)
        if not swallowed and not YEAR_RE.match(value):
            problems.append(
                Problem(
                    shown,
                    _line(year),
                    "year",
                    f"entry {key!r}: year {value!r} is not a four-digit year; write the year "
                    "of publication as four digits, e.g. {2023}",
                )
            )
    return problems


def _apply_parse_stack(entry: model.Entry, library: Library) -> model.Entry:
    """The entry kept in a DuplicateFieldKeyBlock is raw (braces still on); process it like the
    others (resolve @string macros, remove enclosing braces/quotes)."""
    try:
        tmp = Library(blocks=[*library.strings, entry])
        for middleware in default_parse_stack(allow_inplace_modification=False):
            tmp = middleware.transform(tmp)
        return tmp.entries[0] if tmp.entries else entry
    except Exception:  # pragma: no cover - fall back to the raw entry
        return entry


def parse_bibliography(
    text: str, path: Path | str = "references.bib", shown: str | None = None
) -> Bibliography:
    """Parse BibTeX text and check it (see ``load_bibliography``)."""
    path = Path(path)
    shown = shown or path.name
    try:
        with _quiet_bibtexparser():
            library = bibtexparser.parse_string(text)
    except Exception as exc:  # bibtexparser raises only on its own internal errors
        problem = Problem(
            shown, None, None, f"bibtexparser could not parse the file: {type(exc).__name__}: {exc}"
        )
        return Bibliography(path=path, keys=(), entries={}, lines={}, problems=(problem,), found=False)
    problems: list[Problem] = []
    keys: list[str] = []
    entries: dict[str, dict[str, str]] = {}
    lines: dict[str, int] = {}
    lower_seen: dict[str, str] = {}
    broken: dict[str, int] = {}

    def add(entry: model.Entry) -> None:
        key = entry.key
        line = _line(entry)
        if key in entries:
            return
        if key.lower() in lower_seen and key.strip():
            first = lower_seen[key.lower()]
            problems.append(
                Problem(
                    shown,
                    line,
                    "key",
                    f"key {key!r} differs only in letter case from {first!r} (line {lines.get(first)}); "
                    "BibTeX/pybtex treat them as the same key; rename one of them",
                )
            )
        lower_seen.setdefault(key.lower(), key)
        keys.append(key)
        lines[key] = line
        record = {"ENTRYTYPE": entry.entry_type.lower(), "ID": key}
        record.update({f.key.lower(): str(f.value) for f in entry.fields})
        entries[key] = record
        problems.extend(_check_entry(entry, shown))

    for block in library.blocks:
        if isinstance(block, model.Entry):
            add(block)
        elif isinstance(block, model.DuplicateBlockKeyBlock):
            first_line = _line(block.previous_block) if block.previous_block is not None else None
            problems.append(
                Problem(
                    shown,
                    _line(block),
                    "key",
                    f"duplicate key {block.key!r} (first defined on line {first_line}); delete this "
                    "entry if it is the same work, or give it another key (e.g. add a letter: 2020a)",
                )
            )
        elif isinstance(block, model.DuplicateFieldKeyBlock):
            entry = block.ignore_error_block
            dups = sorted(getattr(block, "_duplicate_keys", set()) or [])
            key = getattr(entry, "key", "?")
            problems.append(
                Problem(
                    shown,
                    _line(block),
                    dups[0] if dups else None,
                    f"entry {key!r} has field{'s' if len(dups) > 1 else ''} "
                    f"{', '.join(dups)} more than once; keep one",
                )
            )
            if isinstance(entry, model.Entry):
                add(_apply_parse_stack(entry, library))
        elif isinstance(block, model.MiddlewareErrorBlock):
            problems.append(Problem(shown, _line(block), None, f"could not process block: {block.error}"))
            if isinstance(block.ignore_error_block, model.Entry):
                add(block.ignore_error_block)
        elif isinstance(block, model.ParsingFailedBlock):
            problems.append(Problem(shown, _line(block), None, _parse_failure_message(block)))
            head = _BLOCK_HEAD_RE.match(block.raw or "")
            if head and head.group(2):
                broken.setdefault(head.group(2), _line(block))
    broken = {k: v for k, v in broken.items() if k not in entries}
    return Bibliography(
        path=path, keys=tuple(keys), entries=entries, lines=lines, problems=tuple(problems), broken=broken
    )


def load_bibliography(path: Path | str, shown: str | None = None) -> Bibliography:
    """Parse and check a .bib file.

    Problems (in ``.problems``, never raised): missing/unreadable file, syntax errors
    (``library.failed_blocks``), duplicate keys (also keys differing only in case), duplicate
    fields, missing required fields per entry type, malformed DOI and year, and a value that
    swallowed the next field because a comma was missing. ``shown`` is the file name used in
    problems (default: the file's name)."""
    path = Path(path)
    shown = shown or path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return Bibliography(path, (), {}, {}, (Problem(shown, None, None, "file not found"),), found=False)
    except UnicodeDecodeError as exc:
        problem = Problem(shown, None, None, f"not valid UTF-8: {exc}")
        return Bibliography(path, (), {}, {}, (problem,), found=False)
    return parse_bibliography(text, path, shown)


# --------------------------------------------------------------------------- citations in MyST


# {cite}`a,b`, {cite:p}`a`, {cite:t}, {cite:ps}, {cite:year}, {footcite}, {footcite:t} ...
CITE_ROLE_RE = re.compile(r"\{(?:foot)?cite(?::[A-Za-z]+)*\}`([^`]*)`")
_FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,}|:{3,})\s*(.*?)\s*$")
# Fenced blocks whose body is code, not MyST text.
_CODE_DIRECTIVES = {
    "code-cell",
    "code-block",
    "code",
    "sourcecode",
    "literalinclude",
    "raw",
    "math",
    "mermaid",
    "csv-table",
    "eval-rst",
    "bibliography",
}


def _strip_cite_item(item: str) -> str:
    # sphinxcontrib-bibtex pre/post notes: {see}key{p. 12}
    return re.sub(r"\{[^}]*\}", "", item).strip()


def cited_keys_in_markdown(text: str) -> list[tuple[int, str]]:
    """(1-based line, key) for every citation key in MyST cite roles, in order.

    Skips code (fenced code blocks and code-cells, ``inline code``), HTML comments and MyST
    ``%`` comment lines; scans the bodies of other directives (notes, figures, admonitions)."""
    found: list[tuple[int, str]] = []
    stack: list[tuple[str, int, bool]] = []  # (fence char, length, body is code)
    in_comment = False
    for lineno, line in enumerate(text.splitlines(), start=1):
        fence = _FENCE_RE.match(line)
        if fence:
            marker, info = fence.group(1), fence.group(2)
            if stack and marker[0] == stack[-1][0] and len(marker) >= stack[-1][1] and not info:
                stack.pop()
                continue
            if not stack or not stack[-1][2]:
                name = info[1:].split("}", 1)[0].strip() if info.startswith("{") else None
                is_code = marker[0] != ":" and (name is None or name in _CODE_DIRECTIVES)
                if marker[0] == ":" and name in _CODE_DIRECTIVES:
                    is_code = True
                stack.append((marker[0], len(marker), is_code))
                continue
        if stack and stack[-1][2]:
            continue
        if line.lstrip().startswith("%"):
            continue
        # HTML comments (possibly spanning lines)
        visible = ""
        rest = line
        while rest:
            if in_comment:
                end = rest.find("-->")
                if end < 0:
                    rest = ""
                else:
                    in_comment = False
                    rest = rest[end + 3 :]
            else:
                start = rest.find("<!--")
                if start < 0:
                    visible += rest
                    rest = ""
                else:
                    visible += rest[:start]
                    in_comment = True
                    rest = rest[start + 4 :]
        visible = re.sub(r"``.*?``", "", visible)
        for m in CITE_ROLE_RE.finditer(visible):
            for item in m.group(1).split(","):
                key = _strip_cite_item(item)
                if key:
                    found.append((lineno, key))
    return found
