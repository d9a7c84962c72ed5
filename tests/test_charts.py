"""Tests of livingreview.present.charts on small synthetic data (fake labels, invented numbers).

Every chart is validated against the Vega-Lite JSON schema that Altair ships, rendered to SVG
with vl-convert (offline), and written as SVG + PNG to /tmp/charts_review/ for visual review.
"""

from __future__ import annotations

import json
import math
import os
import re
import xml.etree.ElementTree as ET
from importlib.resources import files
from pathlib import Path

import altair as alt
import jsonschema
import pandas as pd
import pytest
import vl_convert as vlc

from livingreview.present import charts as ch
from livingreview.review.prisma import PrismaCounts
from livingreview.stats.meta import meta_proportions, rma
from livingreview.stats.survival import kaplan_meier as fit_km

REVIEW_DIR = Path(os.environ.get("CHARTS_REVIEW_DIR", "/tmp/charts_review"))


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def validator() -> jsonschema.Draft7Validator:
    schema_file = files("altair") / "vegalite" / "v6" / "schema" / "vega-lite-schema.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def render(chart, name: str, validator) -> tuple[dict, str]:
    """Validate, render to SVG, save SVG + PNG for review; return (spec, svg)."""
    spec = chart.to_dict()
    errors = sorted(validator.iter_errors(spec), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors[:5])
    svg = vlc.vegalite_to_svg(spec)
    REVIEW_DIR.mkdir(parents=True, exist_ok=True)
    (REVIEW_DIR / f"{name}.svg").write_text(svg, encoding="utf-8")
    (REVIEW_DIR / f"{name}.png").write_bytes(vlc.vegalite_to_png(spec, scale=1))
    return spec, svg


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    out = []
    for el in root.iter():
        if el.tag.endswith("text"):
            out.append("".join(el.itertext()).replace("\u00a0", " "))  # NBSP → space
    return out


def svg_has_text(svg: str, text: str) -> bool:
    return any(text in t for t in svg_texts(svg))


def count_marks(svg: str, name: str) -> int:
    """Number of items drawn by the mark named ``name`` (``.properties(name=...)``)."""
    pattern = re.compile(rf"^{re.escape(name)}(_\d+)?_marks$")  # Vega adds _N inside concats
    root = ET.fromstring(svg)
    total = 0
    for g in root.iter():
        if g.tag.endswith("g") and any(pattern.match(c) for c in (g.get("class") or "").split()):
            total += len(list(g))
    return total


def inline_datasets(spec: dict) -> list[list[dict]]:
    found: list[list[dict]] = []

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "datasets" and isinstance(v, dict):
                    found.extend(v.values())
                elif k == "data" and isinstance(v, dict) and "values" in v:
                    found.append(v["values"])
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return found


def inline_columns(spec: dict) -> set[str]:
    return {k for rows in inline_datasets(spec) for r in rows for k in r}


def font_sizes(spec: dict) -> list[float]:
    sizes = []

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k.lower().endswith("fontsize") and isinstance(v, (int, float)):
                    sizes.append(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return sizes


def check_common(spec: dict, svg: str, title: str) -> None:
    """(d) title + description; fonts >= 11; no URLs; the title is rendered."""
    assert spec["title"]["text"] == title
    assert svg_has_text(svg, title)
    desc = spec.get("description")
    assert isinstance(desc, str) and len(desc) > 40
    assert "usermeta" not in spec  # top-level only: a chart carrying it could not be composed
    sizes = font_sizes(spec)
    assert sizes and min(sizes) >= 11, sizes
    cfg = spec["config"]
    for part, key in [
        ("axis", "labelFontSize"),
        ("axis", "titleFontSize"),
        ("legend", "labelFontSize"),
        ("legend", "titleFontSize"),
    ]:
        assert cfg[part][key] >= 11
    no_schema = {k: v for k, v in spec.items() if k != "$schema"}
    dumped = json.dumps(no_schema)
    assert "http" not in dumped and '"url"' not in dumped


def svg_width(svg: str) -> float:
    return float(ET.fromstring(svg).get("width"))


# --------------------------------------------------------------------------------------------
# synthetic data
# --------------------------------------------------------------------------------------------


@pytest.fixture
def forest_df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": ["Study A", "Study B", "Study C", "Study D", "Study E"],
            "estimate": [40.0, 55.0, 62.0, 30.0, 75.0],
            "ci_lower": [20.0, 41.0, 35.0, 12.0, 60.0],
            "ci_upper": [61.0, 68.0, 84.0, 54.0, 86.0],
            "n": [12, 60, 9, 15, 40],
            "arm": ["Group 1", "Group 1", "Group 2", "Group 2", "Group 2"],
        }
    )


