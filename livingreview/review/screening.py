"""The screening log (``data/screening.csv``): its vocabulary and its PRISMA 2020 counts.

    from livingreview.review.screening import prisma_counts
    counts = prisma_counts(ds.screening)     # -> prisma.PrismaCounts, for charts.prisma_flow

One row per record (a work: a founding document, or an entry of a founding document's reference
list; a work named in several reference lists is one record, ``found_in`` lists every document that
cites it). No bibliographic database or register has been searched, so every record comes from
"other methods" and the PRISMA counts put them in the main column (databases 0, registers 0).

How a record moves through the stages (``stage_reached``) and what decides (``decision``):

- ``screened``: judged on its title as the reference list prints it and on the sentence that cites
  it. Excluded here with a screening reason (``REASONS_BY_STAGE["screened"]``).
- ``sought``: passed screening, but the only way to read its results would be its own report, which
  has not been retrieved: no founding document quotes a figure from it. Always excluded, reason
  ``report not retrieved`` (the box "Reports not retrieved").
- ``assessed``: its results could be read, in its own report (a founding document) or as a founding
  document quotes them. INCLUDED when the dataset holds at least one figure from it (a row of
  outcomes, patients or adverse_events whose study has this record's citekey), otherwise excluded
  with an assessment reason.

So an included record is exactly a study of ``data/studies.csv`` that has figures, and the other
way round; ``livingreview.checks.screening`` enforces both directions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from livingreview.review.prisma import PrismaCounts

__all__ = [
    "DECISIONS",
    "FIGURE_TABLES",
    "IDENTIFIED_VIA",
    "REASONS",
    "REASONS_BY_STAGE",
    "RESOURCE",
    "STAGES",
    "as_text",
    "prisma_counts",
    "split_keys",
    "TARGETED",
    "UpdateCounts",
    "update_counts",
]


RESOURCE = "screening"
DEFAULT_FILE = "data/screening.csv"
FIGURE_TABLES = ("outcomes", "patients", "adverse_events")

FOUNDING = "founding document"
CITATION = "citation searching"
TARGETED = "targeted search"
IDENTIFIED_VIA = (FOUNDING, CITATION, TARGETED)
STAGES = ("screened", "sought", "assessed")
DECISIONS = ("included", "excluded")
NOT_RETRIEVED = "report not retrieved"
REASONS_BY_STAGE: dict[str, tuple[str, ...]] = {
    "screened": (
        "not on the review questions",
        "no patient data of its own (narrative review or editorial)",
        "methods reference (statistics or laboratory technique)",
    ),
    "sought": (NOT_RETRIEVED,),
    "assessed": ("no figure on the review outcomes", "registered trial without results"),
}
REASONS: tuple[str, ...] = tuple(r for reasons in REASONS_BY_STAGE.values() for r in reasons)

_COLUMNS = (
    "record_id",
    "citekey",
    "citation",
    "identified_via",
    "found_in",
    "reference_numbers",
    "stage_reached",
    "decision",
    "reason",
    "study_id",
    "added_in",
    "search_queries",
    "document_id",
    "note",
)


def split_keys(value: object) -> list[str]:
    """``'durer2019; clesham2020'`` -> ``['durer2019', 'clesham2020']`` (empty/NA -> [])."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return []
    return [k.strip() for k in re.split(r"[;,]", str(value)) if k.strip()]


# --------------------------------------------------------------------------- PRISMA counts


def as_text(series: pd.Series) -> pd.Series:
    """Enum/categorical/string column -> stripped strings, '' for missing."""
    return series.astype("object").where(series.notna(), "").astype(str).str.strip()


def prisma_counts(screening: pd.DataFrame) -> PrismaCounts:
    """The PRISMA 2020 flow counts of a screening log (``ds.screening`` or the raw CSV).

    Databases 0 and registers 0 (none searched); "other methods" = every identification of a
    record: one per founding document, one per citing document listed in ``found_in`` for a record
    found by citation searching. A work named in several reference lists is logged once, so the
    extra identifications are the duplicates removed. Then: records screened = records; excluded
    at screening = stage 'screened'; reports sought = the rest; not retrieved = stage 'sought';
    assessed = stage 'assessed', of which excluded by reason; studies included = reports of
    included studies = records included (one report per study in this log).

    Raises ValueError if a needed column is missing or a stage/decision/via value is not allowed
    (``check_screening`` says which row)."""
    missing = [
        c
        for c in ("identified_via", "found_in", "stage_reached", "decision", "reason")
        if c not in screening.columns
    ]
    if missing:
        raise ValueError(f"prisma_counts: the screening log lacks column(s) {', '.join(missing)}")
    via, stage = as_text(screening["identified_via"]), as_text(screening["stage_reached"])
    decision, reason = as_text(screening["decision"]), as_text(screening["reason"])
    for name, values, allowed in (
        ("identified_via", via, IDENTIFIED_VIA),
        ("stage_reached", stage, STAGES),
        ("decision", decision, DECISIONS),
    ):
        bad = sorted(set(values) - set(allowed))
        if bad:
            raise ValueError(
                f"prisma_counts: {name} value(s) {bad} not allowed; allowed: {', '.join(allowed)}"
            )
    records = len(screening)
    identifications = sum(
        max(1, len(split_keys(f))) if v == CITATION else 1
        for v, f in zip(via, screening["found_in"], strict=True)
    )
    assessed = stage == "assessed"
    excluded_after = reason[assessed & (decision == "excluded")]
    reports_excluded = {r: int(n) for r, n in excluded_after.value_counts(sort=False).items()}
    # reasons in the order of REASONS, unknown ones after
    rank = {r: i for i, r in enumerate(REASONS)}
    reports_excluded = dict(
        sorted(reports_excluded.items(), key=lambda kv: (rank.get(kv[0], len(REASONS)), kv[0]))
    )
    included = int((decision == "included").sum())
    screened_out = int((stage == "screened").sum())
    return PrismaCounts(
        databases=0,
        registers=0,
        other_methods=identifications,
        duplicates_removed=identifications - records,
        records_screened=records,
        records_excluded=screened_out,
        reports_sought=records - screened_out,
        reports_not_retrieved=int((stage == "sought").sum()),
        reports_assessed=int(assessed.sum()),
        reports_excluded=reports_excluded,
        studies_included=included,
        reports_included=included,
    )


