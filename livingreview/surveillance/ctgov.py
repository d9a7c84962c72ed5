"""ClinicalTrials.gov API v2 ``/api/v2/studies``, ``pageToken`` paging, windowed on
``LastUpdatePostDate`` (so a changed record comes back and its changes are logged). There is no
phase filter in the API: filter after fetching. Enumerated fields are checked against the values
this client knows: a new value stops the run rather than being stored unread."""

from __future__ import annotations

import json
from datetime import date

from . import ids
from .http import Client, SearchError, describe, require_count
from .pubmed import Result
from .records import Candidate, TrialRecord

STUDIES = "https://clinicaltrials.gov/api/v2/studies"
PAGE_SIZE = 100

STATUSES = frozenset(
    {
        "ACTIVE_NOT_RECRUITING",
        "COMPLETED",
        "ENROLLING_BY_INVITATION",
        "NOT_YET_RECRUITING",
        "RECRUITING",
        "SUSPENDED",
        "TERMINATED",
        "WITHDRAWN",
        "AVAILABLE",
        "NO_LONGER_AVAILABLE",
        "TEMPORARILY_NOT_AVAILABLE",
        "APPROVED_FOR_MARKETING",
        "WITHHELD",
        "UNKNOWN",
    }
)
PHASES = frozenset({"NA", "EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4"})
DATE_TYPES = frozenset({"ACTUAL", "ESTIMATED"})


def windowed_term(query: str, start: date, end: date) -> str:
    return f"({query}) AND AREA[LastUpdatePostDate]RANGE[{start:%Y-%m-%d},{end:%Y-%m-%d}]"


def _enum(value, allowed: frozenset[str], what: str, nct: str, request: str) -> str:
    if value in (None, ""):
        return ""
    if value not in allowed:
        raise SearchError(
            request,
            f"{nct}: {what} {value!r} is not a value this client knows ({', '.join(sorted(allowed))}); "
            "the run is stopped so that no record is stored half-read. Add the value in "
            "livingreview/surveillance/ctgov.py and data/datapackage.json after reading the API's changelog",
        )
    return value


def parse_study(study: dict, request: str) -> TrialRecord:
    ps = study.get("protocolSection")
    if not isinstance(ps, dict):
        raise SearchError(request, "a study has no protocolSection")
    ident = ps.get("identificationModule") or {}
    nct = ids.nct(ident.get("nctId"))
    if not nct:
        raise SearchError(request, f"a study has no valid nctId (got {ident.get('nctId')!r})")
    status = ps.get("statusModule") or {}
    design = ps.get("designModule") or {}
    elig = ps.get("eligibilityModule") or {}
    arms = ps.get("armsInterventionsModule") or {}
    enrol = design.get("enrollmentInfo") or {}
    start = status.get("startDateStruct") or {}
    done = status.get("completionDateStruct") or {}
    refs = (ps.get("referencesModule") or {}).get("references") or []
    return TrialRecord(
        nct_id=nct,
        aliases=tuple(ids.nct(a) for a in ident.get("nctIdAliases") or [] if ids.nct(a)),
        secondary_ids=tuple(
            (s.get("id", ""), s.get("type", "")) for s in ident.get("secondaryIdInfos") or []
        ),
        brief_title=ident.get("briefTitle", ""),
        official_title=ident.get("officialTitle", ""),
        acronym=ident.get("acronym", ""),
        overall_status=_enum(status.get("overallStatus"), STATUSES, "overallStatus", nct, request),
        phases=tuple(_enum(p, PHASES, "phase", nct, request) for p in design.get("phases") or []),
        enrollment=enrol.get("count"),
        enrollment_type=_enum(enrol.get("type"), DATE_TYPES, "enrollmentInfo.type", nct, request),
        minimum_age=elig.get("minimumAge", ""),
        maximum_age=elig.get("maximumAge", ""),
        conditions=tuple((ps.get("conditionsModule") or {}).get("conditions") or []),
        interventions=tuple(
            f"{i.get('type', '')}: {i.get('name', '')}" for i in arms.get("interventions") or []
        ),
        arms=tuple(a.get("label", "") for a in arms.get("armGroups") or []),
        sponsor=((ps.get("sponsorCollaboratorsModule") or {}).get("leadSponsor") or {}).get("name", ""),
        start_date=start.get("date", ""),
        start_date_type=_enum(start.get("type"), DATE_TYPES, "startDateStruct.type", nct, request),
        completion_date=done.get("date", ""),
        completion_date_type=_enum(done.get("type"), DATE_TYPES, "completionDateStruct.type", nct, request),
        last_update=(status.get("lastUpdatePostDateStruct") or {}).get("date", ""),
        has_results=bool(study.get("hasResults")),
        result_pmids=tuple(
            ids.pmid(r.get("pmid")) for r in refs if r.get("type") == "RESULT" and ids.pmid(r.get("pmid"))
        ),
    )


def as_candidate(t: TrialRecord) -> Candidate:
    other = tuple(t.aliases) + tuple(ids.trial_id(i) for i, _ in t.secondary_ids if ids.trial_id(i))
    return Candidate(
        source="ctgov",
        source_id=t.nct_id,
        title=t.official_title or t.brief_title,
        nct_id=t.nct_id,
        other_ids=other,
        journal="ClinicalTrials.gov",
        year=t.start_date[:4],
        kind="registry record",
    )


def search(client: Client, query: str, start: date, end: date) -> tuple[Result, list[TrialRecord]]:
    term = windowed_term(query, start, end)
    token, reported, trials, first = "", None, [], None
    while True:
        params = {"query.term": term, "format": "json", "countTotal": "true", "pageSize": PAGE_SIZE}
        params |= {"pageToken": token} if token else {}
        request = describe(STUDIES, params)
        first = first or request
        try:
            data = json.loads(client.get(STUDIES, params).text)
        except ValueError as exc:
            raise SearchError(request, f"the answer is not valid JSON (truncated?): {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("studies"), list):
            raise SearchError(request, "the answer has no 'studies' list")
        if reported is None:
            if not isinstance(data.get("totalCount"), int):
                raise SearchError(
                    request, "the answer has no integer totalCount although countTotal=true was asked"
                )
            reported = data["totalCount"]
        token = data.get("nextPageToken") or ""
        if not data["studies"] and token:
            raise SearchError(request, "an empty page that still names a next page (nextPageToken): refused")
        trials += [parse_study(s, request) for s in data["studies"]]
        if not token:
            break
    require_count(
        first,
        reported,
        len(trials),
        f"ClinicalTrials.gov reported {reported} studies but {len(trials)} were retrieved",
    )
    return Result(term, reported, [as_candidate(t) for t in trials]), trials