# A proportion meta-analysis of five invented studies (events/total), drawn as metafor's
# forest(res) draws it: the studies' exact intervals and the pooled diamond.
EVENTS, TOTALS = [5, 33, 6, 4, 30], [12, 60, 9, 15, 40]
POOLED = meta_proportions(EVENTS, TOTALS, method="logit")


@pytest.fixture
def km_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    curve = pd.DataFrame(
        {
            "time": [0, 2, 4, 5, 8, 12, 18, 24, 0, 3, 6, 9, 14, 24],
            "survival": [1, 0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.5, 1, 0.85, 0.7, 0.55, 0.45, 0.45],
            "ci_lower": [1, 0.75, 0.62, 0.62, 0.5, 0.4, 0.4, 0.3, 1, 0.7, 0.5, 0.35, 0.25, 0.25],
            "ci_upper": [1, 0.97, 0.92, 0.92, 0.85, 0.78, 0.78, 0.7, 1, 0.95, 0.85, 0.72, 0.65, 0.65],
            "censored": [0, 0, 0, 1, 0, 0, 2, 3, 0, 0, 1, 0, 0, 4],
            "arm": ["Arm X"] * 8 + ["Arm Y"] * 6,
        }
    )
    at_risk = pd.DataFrame(
        {
            "time": [0, 6, 12, 18, 24] * 2,
            "n_at_risk": [10, 8, 6, 5, 3, 12, 8, 6, 5, 4],
            "arm": ["Arm X"] * 5 + ["Arm Y"] * 5,
        }
    )
    return curve, at_risk


@pytest.fixture
def mrd_df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": ["P01", "P02", "P03", "P04", "P05", "P06"],
            "mrd_pre": [2e-2, 5e-3, 1e-1, 8e-4, 3e-2, 1e-3],
            "mrd_post": [1e-4, 1e-4, 2e-2, 1e-4, 6e-4, 2e-3],
            "mrd_post_qualifier": ["<", "<", "", "<", None, ""],
        }
    )


def prisma_counts(**overrides) -> PrismaCounts:
    base = dict(
        databases=120,
        registers=14,
        other_methods=0,
        duplicates_removed=30,
        automation_ineligible=4,
        other_removed=0,
        records_screened=100,
        records_excluded=70,
        reports_sought=30,
        reports_not_retrieved=2,
        reports_assessed=28,
        reports_excluded={"Wrong population": 10, "Wrong intervention": 6, "No outcome data": 4},
        studies_included=6,
        reports_included=8,
    )
    base.update(overrides)
    return PrismaCounts(**base)


@pytest.fixture
def evidence_df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "study": ["S1", "S2", "S3", "S4", "S5", "S6", "S7"],
            "intervention": ["Agent Q", "Agent Q", "Agent R", "Agent R", "Agent Q", "Agent S", "Agent R"],
            "population": ["Group 1", "Group 1", "Group 1", "Group 2", "Group 2", "Group 2", "Group 1"],
            "n": [10, 25, 4, 30, 8, 2, 12],
            "design": ["Trial", "Case series", "Case series", "Trial", "Case series", "Case series", "Trial"],
        }
    )