@dataclass(frozen=True)
class UpdateCounts:
    """The PRISMA 2020 flow of an updated review (Page et al. 2021, BMJ 372:n71, flow diagram
    for updated systematic reviews): the studies and reports of the earlier versions, the new
    records of this version's search through the stages, and the total."""

    version: str
    previous_studies: int
    previous_reports: int
    new: PrismaCounts  # this version's records only
    new_studies: int  # included records of this version that are studies new to the review
    new_reports_of_previous_studies: int  # later reports of studies already included

    @property
    def new_reports(self) -> int:
        return self.new.reports_included

    @property
    def total_studies(self) -> int:
        return self.previous_studies + self.new_studies

    @property
    def total_reports(self) -> int:
        return self.previous_reports + self.new_reports

    def boxes(self) -> list[tuple[str, str, int]]:
        """(stage, box, count) of the PRISMA 2020 flow diagram for updated reviews, top to bottom."""
        n, prev = self.new, "Previous version"
        continuing = self.new_reports_of_previous_studies
        return [
            (prev, "Studies included in the previous version", self.previous_studies),
            (prev, "Reports of studies included in the previous version", self.previous_reports),
            ("Identification", "Records identified by the targeted search (other methods)", n.other_methods),
            ("Identification", "Duplicates removed", n.duplicates_removed),
            ("Screening", "Records screened", n.records_screened),
            ("Screening", "Records excluded at screening", n.records_excluded),
            ("Retrieval", "Reports sought for retrieval", n.reports_sought),
            ("Retrieval", "Reports not retrieved", n.reports_not_retrieved),
            ("Eligibility", "Reports assessed for eligibility", n.reports_assessed),
            *[("Eligibility", f"Reports excluded: {r}", k) for r, k in n.reports_excluded.items()],
            ("Included", "New studies included", self.new_studies),
            ("Included", "New reports of studies already included", continuing),
            ("Included", "Reports of new included studies", self.new_reports - continuing),
            ("Total", "Total studies included in the review", self.total_studies),
            ("Total", "Total reports of included studies", self.total_reports),
        ]


def update_counts(screening: pd.DataFrame, version: str) -> UpdateCounts:
    """The flow of the update that produced ``version``: records with ``added_in`` below it are the
    previous versions' (their included records are the previous studies and reports), records
    with ``added_in == version`` go through the boxes (:func:`prisma_counts`). An included new
    record with a ``study_id`` is a new report of a study already in the review, not a new study.

    Raises ValueError if ``added_in`` is missing or a version is not MAJOR.MINOR.PATCH."""
    if "added_in" not in screening.columns:
        raise ValueError("update_counts: the screening log lacks column added_in")

    def key(v: str) -> tuple[int, ...]:
        m = re.fullmatch(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)", v)
        if not m:
            raise ValueError(f"update_counts: {v!r} is not a version MAJOR.MINOR.PATCH")
        return tuple(int(x) for x in m.groups())

    added = as_text(screening["added_in"])
    target = key(version)
    earlier = added.map(lambda v: key(v) < target)
    current = added == version
    decision = as_text(screening["decision"])
    later_of = as_text(screening["study_id"]) if "study_id" in screening.columns else added.map(lambda _: "")
    previous = int((earlier & (decision == "included")).sum())
    new = prisma_counts(screening[current])
    included_now = current & (decision == "included")
    continuing = int((included_now & (later_of != "")).sum())
    return UpdateCounts(
        version=version,
        previous_studies=previous,
        previous_reports=previous,
        new=new,
        new_studies=int(included_now.sum()) - continuing,
        new_reports_of_previous_studies=continuing,
    )
