"""What changed in the dataset between releases.

The review's update log is ``data/releases.csv`` (one row per release: version, date,
search_date, tag, summary, scope_note, archive). Every release but the latest keeps its data
package in the repository (``archive``, e.g. ``data/archive/v1.0.0``: a copy of the data package's
folder at the release's commit, datapackage.json and the CSV files side by side), so the dataset
as it was at a release can be read on any clone, even one without tags or history (a CI
checkout), and compared with the dataset being built:

    from livingreview.review import changes
    prev = changes.previous_release(root)          # None for the first release
    if prev is not None:
        old = changes.dataset_of(root, prev)       # the archive, else the git tag (ChangesError
        new = changes.dataset_now(root)            # with the fix when neither can be read)
        c = changes.diff(old, new)                 # rows added / removed, fields changed old -> new

Tables are read as raw text (every cell a ``str``, a missing value ``""``), so a figure is
compared exactly as it is written in the CSV, never after a type conversion. Rows are matched
by the table's primary key (from the data package of the same version); every change names the
row's ``citekey`` and ``locator`` when the table has them, so a reader can check it at the source.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import re
import subprocess
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from livingreview.core.paths import PACKAGE_FILE, package_name
from livingreview.dataset.csvfiles import csv_options, is_blank

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ChangesError",
    "Changes",
    "check_releases",
    "flags_added",
    "FieldChange",
    "Release",
    "RowChange",
    "dataset_at",
    "dataset_in",
    "dataset_now",
    "dataset_of",
    "diff",
    "latest_release",
    "previous_release",
    "read_releases",
    "require_tag",
    "since_previous",
    "tag_exists",
    "unreleased",
    "version_key",
]

RELEASES_RESOURCE = "releases"
RELEASES_FILE = "releases.csv"  # beside the data package, unless the package names its path
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
# Columns that describe a row to a reader, first non-empty wins.
LABEL_COLUMNS = ("short_name", "description", "event", "case_label", "summary")
KEY_SEPARATOR = " / "


class ChangesError(RuntimeError):
    """The update log or the git history cannot give what was asked; the message says the fix."""


# --------------------------------------------------------------------------- releases


@dataclass(frozen=True)
class Release:
    """One row of ``data/releases.csv``. ``tag_exists`` is filled by :func:`previous_release`
    (None when not looked up)."""

    version: str
    date: _dt.date
    search_date: _dt.date
    tag: str
    summary: str
    scope_note: str = ""
    line: int = 0
    tag_exists: bool | None = None
    archive: str = ""

    @property
    def version_key(self) -> tuple[int, int, int]:
        return version_key(self.version)

    @property
    def ref(self) -> str:
        """The git ref of the release's tag."""
        return f"refs/tags/{self.tag}"


def version_key(version: str) -> tuple[int, int, int]:
    """``"1.10.0"`` -> ``(1, 10, 0)``, for sorting versions (ValueError if not MAJOR.MINOR.PATCH)."""
    m = SEMVER.fullmatch(str(version).strip())
    if not m:
        raise ValueError(f"{version!r} is not a semantic version MAJOR.MINOR.PATCH")
    return int(m[1]), int(m[2]), int(m[3])


def _package(root: Path) -> PurePosixPath:
    """The data package's file relative to the book (``data/datapackage.json`` by default)."""
    return PurePosixPath(package_name(root))


def _releases_path(root: Path) -> Path:
    package = Path(root) / _package(root)
    try:
        descriptor = json.loads(package.read_text(encoding="utf-8"))
        for resource in descriptor.get("resources", []):
            if resource.get("name") == RELEASES_RESOURCE and isinstance(resource.get("path"), str):
                return package.parent / resource["path"]
    except (OSError, ValueError, AttributeError):
        pass
    return package.parent / RELEASES_FILE


