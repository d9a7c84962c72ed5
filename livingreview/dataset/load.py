"""Load the review's Frictionless Data Package as typed pandas DataFrames.

    from livingreview.dataset.load import load
    ds = load()                 # fast: reads the CSVs and applies the Table Schema, no validation
    ds.studies, ds["outcomes"]  # one DataFrame per resource
    livingreview.checks.validate.load_checked()  # the data checks first; DataError lists every problem

Type mapping (Table Schema -> pandas): integer/year -> ``Int64``, number -> ``Float64``,
boolean -> ``boolean``, date/datetime -> ``datetime64``, string (and anything else) -> ``string``;
a field with an ``enum`` constraint becomes an ordered ``Categorical`` whose categories are the
enum values in the schema's order. Missing values (the schema's ``missingValues``, default ``""``)
become ``<NA>``/``NaT``. The primary key stays an ordinary column (the index is a RangeIndex).

This module deliberately does not import frictionless (slow); full validation lives in
``livingreview.checks.validate``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import pickle
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from livingreview.core.paths import default_root, package_file, package_name
from livingreview.core.problem import Problem  # noqa: F401 (also this module's API)
from livingreview.dataset.csvfiles import PACKAGE_FILE, csv_options, is_blank, is_csv  # noqa: F401 (also this module's API)

DEFAULT_TRUE = ("true", "True", "TRUE", "1")
DEFAULT_FALSE = ("false", "False", "FALSE", "0")


# --------------------------------------------------------------------------- problems


class DataError(ValueError):
    """The data could not be loaded (or, from ``checks.validate.load_checked``, did not pass the checks)."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(PACKAGE_FILE, None, None, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        n = len(self.problems)
        lines = [f"{n} data problem{'s' if n != 1 else ''}:"] + [f"  {p}" for p in self.problems]
        super().__init__("\n".join(lines))


# --------------------------------------------------------------------------- descriptor helpers


def rel(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with forward slashes (falls back to the path as given)."""
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def read_package(root: Path) -> dict:
    """Parse the book's data package (``data/datapackage.json`` unless ``_config.yml`` names
    another; raises DataError if missing or not JSON)."""
    shown = package_name(root)
    try:
        text = package_file(root).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(Problem(shown, None, None, "file not found")) from None
    try:
        descriptor = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(Problem(shown, exc.lineno, None, f"invalid JSON: {exc.msg}")) from None
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        raise DataError(Problem(shown, None, None, "no 'resources' list in the data package"))
    return descriptor


def resource_schema(resource: dict, package_dir: Path) -> dict:
    """A resource's Table Schema, following a schema given as a path to a JSON file."""
    schema = resource.get("schema") or {}
    if isinstance(schema, str):
        schema = json.loads((package_dir / schema).read_text(encoding="utf-8"))
    return schema if isinstance(schema, dict) else {}


def resource_path(resource: dict, package_dir: Path) -> Path | None:
    """The resource's local file (first path if a list), or None for inline data."""
    path = resource.get("path")
    if isinstance(path, list):
        path = path[0] if path else None
    return (package_dir / path) if isinstance(path, str) else None


def missing_values(schema: dict) -> frozenset[str]:
    values = schema.get("missingValues", [""])
    return frozenset(str(v) for v in values) if isinstance(values, list) else frozenset({""})


def field_list(schema: dict) -> list[dict]:
    return [f for f in schema.get("fields", []) if isinstance(f, dict) and "name" in f]


def primary_key(schema: dict) -> list[str]:
    pk = schema.get("primaryKey") or []
    return [pk] if isinstance(pk, str) else list(pk)


def foreign_keys(schema: dict) -> list[dict]:
    """foreignKeys normalised to lists: [{'fields': [...], 'resource': name, 'ref_fields': [...]}]."""
    out = []
    for fk in schema.get("foreignKeys") or []:
        if not isinstance(fk, dict):
            continue
        ref = fk.get("reference") or {}
        fields = fk.get("fields") or []
        ref_fields = ref.get("fields") or []
        out.append(
            {
                "fields": [fields] if isinstance(fields, str) else list(fields),
                "resource": ref.get("resource", ""),
                "ref_fields": [ref_fields] if isinstance(ref_fields, str) else list(ref_fields),
            }
        )
    return out


