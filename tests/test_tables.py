"""Tests of livingreview.present.tables (escaped HTML tables) and the shared formatting helpers."""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd
import pytest

from livingreview.present import tables as tb


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


def test_columns_may_name_their_headings() -> None:
    df = pd.DataFrame({"arm": ["A"], "figure": ["9 of 11"], "unused": [1]})
    as_mapping = tb.table(df, {"arm": "Cohort", "figure": "Figure"}, caption="c")
    as_lists = tb.table(df, ["arm", "figure"], {"arm": "Cohort", "figure": "Figure"}, caption="c")
    assert as_mapping == as_lists
    assert "Cohort" in as_mapping and "unused" not in as_mapping