def _releases_shown(root: Path) -> str:
    """The update log as messages name it, relative to the book (``data/releases.csv``)."""
    path = _releases_path(root)
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def read_releases(root: Path) -> list[Release]:
    """Every release in the update log, oldest first (by version).

    Raises ChangesError listing every problem: no log, no rows, a version that is not
    MAJOR.MINOR.PATCH, a duplicate version, a tag other than ``v<version>``, a date that is not
    YYYY-MM-DD, a search date after the release date, or release dates that go back in time as
    versions go up."""
    path = _releases_path(root)
    shown = _releases_shown(root)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ChangesError(
            f"{shown}: file not found; the update log lists one row per release "
            "(version,date,search_date,tag,summary,scope_note)"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    need = ["version", "date", "search_date", "tag", "summary"]
    missing = [c for c in need if c not in header]
    if missing:
        raise ChangesError(f"{shown}:1: missing column(s) {', '.join(missing)}")
    problems: list[str] = []
    releases: list[Release] = []
    line = 1
    for record in reader:
        start, line = line + 1, reader.line_num
        if is_blank(record):
            continue
        row = dict(zip(header, record, strict=False))
        where = f"{shown}:{start}"
        version = row.get("version", "").strip()
        if not SEMVER.fullmatch(version):
            problems.append(
                f"{where}: version: {version!r} is not a semantic version MAJOR.MINOR.PATCH (e.g. 1.0.0)"
            )
            continue
        dates = {}
        for col in ("date", "search_date"):
            try:
                dates[col] = _dt.date.fromisoformat(row.get(col, "").strip())
            except ValueError:
                problems.append(f"{where}: {col}: {row.get(col, '')!r} is not a date YYYY-MM-DD")
        tag = row.get("tag", "").strip()
        if tag != f"v{version}":
            problems.append(
                f"{where}: tag: {tag!r} should be 'v{version}' (the git tag of version {version})"
            )
        if len(dates) < 2:
            continue
        if dates["search_date"] > dates["date"]:
            problems.append(
                f"{where}: search_date: {dates['search_date']} is after the release date {dates['date']}"
            )
        releases.append(
            Release(
                version,
                dates["date"],
                dates["search_date"],
                tag,
                row.get("summary", "").strip(),
                row.get("scope_note", "").strip(),
                start,
                archive=row.get("archive", "").strip(),
            )
        )
    seen: dict[str, int] = {}
    for r in releases:
        if r.version in seen:
            problems.append(
                f"{shown}:{r.line}: version: {r.version} is already listed on line {seen[r.version]}"
            )
        seen.setdefault(r.version, r.line)
    ordered = sorted(releases, key=lambda r: r.version_key)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.date < before.date:
            problems.append(
                f"{shown}:{after.line}: date: version {after.version} is dated {after.date}, "
                f"before version {before.version} ({before.date})"
            )
    if not releases and not problems:
        problems.append(f"{shown}: no release listed; add a row for the first release (1.0.0)")
    if problems:
        raise ChangesError("\n".join(problems))
    return ordered


def check_releases(root: Path) -> list[tuple[str, int | None, str | None, str]]:
    """Problems of the update log as ``(file, line, column, message)`` for ``make check``: what
    :func:`read_releases` refuses, an archive folder without a data package, and an earlier
    release without an archive (the What's new page could then read it only from a git tag,
    which a clone may lack)."""
    if not _releases_path(Path(root)).is_file():
        return []  # a project without an update log (its pages say so)
    try:
        releases = read_releases(root)
    except ChangesError as exc:
        out = []
        for message in str(exc).splitlines():
            m = re.match(r"([^:]+):(\d+): (\w+): (.*)", message)
            out.append((m[1], int(m[2]), m[3], m[4]) if m else (_releases_shown(root), None, None, message))
        return out
    out = []
    log, package = _releases_shown(root), _package(root)
    for r in releases:
        if r.archive and not (Path(root) / r.archive / package.name).is_file():
            out.append(
                (
                    log,
                    r.line,
                    "archive",
                    f"{r.archive}/{package.name} not found: copy the release's data package there "
                    f"(git show <commit>:{package.parent}/<file> > {r.archive}/<file>)",
                )
            )
    for r in releases[:-1]:
        if not r.archive:
            out.append(
                (
                    log,
                    r.line,
                    "archive",
                    f"release {r.version} is not the latest and names no "
                    f"archive: copy its data package to {package.parent}/archive/{r.tag} and name the folder "
                    "here, so that What's new can compare releases on a clone without tags",
                )
            )
    return out


def latest_release(root: Path) -> Release:
    """The highest version in the update log: the version this build publishes."""
    return read_releases(root)[-1]


def latest_release_if_any(root: Path) -> Release | None:
    """The latest release, or None for a book without an update log (it is optional)."""
    return latest_release(root) if _releases_path(root).is_file() else None


def previous_release(root: Path) -> Release | None:
    """The release before the latest one, with ``tag_exists`` looked up in git; None when the
    latest release is the first."""
    releases = read_releases(root)
    if len(releases) < 2:
        return None
    prev = releases[-2]
    return replace(prev, tag_exists=tag_exists(root, prev.tag))


# --------------------------------------------------------------------------- git


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=60, check=False)
    except FileNotFoundError:
        raise ChangesError(
            "git is not installed; the What's new page reads earlier releases from "
            "the git history (install git and build from a clone)"
        ) from None