@dataclass(frozen=True)
class CsvTable:
    """A CSV file read verbatim: header, data records (lists of raw strings) and the 1-based
    line on which each data record starts (blank lines are kept as empty records so that
    numbering agrees with Frictionless' row positions)."""

    header: list[str]
    records: list[list[str]]
    lines: list[int]

    def line_of_position(self, position: int) -> int:
        """Frictionless row position (header = 1, first data row = 2) -> editor line number."""
        i = position - 2
        if 0 <= i < len(self.lines):
            return self.lines[i]
        return 1 if position <= 1 else position


def read_csv_records(
    path: Path, *, delimiter: str = ",", quotechar: str = '"', encoding: str = "utf-8"
) -> CsvTable:
    """Read a CSV with the csv module, tracking the starting line of every record.

    Raises FileNotFoundError, UnicodeDecodeError or csv.Error."""
    raw = Path(path).read_bytes()
    enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    text = raw.decode(enc)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quotechar)
    header: list[str] | None = None
    records: list[list[str]] = []
    lines: list[int] = []
    prev_end = 0
    for row in reader:
        start = prev_end + 1
        prev_end = reader.line_num
        if header is None:
            header = row
            continue
        records.append(row)
        lines.append(start)
    # A final empty record produced only by a trailing newline is not a row.
    return CsvTable(header or [], records, lines)


# --------------------------------------------------------------------------- type conversion


def _convert(values: list[str | None], fld: dict) -> tuple[pd.Series, list[tuple[int, str]]]:
    """Convert raw strings (None = missing) to the pandas dtype for the field.

    Returns the series and a list of (record index, bad value) that could not be converted."""
    ftype = fld.get("type", "string") or "string"
    bad: list[tuple[int, str]] = []

    def parse_each(fn) -> list:
        out = []
        for i, v in enumerate(values):
            if v is None:
                out.append(None)
                continue
            try:
                out.append(fn(v))
            except (ValueError, TypeError, OverflowError):
                bad.append((i, v))
                out.append(None)
        return out

    if ftype in ("integer", "year"):

        def to_int(v: str) -> int:
            return int(v.strip() if ftype == "year" else v)

        series = pd.Series(pd.array(parse_each(to_int), dtype="Int64"))
    elif ftype == "number":
        series = pd.Series(pd.array(parse_each(float), dtype="Float64"))
    elif ftype == "boolean":
        true = set(fld.get("trueValues", DEFAULT_TRUE))
        false = set(fld.get("falseValues", DEFAULT_FALSE))

        def to_bool(v: str) -> bool:
            if v in true:
                return True
            if v in false:
                return False
            raise ValueError(v)

        series = pd.Series(pd.array(parse_each(to_bool), dtype="boolean"))
    elif ftype in ("date", "datetime"):
        fmt = fld.get("format", "default") or "default"
        if fmt == "default":
            fmt = "%Y-%m-%d" if ftype == "date" else "ISO8601"
        raw = pd.Series(values, dtype="object")
        if fmt == "any":
            parsed = pd.to_datetime(raw, errors="coerce")
        else:
            parsed = pd.to_datetime(raw, errors="coerce", format=fmt)
        for i, (v, p) in enumerate(zip(values, parsed, strict=True)):
            if v is not None and pd.isna(p):
                bad.append((i, v))
        series = parsed
    else:
        series = pd.Series(pd.array(values, dtype="string"))

    enum = (fld.get("constraints") or {}).get("enum")
    if isinstance(enum, list) and enum:
        cats, _ = _convert([str(e) for e in enum], {**fld, "constraints": {}})
        cats = list(pd.unique(cats.dropna()))
        # Values outside the enum get no category (code -1): missing in the result, and reported.
        codes = pd.Index(cats).get_indexer(series)
        outside = (codes == -1) & series.notna().to_numpy(dtype=bool)
        bad.extend((int(i), values[i]) for i in outside.nonzero()[0])
        series = pd.Series(pd.Categorical.from_codes(codes, categories=cats, ordered=True))
    return series, bad


