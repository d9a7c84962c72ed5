"""NCBI E-utilities: ``esearch`` (usehistory=y, windowed on the record's creation date [crdt],
not the Entrez date, which can be back-dated) then ``efetch`` XML through the history server.

NCBI asks for ``tool`` and ``email`` on every request and allows 3 requests a second, 10 with an
API key (``NCBI_API_KEY`` in the environment; sent, never logged: see :func:`.http.describe`)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date

from . import ids
from .http import Client, SearchError, describe, require_count
from .records import Candidate

EUTILS = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
CEILING = 10_000  # esearch/efetch history paging returns at most this many PubMed records
BATCH = 200


@dataclass(frozen=True)
class Identity:
    tool: str
    email: str
    api_key: str = ""

    def params(self) -> dict[str, str]:
        p = {"tool": self.tool, "email": self.email}
        return p | {"api_key": self.api_key} if self.api_key else p

    @property
    def min_interval(self) -> float:
        return 1 / 10 if self.api_key else 1 / 3


def windowed_term(query: str, start: date, end: date) -> str:
    """The query as run: the strategy's query AND the creation-date window (inclusive)."""
    return f'({query}) AND ("{start:%Y/%m/%d}"[crdt] : "{end:%Y/%m/%d}"[crdt])'


def _xml(text: str, request: str) -> ET.Element:
    try:
        return ET.fromstring(text.encode("utf-8") if isinstance(text, str) else text)
    except ET.ParseError as exc:
        raise SearchError(request, f"the answer is not well-formed XML (truncated?): {exc}") from None


def parse_esearch(text: str, request: str) -> tuple[int, str, str]:
    """-> (Count, WebEnv, QueryKey); an ERROR element or a missing field is refused."""
    root = _xml(text, request)
    if root.tag != "eSearchResult":
        raise SearchError(request, f"expected an eSearchResult, got <{root.tag}>")
    error = root.findtext("ERROR")
    if error:
        raise SearchError(request, f"esearch reported an error: {error}")
    count, webenv, key = root.findtext("Count"), root.findtext("WebEnv"), root.findtext("QueryKey")
    if count is None or not count.strip().isdigit():
        raise SearchError(request, f"the answer has no valid <Count> (got {count!r})")
    if not webenv or not key:
        raise SearchError(request, "the answer has no <WebEnv>/<QueryKey> although usehistory=y was asked")
    return int(count), webenv.strip(), key.strip()


