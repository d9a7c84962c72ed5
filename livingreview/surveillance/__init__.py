"""Literature and registry surveillance: the search that keeps the review living.

One module per concern, each usable on its own:

- ``http``       one HTTP client for every service: rate limit, retry/backoff budget, injectable
                 transport (tests replay recorded responses), requests described without secrets.
- ``records``    the record every client returns (``Candidate``) and the registry record
                 (``TrialRecord``).
- ``pubmed``     NCBI E-utilities: esearch (usehistory, windowed on [crdt]) and efetch XML.
- ``europepmc``  Europe PMC REST search: cursorMark paging, CREATION_DATE windows.
- ``ctgov``      ClinicalTrials.gov API v2 ``/api/v2/studies``: pageToken paging.
- ``strategies`` the search strategies and the run log (``data/search_*.csv``) as data.
- ``dedup``      identifiers normalised and matched (PMID, PMCID, DOI, NCT, EudraCT, CTIS); near
                 duplicate titles listed for a person, never dropped.
- ``ledger``     the append-only screening ledger; the machine never decides.
- ``ris``        RIS export/import with the labels ASReview and Rayyan read.
- ``trials``     registry records as the trials table; ages in days; field-level changes.
- ``run``        one search run: everything or nothing, the window's cursor moves on success.
- ``report``     PRISMA-S items and the updated-review PRISMA 2020 flow from the data.
- ``checks``     the rules ``make check`` applies to these tables beyond their Table Schema.

Imports from the rest of the engine are kept to ``livingreview.problems`` (the ``Problem`` type).
"""