def _in_git(root: Path) -> bool:
    proc = _git(root, "rev-parse", "--is-inside-work-tree")
    return proc.returncode == 0 and proc.stdout.strip() == b"true"


def _safe_ref(ref: str) -> str:
    if not ref or ref.startswith("-") or any(c.isspace() or c in ":\\" for c in ref) or ".." in ref:
        raise ChangesError(f"{ref!r} is not a usable git ref (a tag such as refs/tags/v1.0.0 or a commit)")
    return ref


def tag_exists(root: Path, tag: str) -> bool:
    """True when ``tag`` is a tag of the git repository holding ``root`` (False outside git)."""
    if not _in_git(root):
        return False
    proc = _git(root, "rev-parse", "--verify", "--quiet", f"refs/tags/{_safe_ref(tag)}^{{commit}}")
    return proc.returncode == 0


def require_tag(root: Path, release: Release) -> None:
    """Raise ChangesError, saying how to fix it, unless the release's tag can be read."""
    if not _in_git(root):
        raise ChangesError(
            f"cannot compare with release {release.version}: {root} is not a git checkout, so the "
            f"data at its tag {release.tag!r} cannot be read. Build from a clone of the repository "
            "with its tags (git clone, then git fetch --tags; in GitHub Actions give "
            "actions/checkout `fetch-depth: 0`)."
        )
    if not tag_exists(root, release.tag):
        raise ChangesError(
            f"release {release.version} is listed in {_releases_shown(root)} but its git tag {release.tag!r} "
            "does not exist in this clone. If the tag exists on the remote, fetch it: "
            "git fetch --tags (in GitHub Actions give actions/checkout `fetch-depth: 0`). If the "
            f"release was never tagged, tag the commit it was published from: "
            f"git tag -a {release.tag} <commit> -m 'Release {release.version}' && "
            f"git push origin {release.tag}"
        )


def _show(root: Path, ref: str, path: PurePosixPath) -> bytes:
    proc = _git(root, "show", f"{_safe_ref(ref)}:./{path.as_posix()}")
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise ChangesError(f"cannot read {path} at {ref}: {err or 'git show failed'}")
    return proc.stdout


# --------------------------------------------------------------------------- reading a dataset


def _frame(raw: bytes, resource: dict, name: str, where: str) -> pd.DataFrame:
    import pandas as pd

    opts = csv_options(resource)
    enc = opts["encoding"]
    enc = "utf-8-sig" if enc.lower().replace("_", "-") in ("utf-8", "utf8") else enc
    try:
        text = raw.decode(enc)
    except (UnicodeDecodeError, LookupError) as exc:
        raise ChangesError(f"{where}: cannot decode resource {name!r}: {exc}") from None
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=opts["delimiter"], quotechar=opts["quotechar"]
    )
    header = next(reader, [])
    width = len(header)
    records = [(r + [""] * width)[:width] for r in reader if not is_blank(r)]
    df = pd.DataFrame(records, columns=header, dtype=object)
    return df


def _read(
    package: dict, read: Callable[[PurePosixPath], bytes], where: str, base: PurePosixPath
) -> dict[str, pd.DataFrame]:
    """The package's CSV resources as frames; ``base`` is the package's folder, as ``read`` names it."""
    tables: dict[str, pd.DataFrame] = {}
    for i, resource in enumerate(package.get("resources") or []):
        if not isinstance(resource, dict):
            continue
        name = resource.get("name") or f"resource{i + 1}"
        path = resource.get("path")
        path = path[0] if isinstance(path, list) and path else path
        if not isinstance(path, str) or re.match(r"^[a-z][a-z0-9+.-]*://", path, re.I):
            continue  # inline or remote data: not part of the repository
        fmt = str(resource.get("format", "")).lower()
        if fmt not in ("csv", "tsv") and not (not fmt and path.lower().endswith((".csv", ".tsv"))):
            continue
        schema = resource.get("schema") or {}
        if isinstance(schema, str):
            schema = json.loads(read(base / schema).decode("utf-8"))
        pk = (schema.get("primaryKey") or []) if isinstance(schema, dict) else []
        df = _frame(read(base / path), resource, name, where)
        df.attrs["primary_key"] = [pk] if isinstance(pk, str) else list(pk)
        df.attrs["title"] = resource.get("title") or name
        df.attrs["description"] = resource.get("description") or ""
        tables[name] = df
    return tables