def _text(el: ET.Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _article(el: ET.Element) -> Candidate:
    book = el.tag == "PubmedBookArticle"
    citation = el.find("BookDocument" if book else "MedlineCitation")
    if citation is None:
        raise ValueError(f"<{el.tag}> without its citation element")
    pmid = ids.pmid(citation.findtext("PMID"))
    article = citation if book else citation.find("Article")
    title = _text(article.find("ArticleTitle")) if article is not None else ""
    if book and not title:
        title = _text(citation.find("Book/BookTitle"))
    authors = tuple(
        " ".join(x for x in (a.findtext("LastName"), a.findtext("Initials")) if x)
        or _text(a.find("CollectiveName"))
        for a in (article.findall("AuthorList/Author") if article is not None else [])
    )
    abstract = " ".join(
        ((p.get("Label") + ": ") if p.get("Label") else "") + _text(p)
        for p in (article.findall("Abstract/AbstractText") if article is not None else [])
    )
    journal = (
        _text(citation.find("Article/Journal/Title")) if not book else _text(citation.find("Book/BookTitle"))
    )
    year = (
        citation.findtext("Article/Journal/JournalIssue/PubDate/Year")
        or (citation.findtext("Article/Journal/JournalIssue/PubDate/MedlineDate") or "")[:4]
        or citation.findtext("Book/PubDate/Year")
        or ""
    )
    id_list = el.findall("PubmedData/ArticleIdList/ArticleId") or el.findall(
        "PubmedBookData/ArticleIdList/ArticleId"
    )
    found = {a.get("IdType"): (a.text or "").strip() for a in id_list}
    doi = ids.doi(found.get("doi"))
    if not doi and article is not None:
        for loc in article.findall("ELocationID"):
            if loc.get("EIdType") == "doi":
                doi = ids.doi(loc.text)
    types = tuple(
        _text(t)
        for t in (article.findall("PublicationTypeList/PublicationType") if article is not None else [])
    )
    banks = tuple(
        ids.nct(acc.text)
        for bank in citation.findall("Article/DataBankList/DataBank")
        if (bank.findtext("DataBankName") or "").strip() == "ClinicalTrials.gov"
        for acc in bank.findall("AccessionNumberList/AccessionNumber")
        if ids.nct(acc.text)
    )
    return Candidate(
        source="pubmed",
        source_id=pmid,
        title=title,
        pmid=pmid,
        pmcid=ids.pmcid(found.get("pmc")),
        doi=doi,
        authors=authors,
        journal=journal,
        year=year.strip(),
        abstract=abstract,
        publication_types=types,
        kind="book chapter" if book else "article",
        linked_nct=banks,
    )


def parse_efetch(text: str, request: str) -> list[Candidate]:
    root = _xml(text, request)
    if root.tag != "PubmedArticleSet":
        raise SearchError(request, f"expected a PubmedArticleSet, got <{root.tag}>")
    out = []
    for i, el in enumerate(root, start=1):
        if el.tag not in ("PubmedArticle", "PubmedBookArticle"):
            continue
        try:
            cand = _article(el)
        except (ValueError, AttributeError) as exc:
            raise SearchError(request, f"record {i}: {exc}") from None
        if not cand.pmid:
            raise SearchError(request, f"record {i} has no PMID")
        out.append(cand)
    return out


def fetch_ids(client: Client, pmids: list[str], who: Identity) -> list[Candidate]:
    """The PubMed records of these PMIDs (efetch by id); refused unless every one comes back."""
    url = EUTILS + "efetch.fcgi"
    params = {"db": "pubmed", "id": ",".join(pmids), "retmode": "xml"} | who.params()
    request = describe(url, params)
    got = [c for c in parse_efetch(client.get(url, params).text, request) if c.pmid in set(pmids)]
    missing = sorted(set(pmids) - {c.pmid for c in got})
    if missing:
        raise SearchError(request, f"PubMed returned no record for PMID {', '.join(missing)}: refused")
    return got


@dataclass
class Result:
    query_as_run: str
    reported: int
    records: list[Candidate]


def search(client: Client, query: str, start: date, end: date, who: Identity) -> Result:
    """Every record created in [start, end] that the query finds; refused (SearchError) when
    more than the history ceiling match or when efetch returns a different number of records
    than esearch reported."""
    term = windowed_term(query, start, end)
    params = {"db": "pubmed", "term": term, "usehistory": "y", "retmax": 0} | who.params()
    url = EUTILS + "esearch.fcgi"
    request = describe(url, params)
    count, webenv, key = parse_esearch(client.get(url, params).text, request)
    if count >= CEILING:
        raise SearchError(
            request,
            f"{count} records match, at or over E-utilities' {CEILING:,}-record ceiling: narrow the "
            "window (python -m livingreview search --until ...) and run again; nothing was changed",
        )
    records: list[Candidate] = []
    fetch = EUTILS + "efetch.fcgi"
    for retstart in range(0, count, BATCH):
        p = {
            "db": "pubmed",
            "query_key": key,
            "WebEnv": webenv,
            "retstart": retstart,
            "retmax": BATCH,
            "retmode": "xml",
        } | who.params()
        records += parse_efetch(client.get(fetch, p).text, describe(fetch, p))
    require_count(
        request, count, len(records), f"esearch reported {count} records but efetch returned {len(records)}"
    )
    return Result(term, count, records)