@pytest.fixture
def ae_df() -> pd.DataFrame:
    rows = []
    for study, total in (("Study A", 20), ("Study B", 30)):
        for ev, counts in (("Event alpha", (3, 2, 1)), ("Event beta", (5, 1, 0)), ("Event gamma", (1, 1, 2))):
            for grade, k in zip(("1–2", "3", "4"), counts, strict=True):
                rows.append({"study": study, "event": ev, "grade": grade, "patients": k, "total": total})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# 1. forest
# --------------------------------------------------------------------------------------------


def test_forest_draws_a_meta_analysis_result(validator):
    labels = ["Study A", "Study B", "Study C", "Study D", "Study E"]
    chart = ch.forest(POOLED, labels=labels, pooled_label="Pooled (random effects)", title="Forest test")
    spec, svg = render(chart, "forest_pooled", validator)
    check_common(spec, svg, "Forest test")
    assert count_marks(svg, "forest_points") == 5
    assert count_marks(svg, "forest_ci") == 5
    assert count_marks(svg, "forest_pi") == (1 if POOLED.pi_lower is not None else 0)
    assert count_marks(svg, "forest_pooled") == 1
    est = round(100 * POOLED.proportion)
    lo, hi = round(100 * POOLED.ci_lower), round(100 * POOLED.ci_upper)
    first = POOLED.studies[0]
    for text in (
        "Study A",
        "Study E",
        "Pooled (random effects)",
        f"{est} [{lo}, {hi}]",
        f"{round(100 * first.proportion)} [{round(100 * first.ci_lower)}, {round(100 * first.ci_upper)}]",
        str(sum(TOTALS)),
    ):
        assert svg_has_text(svg, text), text
    # the diamond is a polygon whose corners are the CI bounds and the estimate
    diamond = [rows for rows in inline_datasets(spec) if rows and "y2" in rows[0]]
    assert len(diamond) == 1
    expected = sorted(100 * v for v in (POOLED.ci_lower, POOLED.proportion, POOLED.ci_upper))
    assert sorted(r["x"] for r in diamond[0]) == pytest.approx(expected)
    assert svg_width(svg) <= 760
    # the same chart from a frame of study rows plus the result as the pooled row
    rows = pd.DataFrame(
        {
            "label": labels,
            "estimate": [100 * s.proportion for s in POOLED.studies],
            "ci_lower": [100 * s.ci_lower for s in POOLED.studies],
            "ci_upper": [100 * s.ci_upper for s in POOLED.studies],
            "n": TOTALS,
        }
    )
    assert (
        ch.forest(rows, pooled=POOLED, pooled_label="Pooled (random effects)", title="Forest test").to_dict()
        == spec
    )
    with pytest.raises(ValueError, match="labels"):
        ch.forest(POOLED)


def test_charts_compose_side_by_side(forest_df, validator):
    """Charts carry no configuration of their own (the registered theme styles them), so they
    can be concatenated; the theme's configuration is in the composed spec."""
    both = alt.hconcat(ch.forest(forest_df, title="Left"), ch.forest(forest_df, title="Right"))
    spec = both.to_dict()
    assert not list(validator.iter_errors(spec))
    assert spec["config"]["axis"]["labelFontSize"] == 12 and spec["config"]["background"] == "white"
    assert alt.theme.active == "livingreview"


def test_forest_group_and_columns(forest_df, validator):
    chart = ch.forest(forest_df, group="arm", title="Grouped forest")
    spec, svg = render(chart, "forest_grouped", validator)
    check_common(spec, svg, "Grouped forest")
    assert svg_has_text(svg, "Group 1") and svg_has_text(svg, "Group 2")
    assert count_marks(svg, "forest_points") == 5
    # (c) only drawn columns are embedded; unused columns/rows do not change the spec
    allowed = {"row", "label", "est", "lo", "hi", "est_text", "n_text", "w", "group", "text", "ref"}
    assert inline_columns(spec) <= allowed
    bigger = forest_df.assign(notes="unused text " * 20, extra=range(5))
    assert ch.forest(bigger, group="arm", title="Grouped forest").to_dict() == spec