def dataset_at(ref: str, root: Path) -> dict[str, pd.DataFrame]:
    """Every CSV resource of the data package as it was at git ``ref`` (a tag such as
    ``refs/tags/v1.0.0``, a branch or a commit), read with that version's ``datapackage.json``
    (at the path the book's ``_config.yml`` names today).

    Every cell is the raw text (``""`` when empty); ``df.attrs["primary_key"]`` is the table's
    primary key at that ref. Raises ChangesError when ``root`` is not in git or the ref or a file
    is missing."""
    root = Path(root)
    if not _in_git(root):
        raise ChangesError(
            f"{root} is not a git checkout: cannot read the data at {ref}. Build "
            "from a clone with its tags (git fetch --tags)."
        )
    if _git(root, "rev-parse", "--verify", "--quiet", f"{_safe_ref(ref)}^{{commit}}").returncode != 0:
        raise ChangesError(
            f"git ref {ref!r} does not exist in this clone; if it is a release tag, "
            "fetch the tags (git fetch --tags) or tag the release"
        )
    package = _package(root)
    return _read_files(lambda p: _show(root, ref, p), package, f"{package} at {ref}", f"{ref}")


def dataset_in(folder: Path, root: Path | None = None) -> dict[str, pd.DataFrame]:
    """The same as :func:`dataset_now` for an archived release: ``folder`` holds the release's
    ``datapackage.json`` and CSV files side by side (``data/archive/v1.0.0``)."""
    folder = Path(folder)
    shown = (
        folder.relative_to(root).as_posix()
        if root is not None and folder.is_relative_to(root)
        else str(folder)
    )

    # A copy of the package's folder: the package file by its own name, its CSVs beside it.
    package = PurePosixPath(_package(root).name if root is not None else PurePosixPath(PACKAGE_FILE).name)

    def read(p: PurePosixPath) -> bytes:
        try:
            return (folder / p).read_bytes()
        except FileNotFoundError:
            raise ChangesError(f"{shown}/{p}: file not found in the archived release") from None

    return _read_files(read, package, f"{shown}/{package}", shown)


def dataset_of(root: Path, release: Release) -> dict[str, pd.DataFrame]:
    """The data of an earlier release: its archive folder when the update log names one (any
    clone has it), else the data at its git tag. ChangesError with the fix when neither can be
    read."""
    root = Path(root)
    if release.archive:
        folder, package = root / release.archive, _package(root)
        if not (folder / package.name).is_file():
            raise ChangesError(
                f"{_releases_shown(root)}: release {release.version} names the archive {release.archive!r}, "
                f"but it holds no {package.name}: copy the release's data package there "
                f"(git show <commit>:{package.parent}/<file> > {release.archive}/<file>)"
            )
        return dataset_in(folder, root)
    require_tag(root, release)
    return dataset_at(release.ref, root)


def dataset_now(root: Path) -> dict[str, pd.DataFrame]:
    """The same as :func:`dataset_at` for the files on disk (the data being built)."""
    root = Path(root)

    def read(p: PurePosixPath) -> bytes:
        try:
            return (root / p).read_bytes()
        except FileNotFoundError:
            raise ChangesError(f"{p}: file not found") from None

    package = _package(root)
    return _read_files(read, package, str(package), "working tree")


def _read_files(
    read: Callable[[PurePosixPath], bytes], package: PurePosixPath, package_shown: str, where: str
) -> dict[str, pd.DataFrame]:
    """The data package ``package`` that ``read`` finds (at a git ref, in an archived release or
    the working tree), as frames."""
    try:
        descriptor = json.loads(read(package).decode("utf-8"))
    except ValueError as exc:
        raise ChangesError(f"{package_shown} is not valid JSON: {exc}") from None
    return _read(descriptor, read, where, package.parent)


# --------------------------------------------------------------------------- the difference


@dataclass(frozen=True)
class RowChange:
    """A row added or removed: its table, primary key value, what it is, where it came from."""

    table: str
    key: str
    label: str = ""
    citekey: str = ""
    locator: str = ""
    values: tuple[tuple[str, str], ...] = ()

    def get(self, column: str, default: str = "") -> str:
        return dict(self.values).get(column, default)


