"""Tests of livingreview.present.tables (escaped HTML tables) and the shared formatting helpers."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from livingreview.present import tables as tb
from livingreview.present.tables import SoFRow


class _Collect(HTMLParser):
    """Parses the table back: tags seen, header cells, body rows (text only)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.rows: list[list[str]] = []
        self.caption = ""
        self._cell: list[str] | None = None
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "caption":
            self._in_caption = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "caption":
            self._in_caption = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        elif self._in_caption:
            self.caption += data


def parse(html: str) -> _Collect:
    p = _Collect()
    p.feed(html)
    p.close()
    return p


@pytest.fixture
def studies() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "study_id": ["study-a", "study-b", "study-c"],
            "design": ["Case series", "Single-arm trial", "Cohort"],
            "n_patients": [5.0, 30.0, None],  # float because of the gap
            "multicentre": [True, False, None],
            "start_date": pd.to_datetime(["2019-03-01", "2020-07-15", None]),
            "unused": ["x", "y", "z"],
        }
    )


# --------------------------------------------------------------------------------------------
# formatting helpers
# --------------------------------------------------------------------------------------------


def test_fmt_helpers():
    assert tb.fmt_num(2.5) == "3"  # half away from zero, not banker's rounding
    assert tb.fmt_num(0.125, 2) == "0.13"
    assert tb.fmt_num(-1.5) == "−2"  # typographic minus
    assert tb.fmt_num(-0.001, 1) == "0.0"  # no negative zero
    assert tb.fmt_num(None) == "NR" and tb.fmt_num(float("nan"), na="—") == "—"
    assert tb.fmt_pct(0.705) == "71%" and tb.fmt_pct(0.7054, 1) == "70.5%"
    assert tb.fmt_ci(51, 85) == "[51, 85]"
    assert tb.fmt_ci(0.2, 1.25, 2) == "[0.20, 1.25]"
    assert tb.fmt_ci(None, 3) == ""
    assert tb.fmt_estimate(70, 51, 85) == "70 [51, 85]"
    assert tb.fmt_estimate(70, None, None) == "70"
    assert tb.fmt_estimate(None, 1, 2) == "NR"
    assert tb.fmt_sci(5e-4) == "5×10⁻⁴"
    assert tb.fmt_sci(1e-4) == "10⁻⁴"
    assert tb.fmt_sci(2.5e-3, 1) == "2.5×10⁻³"
    assert tb.certainty_label("low") == "⊕⊕◯◯ Low"
    assert tb.certainty_label("Very low") == "⊕◯◯◯ Very low"
    assert tb.certainty_label("HIGH") == "⊕⊕⊕⊕ High"
    with pytest.raises(ValueError, match="certainty"):
        tb.certainty_label("medium")


# --------------------------------------------------------------------------------------------
# study characteristics
# --------------------------------------------------------------------------------------------


def test_study_characteristics(studies):
    out = tb.study_characteristics(
        studies,
        columns=["study_id", "design", "n_patients", "multicentre", "start_date"],
        labels={"study_id": "Study", "n_patients": "Patients", "start_date": "First enrolment"},
        caption="Table 1. Included studies",
    )
    assert isinstance(out, str) and isinstance(out, tb.HTMLTable)
    assert out.html == str(out) == out._repr_html_()
    p = parse(out.html)
    assert p.caption == "Table 1. Included studies"
    table_attrs = next(a for t, a in p.tags if t == "table")
    assert "lr-table" in table_attrs["class"].split()
    col_heads = [a for t, a in p.tags if t == "th" and a.get("scope") == "col"]
    assert len(col_heads) == 5
    assert p.rows[0] == ["Study", "design", "Patients", "multicentre", "First enrolment"]
    assert p.rows[1] == ["study-a", "Case series", "5", "Yes", "2019-03-01"]
    assert p.rows[3] == ["study-c", "Cohort", "—", "—", "—"]
    assert "unused" not in out.html
    # the first body cell of each row is a row header
    assert sum(1 for t, a in p.tags if t == "th" and a.get("scope") == "row") == 3