def test_forest_log_ratio(validator):
    df = pd.DataFrame(
        {
            "study": ["Study A", "Study B", "Study C"],
            "rr": [0.5, 1.2, 0.8],
            "lo": [0.2, 0.7, 0.5],
            "hi": [1.25, 2.1, 1.3],
            "size": [20, 50, 35],
        }
    )
    chart = ch.forest(
        df,
        label="study",
        estimate="rr",
        lower="lo",
        upper="hi",
        n="size",
        log_x=True,
        ref_line=1,
        x_title="Risk ratio",
        pooled=rma([math.log(0.5), math.log(1.2), math.log(0.8)], [0.22, 0.08, 0.06], method="EE"),
        transform=math.exp,
        title="Ratios",
    )
    spec, svg = render(chart, "forest_log", validator)
    check_common(spec, svg, "Ratios")
    assert '"type": "log"' in json.dumps(spec)
    assert svg_has_text(svg, "0.50 [0.20, 1.25]")
    assert count_marks(svg, "forest_pi") == 0


def test_forest_missing_values(validator):
    df = pd.DataFrame(
        {
            "label": ["Study A", "Study B"],
            "estimate": [30.0, None],
            "ci_lower": [10.0, None],
            "ci_upper": [50.0, None],
            "n": [10, None],
        }
    )
    spec, svg = render(ch.forest(df, title="Gaps"), "forest_gaps", validator)
    assert count_marks(svg, "forest_points") == 1
    assert svg_has_text(svg, "NR")


def test_forest_errors(forest_df):
    with pytest.raises(ValueError, match="ci_upper"):
        ch.forest(forest_df.drop(columns="ci_upper"))
    with pytest.raises(ValueError, match="'arm_x'"):
        ch.forest(forest_df, group="arm_x")
    with pytest.raises(ValueError, match="log_x"):
        ch.forest(forest_df.assign(ci_lower=0.0), log_x=True)
    with pytest.raises(ValueError, match="Study A"):
        ch.forest(forest_df.assign(ci_lower=[45.0, 41, 35, 12, 60]))


# --------------------------------------------------------------------------------------------
# 2. Kaplan–Meier
# --------------------------------------------------------------------------------------------


def test_kaplan_meier_strata(km_frames, validator):
    curve, at_risk = km_frames
    chart = ch.kaplan_meier(curve, at_risk, strata="arm", time_title="Time (months)", title="KM test")
    assert isinstance(chart, alt.VConcatChart)
    spec, svg = render(chart, "km_strata", validator)
    check_common(spec, svg, "KM test")
    assert '"interpolate": "step-after"' in json.dumps(spec)
    assert count_marks(svg, "km_curve") == 2  # one line per stratum
    assert count_marks(svg, "km_band") == 2
    assert count_marks(svg, "km_censor") == 5  # rows with censored > 0
    assert count_marks(svg, "km_at_risk") == 10
    assert svg_has_text(svg, "Number at risk") and svg_has_text(svg, "Arm Y")
    assert inline_columns(spec) <= {"time", "surv", "lo", "hi", "strata", "n_text"}
    more = curve.assign(junk="x" * 50)
    assert ch.kaplan_meier(more, at_risk.assign(j=1), strata="arm", title="KM test").to_dict() == spec


def test_kaplan_meier_single_no_ci(km_frames, validator):
    curve, at_risk = km_frames
    one = curve[curve["arm"] == "Arm X"].iloc[1:]  # no time-0 row: it is added
    risk = at_risk[at_risk["arm"] == "Arm X"]
    chart = ch.kaplan_meier(one, risk, lower=None, upper=None, title="KM single")
    spec, svg = render(chart, "km_single", validator)
    check_common(spec, svg, "KM single")
    assert count_marks(svg, "km_band") == 0
    assert count_marks(svg, "km_at_risk") == 5
    curve_rows = [r for rows in inline_datasets(spec) for r in rows if "surv" in r and r["time"] == 0]
    assert curve_rows and curve_rows[0]["surv"] == 1.0


