"""New records against the screening log and against each other.

Exact duplicates share an identifier once normalised: PMID, PMCID, DOI (a record found with
PMID and PMCID links all three), NCT number, an NCT alias, a EudraCT or CTIS number. A DOI is not
a match key for a book chapter, nor when two records with different PMIDs carry it (a book's DOI
shared by its chapters). Near-identical titles are never merged: they go to a "possible
duplicate" list for a person to decide.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from . import ids
from .records import Candidate

THRESHOLD = 93.0  # rapidfuzz ratio (0-100) of normalised titles from which a person looks


@dataclass(frozen=True)
class Known:
    """A record already on file (screening log, ledger candidates): its id, identifiers, title."""

    record_id: str
    keys: frozenset[str]
    title: str = ""


@dataclass
class Outcome:
    new: list[tuple[str, Candidate]] = field(default_factory=list)  # (assigned id, candidate)
    duplicates: list[tuple[Candidate, str, str]] = field(default_factory=list)  # (cand, of, by)
    possible: list[tuple[str, Candidate, str, float]] = field(default_factory=list)  # (id, cand, of, score)


def keys_of(c: Candidate, shared_dois: frozenset[str] = frozenset()) -> frozenset[str]:
    keys = {f"src:{c.source}:{c.source_id}"}
    if c.pmid:
        keys.add(f"pmid:{c.pmid}")
    if c.pmcid:
        keys.add(f"pmcid:{c.pmcid}")
    if c.doi and c.kind != "book chapter" and c.doi not in shared_dois:
        keys.add(f"doi:{c.doi}")
    if c.nct_id:
        keys.add(f"trial:{c.nct_id}")
    keys.update(f"trial:{t}" for t in c.other_ids if t)
    return frozenset(keys)


def shared_dois(records: Iterable[tuple[str, str]]) -> frozenset[str]:
    """DOIs that (doi, pmid) pairs show on records with two or more different PMIDs."""
    seen: dict[str, set[str]] = defaultdict(set)
    for doi, pmid in records:
        if doi and pmid:
            seen[doi].add(pmid)
    return frozenset(d for d, p in seen.items() if len(p) > 1)


class _Titles:
    """Normalised titles sorted by length: a ratio >= t is only possible between lengths l1, l2
    with |l1 - l2| <= (1 - t)(l1 + l2), so each lookup compares a length band, not everything."""

    def __init__(self, threshold: float):
        self.t = threshold / 100
        self.items: list[tuple[int, str, str]] = []  # (length, key, record id), kept sorted
        self._lengths: list[int] = []

    def add_many(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.items += [(len(k), k, rid) for k, rid in pairs if k]
        self.items.sort()
        self._lengths = [n for n, _, _ in self.items]

    def add(self, key: str, rid: str) -> None:
        if key:
            i = bisect_left(self._lengths, len(key))
            self.items.insert(i, (len(key), key, rid))
            self._lengths.insert(i, len(key))

    def best(self, key: str) -> tuple[str, float] | None:
        if not key:
            return None
        n = len(key)
        lo = bisect_left(self._lengths, n * self.t / (2 - self.t))
        hi = bisect_right(self._lengths, n * (2 - self.t) / self.t)
        if lo >= hi:
            return None
        band = self.items[lo:hi]
        hit = process.extractOne(key, [k for _, k, _ in band], scorer=fuzz.ratio, score_cutoff=self.t * 100)
        return (band[hit[2]][2], hit[1]) if hit else None


def deduplicate(
    candidates: Sequence[Candidate],
    known: Sequence[Known],
    *,
    next_id,
    threshold: float = THRESHOLD,
) -> Outcome:
    """Sort each candidate into new, duplicate (of which record, by which identifier) or new
    *and* possible duplicate (of which record, title score). Candidates are compared with the
    known records and with the candidates before them; ``next_id(candidate)`` names a new one."""
    shared = shared_dois([(c.doi, c.pmid) for c in candidates])
    by_key: dict[str, str] = {}
    for k in known:
        for key in k.keys:
            if not (key.startswith("doi:") and key[4:] in shared):
                by_key.setdefault(key, k.record_id)
    titles = _Titles(threshold)
    titles.add_many((ids.title_key(k.title), k.record_id) for k in known)
    out = Outcome()
    for c in candidates:
        keys = keys_of(c, shared)
        hit = next(((by_key[k], k) for k in sorted(keys) if k in by_key), None)
        if hit:
            of, by = hit
            out.duplicates.append((c, of, by.split(":", 1)[0]))
            for k in keys:  # what this copy adds links the others (PMID <-> PMCID <-> DOI)
                by_key.setdefault(k, of)
            continue
        rid = next_id(c)
        tkey = ids.title_key(c.title)
        near = titles.best(tkey)
        out.new.append((rid, c))
        if near:
            out.possible.append((rid, c, near[0], round(near[1], 1)))
        for k in keys:
            by_key[k] = rid
        titles.add(tkey, rid)
    return out
