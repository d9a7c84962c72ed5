"""How the data package's CSV files are read: where the package is, and each resource's CSV
dialect. Standard library only, so that modules which only read the release log or the package
descriptor (the Sphinx extension's feed and banner) do not import pandas."""

from __future__ import annotations

from pathlib import Path

from livingreview.core.paths import PACKAGE_FILE  # noqa: F401 (also this module's API)


def is_csv(resource: dict, path: Path | None) -> bool:
    fmt = str(resource.get("format", "")).lower()
    if path is None:
        return False
    return fmt in ("csv", "tsv") or (not fmt and path.suffix.lower() in (".csv", ".tsv"))


def csv_options(resource: dict, path: Path | None = None) -> dict:
    """delimiter / quotechar / encoding from the resource (Frictionless v1 and v2 dialect styles)."""
    dialect = resource.get("dialect") or {}
    if isinstance(dialect, dict) and isinstance(dialect.get("csv"), dict):
        dialect = dialect["csv"]
    default_delim = "\t" if (path is not None and path.suffix.lower() == ".tsv") else ","
    return {
        "delimiter": dialect.get("delimiter", default_delim) if isinstance(dialect, dict) else default_delim,
        "quotechar": dialect.get("quoteChar", '"') if isinstance(dialect, dict) else '"',
        "encoding": resource.get("encoding", "utf-8") or "utf-8",
    }


def is_blank(record: list[str]) -> bool:
    """An empty line, or a row whose cells are all empty (Frictionless' "blank row")."""
    return all(not cell.strip() for cell in record)