@dataclass(frozen=True)
class FieldChange:
    """One value that changed in a row present in both versions: ``old`` -> ``new``.
    ``citekey`` and ``locator`` are the row's (as they are now)."""

    table: str
    key: str
    column: str
    old: str
    new: str
    label: str = ""
    citekey: str = ""
    locator: str = ""


@dataclass
class Changes:
    """The difference between two versions of the dataset, table by table, in table order."""

    added: list[RowChange] = field(default_factory=list)
    removed: list[RowChange] = field(default_factory=list)
    changed: list[FieldChange] = field(default_factory=list)
    tables_added: list[str] = field(default_factory=list)
    tables_removed: list[str] = field(default_factory=list)
    columns_added: dict[str, list[str]] = field(default_factory=dict)
    columns_removed: dict[str, list[str]] = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.tables_added
            or self.tables_removed
            or any(self.columns_added.values())
            or any(self.columns_removed.values())
        )

    def __bool__(self) -> bool:
        return not self.empty

    def counts(self) -> pd.DataFrame:
        """Per table: rows added, removed, rows with a changed value, values changed."""
        import pandas as pd

        rows = []
        for t in self.tables:
            changed = [c for c in self.changed if c.table == t]
            rows.append(
                {
                    "table": t,
                    "added": sum(r.table == t for r in self.added),
                    "removed": sum(r.table == t for r in self.removed),
                    "rows_changed": len({c.key for c in changed}),
                    "values_changed": len(changed),
                }
            )
        return pd.DataFrame(rows, columns=["table", "added", "removed", "rows_changed", "values_changed"])

    def rows_frame(self, which: str = "added") -> pd.DataFrame:
        """``added`` or ``removed`` rows as a DataFrame (table, key, label, citekey, locator)."""
        import pandas as pd

        rows = {"added": self.added, "removed": self.removed}[which]
        cols = ["table", "key", "label", "citekey", "locator"]
        return pd.DataFrame([{c: getattr(r, c) for c in cols} for r in rows], columns=cols)

    def changed_frame(self) -> pd.DataFrame:
        import pandas as pd

        cols = ["table", "key", "label", "column", "old", "new", "citekey", "locator"]
        return pd.DataFrame([{c: getattr(f, c) for c in cols} for f in self.changed], columns=cols)


def _cell(v: object) -> str:
    import pandas as pd

    if v is None:
        return ""
    try:
        if pd.isna(v):
            return ""
    except (TypeError, ValueError):
        pass
    return str(v)


def _describe(table: str, row: Mapping[str, str], pk: list[str]) -> dict[str, str]:
    label = next((row[c] for c in LABEL_COLUMNS if row.get(c)), "")
    return {
        "key": KEY_SEPARATOR.join(row.get(c, "") for c in pk),
        "label": label,
        "citekey": row.get("citekey", ""),
        "locator": row.get("locator", ""),
    }


def _records(df: pd.DataFrame) -> list[dict[str, str]]:
    cols = list(dict.fromkeys(df.columns))
    return [
        {c: _cell(v) for c, v in zip(cols, rec, strict=True)}
        for rec in df[cols].itertuples(index=False, name=None)
    ]


def _row_change(table: str, row: dict[str, str], pk: list[str]) -> RowChange:
    return RowChange(table=table, values=tuple(row.items()), **_describe(table, row, pk))


def _keyed(table: str, rows: list[dict[str, str]], pk: list[str], which: str) -> dict[tuple, dict]:
    out: dict[tuple, dict] = {}
    for row in rows:
        key = tuple(row.get(c, "") for c in pk)
        if key in out:
            raise ChangesError(
                f"table {table!r} ({which}): primary key {KEY_SEPARATOR.join(key)!r} "
                f"appears more than once; fix the data (make check) before comparing"
            )
        out[key] = row
    return out


