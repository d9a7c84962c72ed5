"""New records against the screening log and against each other.

Exact duplicates share an identifier once normalised: PMID, PMCID, DOI (a record found with
PMID and PMCID links all three), NCT number, an NCT alias, a EudraCT or CTIS number. A DOI is not
a match key for a book chapter, nor when two records with different PMIDs carry it (a book's DOI
shared by its chapters). Near-identical titles are never merged: they go to a "possible
duplicate" list for a person to decide.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
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


# Characters whose counts bound the distance cheaply (the last column counts all the others).
_SIG = "abcdefghijklmnopqrstuvwxyz "


def _signature(titles: list[str]) -> tuple[np.ndarray, np.ndarray]:
    sig = np.zeros((len(titles), len(_SIG) + 1), dtype=np.int16)
    for i, title in enumerate(titles):
        for j, ch in enumerate(_SIG):
            sig[i, j] = title.count(ch)
        sig[i, -1] = len(title) - int(sig[i, :-1].sum())
    return np.minimum(sig, 127).astype(np.int8), np.array([len(x) for x in titles], dtype=np.int32)


def _near_titles(
    new: list[str], known: list[str], threshold: float, chunk: int = 256
) -> list[tuple[int, float, bool]]:
    """For each new title, the best title at or above the threshold among the known ones and the
    new ones before it: (index, score, is_known), or (-1, 0, False); a known title wins a tie.

    Exact, and fast for tens of thousands of titles. Two lower bounds of the Indel distance
    behind rapidfuzz's ratio prune the pairs before any is scored: the length difference (only a
    band of lengths can reach the threshold) and the L1 distance between character counts (each
    insertion or deletion changes one count by one; a count capped at 127 only lowers the bound).
    The pairs that both bounds allow (distance <= (1 - t)(l1 + l2)) are scored in C."""
    t = threshold / 100
    sig_new, len_new = _signature(new)
    sig_known, len_known = _signature(known)
    pools = []
    for sig, length, is_known in ((sig_known, len_known, True), (sig_new, len_new, False)):
        order = np.argsort(length, kind="stable")
        pools.append((sig[order], length[order], order, is_known))
    found: dict[bool, tuple[list[np.ndarray], list[np.ndarray]]] = {True: ([], []), False: ([], [])}
    by_length = np.argsort(len_new, kind="stable")
    by_length = by_length[len_new[by_length] > 0]  # an empty title is near nothing
    for start in range(0, len(new), chunk):
        rows = by_length[start : start + chunk]
        q, lq = sig_new[rows][:, None, :], len_new[rows]
        lo, hi = math.ceil(int(lq.min()) * t / (2 - t)), math.floor(int(lq.max()) * (2 - t) / t)
        for p_sig, p_len, p_order, is_known in pools:
            a, b = np.searchsorted(p_len, max(lo, 1), "left"), np.searchsorted(p_len, hi, "right")
            if a >= b:
                continue
            diff = q - p_sig[None, a:b, :]  # counts capped at 127: no overflow in int8
            bound = np.abs(diff, out=diff).sum(axis=2, dtype=np.int16)
            ok = bound <= (1 - t) * (lq[:, None] + p_len[None, a:b])
            cols = p_order[a:b]
            if not is_known:  # only the new titles before this one
                ok &= rows[:, None] > cols[None, :]
            r, c = np.nonzero(ok)
            found[is_known][0].append(rows[r])
            found[is_known][1].append(cols[c])
    best: list[tuple[int, float, bool]] = [(-1, 0.0, False)] * len(new)
    texts = {True: np.array(known, dtype=object), False: np.array(new, dtype=object)}
    for is_known in (True, False):  # known first, so that it keeps a tie
        if not found[is_known][0]:
            continue
        i, j = np.concatenate(found[is_known][0]), np.concatenate(found[is_known][1])
        s = process.cpdist(
            texts[False][i].tolist(),
            texts[is_known][j].tolist(),
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=threshold,
            dtype=np.float32,
            workers=-1,
        )
        hit = s >= threshold
        i, j, s = i[hit], j[hit], s[hit]
        order = np.lexsort((-s, i))  # by title, its best score first
        i, j, s = i[order], j[order], s[order]
        first = np.ones(len(i), dtype=bool)
        first[1:] = i[1:] != i[:-1]
        for ii, jj, ss in zip(i[first].tolist(), j[first].tolist(), s[first].tolist(), strict=True):
            if ss > best[ii][1]:
                best[ii] = (jj, ss, is_known)
    return best


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
    out = Outcome()
    for c in candidates:  # identifiers first, in order
        keys = keys_of(c, shared)
        hit = next(((by_key[k], k) for k in sorted(keys, key=_KEY_ORDER) if k in by_key), None)
        if hit:
            of, by = hit
            out.duplicates.append((c, of, by.split(":", 1)[0]))
            for k in keys:  # what this copy adds links the others (PMID <-> PMCID <-> DOI)
                by_key.setdefault(k, of)
            continue
        rid = next_id(c)
        out.new.append((rid, c))
        for k in keys:
            by_key[k] = rid
    near = _near_titles(
        [ids.title_key(c.title) for _, c in out.new], [ids.title_key(k.title) for k in known], threshold
    )
    for (rid, c), (j, score, is_known) in zip(out.new, near, strict=True):
        if j >= 0:
            of = known[j].record_id if is_known else out.new[j][0]
            out.possible.append((rid, c, of, round(score, 1)))
    return out


def _KEY_ORDER(key: str) -> tuple[int, str]:
    """Report the most specific identifier a duplicate shares."""
    order = ("pmid", "pmcid", "doi", "trial", "src")
    return (order.index(key.split(":", 1)[0]) if key.split(":", 1)[0] in order else 9, key)
