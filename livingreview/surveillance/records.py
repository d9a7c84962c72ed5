"""What the clients return: a literature or registry record as a screening candidate."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Candidate:
    """One record found by a search, before deduplication.

    Identifiers are stored normalised (see :mod:`.dedup`); ``kind`` is "article", "book chapter"
    (whose DOI may be the book's, shared by its chapters) or "registry record"."""

    source: str  # pubmed | europepmc | ctgov
    source_id: str  # PMID, Europe PMC id or NCT number
    title: str
    pmid: str = ""
    pmcid: str = ""
    doi: str = ""
    nct_id: str = ""
    other_ids: tuple[str, ...] = ()  # NCT aliases, EudraCT and CTIS numbers
    authors: tuple[str, ...] = ()
    journal: str = ""
    year: str = ""
    abstract: str = ""
    publication_types: tuple[str, ...] = ()
    kind: str = "article"
    linked_nct: tuple[str, ...] = ()  # registry numbers an article names (efetch DataBank)


@dataclass(frozen=True)
class TrialRecord:
    """The fields of a ClinicalTrials.gov v2 study this review keeps (as the API prints them)."""

    nct_id: str
    aliases: tuple[str, ...] = ()
    secondary_ids: tuple[tuple[str, str], ...] = ()  # (id, type)
    brief_title: str = ""
    official_title: str = ""
    acronym: str = ""
    overall_status: str = ""
    phases: tuple[str, ...] = ()
    enrollment: int | None = None
    enrollment_type: str = ""
    minimum_age: str = ""
    maximum_age: str = ""
    conditions: tuple[str, ...] = ()
    interventions: tuple[str, ...] = ()
    arms: tuple[str, ...] = ()
    sponsor: str = ""
    start_date: str = ""
    start_date_type: str = ""
    completion_date: str = ""
    completion_date_type: str = ""
    last_update: str = ""
    has_results: bool = False
    result_pmids: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict, compare=False)