def diff(
    old: Mapping[str, pd.DataFrame],
    new: Mapping[str, pd.DataFrame],
    primary_keys: Mapping[str, Iterable[str]] | None = None,
    *,
    exclude: Iterable[str] = (),
) -> Changes:
    """The difference from ``old`` to ``new`` (two results of :func:`dataset_at` /
    :func:`dataset_now`, or any DataFrames; values are compared as text).

    Rows are matched by ``primary_keys[table]`` (default: ``df.attrs["primary_key"]`` of the new
    table, else of the old one). A table without a usable key is compared as a multiset of whole
    rows (added / removed only). A column that appears or disappears is reported once in
    ``columns_added`` / ``columns_removed``, not as a change in every row."""
    primary_keys = {k: list(v) for k, v in (primary_keys or {}).items()}
    skip = set(exclude)
    names = [n for n in list(new) + [n for n in old if n not in new] if n not in skip]
    out = Changes(tables=names)
    for name in names:
        o, n = old.get(name), new.get(name)
        ref = n if n is not None else o
        pk = (
            primary_keys.get(name)
            or list(ref.attrs.get("primary_key") or [])
            or (list(o.attrs.get("primary_key") or []) if o is not None else [])
        )
        if o is None:
            out.tables_added.append(name)
            out.added.extend(_row_change(name, r, pk) for r in _records(n))
            continue
        if n is None:
            out.tables_removed.append(name)
            out.removed.extend(_row_change(name, r, pk) for r in _records(o))
            continue
        o_cols, n_cols = list(dict.fromkeys(o.columns)), list(dict.fromkeys(n.columns))
        out.columns_added[name] = [c for c in n_cols if c not in o_cols]
        out.columns_removed[name] = [c for c in o_cols if c not in n_cols]
        common = [c for c in n_cols if c in o_cols]
        o_rows, n_rows = _records(o), _records(n)
        if pk and all(c in common for c in pk):
            o_by, n_by = _keyed(name, o_rows, pk, "old"), _keyed(name, n_rows, pk, "new")
            out.added.extend(_row_change(name, r, pk) for k, r in n_by.items() if k not in o_by)
            out.removed.extend(_row_change(name, r, pk) for k, r in o_by.items() if k not in n_by)
            for k, r in n_by.items():
                before = o_by.get(k)
                if before is None:
                    continue
                about = _describe(name, r, pk)
                for c in common:
                    if before[c] != r[c]:
                        out.changed.append(
                            FieldChange(
                                name,
                                about["key"],
                                c,
                                before[c],
                                r[c],
                                about["label"],
                                about["citekey"],
                                about["locator"],
                            )
                        )
        else:

            def whole(row: dict[str, str], common: list[str] = common) -> tuple:
                return tuple(row[c] for c in common)

            o_count = Counter(whole(r) for r in o_rows)
            n_count = Counter(whole(r) for r in n_rows)
            seen: Counter = Counter()
            for r in n_rows:
                seen[whole(r)] += 1
                if seen[whole(r)] > o_count[whole(r)]:
                    out.added.append(_row_change(name, r, pk))
            seen = Counter()
            for r in o_rows:
                seen[whole(r)] += 1
                if seen[whole(r)] > n_count[whole(r)]:
                    out.removed.append(_row_change(name, r, pk))
    return out


def since_previous(
    root: Path, *, exclude: Iterable[str] = (RELEASES_RESOURCE,)
) -> tuple[Release | None, Changes | None]:
    """The previous release and the changes from its archived data (or, without an archive, its
    tag) to the data on disk; ``(None, None)`` for the first release. Raises ChangesError (with
    the fix) when neither the archive nor the tag can be read."""
    prev = previous_release(root)
    if prev is None:
        return None, None
    return prev, diff(dataset_of(root, prev), dataset_now(root), exclude=exclude)


def unreleased(root: Path, *, exclude: Iterable[str] = (RELEASES_RESOURCE,)) -> Changes | None:
    """Changes made since the latest release was tagged (None when it is not tagged yet, e.g.
    while the release is being prepared, or outside git)."""
    latest = latest_release(root)
    if not tag_exists(root, latest.tag):
        return None
    return diff(dataset_at(latest.ref, root), dataset_now(root), exclude=exclude)


def flags_added(c: Changes) -> list[dict[str, str]]:
    """Every flag a release adds: on a new row, or a flag value that gained a flag name, each
    with the row, the flag before and after, and where it was read."""
    out = []
    for r in c.added:
        if r.get("flag"):
            out.append(
                {
                    "table": r.table,
                    "key": r.key,
                    "label": r.label,
                    "old": "",
                    "new": r.get("flag"),
                    "citekey": r.citekey,
                    "locator": r.locator,
                }
            )
    for f in c.changed:
        if f.column != "flag":
            continue
        before = {x.strip() for x in f.old.split(";") if x.strip()}
        if {x.strip() for x in f.new.split(";") if x.strip()} - before:
            out.append(
                {
                    "table": f.table,
                    "key": f.key,
                    "label": f.label,
                    "old": f.old,
                    "new": f.new,
                    "citekey": f.citekey,
                    "locator": f.locator,
                }
            )
    return out