def test_kaplan_meier_errors(km_frames):
    curve, at_risk = km_frames
    with pytest.raises(ValueError, match="n_at_risk"):
        ch.kaplan_meier(curve, at_risk.drop(columns="n_at_risk"), strata="arm")
    with pytest.raises(ValueError, match="survival"):
        ch.kaplan_meier(curve.drop(columns="survival"), at_risk, strata="arm")
    with pytest.raises(ValueError, match="proportion"):
        ch.kaplan_meier(curve.assign(survival=curve["survival"] * 100), at_risk, strata="arm")


def test_kaplan_meier_draws_a_fitted_curve(validator):
    """The fit's own frame is what the chart reads (one set of column names); numbers at risk
    come from the fit at the requested times. Data: R's survival::aml (the AML maintenance trial),
    as in tests/test_survival.py."""
    from tests.test_survival import GROUPS

    fits = {name: fit_km(*GROUPS[name]) for name in ("Maintained", "Nonmaintained")}
    chart = ch.kaplan_meier(fits, times=[0, 12, 24, 36], title="KM from fits", time_title="Weeks")
    spec, svg = render(chart, "kaplan_meier_fits", validator)
    check_common(spec, svg, "KM from fits")
    frame = fits["Maintained"].frame()
    assert list(frame.columns[:4]) == ["time", "survival", "ci_lower", "ci_upper"]
    risk_rows = [r for rows in inline_datasets(spec) for r in rows if "n_text" in r]
    shown = {(r["strata"], r["time"]): int(r["n_text"]) for r in risk_rows}
    for name, fit in fits.items():
        for time, n in zip([0, 12, 24, 36], fit.at_risk([0, 12, 24, 36]), strict=True):
            assert shown[(name, time)] == n


# --------------------------------------------------------------------------------------------
# 3. MRD
# --------------------------------------------------------------------------------------------


PAIRED = {
    "measure": "MRD",
    "patient": "patient_id",
    "before": "mrd_pre",
    "after": "mrd_post",
    "below_detection": "mrd_post_qualifier",
}


def test_before_after(mrd_df, validator):
    chart = ch.before_after(mrd_df, **PAIRED, threshold=5e-4, title="MRD test")
    spec, svg = render(chart, "mrd_before_after", validator)
    check_common(spec, svg, "MRD test")
    assert '"type": "log"' in json.dumps(spec)
    assert count_marks(svg, "paired_lines") == 6
    assert count_marks(svg, "paired_below") == 3  # hollow points for the three "<" values
    assert count_marks(svg, "paired_below_arrow") == 3
    assert count_marks(svg, "paired_points") == 9  # 6 pre + 3 quantified post
    assert count_marks(svg, "paired_threshold") == 1
    assert svg_has_text(svg, "Threshold 5×10⁻⁴")
    assert svg_has_text(svg, "10⁻⁴")
    assert inline_columns(spec) <= {"patient", "phase", "value", "below", "status", "value_text", "text"}
    assert (
        ch.before_after(mrd_df.assign(other=1), **PAIRED, threshold=5e-4, title="MRD test").to_dict() == spec
    )


def test_mrd_percent_no_threshold(mrd_df, validator):
    pct = mrd_df.assign(mrd_pre=mrd_df["mrd_pre"] * 100, mrd_post=mrd_df["mrd_post"] * 100)
    spec, svg = render(
        ch.before_after(pct, **PAIRED, unit="percent", title="MRD %"), "mrd_percent", validator
    )
    check_common(spec, svg, "MRD %")
    assert svg_has_text(svg, "0.01%")


