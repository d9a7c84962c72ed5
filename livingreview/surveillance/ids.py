"""Identifiers normalised so that two spellings of one identifier compare equal ('' when the
text is not an identifier of that kind)."""

from __future__ import annotations

import re

_DOI = re.compile(r"10\.\d{4,9}/\S+")
_PMCID = re.compile(r"(?i)^\s*(?:pmcid:\s*)?pmc\s*(\d+)\s*$")
_NCT = re.compile(r"(?i)^\s*nct\s*0*(\d{1,8})\s*$")
EUDRACT = re.compile(r"^\d{4}-\d{6}-\d{2}$")
CTIS = re.compile(r"^\d{4}-5\d{5}-\d{2}-\d{2}$")


def doi(text: str | None) -> str:
    """'https://doi.org/10.1056/NEJMoa2214171' -> '10.1056/nejmoa2214171' (DOIs are case-blind)."""
    if not text:
        return ""
    m = _DOI.search(text.strip())
    return m.group(0).rstrip(".").lower() if m else ""


def pmid(text: str | None) -> str:
    t = (text or "").strip()
    t = t[5:].strip() if t.lower().startswith("pmid:") else t
    return str(int(t)) if t.isdigit() and int(t) > 0 else ""


def pmcid(text: str | None) -> str:
    m = _PMCID.match(text or "")
    return f"PMC{int(m.group(1))}" if m else ""


def nct(text: str | None) -> str:
    m = _NCT.match(text or "")
    return f"NCT{int(m.group(1)):08d}" if m else ""


def trial_id(text: str | None) -> str:
    """An NCT, EudraCT or CTIS number, normalised; '' otherwise."""
    t = (text or "").strip()
    if nct(t):
        return nct(t)
    return t if EUDRACT.match(t) or CTIS.match(t) else ""


def title_key(text: str | None) -> str:
    """Case, accents of punctuation and spacing removed: what near-duplicate titles compare."""
    t = re.sub(r"<[^>]+>", " ", text or "")  # inline markup from efetch titles
    t = re.sub(r"[^\w]+", " ", t.casefold())
    return " ".join(t.split())
