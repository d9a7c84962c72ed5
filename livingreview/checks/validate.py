"""Check the whole project in one pass and report every problem with file, line and column.

    from livingreview.checks.validate import check_project
    for problem in check_project(root):
        print(problem)          # data/outcomes.csv:7: citekey: unknown citekey 'x' ...

What is checked (all in one run; nothing stops at the first problem):

a. The data package (``data/datapackage.json`` unless ``_config.yml`` names another) and every
   resource with Frictionless: types, required, enum, minimum/maximum, pattern, unique and primary
   keys, foreign keys; plus the file structure (missing file, missing/extra/duplicate columns, rows
   with too few or too many cells, blank rows, CSV files beside the package that no resource lists).
b. Generic cross-field rules, active for any table that has the named columns:
   ``locator`` non-empty; ``flag`` needs ``note``; ``events``/``total`` counts with
   0 <= events <= total and total > 0; ``ci_lower`` <= ``estimate`` <= ``ci_upper``; with
   ``unit`` "percent" values within [0, 100], "proportion" within [0, 1]; ``estimate`` agrees with
   events/total (|100*events/total - estimate| <= 0.5 for percent, 0.005 for proportion).
c. Every ``citekey`` / ``*_citekey`` value exists in ``references.bib`` (with a suggestion).
d. ``references.bib`` itself (see ``livingreview.dataset.bib.load_bibliography``).
e. Every key cited in ``chapters/**/*.md`` exists in ``references.bib``, and no chapter's prose
   holds a hand-typed statistic (:mod:`livingreview.checks.prose`).

Command line: ``main(argv)`` prints problems to stderr and returns 1 if there are any.
"""

from __future__ import annotations

import argparse
import copy
import csv
import math
import re
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from livingreview.checks.prose import find_hand_typed
from livingreview.core.paths import CHAPTERS_DIR, book_settings, package_file, package_name
from livingreview.core.text import plural as _plural
from livingreview.dataset import bib as _bib
from livingreview.dataset.load import (
    CsvTable,
    DataError,
    Dataset,
    Problem,
    csv_options,
    default_root,
    field_list,
    foreign_keys,
    is_blank,
    is_csv,
    load,
    missing_values,
    primary_key,
    read_csv_records,
    read_package,
    rel,
    resource_path,
    resource_schema,
)

__all__ = ["Problem", "check_project", "check_data", "load_checked", "main"]

# Structural problems we detect ourselves from the raw CSV (with exact editor line numbers).
_SKIP_FRICTIONLESS = [
    "blank-row",
    "missing-cell",
    "extra-cell",
    "missing-label",
    "extra-label",
    "duplicate-label",
    "blank-label",
    "incorrect-label",
    "blank-header",
    "encoding-error",
]
FIELD_TYPES = (
    "string",
    "number",
    "integer",
    "boolean",
    "object",
    "array",
    "date",
    "time",
    "datetime",
    "year",
    "yearmonth",
    "duration",
    "geopoint",
    "geojson",
    "any",
    "list",
)
PERCENT_TOLERANCE = 0.5
PROPORTION_TOLERANCE = 0.005


@dataclass
class _Table:
    name: str
    file: str  # shown path, relative to root
    schema: dict
    table: CsvTable | None = None
    fields: dict[str, dict] = field(default_factory=dict)
    nulls: frozenset[str] = frozenset({""})
    # lines whose cell count differs from the header's: already one problem, and their values
    # may sit under the wrong column, so nothing else is reported for them
    ragged: set[int] = field(default_factory=set)

    @cached_property
    def col_index(self) -> dict[str, int]:
        idx: dict[str, int] = {}
        for j, c in enumerate(self.table.header if self.table else []):
            idx.setdefault(c, j)
        return idx

    def value(self, record: list[str], col: str) -> str | None:
        """Raw cell value or None when missing (absent cell or a missing-value marker)."""
        j = self.col_index.get(col)
        if j is None or j >= len(record):
            return None
        v = record[j]
        return None if v in self.nulls or not v.strip() else v


@dataclass
class _Run:
    root: Path
    problems: list[Problem] = field(default_factory=list)
    tables: list[_Table] = field(default_factory=list)
    rows: int = 0
    references: int = 0

    def add(self, file: str, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(file, row, column, message))

    @cached_property
    def package(self) -> str:
        """The data package's file, relative to the book, as messages name it."""
        return package_name(self.root)