def test_mrd_errors(mrd_df):
    with pytest.raises(ValueError, match="mrd_post_qualifier"):
        ch.before_after(mrd_df.drop(columns="mrd_post_qualifier"), **PAIRED)
    with pytest.raises(ValueError, match="patient_id"):
        ch.before_after(mrd_df.drop(columns="patient_id"), **PAIRED)
    with pytest.raises(ValueError, match="<= 0"):
        ch.before_after(mrd_df.assign(mrd_post=0.0), **PAIRED)


# --------------------------------------------------------------------------------------------
# 5. PRISMA
# --------------------------------------------------------------------------------------------


def test_prisma_check_consistent():
    assert prisma_counts().check() == []


@pytest.mark.parametrize(
    "override, fragment",
    [
        ({"records_screened": 99}, "records screened"),
        ({"records_excluded": 71}, "reports sought"),
        ({"reports_not_retrieved": 3}, "reports assessed"),
        ({"reports_included": 9}, "reports of included studies"),
        ({"studies_included": 9}, "studies included"),
        ({"duplicates_removed": -1}, "non-negative"),
    ],
)
def test_prisma_check_catches(override, fragment):
    problems = prisma_counts(**override).check()
    assert problems and any(fragment in p for p in problems), problems
    with pytest.raises(ValueError, match="inconsistent PRISMA"):
        ch.prisma_flow(prisma_counts(**override))


def test_prisma_flow(validator):
    chart = ch.prisma_flow(prisma_counts(), title="PRISMA test")
    spec, svg = render(chart, "prisma", validator)
    check_common(spec, svg, "PRISMA test")
    assert count_marks(svg, "prisma_boxes") == 9
    assert count_marks(svg, "prisma_phases") == 3
    assert count_marks(svg, "prisma_heads") == 8  # 4 down + 4 right
    assert count_marks(svg, "prisma_arrows") == 8
    for text in (
        "Identification",
        "Screening",
        "Included",
        "Records screened",
        "(n = 100)",
        "Wrong population (n = 10)",
        "Studies included in review",
        "Identification of studies via databases and registers",
    ):
        assert svg_has_text(svg, text), text
    assert spec["width"] <= 700


def test_prisma_two_columns(validator):
    counts = prisma_counts(
        other_methods=9,
        other_reports_sought=7,
        other_reports_not_retrieved=1,
        other_reports_assessed=6,
        other_reports_excluded={"Wrong design": 4},
        reports_included=10,
    )
    assert counts.check() == []
    spec, svg = render(ch.prisma_flow(counts, title="PRISMA two"), "prisma_two_columns", validator)
    check_common(spec, svg, "PRISMA two")
    assert count_marks(svg, "prisma_boxes") == 14
    assert svg_has_text(svg, "Identification of studies via other methods")
    bad = prisma_counts(
        other_methods=9,
        other_reports_sought=7,
        other_reports_not_retrieved=1,
        other_reports_assessed=5,
        reports_included=10,
    )
    assert any("other-methods" in p for p in bad.check())


# --------------------------------------------------------------------------------------------
# 6. evidence map
# --------------------------------------------------------------------------------------------


def test_evidence_map(evidence_df, validator):
    chart = ch.evidence_map(evidence_df, study="study", title="Map test")
    spec, svg = render(chart, "evidence_map", validator)
    check_common(spec, svg, "Map test")
    # aggregated before charting: one row per (intervention, population) cell, not per study
    cells = evidence_df.groupby(["intervention", "population"]).ngroups
    assert count_marks(svg, "evidence_bubbles") == cells == 5
    rows = [r for rows in inline_datasets(spec) for r in rows]
    assert len(rows) == cells
    assert inline_columns(spec) <= {"x", "y", "participants", "studies", "label"}
    q1 = next(r for r in rows if r["x"] == "Agent Q" and r["y"] == "Group 1")
    assert q1["studies"] == 2 and q1["participants"] == 35
    assert ch.evidence_map(evidence_df.assign(junk=1), study="study", title="Map test").to_dict() == spec


