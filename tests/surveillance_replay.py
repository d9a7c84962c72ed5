"""Replay of recorded service responses (tests/fixtures/surveillance, sources in its README)
through httpx.MockTransport, and a throw-away copy of the project's data for a run to write to."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "surveillance"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def recorded(request: httpx.Request) -> httpx.Response:
    """The recorded answer for a request of any of the three services."""
    url, q = request.url, request.url.params
    if url.host == "eutils.ncbi.nlm.nih.gov":
        name = "pubmed_esearch.xml" if url.path.endswith("esearch.fcgi") else "pubmed_efetch.xml"
        return httpx.Response(200, text=fixture(name))
    if url.host == "www.ebi.ac.uk":
        first = q.get("cursorMark") == "*"
        return httpx.Response(200, text=fixture("europepmc_page1.json" if first else "europepmc_empty.json"))
    if url.host == "clinicaltrials.gov":
        name = "ctgov_page2.json" if q.get("pageToken") else "ctgov_page1.json"
        return httpx.Response(200, text=fixture(name))
    return httpx.Response(404, text="no recording for this request")


Handler = Callable[[httpx.Request], httpx.Response]


def transport(handler: Handler = recorded, log: list | None = None) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if log is not None:
            log.append(request)
        return handler(request)

    return httpx.MockTransport(handle)


def project_copy(tmp: Path) -> Path:
    """data/ and references.bib of this repository in ``tmp`` (what a run reads and writes)."""
    shutil.copytree(ROOT / "data", tmp / "data")
    shutil.copy(ROOT / "references.bib", tmp / "references.bib")
    return tmp


def digest(folder: Path) -> dict[str, str]:
    files = sorted(p for p in folder.iterdir() if p.is_file())
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
