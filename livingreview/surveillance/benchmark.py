"""The deduplication target of ``make bench``: 10,000 candidates against a 10,000-record
screening log in at most 5 s (``python -m livingreview.surveillance.benchmark`` alone).

The records are made here, deterministically (seeded), in the shape of the recorded ones:
titles of 6-20 words, PMIDs, DOIs, some PMCIDs and registry numbers. A third of the candidates
share an identifier with a logged record, a tenth have a logged record's title with one
character changed (possible duplicates), the rest are new."""

from __future__ import annotations

import random
import statistics
import sys
import time

from .dedup import Known, deduplicate
from .records import Candidate

TARGET_SECONDS = 5.0
N = 10_000
_WORDS = (
    "infant acute lymphoblastic leukemia KMT2A rearranged blinatumomab chemotherapy outcome children "
    "mixed phenotype lineage switch relapse CD19 chimeric antigen receptor tisagenlecleucel gemtuzumab "
    "ozogamicin donor lymphocyte infusion transplantation minimal residual disease survival cohort trial "
    "phase randomised multicentre retrospective series report case review international study group"
).split()


def records(
    n_log: int = N, n_candidates: int = N, seed: int = 20261205
) -> tuple[list[Known], list[Candidate]]:
    rnd = random.Random(seed)

    def title() -> str:
        return " ".join(rnd.choice(_WORDS) for _ in range(rnd.randint(6, 20))).capitalize()

    log = []
    for i in range(n_log):
        keys = {f"pmid:{30_000_000 + i}", f"doi:10.1000/log.{i}"}
        if i % 4 == 0:
            keys.add(f"pmcid:PMC{9_000_000 + i}")
        log.append(Known(f"rec-{i:05d}", frozenset(keys), title()))
    cands = []
    for j in range(n_candidates):
        kind = j % 10
        if kind < 3:  # a logged record again, found by a different identifier of it
            i = rnd.randrange(n_log)
            c = Candidate(
                "europepmc", f"MED:{j}", log[i].title, pmid=str(30_000_000 + i), doi=f"10.1000/LOG.{i}"
            )
        elif kind == 3:  # a logged title with one character changed, new identifiers
            t = list(log[rnd.randrange(n_log)].title)
            k = rnd.randrange(len(t))
            t[k] = "x" if t[k] != "x" else "y"
            c = Candidate("pubmed", str(40_000_000 + j), "".join(t), pmid=str(40_000_000 + j))
        else:
            c = Candidate(
                "pubmed", str(40_000_000 + j), title(), pmid=str(40_000_000 + j), doi=f"10.2000/new.{j}"
            )
        cands.append(c)
    return log, cands


def measure(runs: int = 3) -> dict[str, object]:
    log, cands = records()
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = deduplicate(cands, log, next_id=lambda c: f"{c.source}-{c.source_id}")
        times.append(time.perf_counter() - start)
    assert out is not None
    return {
        "candidates": len(cands),
        "log": len(log),
        "seconds": statistics.median(times),
        "runs": times,
        "new": len(out.new),
        "duplicates": len(out.duplicates),
        "possible_duplicates": len(out.possible),
    }


def target(result: dict[str, object]) -> tuple[str, str, bool]:
    s = float(result["seconds"])  # type: ignore[arg-type]
    return (
        f"dedup of {N:,} candidates against a {N:,}-record log <= {TARGET_SECONDS:g} s",
        f"{s:.2f} s (median of {len(result['runs'])}; {result['duplicates']} duplicates, "  # type: ignore[arg-type]
        f"{result['possible_duplicates']} possible duplicates, {result['new']} new)",
        s <= TARGET_SECONDS,
    )


if __name__ == "__main__":
    r = measure()
    name, figure, ok = target(r)
    print(f"{'PASS' if ok else 'FAIL'} | {name} | {figure}")
    sys.exit(0 if ok else 1)
