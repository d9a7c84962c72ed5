"""Europe PMC REST search: ``cursorMark`` paging over a ``CREATION_DATE`` window (the date the
record entered Europe PMC, which later edits do not move)."""

from __future__ import annotations

import json
from datetime import date

from . import ids
from .http import Client, SearchError, describe, require_count
from .pubmed import Result
from .records import Candidate

SEARCH = "https://www.ebi.ac.uk/europepmc/webservices/rest/search"
PAGE_SIZE = 1000


def windowed_query(query: str, start: date, end: date) -> str:
    return f"({query}) AND (CREATION_DATE:[{start:%Y-%m-%d} TO {end:%Y-%m-%d}])"


def _json(text: str, request: str) -> dict:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SearchError(request, f"the answer is not valid JSON (truncated?): {exc}") from None
    if not isinstance(data, dict):
        raise SearchError(request, f"expected a JSON object, got {type(data).__name__}")
    return data


def _authors(r: dict) -> tuple[str, ...]:
    listed = (r.get("authorList") or {}).get("author") or []
    if listed:
        return tuple(a.get("fullName") or a.get("collectiveName") or "" for a in listed)
    return tuple(a.strip() for a in (r.get("authorString") or "").rstrip(".").split(",") if a.strip())


def parse_result(r: dict) -> Candidate:
    pub_types = (r.get("pubTypeList") or {}).get("pubType") or [
        t.strip() for t in (r.get("pubType") or "").split(";") if t.strip()
    ]
    journal = r.get("journalTitle") or ((r.get("journalInfo") or {}).get("journal") or {}).get("title") or ""
    book = r.get("source") == "NBK" or "book chapter" in {t.lower() for t in pub_types}
    return Candidate(
        source="europepmc",
        source_id=f"{r.get('source', '')}:{r.get('id', '')}",
        title=" ".join((r.get("title") or "").split()),
        pmid=ids.pmid(r.get("pmid")),
        pmcid=ids.pmcid(r.get("pmcid")),
        doi=ids.doi(r.get("doi")),
        authors=_authors(r),
        journal=journal,
        year=str(r.get("pubYear") or ""),
        abstract=" ".join((r.get("abstractText") or "").split()),
        publication_types=tuple(pub_types),
        kind="book chapter" if book else "article",
    )


def search(client: Client, query: str, start: date, end: date) -> Result:
    q = windowed_query(query, start, end)
    cursor, reported, records = "*", None, []
    first = None
    while True:
        params = {
            "query": q,
            "format": "json",
            "resultType": "core",
            "pageSize": PAGE_SIZE,
            "cursorMark": cursor,
        }
        request = describe(SEARCH, params)
        first = first or request
        data = _json(client.get(SEARCH, params).text, request)
        if "hitCount" not in data or not isinstance(data["hitCount"], int):
            raise SearchError(request, f"the answer has no integer hitCount (got {data.get('hitCount')!r})")
        if reported is None:
            reported = data["hitCount"]
        page = (data.get("resultList") or {}).get("result")
        if not isinstance(page, list):
            raise SearchError(request, "the answer has no resultList.result list")
        for i, r in enumerate(page, start=1):
            if not isinstance(r, dict) or not r.get("id"):
                raise SearchError(request, f"result {i} of the page has no id")
            records.append(parse_result(r))
        nxt = data.get("nextCursorMark")
        if not page or not nxt or nxt == cursor or len(records) >= reported:
            break
        cursor = nxt
    require_count(
        first,
        reported,
        len(records),
        f"Europe PMC reported {reported} records but {len(records)} were retrieved",
    )
    return Result(q, reported, records)