def _frame_for(
    name: str, resource: dict, package_dir: Path, root: Path, problems: list[Problem]
) -> pd.DataFrame | None:
    path = resource_path(resource, package_dir)
    package = package_name(root)
    shown = rel(path, root) if path is not None else package
    if path is None or not is_csv(resource, path):
        problems.append(Problem(shown, None, None, f"resource {name!r}: only local CSV files can be loaded"))
        return None
    schema = resource_schema(resource, package_dir)
    try:
        table = read_csv_records(path, **csv_options(resource, path))
    except FileNotFoundError:
        problems.append(Problem(shown, None, None, f"file not found (resource {name!r} in {package})"))
        return None
    except (UnicodeDecodeError, csv.Error, LookupError) as exc:
        problems.append(Problem(shown, None, None, f"cannot read CSV: {exc}"))
        return None

    nulls = missing_values(schema)
    fields = {f["name"]: f for f in field_list(schema)}
    header = table.header
    width = len(header)
    missing = [n for n in fields if n not in header]
    for n in missing:
        problems.append(Problem(shown, 1, n, f"missing column {n!r}"))
    columns: dict[str, pd.Series] = {}
    kept = [(r, ln) for r, ln in zip(table.records, table.lines, strict=True) if not is_blank(r)]
    records = [r for r, _ in kept]  # blank rows are not data
    lines = [ln for _, ln in kept]
    for r, ln in zip(records, lines, strict=True):
        if len(r) != width:
            problems.append(Problem(shown, ln, None, f"row has {len(r)} cells but the header has {width}"))
    if any(len(r) != width for r in records) or missing:
        return None
    seen: set[str] = set()
    cells_by_column = list(zip(*records, strict=True)) if records else [() for _ in header]
    for j, col in enumerate(header):
        if col in seen:
            continue
        seen.add(col)
        raw = [None if v in nulls else v for v in cells_by_column[j]]
        fld = fields.get(col, {"name": col, "type": "string"})
        series, bad = _convert(raw, fld)
        in_enum = " (not in the enum)" if "enum" in (fld.get("constraints") or {}) else ""
        for i, v in bad:
            message = f"cannot load {v!r} as {fld.get('type', 'string')}{in_enum}"
            problems.append(Problem(shown, lines[i], col, message))
        columns[col] = series
    order = [n for n in fields if n in columns] + [c for c in columns if c not in fields]
    data = {c: columns[c].reset_index(drop=True) for c in order}
    df = pd.DataFrame(data, index=pd.RangeIndex(len(records)))
    return df


# --------------------------------------------------------------------------- Dataset


@dataclass(frozen=True, eq=False)
class Dataset(Mapping):
    """One DataFrame per resource: ``ds.studies``, ``ds["studies"]``, ``list(ds)``."""

    tables: dict[str, pd.DataFrame]
    package: dict = field(repr=False)
    root: Path

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name.startswith("_") or name in ("tables", "package", "root"):
            raise AttributeError(name)
        tables = self.__dict__.get("tables", {})
        for candidate in (name, name.replace("_", "-")):
            if candidate in tables:
                return tables[candidate]
        raise AttributeError(f"no resource {name!r} in the data package (have: {', '.join(tables)})")

    def __dir__(self):
        return sorted(set(super().__dir__()) | {n for n in self.tables if n.isidentifier()})

    def __eq__(self, other: object) -> bool:  # DataFrames have no truth value; compare identity
        return self is other

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        parts = ", ".join(f"{n}: {len(df)} rows" for n, df in self.tables.items())
        return f"Dataset({parts})"


def _cache_key(root: Path, descriptor: dict) -> str:
    """What the loaded frames depend on: the data package, its files, this module, pandas."""
    h = hashlib.sha256(f"{pd.__version__}|".encode())
    h.update(Path(__file__).read_bytes())
    package = package_file(root)
    h.update(package.read_bytes())
    for resource in descriptor["resources"]:
        schema = resource.get("schema")
        paths = [resource_path(resource, package.parent)]
        paths += [package.parent / schema] if isinstance(schema, str) else []
        for path in paths:
            if path is not None:
                h.update(f"\0{path.name}\0".encode())
                h.update(path.read_bytes() if path.is_file() else b"<missing>")
    return h.hexdigest()[:24]


def _read_cache(path: Path) -> dict[str, pd.DataFrame] | None:
    try:
        with open(path, "rb") as f:
            tables = pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError):
        return None
    return tables if isinstance(tables, dict) else None


