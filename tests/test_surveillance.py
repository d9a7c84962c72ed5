"""Literature and registry surveillance (livingreview/surveillance), offline.

The clients are tested on responses recorded from the real services (tests/fixtures/surveillance,
each file's repository, path and commit in its README), replayed through httpx.MockTransport.
Every fault test runs the whole search as `make search` does and checks that the run stops with
a message naming the request and what was wrong, and that data/ is byte-identical afterwards.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import httpx
import pytest
from surveillance_replay import digest, fixture, project_copy, recorded, transport

from livingreview.checks.validate import check_project
from livingreview.surveillance import (
    checks,
    ctgov,
    dedup,
    europepmc,
    http,
    ids,
    ledger,
    pubmed,
    ris,
    run,
    tables,
    trials,
)
from livingreview.surveillance.records import Candidate

TODAY = date(2026, 12, 6)  # windows end the day before: 2026-12-05
WHO = pubmed.Identity("livingreview", "maintainer@example.org", "SECRET-KEY-123")
NO_WAIT = {"sleep": lambda s: None}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return project_copy(tmp_path)


def replay(root: Path, handler=recorded, log=None, **kw):
    return run.search(root, today=TODAY, transport=transport(handler, log), identity=WHO, **NO_WAIT, **kw)


# ------------------------------------------------------------------ parsers on recorded responses


def test_esearch_and_efetch_recorded():
    count, webenv, key = pubmed.parse_esearch(fixture("pubmed_esearch.xml"), "esearch")
    assert (count, webenv, key) == (2, "MCID_6927d6e7fee3e90f880ec190", "1")
    a, b = pubmed.parse_efetch(fixture("pubmed_efetch.xml"), "efetch")
    assert (a.pmid, a.doi, a.year, a.journal) == ("11748933", "10.1006/cryo.2001.2328", "2001", "Cryobiology")
    assert a.authors[:2] == ("Taddei AR", "Barbato F")
    assert a.publication_types == ("Journal Article", "Research Support, Non-U.S. Gov't")
    assert a.abstract.startswith("This study subdivides") and "(P < 0.001)" in a.abstract
    assert b.title == "Proton MRI of (13)C distribution by J and chemical shift editing."


def test_europepmc_recorded():
    data = json.loads(fixture("europepmc_page1.json"))
    rows = [europepmc.parse_result(r) for r in data["resultList"]["result"]]
    assert [r.pmid for r in rows] == ["39709209", "39709208", "40468710"]
    assert rows[1].pmcid == "PMC12124214" and rows[1].publication_types == ("published erratum", "correction")
    assert rows[0].doi == "10.1016/s0140-6736(24)02600-x"


def test_ctgov_recorded():
    s1 = ctgov.parse_study(json.loads(fixture("ctgov_page1.json"))["studies"][0], "ctgov")
    s2 = ctgov.parse_study(json.loads(fixture("ctgov_page2.json"))["studies"][0], "ctgov")
    assert (s1.nct_id, s1.overall_status, s1.enrollment, s1.enrollment_type) == (
        "NCT05013879",
        "COMPLETED",
        65,
        "ACTUAL",
    )
    assert (s1.minimum_age, s1.maximum_age, s1.phases) == ("50 Years", "85 Years", ("NA",))
    assert (s2.completion_date, s2.completion_date_type, s2.acronym) == (
        "2032-12-28",
        "ESTIMATED",
        "INAVO122",
    )
    assert ctgov.as_candidate(s2).other_ids == ("2022-502046-28-00",)  # a CTIS number
    assert trials.row_of(s1)["minimum_age_days"] == str(50 * 365)


# ------------------------------------------------------------------ requests: identity, secrets, rate


def test_ncbi_requests_carry_tool_and_email_and_the_key_is_never_shown(project):
    log: list[httpx.Request] = []
    s = replay(project, log=log)
    ncbi = [r for r in log if r.url.host == "eutils.ncbi.nlm.nih.gov"]
    assert ncbi and all(r.url.params["tool"] == "livingreview" for r in ncbi)
    assert all(r.url.params["email"] == "maintainer@example.org" for r in ncbi)
    assert all(r.url.params["api_key"] == "SECRET-KEY-123" for r in ncbi)
    assert all("crdt" in r.url.params["term"] for r in ncbi if r.url.path.endswith("esearch.fcgi"))
    assert "SECRET-KEY-123" not in run.render_summary(s) + "".join(s.texts.values())
    shown = http.describe(pubmed.EUTILS + "esearch.fcgi", {"term": "x", "api_key": "SECRET-KEY-123"})
    assert "SECRET" not in shown and "api_key=%2A%2A%2A" in shown


def test_requests_are_spaced_three_or_ten_a_second():
    waits, now = [], [0.0]
    client = http.Client(transport(), min_interval=1 / 3, sleep=waits.append, clock=lambda: now[0])
    for _ in range(3):
        client.get("https://eutils.ncbi.nlm.nih.gov/entrez/eutils/esearch.fcgi", {"db": "pubmed"})
    assert waits == [pytest.approx(1 / 3)] * 2  # the clock never moved: each later request waits
    assert pubmed.Identity("t", "e").min_interval == pytest.approx(1 / 3)
    assert pubmed.Identity("t", "e", "k").min_interval == pytest.approx(1 / 10)


def test_retry_on_429_then_success_within_the_budget(project):
    calls = {"n": 0}

    def flaky(request):
        if request.url.host == "eutils.ncbi.nlm.nih.gov" and calls["n"] < 2:
            calls["n"] += 1
            return httpx.Response(429, headers={"Retry-After": "2"})
        return recorded(request)

    waits: list[float] = []
    s = run.search(project, today=TODAY, transport=transport(flaky), identity=WHO, sleep=waits.append)
    assert calls["n"] == 2 and 2.0 in waits
    assert len(s.outcome.new) == 7


# ------------------------------------------------------------------ faults: clear message, nothing changed


def _fails(project: Path, handler, capsys) -> str:
    before = digest(project / "data")
    status = run.main(project, transport=transport(handler), identity=WHO, today=TODAY, **NO_WAIT)
    err = capsys.readouterr().err
    assert status == 1
    assert digest(project / "data") == before, "a failed run changed data/"
    assert not list((project / "data").glob("*.tmp")) and not list((project / "data").glob(".*"))
    assert "nothing was written (data/ is unchanged)" in err
    return err


def _on(host: str, response, path: str = ""):
    def handler(request):
        if request.url.host == host and path in request.url.path:
            return response(request) if callable(response) else response
        return recorded(request)

    return handler


def test_fault_429_every_time(project, capsys):
    err = _fails(project, _on("www.ebi.ac.uk", httpx.Response(429)), capsys)
    assert "GET https://www.ebi.ac.uk/europepmc/webservices/rest/search?query=" in err
    assert "HTTP 429 on each of 5 attempts (retry budget spent)" in err


def test_fault_500(project, capsys):
    err = _fails(project, _on("clinicaltrials.gov", httpx.Response(500, text="oops")), capsys)
    assert "GET https://clinicaltrials.gov/api/v2/studies?query.term=" in err and "HTTP 500" in err


def test_fault_timeout(project, capsys):
    def timeout(request):
        raise httpx.ReadTimeout("timed out", request=request)

    err = _fails(project, _on("eutils.ncbi.nlm.nih.gov", timeout, "efetch"), capsys)
    assert "efetch.fcgi" in err and "no answer before the timeout on each of 5 attempts" in err
    assert "SECRET" not in err


def test_fault_truncated_xml(project, capsys):
    cut = fixture("pubmed_efetch.xml")[:3000]
    err = _fails(project, _on("eutils.ncbi.nlm.nih.gov", httpx.Response(200, text=cut), "efetch"), capsys)
    assert "efetch.fcgi" in err and "not well-formed XML (truncated?)" in err


def test_fault_truncated_json(project, capsys):
    cut = fixture("ctgov_page1.json")[:1500]
    err = _fails(project, _on("clinicaltrials.gov", httpx.Response(200, text=cut)), capsys)
    assert "clinicaltrials.gov/api/v2/studies" in err and "not valid JSON (truncated?)" in err


def test_fault_empty_page_that_names_a_next_page(project, capsys):
    page = {"totalCount": 2, "studies": [], "nextPageToken": "KV165pePlfg"}
    err = _fails(project, _on("clinicaltrials.gov", httpx.Response(200, json=page)), capsys)
    assert "an empty page that still names a next page" in err


def test_fault_count_mismatch(project, capsys):
    three = fixture("pubmed_esearch.xml").replace("<Count>2</Count>", "<Count>3</Count>")
    err = _fails(project, _on("eutils.ncbi.nlm.nih.gov", httpx.Response(200, text=three), "esearch"), capsys)
    assert "esearch.fcgi" in err and "esearch reported 3 records but efetch returned 2" in err


def test_fault_count_mismatch_europepmc_empty_page(project, capsys):
    # the first page says 3 hits, the cursor's next page is empty with only 3 of 4 retrieved
    four = fixture("europepmc_page1.json").replace('"hitCount": 3', '"hitCount": 4')
    err = _fails(
        project,
        _on(
            "www.ebi.ac.uk",
            lambda r: httpx.Response(
                200, text=four if r.url.params["cursorMark"] == "*" else fixture("europepmc_empty.json")
            ),
        ),
        capsys,
    )
    assert "Europe PMC reported 4 records but 3 were retrieved" in err


def test_fault_over_the_esearch_ceiling(project, capsys):
    over = httpx.Response(200, text=fixture("pubmed_esearch_over_ceiling.xml"))
    err = _fails(project, _on("eutils.ncbi.nlm.nih.gov", over, "esearch"), capsys)
    assert "42249 records match, at or over E-utilities' 10,000-record ceiling" in err


def test_fault_unknown_enum_value(project, capsys):
    page = json.loads(fixture("ctgov_page1.json"))
    page["studies"][0]["protocolSection"]["statusModule"]["overallStatus"] = "PAUSED_FOR_REVIEW"
    err = _fails(project, _on("clinicaltrials.gov", httpx.Response(200, json=page)), capsys)
    assert "NCT05013879: overallStatus 'PAUSED_FOR_REVIEW' is not a value this client knows" in err


def test_no_network_fails_at_once(project, capsys):
    sent = []

    def offline(request):
        sent.append(request)
        raise httpx.ConnectError("[Errno -3] Temporary failure in name resolution", request=request)

    err = _fails(project, offline, capsys)
    assert len(sent) == 1, "no retry without a network"
    assert "cannot reach the host" in err and "is there a network connection?" in err


# ------------------------------------------------------------------ end to end


def test_replay_end_to_end_then_again_adds_nothing(project):
    # Today's screening log, plus (in this copy only) two records the replay will meet again:
    # one with the DOI of a recorded PubMed record, one with a near-identical title.
    with open(project / "references.bib", "a", encoding="utf-8") as f:
        f.write(
            "\n@article{taddei2001,\n  title = {Is cryopreservation a homogeneous process?},\n"
            "  doi = {10.1006/CRYO.2001.2328},\n  year = {2001}\n}\n"
        )
    with open(project / "data" / "screening.csv", "a", encoding="utf-8") as f:
        f.write(
            "taddei2001,taddei2001,,citation searching,brethon2021,,screened,excluded,"
            "not on the review questions,test record\n"
        )
        f.write(
            "brethon2021-ref99,,Proton MRI of 13C distribution by J- and chemical-shift editing,"
            "citation searching,brethon2021,,screened,excluded,not on the review questions,test record\n"
        )
    s = replay(project)
    run.write(project, s)
    by = {c.source_id: (of, how) for c, of, how in s.outcome.duplicates}
    assert by["11748933"] == ("taddei2001", "doi")  # against the screening log, DOI case-blind
    assert [(rid, of) for rid, _, of, _ in s.outcome.possible] == [("pubmed-11700088", "brethon2021-ref99")]
    new = sorted(rid for rid, _ in s.outcome.new)
    assert new == sorted(
        [
            "pubmed-11700088",
            "europepmc-med-39709209",
            "europepmc-med-39709208",
            "europepmc-med-40468710",
            "ctgov-nct05013879",
            "ctgov-nct05894239",
        ]
    )
    _, cands = tables.read(project, tables.CANDIDATES)
    assert [c["candidate_id"] for c in cands] == [rid for rid, _ in s.outcome.new]
    assert cands[0]["possible_duplicate_of"] == "brethon2021-ref99"  # listed, not dropped
    _, runs = tables.read(project, tables.RUNS)
    assert len(runs) == 21 and {r["window_to"] for r in runs} == {"2026-12-05"}
    assert all(r["records_reported"] == r["records_retrieved"] for r in runs)
    summary = run.render_summary(s)
    assert "taddei2001 (same doi)" in summary and "brethon2021\\-ref99" in summary
    # the two planted records are not complete screening records; what the run wrote is clean
    planted = {"data/screening.csv", "references.bib"}
    assert [p for p in check_project(project) if p.file not in planted] == []

    # The same window again (the run log as it was before): every record is a duplicate.
    runs_file = project / tables.RUNS
    after = runs_file.read_text(encoding="utf-8")
    runs_file.write_text(after.splitlines(keepends=True)[0], encoding="utf-8")
    again = replay(project)
    assert again.outcome.new == [] and len(again.outcome.duplicates) == 7 * (2 + 3 + 2)
    runs_file.write_text(after, encoding="utf-8")
    # And with the cursor moved on, there is nothing left to search in that window.
    later = replay(project)
    assert later.results == [] and len(later.skipped) == 21 and later.texts == {}


def test_followed_trial_changes_are_logged(project):
    page = json.loads(fixture("ctgov_page1.json"))
    study = json.loads(fixture("ctgov_page2.json"))["studies"][0]
    ps = study["protocolSection"]
    ps["identificationModule"]["nctId"] = "NCT03643276"  # a trial the review follows
    ps["statusModule"]["overallStatus"] = "ACTIVE_NOT_RECRUITING"
    ps["statusModule"]["completionDateStruct"] = {"date": "2028-07-14", "type": "ACTUAL"}
    ps["referencesModule"] = {"references": [{"pmid": "11700088", "type": "RESULT", "citation": "x"}]}
    page2 = {"studies": [study]}

    def handler(request):
        if request.url.host == "clinicaltrials.gov":
            return httpx.Response(200, json=page2 if request.url.params.get("pageToken") else page)
        return recorded(request)

    s = replay(project, handler)
    kinds = {(c.field, c.kind) for c in s.changes}
    assert ("overall_status", "status changed") in kinds
    assert ("completion_date_type", "date changed") in kinds  # empty before: not "estimated became actual"
    assert ("result_pmids", "new result PMID") in kinds
    assert trials.new_result_pmids(s.changes) == ["11700088"]
    # the RESULT publication is fetched from PubMed as a literature candidate of the registry run
    ct = next(sr for sr in s.results if sr.strategy.strategy_id == "ctgov-infant-kmt2a")
    assert [c.pmid for c in ct.linked] == ["11700088"]
    run.write(project, s)
    _, rows = tables.read(project, tables.TRIAL_CHANGES)
    assert {r["nct_id"] for r in rows} == {"NCT03643276"} and len(rows) == len(s.changes)
    _, srcs = tables.read(project, tables.TRIAL_SOURCES)
    assert srcs[-1]["grade"] == "registry API" and srcs[-1]["url"].endswith("/NCT03643276")
    _, runs = tables.read(project, tables.RUNS)
    assert {r["run_id"]: r["linked_records"] for r in runs}["ctgov-infant-kmt2a-20261205"] == "1"
    assert check_project(project) == []


def test_estimated_date_becoming_actual():
    old = {"nct_id": "NCT00000001", "completion_date_type": "ESTIMATED", "overall_status": "RECRUITING"}
    new = {"nct_id": "NCT00000001", "completion_date_type": "ACTUAL", "overall_status": "COMPLETED"}
    assert {c.kind for c in trials.changes(old, new)} == {"estimated date became actual", "status changed"}


# ------------------------------------------------------------------ dedup


def C(source="pubmed", sid="1", title="t", **kw) -> Candidate:
    return Candidate(source=source, source_id=sid, title=title, **kw)


def test_identifiers_normalise():
    assert ids.doi("https://doi.org/10.1056/NEJMoa2214171.") == "10.1056/nejmoa2214171"
    assert ids.pmcid("pmc 0012345") == "PMC12345" and ids.pmid("PMID: 0042") == "42"
    assert ids.nct("nct5327894") == "NCT05327894"
    assert ids.trial_id("2021-000213-16") == "2021-000213-16" and ids.trial_id("2022-502046-28-00")
    assert ids.trial_id("2021-0002") == ""


def test_pmid_pmcid_doi_link_across_sources():
    known = [dedup.Known("rec1", frozenset({"doi:10.1/a"}), "A title")]
    europe = C("europepmc", "MED:7", "other words", pmid="7", pmcid="PMC9", doi="10.1/a")
    pmc_only = C("europepmc", "PMC:9", "other words", pmcid="PMC9")
    pub = C("pubmed", "7", "other words", pmid="7")
    out = dedup.deduplicate([europe, pmc_only, pub], known, next_id=lambda c: "new")
    assert [(of, by) for _, of, by in out.duplicates] == [
        ("rec1", "doi"),
        ("rec1", "pmcid"),
        ("rec1", "pmid"),
    ]
    assert out.new == []


def test_a_book_doi_shared_by_chapters_is_not_a_match():
    a = C(sid="1", title="Chapter one: infants", pmid="1", doi="10.9/book", kind="book chapter")
    b = C(sid="2", title="Chapter two: MPAL", pmid="2", doi="10.9/book", kind="book chapter")
    known = [dedup.Known("the-book", frozenset({"doi:10.9/book"}), "The book")]
    out = dedup.deduplicate([a, b], known, next_id=lambda c: f"pubmed-{c.pmid}")
    assert [rid for rid, _ in out.new] == ["pubmed-1", "pubmed-2"] and out.duplicates == []
    # the same DOI on two articles with different PMIDs is not trusted either
    x, y = C(sid="3", title="x", pmid="3", doi="10.9/z"), C(sid="4", title="y", pmid="4", doi="10.9/z")
    assert len(dedup.deduplicate([x, y], [], next_id=lambda c: c.pmid).new) == 2


def test_trial_numbers_and_aliases_match():
    known = [dedup.Known("ctgov-nct05327894", frozenset({"trial:NCT05327894", "trial:2021-000213-16"}), "")]
    alias = C("ctgov", "NCT09999999", "Interfant", nct_id="NCT09999999", other_ids=("NCT05327894",))
    eudract = C("ctgov", "NCT08888888", "Interfant", nct_id="NCT08888888", other_ids=("2021-000213-16",))
    out = dedup.deduplicate([alias, eudract], known, next_id=lambda c: c.nct_id)
    assert [of for _, of, _ in out.duplicates] == ["ctgov-nct05327894"] * 2


def test_near_identical_titles_are_listed_never_dropped():
    known = [
        dedup.Known(
            "vandersluis2023",
            frozenset(),
            "Blinatumomab added to chemotherapy in infant lymphoblastic leukemia",
        )
    ]
    near = C(sid="9", title="Blinatumomab Added to Chemotherapy in Infant Lymphoblastic Leukemia.", pmid="9")
    far = C(sid="8", title="Gemtuzumab ozogamicin in children with AML", pmid="8")
    out = dedup.deduplicate([near, far], known, next_id=lambda c: c.pmid)
    assert [rid for rid, _ in out.new] == ["9", "8"]
    assert [(rid, of) for rid, _, of, _ in out.possible] == [("9", "vandersluis2023")]


# ------------------------------------------------------------------ ledger and RIS


def test_ledger_refuses_the_machine_and_exclusions_without_reason(project):
    with pytest.raises(ValueError, match="is the machine"):
        ledger.append_text(
            project, [ledger.Decision("pubmed-1", "github-actions[bot]", "screened", "excluded", "x")]
        )
    with pytest.raises(ValueError, match="needs a reason"):
        ledger.append_text(project, [ledger.Decision("pubmed-1", "A. Screener", "screened", "excluded")])


def test_ledger_append_only_against_its_committed_text(project):
    d = ledger.Decision("pubmed-1", "A. Screener", "screened", "included")
    once = ledger.append_text(project, [d], now=datetime(2026, 12, 6, 9, 0))
    (project / tables.LEDGER).write_text(once, encoding="utf-8")
    twice = ledger.append_text(project, [d], now=datetime(2026, 12, 6, 10, 0))
    assert ledger.check_append_only(once, twice) == []
    rewritten = twice.replace("included", "excluded", 1)
    (problem,) = ledger.check_append_only(once, rewritten)
    assert str(problem).startswith("data/screening_ledger.csv:2: line 2 differs from the committed ledger")
    (removed,) = ledger.check_append_only(twice, once)
    assert "was removed" in str(removed)


def test_ris_roundtrip_with_asreview_and_rayyan_labels():
    rows = [
        {
            "candidate_id": "pubmed-11748933",
            "title": "A",
            "authors": "Taddei AR; Barbato F",
            "year": "2001",
            "journal": "Cryobiology",
            "doi": "10.1006/cryo.2001.2328",
            "pmid": "11748933",
            "kind": "article",
        },
        {
            "candidate_id": "ctgov-nct05013879",
            "title": "B",
            "nct_id": "NCT05013879",
            "kind": "registry record",
        },
    ]
    text = ris.export(rows)
    assert "ID  - pubmed-11748933" in text and "N1  - ASReview_not_seen" in text and "TY  - CTLG" in text
    asreview = text.replace("ASReview_not_seen", "ASReview_relevant", 1).replace(
        "ASReview_not_seen", "ASReview_irrelevant"
    )
    got, problems = ris.labels(asreview, screener="A. Screener")
    assert problems == []
    assert [(x.record_id, x.decision, x.screener) for x in got] == [
        ("pubmed-11748933", "included", "A. Screener"),
        ("ctgov-nct05013879", "excluded", "A. Screener"),
    ]
    rayyan = text.replace(
        "N1  - ASReview_not_seen",
        'N1  - RAYYAN-INCLUSION: {"Ana"=>"Excluded", "Ben"=>"Maybe"} | '
        "RAYYAN-EXCLUSION-REASONS: not on the review questions",
        1,
    )
    got, problems = ris.labels(rayyan)
    assert [(x.record_id, x.decision, x.screener, x.reason, x.tool) for x in got] == [
        ("pubmed-11748933", "excluded", "Ana", "not on the review questions", "Rayyan")
    ]
    _, problems = ris.labels(text.replace("ID  - pubmed-11748933\n", ""))
    assert problems and "no ID tag" in problems[0]


# ------------------------------------------------------------------ make check on broken inputs


def _set(root: Path, rel: str, line: int, col: str, value: str) -> None:
    header, rows = tables.read(root, rel)
    rows[line - 2][col] = value
    (root / rel).write_text(tables.render(header, rows), encoding="utf-8")


def test_check_reports_every_broken_surveillance_rule_at_once(project):
    s = replay(project)
    run.write(project, s)
    assert check_project(project) == []
    _set(project, tables.RUNS, 2, "records_retrieved", "1")
    _set(project, tables.RUNS, 3, "window_from", "2000-01-01")
    _set(project, tables.STRATEGIES, 2, "date_field", "CREATION_DATE")
    _set(project, tables.STRATEGIES, 5, "query", "blinatumomab[tiab]")
    _set(project, tables.TRIALS, 2, "maximum_age_days", "366")
    _set(project, tables.TRIALS, 3, "flag", "secondary; inconsistent")
    _set(project, tables.TRIALS, 3, "acronym", "AIEOP-BFM ALL 2017")
    _set(project, tables.TRIALS, 3, "overall_status", "Recruiting")
    with open(project / tables.LEDGER, "a", encoding="utf-8") as f:
        f.write("1,pubmed-11748933,2026-12-06T09:00:00Z,livingreview,screened,excluded,,\n")
    got = [str(p) for p in check_project(project)]
    want = [
        "data/search_runs.csv:2: new_records: new (2) + duplicates (0) should equal records retrieved (1) "
        "+ linked (0)",
        "data/search_runs.csv:2: records_retrieved: 1 retrieved but 2 reported: "
        "such a run is refused, it cannot be in the log",
        "data/search_runs.csv:3: window_from: 2000-01-01 leaves a gap or an overlap: "
        "europepmc-infant-kmt2a's windows are contiguous, this one should start on 1900-01-01",
        "data/search_strategies.csv:2: date_field: pubmed windows on crdt, not 'CREATION_DATE'",
        "data/search_runs.csv:5: query_as_run: does not contain pubmed-mpal's query as it stands in "
        "data/search_strategies.csv: a strategy is never edited once it has run (add a new strategy instead)",
        "data/trials.csv:2: maximum_age_days: maximum_age '≤365 days of age at time of diagnosis of ALL' "
        "is 365 days (1 year = 365 days), not 366",
        "data/trials.csv:3: acronym: no row of data/trial_sources.csv gives the page this value was read on",
        "data/trials.csv:3: flag: enrollment: its source nct03643276-30 is flagged 'ambiguous'; "
        "the row must carry the flag so that readers see it",
        "data/screening_ledger.csv:2: reason: an exclusion needs a reason",
        "data/screening_ledger.csv:2: screener: 'livingreview' is the search tool: only a person screens "
        "(the machine never includes or excludes)",
    ]
    for w in want:
        assert w in got, f"missing: {w}\n got: {got}"
    assert any(p.startswith("data/trials.csv:3: overall_status:") and "RECRUITING" in p for p in got)


def test_check_surveillance_is_quiet_on_a_project_without_the_tables(tmp_path):
    assert checks.check_surveillance(tmp_path) == []


# ------------------------------------------------------------------ the summary is safe to post


def test_untrusted_titles_are_escaped_in_the_summary():
    evil = "<script>alert(1)</script> @maintainer [click](https://evil.example) | **bold**\nline"
    out = run.md_escape(evil)
    for bad in ("<script", "@maintainer", "](https://", "\n", "**"):
        assert bad not in out
    assert "&lt;script&gt;" in out


def test_title_pruning_misses_no_pair_above_the_threshold():
    """The two lower bounds that prune pairs before scoring are exact: the same best matches as
    scoring every pair (on seeded titles with one to five characters changed)."""
    import random

    from rapidfuzz import fuzz

    from livingreview.surveillance.benchmark import records

    rnd = random.Random(7)
    log, cands = records(300, 300, seed=11)
    known = [ids.title_key(k.title) for k in log]
    new = []
    for c in cands:
        t = list(ids.title_key(c.title))
        for _ in range(rnd.randint(0, 5)):
            t.insert(rnd.randrange(len(t) + 1), rnd.choice("abcxyz "))
        new.append("".join(t))
    got = dedup._near_titles(new, known, dedup.THRESHOLD)
    for i, title in enumerate(new):
        pool = [(fuzz.ratio(title, k), True) for k in known] + [
            (fuzz.ratio(title, new[j]), False) for j in range(i)
        ]
        top = max((s for s, _ in pool), default=0)
        assert (got[i][1] if got[i][0] >= 0 else 0) == pytest.approx(
            top if top >= dedup.THRESHOLD else 0, abs=1e-3
        )


def test_screening_from_the_command_line_and_the_updated_flow(project, tmp_path, capsys):
    from livingreview.surveillance import cli, report

    run.write(project, replay(project))
    out = tmp_path / "candidates.ris"
    assert cli.main(["screen", "export", str(out)], project) == 0
    text = out.read_text(encoding="utf-8")
    assert text.count("ER  -") == 7
    # Rayyan: one included, one excluded with a reason; ASReview style needs --screener
    rayyan = text.replace(
        "ID  - pubmed-11748933\n", 'ID  - pubmed-11748933\nN1  - RAYYAN-INCLUSION: {"Ana"=>"Included"}\n'
    ).replace(
        "ID  - pubmed-11700088\n",
        'ID  - pubmed-11700088\nN1  - RAYYAN-INCLUSION: {"Ana"=>"Excluded"} | '
        "RAYYAN-EXCLUSION-REASONS: not on the review questions\n",
    )
    back = tmp_path / "screened.ris"
    back.write_text(rayyan, encoding="utf-8")
    assert cli.main(["screen", "import", str(back)], project) == 0
    assert (
        cli.main(
            [
                "screen",
                "decide",
                "ctgov-nct05013879",
                "--screener",
                "Ben",
                "--stage",
                "screened",
                "--decision",
                "excluded",
                "--reason",
                "duplicate of another record",
            ],
            project,
        )
        == 0
    )
    assert (
        cli.main(
            [
                "screen",
                "decide",
                "pubmed-11748933",
                "--screener",
                "Ana",
                "--stage",
                "assessed",
                "--decision",
                "included",
            ],
            project,
        )
        == 0
    )
    bad = cli.main(
        [
            "screen",
            "decide",
            "pubmed-1",
            "--screener",
            "Ana",
            "--stage",
            "screened",
            "--decision",
            "excluded",
            "--reason",
            "boring",
        ],
        project,
    )
    assert bad == 1 and "reason 'boring' is not one of" in capsys.readouterr().err
    _, entries = tables.read(project, tables.LEDGER)
    assert [(e["entry"], e["record_id"], e["screener"], e["decision"]) for e in entries] == [
        ("1", "pubmed-11748933", "Ana", "included"),
        ("2", "pubmed-11700088", "Ana", "excluded"),
        ("3", "ctgov-nct05013879", "Ben", "excluded"),
        ("4", "pubmed-11748933", "Ana", "included"),
    ]
    assert check_project(project) == []
    flow = report.updated_flow(project)
    assert (flow["database_results"], flow["register_results"]) == (7 * (2 + 3), 7 * 2)
    assert flow["duplicates"] == 7 * 7 - 7 + 1  # every repeat, plus the one a person found
    assert flow["records_screened"] == 2 and flow["awaiting_screening"] == 4
    assert (flow["records_excluded"], flow["dbr_sought_reports"], flow["dbr_assessed"]) == (1, 1, 1)
    assert flow["new_studies"] == 1 and flow["total_studies"] == flow["previous_studies"] + 1
    # a later report of an included study is a previous report, not a previous study
    _, screening = tables.read(project, tables.SCREENING)
    included = [r for r in screening if r["decision"] == "included"]
    later = [r for r in included if r["study_id"]]
    assert later, "the book's log has a later report of an included study (version 1.1)"
    assert flow["previous_reports"] == len(included)
    assert flow["previous_studies"] == len(included) - len(later)
    assert flow["total_reports"] == flow["total_studies"] + len(later)
    csv_text = report.prisma2020_csv(project)
    assert csv_text.splitlines()[0] == "data,node,box,description,boxtext,tooltips,url,n"
    assert "\nnew_studies,node15,box10," in csv_text and csv_text.rstrip().endswith(
        f",{flow['total_reports']}"
    )


def test_the_surveillance_pages_are_executed_again_when_their_data_or_engine_changes(tmp_path):
    from livingreview.build import freshness

    root = Path(__file__).resolve().parent.parent
    md = (root / "chapters" / "trials.md").read_text(encoding="utf-8")
    used = freshness.tables_used(md, freshness.resources(root))
    assert {"trials", "trial_sources", "trial_changes", "releases"} <= used
    before = freshness.fingerprint(md, root)
    copy = project_copy(tmp_path / "p")
    with open(copy / tables.TRIALS, "a", encoding="utf-8") as f:
        f.write("NCT00000001,,,x,,,,,,,,,,,,,,,,,,,,,,\n")
    assert freshness.fingerprint(md, copy) != before
    # an edit in the sub-package changes the engine digest, as an edit of a top-level module does
    import shutil

    engine = tmp_path / "engine"
    shutil.copytree(freshness.ENGINE_DIR, engine, ignore=shutil.ignore_patterns("__pycache__"))
    old = freshness.ENGINE_DIR
    try:
        freshness.ENGINE_DIR = engine
        first = freshness.engine_digest()
        with open(engine / "surveillance" / "dedup.py", "a", encoding="utf-8") as f:
            f.write("# edited\n")
        assert freshness.engine_digest() != first
    finally:
        freshness.ENGINE_DIR = old
