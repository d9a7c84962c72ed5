"""Registry records as the trials table: ages in days, and the field-level changes between two
readings of a trial (status, enrolment, an estimated date become actual, results posted, a new
RESULT PMID, which also becomes a literature candidate)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .records import TrialRecord

DAYS = {"year": 365.0, "month": 365.0 / 12, "week": 7.0, "day": 1.0, "hour": 1 / 24, "minute": 1 / 1440}
_QTY = re.compile(r"(\d+(?:\.\d+)?)\s*(years?|months?|weeks?|days?|hours?|minutes?)\b", re.I)
_BOUND = re.compile(
    r"(≤|<=|<|≥|>=|>|up to|to|under|over)?\s*(\d+(?:\.\d+)?)\s*(years?|months?|weeks?|days?)\b", re.I
)


def age_days(printed: str | None) -> int | None:
    """One printed age limit -> days: '18 Years' -> 6570, '≤365 days ...' -> 365, '< 18 years'
    -> 6569 (strictly under), 'N/A' or '' -> None. 1 year = 365 days, 1 month = 365/12 days:
    ClinicalTrials.gov's '1 Year' then equals an eligibility text's '365 days'."""
    m = _BOUND.search(printed or "")
    if not m:
        return None
    op, n, unit = (m.group(1) or "").lower(), float(m.group(2)), m.group(3).lower().rstrip("s")
    days = n * DAYS[unit]
    if op in ("<", "under"):
        return int(-(-days // 1)) - 1  # strictly below: the last whole day under the limit
    if op in (">", "over"):
        return int(days // 1) + 1
    return int(days // 1)


def age_range_days(printed: str) -> tuple[int | None, int | None]:
    """'0 Months to 1 Year' -> (0, 365); a single limit -> (None, days) for 'to/under/≤/<' and
    (days, None) for 'over/≥/>' or a bare quantity."""
    both = re.match(r"^\s*(\d+(?:\.\d+)?\s*[a-z]+)\s+to\s+(\d+(?:\.\d+)?\s*[a-z]+)", printed or "", re.I)
    if both:
        return age_days(both.group(1)), age_days(both.group(2))
    m = _BOUND.search(printed or "")
    if not m:
        return None, None
    op = (m.group(1) or "").lower()
    return (
        (None, age_days(printed))
        if op in ("≤", "<=", "<", "up to", "to", "under")
        else (age_days(printed), None)
    )


def row_of(t: TrialRecord) -> dict[str, str]:
    """A registry record as trials.csv values (the fields the API gives)."""
    return {
        "nct_id": t.nct_id,
        "acronym": t.acronym,
        "brief_title": t.brief_title,
        "official_title": t.official_title,
        "secondary_ids": "; ".join(i for i, _ in t.secondary_ids),
        "overall_status": t.overall_status,
        "phases": "; ".join(t.phases),
        "enrollment": "" if t.enrollment is None else str(t.enrollment),
        "enrollment_type": t.enrollment_type,
        "minimum_age": t.minimum_age,
        "maximum_age": t.maximum_age,
        "minimum_age_days": _str(age_days(t.minimum_age)),
        "maximum_age_days": _str(age_days(t.maximum_age)),
        "conditions": "; ".join(t.conditions),
        "interventions": "; ".join(t.interventions),
        "sponsor": t.sponsor,
        "start_date": t.start_date,
        "start_date_type": t.start_date_type,
        "completion_date": t.completion_date,
        "completion_date_type": t.completion_date_type,
        "last_update": t.last_update,
        "results_posted": "yes" if t.has_results else "no",
        "result_pmids": "; ".join(t.result_pmids),
    }


def _str(v: int | None) -> str:
    return "" if v is None else str(v)


COMPARED = (
    "overall_status",
    "enrollment",
    "enrollment_type",
    "start_date",
    "start_date_type",
    "completion_date",
    "completion_date_type",
    "results_posted",
    "result_pmids",
    "phases",
    "minimum_age",
    "maximum_age",
    "sponsor",
    "brief_title",
    "official_title",
    "acronym",
    "conditions",
    "interventions",
    "secondary_ids",
)


@dataclass(frozen=True)
class Change:
    nct_id: str
    field: str
    kind: str
    old: str
    new: str


def _kind(field: str, old: dict, new: dict) -> str:
    if field == "overall_status":
        return "status changed"
    if field in ("enrollment", "enrollment_type"):
        return "enrolment changed"
    if field.endswith("_date_type"):
        return (
            "estimated date became actual"
            if (old.get(field), new.get(field)) == ("ESTIMATED", "ACTUAL")
            else "date changed"
        )
    if field.endswith("_date"):
        return "date changed"
    if field == "results_posted":
        return "results posted" if new.get(field) == "yes" else "other field changed"
    if field == "result_pmids":
        return "new result PMID"
    return "other field changed"


def changes(old: dict[str, str], new: dict[str, str]) -> list[Change]:
    """Field-level differences between the trials.csv row and a new registry reading. A field
    the registry leaves empty is not a change (the row may hold a value read elsewhere)."""
    out = []
    for f in COMPARED:
        a, b = (old.get(f) or "").strip(), (new.get(f) or "").strip()
        if b and a != b:
            if f == "result_pmids":
                added = sorted(set(b.split("; ")) - set(a.split("; ")) - {""})
                if not added:
                    continue
            out.append(Change(new["nct_id"], f, _kind(f, old, new), a, b))
    return out


def new_result_pmids(change_list: list[Change]) -> list[str]:
    found = []
    for c in change_list:
        if c.field == "result_pmids":
            found += sorted(set(c.new.split("; ")) - set(c.old.split("; ")) - {""})
    return found