def test_evidence_map_colour(evidence_df, validator):
    chart = ch.evidence_map(evidence_df, color="design", title="Map by design")
    spec, svg = render(chart, "evidence_map_colour", validator)
    check_common(spec, svg, "Map by design")
    assert svg_has_text(svg, "Case series")
    assert (
        count_marks(svg, "evidence_bubbles")
        == evidence_df.groupby(["intervention", "population", "design"]).ngroups
    )
    with pytest.raises(ValueError, match="'population'"):
        ch.evidence_map(evidence_df.drop(columns="population"))


# --------------------------------------------------------------------------------------------
# 7. adverse events
# --------------------------------------------------------------------------------------------


def test_adverse_events_stacked(ae_df, validator):
    chart = ch.adverse_events(ae_df, title="AE test")
    spec, svg = render(chart, "adverse_events", validator)
    check_common(spec, svg, "AE test")
    assert count_marks(svg, "ae_bars") == 9  # 3 events × 3 grades, pooled over 2 studies
    rows = [r for rows in inline_datasets(spec) for r in rows if "grade" in r]
    alpha = next(r for r in rows if r["event"] == "Event alpha" and r["grade"] == "1–2")
    assert alpha["pct"] == pytest.approx(100 * 6 / 50)
    assert svg_has_text(svg, "Event beta")
    assert ch.adverse_events(ae_df.assign(z=0), title="AE test").to_dict() == spec


def test_adverse_events_grouped(ae_df, validator):
    spec, svg = render(
        ch.adverse_events(ae_df, layout="grouped", title="AE grouped"), "adverse_events_grouped", validator
    )
    check_common(spec, svg, "AE grouped")
    assert count_marks(svg, "ae_bars") == 9
    with pytest.raises(ValueError, match="'total'"):
        ch.adverse_events(ae_df.drop(columns="total"))


def test_adverse_events_refuse_a_row_without_its_counts(ae_df):
    # A nullable count left empty would otherwise be drawn as no bar: no patient with the event.
    missing = ae_df.astype({"patients": "Int64", "total": "Int64"})
    missing.loc[0, "total"] = pd.NA
    with pytest.raises(ValueError, match="every row needs patients and total"):
        ch.adverse_events(missing)
    missing.loc[0, "total"], missing.loc[1, "patients"] = 20, pd.NA
    with pytest.raises(ValueError, match="every row needs patients and total") as raised:
        ch.adverse_events(missing)
    event, grade = missing.loc[1, "event"], missing.loc[1, "grade"]
    assert str(raised.value).endswith(f"missing in: {event} (grade {grade})")  # names the row
    missing.loc[1, "patients"] = 2  # complete nullable counts draw as plain integers do
    assert ch.adverse_events(missing).to_dict() == ch.adverse_events(ae_df).to_dict()


# --------------------------------------------------------------------------------------------
# the appraisal tool's domains (review.appraisal), shown on the methods page
# --------------------------------------------------------------------------------------------


def test_murad_domains():
    from livingreview.review.appraisal import MURAD_DOMAINS

    assert list(MURAD_DOMAINS) == ["Selection", "Ascertainment", "Causality", "Reporting"]
    assert sum(len(v) for v in MURAD_DOMAINS.values()) == 8


# --------------------------------------------------------------------------------------------
# option paths (spec validity only)
# --------------------------------------------------------------------------------------------


