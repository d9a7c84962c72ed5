"""Candidates to RIS and screening labels back from RIS, in the forms the screening tools write.

- ASReview keeps a label in the N1 (notes) tag: ``ASReview_relevant``, ``ASReview_irrelevant``,
  ``ASReview_not_seen``.
- Rayyan writes its decisions into the notes: ``RAYYAN-INCLUSION: {"Name"=>"Included"}``
  (or "Excluded", "Maybe") and ``RAYYAN-EXCLUSION-REASONS: reason, reason``.

The record's id travels in the ID tag, so decisions come back to the right candidate."""

from __future__ import annotations

import re
from dataclasses import dataclass

import rispy

_RAYYAN = re.compile(r"RAYYAN-INCLUSION:\s*\{([^}]*)\}")
_RAYYAN_PAIR = re.compile(r'"([^"]+)"\s*=>\s*"([^"]+)"')
_RAYYAN_REASONS = re.compile(r"RAYYAN-EXCLUSION-REASONS:\s*([^|]+)")


def export(candidates: list[dict[str, str]]) -> str:
    """RIS text of candidates.csv rows, each labelled ASReview_not_seen."""
    entries = []
    for c in candidates:
        e = {
            "type_of_reference": "CTLG"
            if c.get("kind") == "registry record"
            else ("CHAP" if c.get("kind") == "book chapter" else "JOUR"),
            "id": c["candidate_id"],
            "title": c.get("title", ""),
            "authors": [a for a in (c.get("authors") or "").split("; ") if a],
            "year": c.get("year", ""),
            "secondary_title": c.get("journal", ""),
            "abstract": c.get("abstract", ""),
            "doi": c.get("doi", ""),
            "accession_number": c.get("pmid") or c.get("nct_id") or c.get("source_id", ""),
            "notes": ["ASReview_not_seen"],
        }
        if c.get("possible_duplicate_of"):
            e["notes"].append(f"possible duplicate of {c['possible_duplicate_of']}")
        entries.append({k: v for k, v in e.items() if v not in ("", [], None)})
    return rispy.dumps(entries)


@dataclass(frozen=True)
class Label:
    record_id: str
    decision: str  # included | excluded
    screener: str
    reason: str = ""
    tool: str = ""


def labels(text: str, screener: str | None = None) -> tuple[list[Label], list[str]]:
    """Decisions found in an ASReview or Rayyan RIS export -> (labels, problems). A record
    without an ID, or with a label this reader does not know, is a problem, never guessed.
    ``screener`` names the person for ASReview files (they do not say who labelled)."""
    out, problems = [], []
    for i, e in enumerate(rispy.loads(text), start=1):
        rid = (e.get("id") or "").strip()
        notes = " | ".join(e.get("notes") or [])
        if not rid:
            problems.append(
                f"record {i} ({(e.get('title') or '')[:60]!r}): no ID tag, "
                "so no candidate to give the decision to"
            )
            continue
        rayyan = _RAYYAN.search(notes)
        if rayyan:
            reasons = _RAYYAN_REASONS.search(notes)
            for who, said in _RAYYAN_PAIR.findall(rayyan.group(1)):
                d = {"included": "included", "excluded": "excluded"}.get(said.lower())
                if d is None:
                    if said.lower() != "maybe":
                        problems.append(
                            f"record {i} ({rid}): Rayyan decision {said!r} is not Included, Excluded or Maybe"
                        )
                    continue
                reason = reasons.group(1).strip() if (reasons and d == "excluded") else ""
                out.append(Label(rid, d, who, reason, "Rayyan"))
            continue
        found = re.findall(r"\bASReview_\w+\b", notes)
        for tag in found:
            if tag in ("ASReview_relevant", "ASReview_irrelevant"):
                if not screener:
                    problems.append(
                        f"record {i} ({rid}): an ASReview label, but no screener given (--screener NAME)"
                    )
                    continue
                out.append(
                    Label(
                        rid,
                        "included" if tag == "ASReview_relevant" else "excluded",
                        screener,
                        "",
                        "ASReview",
                    )
                )
            elif tag != "ASReview_not_seen":
                problems.append(f"record {i} ({rid}): ASReview label {tag!r} is not one this reader takes")
    return out, problems
