"""What makes the review living on every page: its version and dates, and its downloads.

- The latest row of ``data/releases.csv`` gives the review's version and the date of the last
  search; a chapter's front matter (``livingreview: {assessed: YYYY-MM-DD}``) gives the date its
  content was last assessed as up to date. Both are shown at the top of every page.
- The dataset (each CSV, the Data Package as a zip) and ``references.bib`` are published with the
  site under ``downloads/``.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import zipfile
from pathlib import Path
from typing import Any

import yaml

from livingreview.core.myst import FRONT_MATTER
from livingreview.core.paths import book_settings, package_file

DOWNLOADS = "downloads"
# The whole book as one PDF, beside the dataset: printed from the built site by `make pdf`
# (livingreview.cli.pdf), not by the build, which removes an earlier one (livingreview.build.reader).
PDF_NAME = "livingreview.pdf"


def has_dataset(root: Path) -> bool:
    return package_file(root).is_file()


def latest_release(root: Path) -> Any:
    """The latest row of the update log (``data/releases.csv``), checked by :mod:`changes`."""
    from livingreview.review import changes

    return changes.latest_release(root)


def front_matter(source: Path) -> dict[str, Any]:
    m = FRONT_MATTER.match(source.read_text(encoding="utf-8")) if source.exists() else None
    meta = yaml.safe_load(m.group(1)) if m else None
    return meta if isinstance(meta, dict) else {}


def page_options(source: Path) -> dict[str, Any]:
    """The ``livingreview:`` block of a page's front matter."""
    options = front_matter(source).get("livingreview") or {}
    return options if isinstance(options, dict) else {}


def assessed_on(source: Path) -> str | None:
    value = page_options(source).get("assessed")
    if value is None:
        return None
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def banner_html(release: Any, assessed: str | None, whats_new_href: str | None) -> str:
    """The line at the top of every page: version, last search, and this page's assessment."""
    parts = [
        f"Version {html.escape(str(release.version))} ({html.escape(str(release.date))})",
        f"evidence searched up to {html.escape(str(release.search_date))}",
    ]
    if assessed:
        parts.append(f"this page assessed as up to date on {html.escape(assessed)}")
    if whats_new_href:
        parts.append(f'<a href="{html.escape(whats_new_href)}">what is new</a>')
    return f'<p class="lr-meta lr-banner" role="note">{" · ".join(parts)}</p>\n'


def write_downloads(root: Path, outdir: Path) -> list[Path]:
    """Copy the dataset and the bibliography into the site, and zip the Data Package."""
    target = outdir / DOWNLOADS
    target.mkdir(parents=True, exist_ok=True)
    package_path = package_file(root)
    package = json.loads(package_path.read_text(encoding="utf-8"))
    written = []
    files = (
        [package_path]
        + [package_path.parent / r["path"] for r in package["resources"]]
        + [root / book_settings(root).bib_file]
    )
    for src in files:
        dest = target / src.name
        dest.write_bytes(src.read_bytes())
        written.append(dest)
    # The updated-review PRISMA flow of the searches, in the PRISMA2020 R package's CSV layout.
    from livingreview.surveillance.report import prisma2020_csv

    flow = target / "prisma2020_updated_review.csv"
    flow.write_text(prisma2020_csv(root), encoding="utf-8")
    written.append(flow)
    archive = target / "livingreview-data.zip"  # the version is inside, in datapackage.json
    # Fixed timestamps: the same data gives the same zip, build after build.
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for src in files[:-1]:
            arcname = (
                "datapackage.json" if src == package_path else src.relative_to(package_path.parent).as_posix()
            )
            info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, src.read_bytes())
    written.append(archive)
    return written


def chapters_assessed_since(root: Path, since: dt.date) -> list[tuple[str, str, str]]:
    """(page, title, assessed date) of every chapter whose front matter says it was assessed
    after ``since`` (the previous release's date): the pages this release updated. Read from the
    pages' sources, so it needs no git history."""
    out = []
    for source in sorted((Path(root) / "chapters").glob("*.md")):
        if source.name.startswith("_"):
            continue
        assessed = assessed_on(source)
        try:
            day = dt.date.fromisoformat(assessed) if assessed else None
        except ValueError:
            day = None
        if day is None or day <= since:
            continue
        title = next(
            (ln[2:].strip() for ln in source.read_text(encoding="utf-8").splitlines() if ln.startswith("# ")),
            source.stem,
        )
        out.append((source.stem, title, assessed))
    return out