def test_option_paths(forest_df, km_frames, mrd_df, evidence_df, ae_df, validator):
    curve, at_risk = km_frames
    charts = {
        "forest_no_n": ch.forest(forest_df, n=None, digits=1),
        "km_no_censor": ch.kaplan_meier(curve, at_risk, strata="arm", censored=None, strata_title="Arm"),
        "mrd_no_qualifier": ch.before_after(mrd_df, **(PAIRED | {"below_detection": None})),
        "evidence_no_study": ch.evidence_map(evidence_df),
        "ae_order": ch.adverse_events(ae_df, grade_order=["4", "3", "1–2"]),
    }
    for name, chart in charts.items():
        spec = chart.to_dict()
        assert not list(validator.iter_errors(spec)), name
        assert spec["description"] and "usermeta" not in spec
        vlc.vegalite_to_svg(spec)
    assert "n_text" not in inline_columns(charts["forest_no_n"].to_dict())
    assert svg_has_text(vlc.vegalite_to_svg(charts["forest_no_n"].to_dict()), "40.0 [20.0, 61.0]")


def test_prisma_header_names_other_methods_when_no_database_was_searched() -> None:
    # A review built by citation searching only must not claim a database search.
    import dataclasses

    import vl_convert

    counts = PrismaCounts(
        databases=0,
        registers=0,
        other_methods=10,
        duplicates_removed=2,
        records_screened=8,
        records_excluded=3,
        reports_sought=5,
        reports_not_retrieved=1,
        reports_assessed=4,
        reports_excluded={},
        studies_included=4,
        reports_included=4,
    )
    svg = vl_convert.vegalite_to_svg(ch.prisma_flow(counts).to_dict())
    assert "via other methods" in svg and "databases and registers" not in svg
    assert "(no reasons given)" not in svg
    searched = dataclasses.replace(counts, databases=10, other_methods=0)
    assert "databases and registers" in vl_convert.vegalite_to_svg(ch.prisma_flow(searched).to_dict())


# -- timeline -----------------------------------------------------------------------------------


def _timeline_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item": ["B", "A"],
            "from": ["2021-05-01", "2019-01-01"],
            "to": ["2027-01-01", "2023-06-30"],
            "state": ["Recruiting", "Completed"],
            "certainty": ["estimated", "actual"],
        }
    )


# The timeline's arguments for _timeline_frame's columns.
TIMELINE = {
    "label": "item",
    "start": "from",
    "end": "to",
    "colour": "state",
    "colour_title": "Status",
    "certainty": "certainty",
    "certainty_title": "End date",
    "certainty_opacity": {"actual": 1.0, "estimated": 0.5},
    "tooltip": {"state": "Status", "to": "End"},
    "title": "Items",
    "description": "Two items.",
}


def test_timeline_draws_one_bar_per_row_with_its_certainty() -> None:
    spec = ch.timeline(_timeline_frame(), **TIMELINE).to_dict()
    enc = spec["encoding"]
    assert enc["x"]["field"] == "from" and enc["x2"]["field"] == "to"
    assert enc["y"]["sort"]["field"] == "from"  # in order of start
    assert enc["opacity"]["scale"] == {"domain": ["actual", "estimated"], "range": [1.0, 0.5]}
    assert [t["title"] for t in enc["tooltip"]] == ["Status", "End"]
    assert spec["description"] == "Two items."


def test_timeline_names_a_missing_column() -> None:
    with pytest.raises(ValueError, match=r"'finish' \(end=\)"):
        ch.timeline(_timeline_frame(), **{**TIMELINE, "end": "finish"})


def test_evidence_map_counts_a_study_without_a_size_as_no_participants(evidence_df):
    # A study that gives no number of patients is a bubble of its cell's studies, adding nobody: the
    # same chart as with 0 written in (the evidence-tables page relies on this for studies without n).
    missing = evidence_df.assign(
        n=evidence_df["n"].astype("Int64").mask(evidence_df["study"].isin(["S2", "S6"]))
    )
    zero = evidence_df.assign(n=evidence_df["n"].mask(evidence_df["study"].isin(["S2", "S6"]), 0))
    assert ch.evidence_map(missing, study="study").to_dict() == ch.evidence_map(zero, study="study").to_dict()
    assert (
        ch.evidence_map(missing, study="study").to_dict()
        != ch.evidence_map(evidence_df, study="study").to_dict()
    )