def _write_cache(path: Path, tables: dict[str, pd.DataFrame]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            pickle.dump(tables, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # whole or not at all, for a page loading at the same moment
        for old in path.parent.glob("dataset-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a cache that cannot be written is only slower


def load(root: Path | str | None = None, *, cache_dir: Path | str | None = None) -> Dataset:
    """Load every CSV resource of the book's data package (``<root>/data/datapackage.json`` unless
    ``_config.yml`` names another) with its Table Schema applied.

    Only what is needed to build the frames is checked (a value that cannot be converted to its
    declared type raises DataError); ``livingreview.checks.validate.load_checked`` runs the data
    checks (schema, cross-field rules, citekeys) first and its DataError lists every problem.

    With ``cache_dir``, the frames of a successful load are kept there (a pickle named after a
    digest of the data package, its files, this module and pandas' version), so that the other
    pages of a build read them back instead of parsing every CSV again."""
    root = Path(root) if root is not None else default_root()
    descriptor = read_package(root)
    cache = Path(cache_dir) / f"dataset-{_cache_key(root, descriptor)}.pickle" if cache_dir else None
    if cache is not None and (tables := _read_cache(cache)) is not None:
        return Dataset(tables=tables, package=descriptor, root=root)
    package_dir = package_file(root).parent
    problems: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    for i, resource in enumerate(descriptor["resources"]):
        name = resource.get("name") or f"resource{i + 1}"
        df = _frame_for(name, resource, package_dir, root, problems)
        if df is not None:
            tables[name] = df
    if problems:
        raise DataError(problems)
    if cache is not None:
        _write_cache(cache, tables)
    return Dataset(tables=tables, package=descriptor, root=root)


# --------------------------------------------------------------------------- data dictionary


def _allowed(fld: dict) -> str:
    c = fld.get("constraints") or {}
    parts = []
    if "enum" in c:
        parts.append("one of: " + ", ".join(str(v) for v in c["enum"]))
    if "minimum" in c and "maximum" in c:
        parts.append(f"{c['minimum']} to {c['maximum']}")
    elif "minimum" in c:
        parts.append(f"≥ {c['minimum']}")
    elif "maximum" in c:
        parts.append(f"≤ {c['maximum']}")
    if "exclusiveMinimum" in c:
        parts.append(f"> {c['exclusiveMinimum']}")
    if "exclusiveMaximum" in c:
        parts.append(f"< {c['exclusiveMaximum']}")
    if "minLength" in c:
        parts.append(f"at least {c['minLength']} characters")
    if "maxLength" in c:
        parts.append(f"at most {c['maxLength']} characters")
    if "pattern" in c:
        parts.append(f"pattern {c['pattern']}")
    if c.get("unique"):
        parts.append("unique")
    ftype = fld.get("type", "string")
    if ftype == "date" and fld.get("format", "default") in ("default", None):
        parts.append("YYYY-MM-DD")
    if ftype == "boolean":
        true = list(fld.get("trueValues", ["true"]))[:1]
        false = list(fld.get("falseValues", ["false"]))[:1]
        parts.append(" / ".join(true + false))
    return "; ".join(parts)


def schema_table(ds_or_root: Dataset | Path | str | None = None) -> pd.DataFrame:
    """A data dictionary: one row per (resource, field) with type, required, description,
    allowed values/constraints and key role. Accepts a Dataset, a project root or None."""
    if isinstance(ds_or_root, Mapping):  # a Dataset, or a page's view of one
        descriptor, root = ds_or_root.package, ds_or_root.root
    else:
        root = Path(ds_or_root) if ds_or_root is not None else default_root()
        descriptor = read_package(root)
    package_dir = package_file(root).parent
    rows = []
    for resource in descriptor["resources"]:
        schema = resource_schema(resource, package_dir)
        pk = primary_key(schema)
        fks = foreign_keys(schema)
        for fld in field_list(schema):
            name = fld["name"]
            c = fld.get("constraints") or {}
            key = []
            if name in pk:
                key.append("primary key" if len(pk) == 1 else f"primary key ({', '.join(pk)})")
            for fk in fks:
                if name in fk["fields"]:
                    target = fk["resource"] or resource.get("name", "")
                    idx = fk["fields"].index(name)
                    ref = fk["ref_fields"][idx] if idx < len(fk["ref_fields"]) else "?"
                    key.append(f"→ {target}.{ref}")
            rows.append(
                {
                    "resource": resource.get("name", ""),
                    "field": name,
                    "title": fld.get("title", ""),
                    "type": fld.get("type", "string") or "string",
                    "required": bool(c.get("required", False)) or name in pk,
                    "description": fld.get("description", ""),
                    "allowed": _allowed(fld),
                    "key": "; ".join(key),
                }
            )
    columns = ["resource", "field", "title", "type", "required", "description", "allowed", "key"]
    return pd.DataFrame(rows, columns=columns)