def test_study_characteristics_escapes_everything(studies):
    evil = studies.assign(design=['<script>alert("x")</script>', "a & b", "it's"])
    out = tb.study_characteristics(
        evil,
        columns=["study_id", "design"],
        labels={"design": "<b>Design</b>"},
        caption="<img src=x onerror=alert(1)>",
    )
    assert "<script>" not in out.html and "</script>" not in out.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in out.html
    assert "<b>" not in out.html and "&lt;b&gt;Design&lt;/b&gt;" in out.html
    assert "<img" not in out.html
    assert "a &amp; b" in out.html and "it&#x27;s" in out.html
    p = parse(out.html)
    assert p.rows[1][1] == '<script>alert("x")</script>'  # text survives the round trip
    assert {t for t, _ in p.tags} <= {"div", "table", "caption", "thead", "tbody", "tr", "th", "td"}


def test_study_characteristics_errors(studies):
    with pytest.raises(ValueError, match="'country'"):
        tb.study_characteristics(studies, columns=["study_id", "country"])
    with pytest.raises(TypeError):
        tb.study_characteristics([{"a": 1}])


# --------------------------------------------------------------------------------------------
# summary of findings
# --------------------------------------------------------------------------------------------


@pytest.fixture
def sof_rows() -> list[SoFRow]:
    return [
        SoFRow(
            outcome="Outcome one",
            estimate=62.0,
            lower=48.0,
            upper=74.5,
            participants=120,
            studies=5,
            certainty="low",
            comments="Downgraded for imprecision.",
            digits=0,
        ),
        SoFRow(
            outcome="Outcome two",
            effect="HR 0.62 (0.40 to 0.95)",
            participants=40,
            studies=1,
            certainty="very low",
        ),
        SoFRow(
            outcome="Outcome three",
            estimate=30.0,
            participants=None,
            studies=2,
            certainty="Moderate",
            comments='<script>alert("sof")</script>',
        ),
    ]


def test_summary_of_findings(sof_rows):
    out = tb.summary_of_findings(sof_rows, caption="Summary of findings (synthetic)")
    assert isinstance(out, tb.HTMLTable) and out._repr_html_() == out.html
    p = parse(out.html)
    assert p.caption == "Summary of findings (synthetic)"
    assert sum(1 for t, a in p.tags if t == "th" and a.get("scope") == "col") == 5
    head, r1, r2, r3 = p.rows
    assert head[0] == "Outcome" and "Certainty" in head[3]
    assert r1[:4] == ["Outcome one", "62% (48% to 75%)", "120 (5 studies)", "⊕⊕◯◯ Low"]
    assert r2[1:4] == ["HR 0.62 (0.40 to 0.95)", "40 (1 study)", "⊕◯◯◯ Very low"]
    assert r3[1:4] == ["30%", "NR (2 studies)", "⊕⊕⊕◯ Moderate"]
    # symbols are hidden from screen readers, the word is read
    assert '<span aria-hidden="true">⊕⊕◯◯</span> Low' in out.html
    # a <script> in a cell is escaped
    assert "<script>" not in out.html
    assert "&lt;script&gt;alert(&quot;sof&quot;)&lt;/script&gt;" in out.html
    assert r3[4] == '<script>alert("sof")</script>'
    assert re.search(r'<table class="[^"]*lr-sof', out.html)


def test_summary_of_findings_errors():
    with pytest.raises(ValueError, match="certainty"):
        SoFRow(outcome="x", estimate=1.0, certainty="good")
    with pytest.raises(ValueError, match="estimate or an effect"):
        SoFRow(outcome="x", certainty="low")
    with pytest.raises(ValueError, match="no rows"):
        tb.summary_of_findings([])
    with pytest.raises(TypeError):
        tb.summary_of_findings([{"outcome": "x"}])


def test_fmt_estimate_prose() -> None:
    from livingreview.present.tables import fmt_estimate_prose

    assert fmt_estimate_prose(81.6, 60.8, 92.0, 1) == "81.6% (95% CI 60.8% to 92.0%)"
    assert fmt_estimate_prose(0.22, 0.09, 0.34, 2, unit="") == "0.22 (95% CI 0.09 to 0.34)"
    assert fmt_estimate_prose(40, None, None) == "40%"
