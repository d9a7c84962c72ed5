"""An Atom 1.0 feed (RFC 4287) of the review's releases, written next to the built site.

    from livingreview.review import feed
    feed.write_feed(root, outdir, base_url)   # -> outdir / "feed.xml"

One entry per row of ``data/releases.csv``, newest first. Ids are ``urn:uuid:`` UUIDs derived
from the data package's name and the release's version (uuid5), so an entry keeps its id across
builds and a feed reader never shows a release twice. The output depends only on the update log
and the configuration (no build time), so two builds of the same sources give the same file.

``base_url`` is where the site is published (Sphinx's ``html_baseurl``, e.g.
``https://owner.github.io/repo/``). Without it the feed's links are relative to the feed itself
(valid Atom, resolved by readers against the feed's own address).

Sphinx: ``setup(app)`` connects :func:`on_build_finished` (writes the feed) and
:func:`on_page_context` (adds ``<link rel="alternate" type="application/atom+xml">`` to every
page's head so browsers and readers discover the feed).
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import yaml

from livingreview.core.paths import book_settings, package_file
from livingreview.review.changes import Release, read_releases

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_FILE = "feed.xml"
DEFAULT_AUTHOR = "The living-review team"
MEDIA_TYPE = "application/atom+xml"

__all__ = ["FEED_FILE", "entry_id", "feed_id", "feed_links_html", "feed_xml", "write_feed"]


def _a(tag: str) -> str:
    return f"{{{ATOM_NS}}}{tag}"


def _rfc3339(day: _dt.date) -> str:
    """A date as an RFC 3339 date-time at midnight UTC (Atom requires a full date-time)."""
    return f"{day.isoformat()}T00:00:00Z"


def _package_name(root: Path) -> str:
    try:
        descriptor = json.loads(package_file(root).read_text(encoding="utf-8"))
        return descriptor.get("name") or "livingreview"
    except (OSError, ValueError, AttributeError):
        return "livingreview"


def _book_config(root: Path) -> dict:
    try:
        config = yaml.safe_load((Path(root) / "_config.yml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return config if isinstance(config, dict) else {}


def _license(root: Path) -> str:
    try:
        licenses = json.loads(package_file(root).read_text(encoding="utf-8")).get("licenses") or []
    except (OSError, ValueError, AttributeError):
        return ""
    names = [lic.get("title") or lic.get("name") for lic in licenses if isinstance(lic, dict)]
    return ", ".join(n for n in names if n)


def feed_id(package_name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'livingreview:{package_name}:feed')}"


def entry_id(package_name: str, version: str) -> str:
    """The entry's permanent id: a UUID derived from the dataset's name and the version."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'livingreview:{package_name}:release:{version}')}"


def _base(base_url: str | None) -> str | None:
    if not base_url:
        return None
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"base_url must be an absolute http(s) URL such as https://owner.github.io/repo/ "
            f"(got {base_url!r})"
        )
    return base_url if base_url.endswith("/") else base_url + "/"


def _href(base: str | None, path: str) -> str:
    return urljoin(base, path) if base else path


def _entry_text(r: Release) -> str:
    text = f"{r.summary}\n\nSearch date: {r.search_date.isoformat()}."
    if r.scope_note:
        text += f" {r.scope_note}"
    return text


def feed_xml(root: Path, base_url: str | None = None) -> bytes:
    """The feed document (UTF-8 bytes). Raises ChangesError if the update log is invalid and
    ValueError for a base_url that is not an absolute http(s) URL."""
    root = Path(root)
    base = _base(base_url)
    releases = read_releases(root)  # oldest first; never empty
    name = _package_name(root)
    config = _book_config(root)
    title = str(config.get("title") or name)
    author = str(config.get("author") or DEFAULT_AUTHOR)
    # The release-notes page the book names (_config.yml: livingreview_whats_new), else its home.
    whats_new = book_settings(root).whats_new
    page = _href(base, f"{whats_new}.html" if whats_new else "index.html")

    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(_a("feed"))
    ET.SubElement(feed, _a("id")).text = feed_id(name)
    ET.SubElement(feed, _a("title")).text = f"{title} — releases"
    ET.SubElement(feed, _a("subtitle")).text = (
        "Each release of the living review: what changed in "
        "the evidence, and when the evidence was last searched."
    )
    ET.SubElement(feed, _a("updated")).text = _rfc3339(max(r.date for r in releases))
    ET.SubElement(ET.SubElement(feed, _a("author")), _a("name")).text = author
    ET.SubElement(feed, _a("link"), rel="self", type=MEDIA_TYPE, href=_href(base, FEED_FILE))
    ET.SubElement(feed, _a("link"), rel="alternate", type="text/html", href=page)
    rights = _license(root)
    if rights:
        ET.SubElement(feed, _a("rights")).text = f"Data: {rights}"
    for r in reversed(releases):
        entry = ET.SubElement(feed, _a("entry"))
        ET.SubElement(entry, _a("id")).text = entry_id(name, r.version)
        ET.SubElement(entry, _a("title")).text = f"Version {r.version} ({r.date.isoformat()})"
        ET.SubElement(entry, _a("updated")).text = _rfc3339(r.date)
        ET.SubElement(entry, _a("published")).text = _rfc3339(r.date)
        ET.SubElement(entry, _a("link"), rel="alternate", type="text/html", href=page)
        ET.SubElement(entry, _a("summary"), type="text").text = r.summary
        ET.SubElement(entry, _a("content"), type="text").text = _entry_text(r)
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def write_feed(root: Path, outdir: Path, base_url: str | None = None) -> Path:
    """Write ``outdir/feed.xml`` and return its path."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / FEED_FILE
    data = feed_xml(root, base_url)
    tmp = path.with_suffix(".xml.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def feed_links_html(href: str = FEED_FILE, title: str = "Releases (Atom feed)") -> str:
    """The ``<link rel="alternate">`` that lets browsers and feed readers discover the feed;
    ``href`` is the feed's address relative to the page (or absolute)."""
    return (
        f'<link rel="alternate" type="{MEDIA_TYPE}" title="{html.escape(title, quote=True)}" '
        f'href="{html.escape(href, quote=True)}" />'
    )


# -- Sphinx glue -------------------------------------------------------------------------------


def on_build_finished(app: Any, exception: Exception | None) -> None:
    """Write the feed into the HTML output (html builders only, and only after a good build)."""
    if exception is not None or getattr(app.builder, "format", "") != "html":
        return
    if not package_file(Path(app.srcdir)).is_file():
        return  # a book without a dataset (e.g. a test book) has no update log to publish
    write_feed(Path(app.srcdir), Path(app.outdir), getattr(app.config, "html_baseurl", "") or None)


def on_page_context(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if not package_file(Path(app.srcdir)).is_file():
        return
    pathto = context.get("pathto")
    href = pathto(FEED_FILE, 1) if callable(pathto) else FEED_FILE
    context["metatags"] = context.get("metatags", "") + "\n" + feed_links_html(href)


def setup(app: Any) -> dict[str, Any]:
    """Usable as a Sphinx extension (``livingreview.review.feed``) or called from another's setup."""
    app.connect("build-finished", on_build_finished)
    # Early, like livingreview.build.sphinx: a theme handler returning a template stops later handlers.
    app.connect("html-page-context", on_page_context, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
