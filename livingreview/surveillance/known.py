"""The records already on file, as dedup sees them: the screening log (identifiers from
references.bib through each record's citekey) and every earlier candidate."""

from __future__ import annotations

import re
from pathlib import Path

from . import ids, tables
from .dedup import Known


def _bib_fields(root: Path) -> dict[str, dict[str, str]]:
    """citekey -> {field: value} for the fields dedup reads (doi, pmid, pmcid, eprint, title)."""
    path = Path(root) / tables.BIB
    if not path.is_file():
        return {}
    import bibtexparser

    library = bibtexparser.parse_string(path.read_text(encoding="utf-8"))
    out = {}
    for e in library.entries:
        out[e.key] = {
            k.lower(): str(v.value)
            for k, v in e.fields_dict.items()
            if k.lower() in ("doi", "pmid", "pmcid", "eprint", "title")
        }
    return out


def from_screening(root: Path) -> list[Known]:
    bib = _bib_fields(root)
    _, rows = tables.read(root, tables.SCREENING)
    out = []
    for r in rows:
        f = bib.get(r.get("citekey") or "", {})
        keys = set()
        if ids.doi(f.get("doi")):
            keys.add(f"doi:{ids.doi(f.get('doi'))}")
        for v in (f.get("pmid"), f.get("eprint")):
            if ids.pmid(v):
                keys.add(f"pmid:{ids.pmid(v)}")
        if ids.pmcid(f.get("pmcid")):
            keys.add(f"pmcid:{ids.pmcid(f.get('pmcid'))}")
        title = re.sub(r"[{}]", "", f.get("title") or r.get("citation") or "")
        out.append(Known(r["record_id"], frozenset(keys), title))
    return out


def candidate_keys(r: dict[str, str]) -> frozenset[str]:
    keys = {f"src:{r['source']}:{r['source_id']}"}
    for prefix, col in (("pmid", "pmid"), ("pmcid", "pmcid"), ("trial", "nct_id")):
        if r.get(col):
            keys.add(f"{prefix}:{r[col]}")
    if r.get("doi") and r.get("kind") != "book chapter":
        keys.add(f"doi:{r['doi']}")
    keys.update(f"trial:{t}" for t in (r.get("other_ids") or "").split("; ") if t)
    return frozenset(keys)


def from_candidates(root: Path) -> list[Known]:
    _, rows = tables.read(root, tables.CANDIDATES)
    return [Known(r["candidate_id"], candidate_keys(r), r.get("title", "")) for r in rows]


def load(root: Path) -> list[Known]:
    return from_screening(root) + from_candidates(root)