# --------------------------------------------------------------------------- helpers


def _fmt(v) -> str:
    """A number as the user wrote it / would read it."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _quoted_list(values) -> str:
    return ", ".join(str(v) for v in values)


def _did_you_mean(word: str, choices) -> str:
    s = _bib.suggest(str(word), [str(c) for c in choices])
    return f"; did you mean `{s}`?" if s and s != word else ""


def _number(v: str | None) -> float | None:
    if v is None:
        return None
    try:
        x = float(v)
    except ValueError:
        return None
    return None if math.isnan(x) else x


# --------------------------------------------------------------------------- (a) data package


def _load_tables(run: _Run) -> dict | None:
    root = run.root
    try:
        descriptor = read_package(root)
    except DataError as exc:
        run.problems.extend(exc.problems)
        return None
    package_dir = package_file(root).parent
    names = [r.get("name") for r in descriptor["resources"] if isinstance(r, dict)]
    listed: set[Path] = set()
    for i, resource in enumerate(descriptor["resources"]):
        if not isinstance(resource, dict):
            run.add(run.package, None, None, f"resource #{i + 1} is not an object")
            continue
        name = resource.get("name") or f"#{i + 1}"
        try:
            schema = resource_schema(resource, package_dir)
        except (OSError, ValueError) as exc:
            run.add(run.package, None, None, f"resource {name!r}: cannot read schema: {exc}")
            schema = {}
        path = resource_path(resource, package_dir)
        if path is None:
            continue
        listed.add(path.resolve())
        shown = rel(path, root)
        t = _Table(
            name,
            shown,
            schema,
            fields={f["name"]: f for f in field_list(schema)},
            nulls=missing_values(schema),
        )
        run.tables.append(t)
        for fld in t.fields.values():
            ftype = fld.get("type", "string")
            if ftype not in FIELD_TYPES:
                run.add(
                    run.package,
                    None,
                    None,
                    f"resource {name!r}, field {fld['name']!r}: type {ftype!r} is not a Table Schema "
                    f"type; allowed: {', '.join(FIELD_TYPES)}",
                )
        # foreign keys that point nowhere (Frictionless reports these confusingly or per row)
        for fk in foreign_keys(schema):
            target = fk["resource"] or name
            if target not in names:
                run.add(
                    run.package,
                    None,
                    None,
                    f"resource {name!r}: foreign key {fk['fields']} refers to unknown resource {target!r}",
                )
                continue
            target_res = next(
                r for r in descriptor["resources"] if isinstance(r, dict) and r.get("name") == target
            )
            try:
                target_fields = {f["name"] for f in field_list(resource_schema(target_res, package_dir))}
            except (OSError, ValueError):
                continue
            for f in fk["ref_fields"]:
                if f not in target_fields:
                    run.add(
                        run.package,
                        None,
                        None,
                        f"resource {name!r}: foreign key refers to field {f!r}, which resource "
                        f"{target!r} does not have",
                    )
            for f in fk["fields"]:
                if f not in t.fields:
                    run.add(
                        run.package,
                        None,
                        None,
                        f"resource {name!r}: foreign key uses field {f!r}, which is not in its schema",
                    )
        if not is_csv(resource, path):
            continue
        if not path.exists():
            run.add(shown, None, None, f"file not found (listed as resource {name!r} in {run.package})")
            continue
        try:
            t.table = read_csv_records(path, **csv_options(resource, path))
        except UnicodeDecodeError as exc:
            line = exc.object[: exc.start].count(b"\n") + 1
            run.add(
                shown,
                line,
                None,
                f"not valid {csv_options(resource, path)['encoding']}: "
                f"byte {exc.object[exc.start : exc.start + 1]!r} cannot be decoded",
            )
        except (csv.Error, LookupError, OSError) as exc:
            run.add(shown, None, None, f"cannot read CSV: {exc}")
    # CSV files in data/ that the package does not describe
    for p in sorted(package_dir.glob("*.csv")):
        if p.resolve() not in listed:
            run.add(rel(p, root), None, None, f"CSV file is not listed as a resource in {run.package}")
    return descriptor


def _check_structure(run: _Run, t: _Table) -> None:
    header = t.table.header
    if not any(h.strip() for h in header):
        run.add(t.file, 1, None, "header row is empty")
        return
    seen: set[str] = set()
    for j, label in enumerate(header):
        if not label.strip():
            run.add(t.file, 1, None, f"column {j + 1} has no name in the header")
        elif label in seen:
            run.add(t.file, 1, label, f"column {label!r} appears more than once in the header")
        elif t.fields and label not in t.fields:
            hint = _did_you_mean(label, [f for f in t.fields if f not in header]) or (
                "; delete the column, or describe it in the schema first"
            )
            run.add(
                t.file,
                1,
                label,
                f"column {label!r} is not in the schema of resource {t.name!r} in {run.package}{hint}",
            )
        seen.add(label)
    for name, fld in t.fields.items():
        if name not in header:
            req = " (required)" if (fld.get("constraints") or {}).get("required") else ""
            run.add(
                t.file,
                1,
                name,
                f"missing column {name!r}{req}; the schema in {run.package} lists it: "
                f"add {name} to the header on line 1 and a cell for it in every row",
            )
    width = len(header)
    for record, line in zip(t.table.records, t.table.lines, strict=True):
        if is_blank(record):
            run.add(t.file, line, None, "blank row; delete it")
        elif len(record) < width:
            t.ragged.add(line)
            missing = ", ".join(header[len(record) :])
            run.add(
                t.file,
                line,
                None,
                f"row has {len(record)} cells but the header has {width} (missing: {missing})",
            )
        elif len(record) > width:
            t.ragged.add(line)
            run.add(
                t.file,
                line,
                None,
                f"row has {len(record)} cells but the header has {width}; "
                "is a comma inside a value not quoted? A value that contains a "
                'comma must be put in double quotes: "Abstract, Table 2"',
            )


def _frictionless(run: _Run, descriptor: dict) -> None:
    """Validate with Frictionless and translate its errors into Problems."""
    from frictionless import Checklist, FrictionlessException, Package, Resource

    package_dir = package_file(run.root).parent
    by_name = {t.name: t for t in run.tables}
    usable = {t.name for t in run.tables if t.table is not None}
    desc = copy.deepcopy(descriptor)
    kept = []
    for res in desc["resources"]:
        if not isinstance(res, dict) or res.get("name") not in usable:
            continue
        schema = res.get("schema")
        if isinstance(schema, dict):
            # match columns by name; missing/extra/duplicate columns are reported by _check_structure
            schema["fieldsMatch"] = "partial"
            for f in schema.get("fields", []):
                if isinstance(f, dict) and f.get("type", "string") not in FIELD_TYPES:
                    f["type"] = "any"  # already reported; let Frictionless check the rest
            fields = {f.get("name") for f in schema.get("fields", []) if isinstance(f, dict)}
            names_ok = {r.get("name") for r in desc["resources"] if isinstance(r, dict)} & usable
            good_fks = []
            for fk in schema.get("foreignKeys") or []:
                norm = foreign_keys({"foreignKeys": [fk]})[0]
                target = norm["resource"] or res.get("name")
                tfields = by_name[target].fields if target in by_name else {}
                if (
                    target in names_ok
                    and all(f in fields for f in norm["fields"])
                    and all(f in tfields for f in norm["ref_fields"])
                ):
                    good_fks.append(fk)
            if good_fks:
                schema["foreignKeys"] = good_fks
            else:
                schema.pop("foreignKeys", None)
        # Pin the dialect: Frictionless otherwise guesses the header row from the average row
        # width of a sample (blank or short rows make it pick a data row) and sniffs the delimiter.
        dialect = res.get("dialect") if isinstance(res.get("dialect"), dict) else {}
        dialect.setdefault("header", True)
        dialect.setdefault("headerRows", [1])
        if "csv" not in dialect and "delimiter" not in dialect:
            opts = csv_options(res, resource_path(res, package_dir))
            dialect["csv"] = {"delimiter": opts["delimiter"], "quoteChar": opts["quotechar"]}
        res["dialect"] = dialect
        kept.append(res)
    if not kept:
        return
    desc["resources"] = kept
    checklist = Checklist(skip_errors=_SKIP_FRICTIONLESS)
    reports = []
    try:
        package = Package(desc, basepath=str(package_dir))
        reports.append(package.validate(checklist, limit_errors=100_000))
    except FrictionlessException as exc:
        seen = _descriptor_problems(run, exc)
        # validate what can be validated, resource by resource (without foreign keys)
        for res in kept:
            res = copy.deepcopy(res)
            if isinstance(res.get("schema"), dict):
                res["schema"].pop("foreignKeys", None)
            try:
                resource = Resource(res, basepath=str(package_dir))
                reports.append(resource.validate(checklist, limit_errors=100_000))
            except FrictionlessException as exc2:
                seen |= _descriptor_problems(run, exc2, res.get("name"), seen)
    for report in reports:
        for err in report.errors:
            run.add(run.package, None, None, err.note or err.message)
        for task in report.tasks:
            t = by_name.get(task.name)
            if t is None:
                continue
            _translate_task(run, t, task.errors, by_name)


def _descriptor_problems(
    run: _Run, exc, resource: str | None = None, seen: set[str] | None = None
) -> set[str]:
    """Report a FrictionlessException about the descriptor; returns the reasons reported."""
    prefix = f"resource {resource!r}: " if resource else ""
    reasons = [r.note or r.message for r in (getattr(exc, "reasons", None) or [])]
    if not reasons:
        err = getattr(exc, "error", None)
        reasons = [err.note if err is not None else str(exc)]
    seen = seen if seen is not None else set()
    for reason in reasons:
        if re.match(r'field type "[^"]*" is not supported', reason):
            continue  # reported with resource and field names by _load_tables
        if reason not in seen:
            run.add(run.package, None, None, f"{prefix}invalid descriptor: {reason}")
    return set(reasons)


_TYPE_HINTS = {
    "integer": "expected a whole number such as 12",
    "number": "expected a number such as 12.5 (decimal point; no thousands separator, unit or % sign)",
    "date": "expected a date as YYYY-MM-DD",
    "datetime": "expected a date and time as YYYY-MM-DDThh:mm:ss",
    "year": "expected a four-digit year",
    "time": "expected a time as hh:mm:ss",
}


def _type_message(cell, fld: dict) -> str:
    ftype = fld.get("type", "string")
    if ftype == "boolean":
        allowed = list(fld.get("trueValues", ["true", "True", "TRUE", "1"])) + list(
            fld.get("falseValues", ["false", "False", "FALSE", "0"])
        )
        return f"value {cell!r} is not a boolean; allowed: {_quoted_list(allowed)}"
    fmt = fld.get("format", "default")
    hint = _TYPE_HINTS.get(ftype, f"expected type {ftype}")
    if ftype in ("date", "datetime") and fmt not in ("default", "any", None):
        hint = f"expected a {ftype} in the format {fmt}"
    article = "an" if ftype[:1] in "aeiou" else "a"
    return f"value {cell!r} is not {article} {ftype}; {hint}"


# A '<item>(<separator><item>)*' pattern: a list of tokens such as "blinatumomab; HSCT".
_LIST_PATTERN_RE = re.compile(r"(?P<item>.+)\((?P<sep>\([^()]*\)|[^()\[\]]*)(?P=item)\)\*")
_ALTERNATIVES_RE = re.compile(r"\(([^()\[\]]*)\)")
_CHAR_CLASS_RE = re.compile(r"(?:\[[^\]]+\][+*?]?)+")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _split_alternatives(group: str) -> list[str]:
    return [_unescape(a) for a in re.split(r"(?<!\\)\|", group)]


def _describe_char_classes(pattern: str) -> str | None:
    """'[a-z0-9_-]+' -> "lowercase letters, digits, '_' and '-'" (None if not that simple)."""
    if not _CHAR_CLASS_RE.fullmatch(pattern):
        return None
    names = {"a-z": "lowercase letters", "A-Z": "capital letters", "0-9": "digits"}
    kinds: list[str] = []
    for body in re.findall(r"\[([^\]]+)\]", pattern):
        for part in re.findall(r"a-z|A-Z|0-9|\\.|.", body):
            kind = names.get(part) or repr(_unescape(part))
            if kind not in kinds:
                kinds.append(kind)
    if not kinds:
        return None
    return kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]


def _pattern_message(cell, pattern: str) -> str:
    """A pattern failure said in words: what is allowed and, in a list of tokens, which token is
    wrong (with the closest allowed one)."""
    text = str(cell)
    item, seps = pattern, []
    m = _LIST_PATTERN_RE.fullmatch(pattern)
    if m:
        item = m.group("item")
        sep = m.group("sep")
        seps = _split_alternatives(sep[1:-1]) if sep.startswith("(") else [_unescape(sep)]
    joined = " or ".join(repr(s) for s in seps)
    alts = _ALTERNATIVES_RE.fullmatch(item)
    if alts:
        allowed = _split_alternatives(alts.group(1))
        tokens = re.split("|".join(re.escape(s) for s in seps), text) if seps else [text]
        bad = [tok for tok in tokens if tok not in allowed]
        msg = f"value {text!r} not allowed; allowed: {_quoted_list(allowed)}"
        if seps:
            msg += f" (several joined by {joined})"
        pieces = [[p.strip() for p in re.split(r"[,;/+]|\band\b", tok) if p.strip()] for tok in bad]
        if seps and bad and all(len(ps) > 1 and all(p in allowed for p in ps) for ps in pieces):
            return msg + f"; separate them with {seps[0]!r} exactly"
        for tok in bad:
            hint = _did_you_mean(tok.strip(), allowed).replace("`", "'")
            msg += hint if tokens == [text] else f"; {tok!r} is not one of them{hint}"
        return msg
    words = _describe_char_classes(item)
    if words:
        caps = "" if "capital letters" in words else ", no capitals"
        several = f"; join several with {joined}" if seps else ""
        return (
            f"value {text!r} does not match the pattern {pattern!r}: use only {words} "
            f"(no spaces{caps}){several}"
        )
    return f"value {text!r} does not match the pattern {pattern!r}"


def _constraint_message(note: str, cell, fld: dict, package: str) -> tuple[str, str] | None:
    """(constraint name, message) for a Frictionless constraint-error."""
    m = re.search(r'constraint "(\w+)"', note or "")
    name = m.group(1) if m else ""
    c = fld.get("constraints") or {}
    if name == "required":
        return name, (
            "required value is missing; this cell must be filled in (what it holds: the column's "
            f"description in {package}, or the book's Data dictionary page)"
        )
    if name == "enum":
        allowed = c.get("enum", [])
        return name, f"value {cell!r} not allowed; allowed: {_quoted_list(allowed)}" + _did_you_mean(
            str(cell), allowed
        ).replace("`", "'")
    if name == "minimum":
        return name, f"value {cell} is below the minimum {c.get('minimum')}"
    if name == "maximum":
        return name, f"value {cell} is above the maximum {c.get('maximum')}"
    if name == "exclusiveMinimum":
        return name, f"value {cell} must be greater than {c.get('exclusiveMinimum')}"
    if name == "exclusiveMaximum":
        return name, f"value {cell} must be less than {c.get('exclusiveMaximum')}"
    if name == "pattern":
        return name, _pattern_message(cell, str(c.get("pattern", "")))
    if name == "minLength":
        return name, f"value {cell!r} is shorter than {c.get('minLength')} characters"
    if name == "maxLength":
        return name, f"value {cell!r} is longer than {c.get('maxLength')} characters"
    return None


def _translate_task(run: _Run, t: _Table, errors, by_name: dict[str, _Table]) -> None:
    table = t.table
    pk = primary_key(t.schema)
    errors = list(errors)
    # rows where a single-field primary key already got a unique/required error
    covered = {
        (e.row_number, e.field_name)
        for e in errors
        if e.type in ("unique-error", "constraint-error") and getattr(e, "field_name", None)
    }
    for e in errors:
        etype = e.type
        pos = getattr(e, "row_number", None)
        if pos and 0 <= pos - 2 < len(table.records) and is_blank(table.records[pos - 2]):
            continue  # reported once as a blank row by _check_structure
        line = table.line_of_position(pos) if pos else None
        if line in t.ragged:
            continue  # reported once as a row with too many or too few cells
        fname = getattr(e, "field_name", None) or None
        cell = getattr(e, "cell", None)
        fld = t.fields.get(fname, {"name": fname, "type": "string"}) if fname else {}
        if etype == "type-error":
            run.add(t.file, line, fname, _type_message(cell, fld))
        elif etype == "constraint-error":
            got = _constraint_message(e.note, cell, fld, run.package)
            if got and got[0] == "required" and fname == "locator":
                continue  # the locator rule gives a more helpful message
            run.add(t.file, line, fname, got[1] if got else f"value {cell!r}: {e.note}")
        elif etype == "unique-error":
            other = _other_line(e.note, table)
            also = f" (also on row {other})" if other else ""
            run.add(t.file, line, fname, f"duplicate {fname} {cell!r}{also}; values must be unique")
        elif etype == "primary-key":
            if len(pk) == 1 and (pos, pk[0]) in covered:
                continue
            record = table.records[pos - 2] if pos and 0 <= pos - 2 < len(table.records) else []
            values = [t.value(record, f) for f in pk]
            if all(v is None for v in values):
                if is_blank(record) or any((pos, f) in covered for f in pk):
                    continue
                run.add(
                    t.file, line, pk[0] if len(pk) == 1 else None, f"primary key {', '.join(pk)} is empty"
                )
                continue
            other = _other_line(e.note, table)
            also = f" (also on row {other})" if other else ""
            if len(pk) == 1:
                run.add(
                    t.file,
                    line,
                    pk[0],
                    f"duplicate {pk[0]} {values[0]!r}{also}; the primary key must be unique",
                )
            else:
                shown = ", ".join(repr(v) for v in values)
                run.add(
                    t.file,
                    line,
                    None,
                    f"duplicate primary key ({', '.join(pk)}) = ({shown}){also}; it must be unique",
                )
        elif etype == "foreign-key":
            d = e.to_descriptor()
            fields = d.get("fieldNames") or []
            cells = d.get("fieldCells") or []
            ref_name = d.get("referenceName") or t.name
            ref_fields = d.get("referenceFieldNames") or fields
            ref = by_name.get(ref_name)
            ref_file = ref.file if ref else ref_name
            if len(fields) == 1:
                where = f"{ref_file}" + (f" (column {ref_fields[0]})" if ref_fields[0] != fields[0] else "")
                hint = ""
                if ref is not None and ref.table is not None:
                    choices = {ref.value(r, ref_fields[0]) for r in ref.table.records} - {None}
                    hint = _did_you_mean(str(cells[0]), sorted(choices))
                hint = hint or f"; add its row to {ref_file} first, or correct the value"
                run.add(t.file, line, fields[0], f"{fields[0]} {cells[0]!r} not found in {where}{hint}")
            else:
                run.add(
                    t.file,
                    line,
                    None,
                    f"({', '.join(fields)}) = ({', '.join(repr(c) for c in cells)}) not found in "
                    f"{ref_file} ({', '.join(ref_fields)})",
                )
        elif etype in (
            "scheme-error",
            "source-error",
            "format-error",
            "resource-error",
            "hash-count",
            "byte-count",
            "compression-error",
            "dialect-error",
            "schema-error",
            "field-error",
        ):
            run.add(t.file, None, None, f"{e.title.lower()}: {e.note}")
        else:
            run.add(t.file, line, fname, e.note or e.message)


def _other_line(note: str, table: CsvTable) -> int | None:
    m = re.search(r"position (\d+)", note or "")
    return table.line_of_position(int(m.group(1))) if m else None


# --------------------------------------------------------------------------- (b, c) row rules


def _citekey_columns(header: list[str]) -> list[str]:
    return [c for c in dict.fromkeys(header) if c == "citekey" or c.endswith("_citekey")]


def _row_rules(run: _Run, t: _Table, bibliography: _bib.Bibliography, reported: set) -> None:
    header = t.table.header
    if "flag" in header and "note" not in header:
        run.add(t.file, 1, "flag", "a 'flag' column needs a 'note' column to say what is wrong")
    for record, line in zip(t.table.records, t.table.lines, strict=True):
        if is_blank(record):
            continue
        run.rows += 1
        if line not in t.ragged:
            _RowCheck(run, t, record, line, reported).run(bibliography)


class _RowCheck:
    """The generic cross-field rules for one CSV record (active only for columns that exist)."""

    def __init__(self, run: _Run, t: _Table, record: list[str], line: int, reported: set):
        self.run_, self.t, self.record, self.line, self.reported = run, t, record, line, reported
        self.cols = set(t.table.header)

    def val(self, col: str) -> str | None:
        return self.t.value(self.record, col) if col in self.cols else None

    def add(self, col: str | None, message: str) -> None:
        self.run_.add(self.t.file, self.line, col, message)

    def already(self, col: str) -> bool:
        """A Frictionless problem already points at this cell."""
        return (self.t.file, self.line, col) in self.reported

    def num(self, col: str, integer: bool = False) -> float | None:
        raw = self.val(col)
        x = _number(raw)
        bad = raw is not None and (x is None or (integer and not x.is_integer()))
        if bad:
            # a numeric-typed column already got a Frictionless type error
            if self.t.fields.get(col, {}).get("type") not in ("integer", "number"):
                self.add(col, f"value {raw!r} is not {'a whole number' if integer else 'a number'}")
            return None
        return x

    def run(self, bibliography: _bib.Bibliography) -> None:
        self.locator_and_flag()
        if bibliography.found:
            self.citekeys(bibliography)
        counts_ok, events, total = self.counts()
        self.estimates(counts_ok, events, total)

    def locator_and_flag(self) -> None:
        if "locator" in self.cols and self.val("locator") is None:
            self.add(
                "locator",
                "locator is empty; say where the figure stands in the source (table, figure or section)",
            )
        flag = self.val("flag")
        if flag is not None and "note" in self.cols and self.val("note") is None:
            self.add("note", f"flag {flag!r} is set but note is empty; say what is wrong")
        concerns = self.val("flagged_columns")
        if concerns is not None:
            if flag is None:
                self.add(
                    "flagged_columns", "flagged_columns is set but flag is empty; set the flag or clear it"
                )
            for name in (c.strip() for c in concerns.split(";")):
                if name and name not in self.cols:
                    self.add(
                        "flagged_columns",
                        f"flagged_columns names {name!r}, which is not a column of this table"
                        f"{_did_you_mean(name, sorted(self.cols))}",
                    )

    def citekeys(self, bibliography: _bib.Bibliography) -> None:
        for col in _citekey_columns(self.t.table.header):
            raw = self.val(col)
            for key in (k.strip() for k in re.split(r"[;,]", raw or "")):
                if key and key not in bibliography and key not in bibliography.broken:
                    self.add(col, _bib.unknown_citekey(key, bibliography))

    def counts(self) -> tuple[bool, float | None, float | None]:
        events = self.num("events", integer=True)
        total = self.num("total", integer=True)
        ok = True
        if total is not None and total <= 0:
            ok = False
            if not self.already("total"):
                self.add("total", f"total must be greater than 0 (got {_fmt(total)})")
        if events is not None and events < 0:
            ok = False
            if not self.already("events"):
                self.add("events", f"events must not be negative (got {_fmt(events)})")
        if events is not None and total is not None and events > total:
            ok = False
            self.add("events", f"events {_fmt(events)} exceeds total {_fmt(total)}")
        return ok, events, total

    def estimates(self, counts_ok: bool, events: float | None, total: float | None) -> None:
        est, lo, hi = self.num("estimate"), self.num("ci_lower"), self.num("ci_upper")
        if est is not None:
            if lo is not None and lo > est:
                self.add("ci_lower", f"ci_lower {_fmt(lo)} is above estimate {_fmt(est)}")
            if hi is not None and hi < est:
                self.add("ci_upper", f"ci_upper {_fmt(hi)} is below estimate {_fmt(est)}")
        elif lo is not None and hi is not None and lo > hi:
            self.add("ci_lower", f"ci_lower {_fmt(lo)} is above ci_upper {_fmt(hi)}")
        unit = (self.val("unit") or "").strip().lower()
        upper = {"percent": 100.0, "%": 100.0, "proportion": 1.0}.get(unit)
        if upper is None:
            return
        for col, x in (("estimate", est), ("ci_lower", lo), ("ci_upper", hi)):
            if x is not None and not 0 <= x <= upper and not self.already(col):
                self.add(col, f"{col} {_fmt(x)} is outside [0, {_fmt(upper)}] for unit {self.val('unit')!r}")
        if not counts_ok or events is None or total is None or est is None:
            return
        ratio = events / total
        shown = f"estimate {self.val('estimate')} disagrees with events/total {_fmt(events)}/{_fmt(total)}"
        if upper == 100.0:
            if abs(100 * ratio - est) > PERCENT_TOLERANCE + 1e-9:
                self.add("estimate", f"{shown} = {100 * ratio:.1f}%")
        elif abs(ratio - est) > PROPORTION_TOLERANCE + 1e-12:
            self.add("estimate", f"{shown} = {ratio:.3f}")


# --------------------------------------------------------------------------- (e) chapters


def _check_chapters(run: _Run, bibliography: _bib.Bibliography) -> int:
    chapters = run.root / CHAPTERS_DIR
    if not chapters.is_dir():
        return 0
    files = sorted(p for p in chapters.rglob("*.md") if p.is_file())
    nouns = book_settings(run.root).count_nouns
    for path in files:
        shown = rel(path, run.root)
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            run.add(shown, None, None, f"not valid UTF-8: {exc}")
            continue
        # No statistic typed by hand: every number a reader sees comes from the dataset.
        for hit in find_hand_typed(text, nouns):
            run.add(
                shown,
                hit.line,
                "prose",
                f"hand-typed statistic {hit.text!r} ({hit.kind}); cite it from the dataset with "
                "{fig}`row-id` or {value}`row-id:column`, or compute it in a code cell and show it "
                "with book.glue(...) and {glue:text}`name`",
            )
        if not bibliography.found:
            continue
        for line, key in _bib.cited_keys_in_markdown(text):
            if key not in bibliography and key not in bibliography.broken:
                run.add(shown, line, "cite", _bib.unknown_citekey(key, bibliography))
    return len(files)


# --------------------------------------------------------------------------- entry points


def _run(root: Path | str | None, *, full: bool) -> _Run:
    root = Path(root) if root is not None else default_root()
    run = _Run(root=root)
    bib_file = book_settings(root).bib_file
    bibliography = _bib.load_bibliography(root / bib_file, bib_file)
    run.references = len(bibliography.keys)
    if full:
        run.problems.extend(bibliography.problems)
    elif not bibliography.found:
        run.problems.extend(bibliography.problems)

    descriptor = _load_tables(run)
    if descriptor is not None:
        for t in run.tables:
            if t.table is not None:
                _check_structure(run, t)
        n_before = len(run.problems)
        try:
            _frictionless(run, descriptor)
        except Exception as exc:  # a Frictionless crash must not hide the other checks
            run.add(run.package, None, None, f"Frictionless validation failed: {type(exc).__name__}: {exc}")
        reported = {(p.file, p.row, p.column) for p in run.problems[n_before:]}
        for t in run.tables:
            if t.table is not None:
                _row_rules(run, t, bibliography, reported)
    if full:
        _check_chapters(run, bibliography)
        # ---- screening log (livingreview/screening.py): its cross-table rules and PRISMA counts
        from livingreview.checks.screening import check_screening

        run.problems.extend(check_screening(root))
        # ---- end screening log
        # ---- update log (livingreview/review/changes.py): archives of earlier releases
        from livingreview.review.changes import check_releases

        run.problems.extend(Problem(*p) for p in check_releases(root))
        # ---- documents (livingreview/checks/documents.py): the page behind every row of an update
        from livingreview.checks.documents import check_documents

        run.problems.extend(check_documents(root))
        # ---- literature and registry surveillance (livingreview/surveillance/checks.py)
        from livingreview.surveillance.checks import check_surveillance

        run.problems.extend(check_surveillance(root))
    # exact duplicates out, stable order: by file, then line
    unique = list(dict.fromkeys(run.problems))
    run.problems = sorted(unique, key=Problem.sort_key)
    return run


def check_project(root: Path | str | None = None) -> list[Problem]:
    """Every problem in the project (data package, tables, bibliography, chapters)."""
    return _run(root, full=True).problems


def check_data(root: Path | str | None = None) -> list[Problem]:
    """Problems in the data only: the data package, its tables and the citekeys they use
    (not the bibliography's own problems, not the chapters). Used by :func:`load_checked`."""
    return _run(root, full=False).problems


def load_checked(root: Path | str | None = None, **kwargs: Any) -> Dataset:
    """:func:`livingreview.dataset.load.load` after the data checks: DataError lists every problem."""
    problems = check_data(root)
    if problems:
        raise DataError(problems)
    return load(root, **kwargs)


def main(argv: list[str] | None = None) -> int:
    """``python -m livingreview check [--root DIR]``: print problems to stderr, return 0 or 1."""
    parser = argparse.ArgumentParser(
        prog="livingreview check", description="Check data, bibliography and chapter citations."
    )
    parser.add_argument("--root", type=Path, default=None, help="project root (default: this repository)")
    args = parser.parse_args(argv)
    run = _run(args.root, full=True)
    if run.problems:
        for p in run.problems:
            print(p, file=sys.stderr)
        files = len({p.file for p in run.problems})
        print(f"{_plural(len(run.problems), 'problem')} in {_plural(files, 'file')}", file=sys.stderr)
        return 1
    tables = sum(1 for t in run.tables if t.table is not None)
    print(
        f"check: OK — {_plural(tables, 'table')}, {_plural(run.rows, 'row')}, "
        f"{_plural(run.references, 'reference')}"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
