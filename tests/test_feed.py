"""The Atom feed of releases (livingreview.review.feed) and CITATION.cff, which repeats the latest release."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import feedparser
import pytest
import yaml

from livingreview.review import changes, feed

ROOT = Path(__file__).resolve().parent.parent
A = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)\Z")

HEADER = "version,date,search_date,tag,summary,scope_note\n"
TRICKY = 'Fixed the <b>bold</b> & "quoted" <&> figures'


def fake_root(tmp_path: Path, rows: str) -> Path:
    root = tmp_path / "book"
    (root / "data").mkdir(parents=True)
    (root / "data" / "datapackage.json").write_text(
        json.dumps(
            {
                "name": "fake-review",
                "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0"}],
                "resources": [{"name": "releases", "path": "releases.csv", "format": "csv"}],
            }
        ),
        encoding="utf-8",
    )
    (root / "data" / "releases.csv").write_text(HEADER + rows, encoding="utf-8")
    (root / "_config.yml").write_text(
        'title: "A fake review <test>"\nauthor: Fake team\n'
        "sphinx:\n  config:\n    livingreview_whats_new: chapters/whats-new\n",
        encoding="utf-8",
    )
    return root


@pytest.fixture
def two_releases(tmp_path: Path) -> Path:
    return fake_root(
        tmp_path,
        "1.0.0,2001-01-01,2001-01-01,v1.0.0,Fake first release.,\n"
        f'1.1.0,2001-02-01,2001-01-31,v1.1.0,"{TRICKY.replace(chr(34), chr(34) * 2)}",'
        "Fake scope note.\n",
    )


def check_rfc4287(xml: bytes) -> ET.Element:
    """The elements RFC 4287 requires of a feed and of each entry, checked with ElementTree."""
    top = ET.fromstring(xml)
    assert top.tag == f"{A}feed"
    for name in ("id", "title", "updated"):
        assert len(top.findall(f"{A}{name}")) == 1, f"feed needs exactly one atom:{name}"
        assert (top.findtext(f"{A}{name}") or "").strip(), f"feed atom:{name} is empty"
    assert RFC3339.match(top.findtext(f"{A}updated"))
    assert (top.findtext(f"{A}author/{A}name") or "").strip(), "feed needs an author with a name"
    rels = {link.get("rel", "alternate"): link.get("href") for link in top.findall(f"{A}link")}
    assert rels.get("self") and rels.get("alternate")
    entries = top.findall(f"{A}entry")
    assert entries
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{A}{name}")) == 1, f"entry needs exactly one atom:{name}"
            assert (entry.findtext(f"{A}{name}") or "").strip()
        assert RFC3339.match(entry.findtext(f"{A}updated"))
        assert entry.find(f"{A}summary") is not None or entry.find(f"{A}content") is not None
        assert entry.find(f"{A}link[@rel='alternate']") is not None
    ids = [e.findtext(f"{A}id") for e in entries]
    assert len(set(ids)) == len(ids)
    return top


def test_real_feed_is_valid_atom(tmp_path: Path) -> None:
    path = feed.write_feed(ROOT, tmp_path / "html", None)
    assert path == tmp_path / "html" / "feed.xml"
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    releases = changes.read_releases(ROOT)
    assert len(parsed.entries) == len(releases)
    assert parsed.entries[0].title.startswith(f"Version {releases[-1].version}")
    top = check_rfc4287(path.read_bytes())
    assert top.findtext(f"{A}updated") == f"{releases[-1].date.isoformat()}T00:00:00Z"


def test_feed_with_base_url_has_absolute_links(two_releases: Path) -> None:
    xml = feed.feed_xml(two_releases, "https://example.org/review")
    parsed = feedparser.parse(xml)
    assert parsed.bozo == 0 and parsed.version == "atom10"
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {
        "self": "https://example.org/review/feed.xml",
        "alternate": "https://example.org/review/chapters/whats-new.html",
    }
    assert parsed.entries[0].link == "https://example.org/review/chapters/whats-new.html"
    assert parsed.feed.author == "Fake team"
    assert parsed.feed.title == "A fake review <test> — releases"
    check_rfc4287(xml)


def test_entries_newest_first_with_dates_and_stable_ids(two_releases: Path) -> None:
    parsed = feedparser.parse(feed.feed_xml(two_releases))
    assert [e.title for e in parsed.entries] == ["Version 1.1.0 (2001-02-01)", "Version 1.0.0 (2001-01-01)"]
    assert parsed.entries[0].updated == "2001-02-01T00:00:00Z"
    assert parsed.feed.updated == "2001-02-01T00:00:00Z"
    assert parsed.entries[0].id == feed.entry_id("fake-review", "1.1.0")
    assert parsed.entries[0].id.startswith("urn:uuid:")
    assert parsed.entries[0].id != parsed.entries[1].id
    # Deterministic: the same sources give the same bytes (no build time in the feed).
    assert feed.feed_xml(two_releases) == feed.feed_xml(two_releases)
    assert "Search date: 2001-01-31. Fake scope note." in parsed.entries[0].content[0].value


def test_summary_markup_is_escaped(two_releases: Path) -> None:
    xml = feed.feed_xml(two_releases)
    text = xml.decode("utf-8")
    assert "<b>" not in text and "<&>" not in text
    assert "&lt;b&gt;bold&lt;/b&gt; &amp;" in text and "&lt;&amp;&gt;" in text
    top = check_rfc4287(xml)
    assert top.find(f"{A}entry/{A}summary").text == TRICKY  # the text survives, as text
    parsed = feedparser.parse(xml)
    assert parsed.bozo == 0
    assert parsed.entries[0].summary_detail.type == "text/plain"
    assert parsed.entries[0].summary == TRICKY


def test_bad_base_url_and_bad_log(two_releases: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="absolute http"):
        feed.feed_xml(two_releases, "example.org/review")
    bad = fake_root(tmp_path / "bad", "1.0,2001-01-01,2001-01-01,v1.0,x,\n")
    with pytest.raises(changes.ChangesError, match="semantic version"):
        feed.write_feed(bad, tmp_path / "out")


def test_feed_links_html_escapes() -> None:
    tag = feed.feed_links_html('../feed.xml?a=1&b="2"', "Releases <x>")
    assert tag.startswith('<link rel="alternate" type="application/atom+xml"')
    assert 'href="../feed.xml?a=1&amp;b=&quot;2&quot;"' in tag and "Releases &lt;x&gt;" in tag


def test_sphinx_hooks(two_releases: Path, tmp_path: Path) -> None:
    out = tmp_path / "html"
    app = SimpleNamespace(
        srcdir=str(two_releases),
        outdir=str(out),
        builder=SimpleNamespace(format="html"),
        config=SimpleNamespace(html_baseurl="https://example.org/r/"),
    )
    feed.on_build_finished(app, RuntimeError("failed build"))
    assert not (out / "feed.xml").exists()
    feed.on_build_finished(app, None)
    assert b"https://example.org/r/feed.xml" in (out / "feed.xml").read_bytes()
    context = {"metatags": "", "pathto": lambda name, resource: f"../{name}"}
    feed.on_page_context(app, "chapters/x", "page.html", context, None)
    assert 'href="../feed.xml"' in context["metatags"]


# -- CITATION.cff: the citation of the latest release ------------------------------------------


def citation() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def test_citation_cff_has_the_required_keys() -> None:
    cff = citation()
    for key in ("cff-version", "message", "title", "authors"):  # required by CFF 1.2.0
        assert cff.get(key), f"CITATION.cff: {key} is required"
    assert cff["cff-version"] == "1.2.0"
    assert cff["type"] in ("dataset", "software")
    assert all(isinstance(a, dict) and (a.get("name") or a.get("family-names")) for a in cff["authors"])
    assert {"name": "The living-review team"} in cff["authors"]
    assert isinstance(cff["keywords"], list) and all(isinstance(k, str) and k for k in cff["keywords"])


def test_citation_matches_the_latest_release_and_the_data_licence() -> None:
    cff = citation()
    latest = changes.latest_release(ROOT)
    assert str(cff["version"]) == latest.version, "CITATION.cff version differs from data/releases.csv"
    # YAML reads an unquoted date as a date
    assert str(cff["date-released"]) == latest.date.isoformat(), (
        "CITATION.cff date-released differs from the latest release in data/releases.csv"
    )
    package = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    assert cff["license"] in [lic["name"] for lic in package["licenses"]]
    assert package.get("version", latest.version) == latest.version, (
        "data/datapackage.json version differs from the latest release in data/releases.csv"
    )
