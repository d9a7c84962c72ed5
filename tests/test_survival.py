"""Reference tests for livingreview.stats.survival.kaplan_meier.

Data: R survival's ``aml`` data (Miller 1981, "Survival Analysis", p. 49), typed from the
survival package's source file data/leukemia.dat (github.com/therneau/survival; ``aml`` is the
same data set as ``leukemia``).

Expected values are R survival outputs, checked to the precision they were printed with: a value
printed with d decimals must match within 0.5 * 10^-d (``printed`` below).
"""

import math

import numpy as np
import pytest

from livingreview.stats.survival import KaplanMeier, kaplan_meier

# data/leukemia.dat: time, status (1 = event), x
MAINTAINED_TIME = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161]
MAINTAINED_EVENT = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0]
NONMAINTAINED_TIME = [5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45]
NONMAINTAINED_EVENT = [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]


def printed(text: str):
    """pytest.approx for a number as printed by R: tolerance = half a unit in its last digit."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return pytest.approx(float(text), abs=0.5 * 10**-decimals)


def event_rows(km: KaplanMeier):
    """The rows R's summary() prints: event times only."""
    keep = [i for i, d in enumerate(km.n_event) if d > 0]
    pick = lambda seq: [seq[i] for i in keep]  # noqa: E731
    return (
        pick(km.time),
        pick(km.n_at_risk),
        pick(km.n_event),
        pick(km.survival),
        pick(km.std_err),
        pick(km.ci_lower),
        pick(km.ci_upper),
    )


# Source: survival package test output tests/doaml.Rout.save (github.com/therneau/survival),
# summary(survfit(Surv(aml$time, aml$status) ~ aml$x)): columns time, n.risk, n.event, survival,
# std.err, lower 95% CI, upper 95% CI (conf.type "log", R's default), as printed.
DOAML_SUMMARY = {
    "Maintained": [
        ("9", "11", "1", "0.909", "0.0867", "0.7541", "1.000"),
        ("13", "10", "1", "0.818", "0.1163", "0.6192", "1.000"),
        ("18", "8", "1", "0.716", "0.1397", "0.4884", "1.000"),
        ("23", "7", "1", "0.614", "0.1526", "0.3769", "0.999"),
        ("31", "5", "1", "0.491", "0.1642", "0.2549", "0.946"),
        ("34", "4", "1", "0.368", "0.1627", "0.1549", "0.875"),
        ("48", "2", "1", "0.184", "0.1535", "0.0359", "0.944"),
    ],
    "Nonmaintained": [
        ("5", "12", "2", "0.8333", "0.1076", "0.6470", "1.000"),
        ("8", "10", "2", "0.6667", "0.1361", "0.4468", "0.995"),
        ("12", "8", "1", "0.5833", "0.1423", "0.3616", "0.941"),
        ("23", "6", "1", "0.4861", "0.1481", "0.2675", "0.883"),
        ("27", "5", "1", "0.3889", "0.1470", "0.1854", "0.816"),
        ("30", "4", "1", "0.2917", "0.1387", "0.1148", "0.741"),
        ("33", "3", "1", "0.1944", "0.1219", "0.0569", "0.664"),
        ("43", "2", "1", "0.0972", "0.0919", "0.0153", "0.620"),
        ("45", "1", "1", "0.0000", None, None, None),  # R: std.err NaN, bounds NA
    ],
}
GROUPS = {
    "Maintained": (MAINTAINED_TIME, MAINTAINED_EVENT),
    "Nonmaintained": (NONMAINTAINED_TIME, NONMAINTAINED_EVENT),
}


def _check_summary(km, expected):
    time, n_risk, n_event, surv, se, lower, upper = event_rows(km)
    assert len(time) == len(expected)
    for i, (t, nr, ne, s, sd, lo, hi) in enumerate(expected):
        assert (time[i], n_risk[i], n_event[i]) == (float(t), int(nr), int(ne))
        assert surv[i] == printed(s)
        for got, want in ((se[i], sd), (lower[i], lo), (upper[i], hi)):
            if want is None:
                assert math.isnan(got)
            else:
                assert got == printed(want)


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_aml_by_group_matches_survival_summary(group):
    km = kaplan_meier(*GROUPS[group])
    assert km.conf_type == "log"
    _check_summary(km, DOAML_SUMMARY[group])


def test_aml_by_group_medians_match_print_survfit():
    # Source: tests/doaml.Rout.save, print of survfit(Surv(aml$time, aml$status) ~ aml$x):
    #   Maintained     n=11 events 7  median 31 0.95LCL 18 0.95UCL NA
    #   Nonmaintained  n=12 events 11 median 23 0.95LCL  8 0.95UCL NA
    m = kaplan_meier(*GROUPS["Maintained"])
    assert (m.n, m.events, m.median, m.median_lower, m.median_upper) == (11, 7, 31.0, 18.0, None)
    nm = kaplan_meier(*GROUPS["Nonmaintained"])
    assert (nm.n, nm.events, nm.median, nm.median_lower, nm.median_upper) == (12, 11, 23.0, 8.0, None)


# Source: R output of survfit(Surv(time, status) ~ 1, data = aml) and its summary(), printed in a
# Spanish R bookdown course, chapter "GLM para datos de supervivencia" (15-GLMTSuperv.Rmd,
# section "Análisis preliminar / Leucemia"): n 23, events 18, median 27, 0.95LCL 18,
# 0.95UCL 45; summary columns as printed. (The same chapter's by-group print agrees with
# doaml.Rout.save above.)
AML_POOLED_SUMMARY = [
    ("5", "23", "2", "0.9130", "0.0588", "0.8049", "1.000"),
    ("8", "21", "2", "0.8261", "0.0790", "0.6848", "0.996"),
    ("9", "19", "1", "0.7826", "0.0860", "0.6310", "0.971"),
    ("12", "18", "1", "0.7391", "0.0916", "0.5798", "0.942"),
    ("13", "17", "1", "0.6957", "0.0959", "0.5309", "0.912"),
    ("18", "14", "1", "0.6460", "0.1011", "0.4753", "0.878"),
    ("23", "13", "2", "0.5466", "0.1073", "0.3721", "0.803"),
    ("27", "11", "1", "0.4969", "0.1084", "0.3240", "0.762"),
    ("30", "9", "1", "0.4417", "0.1095", "0.2717", "0.718"),
    ("31", "8", "1", "0.3865", "0.1089", "0.2225", "0.671"),
    ("33", "7", "1", "0.3313", "0.1064", "0.1765", "0.622"),
    ("34", "6", "1", "0.2761", "0.1020", "0.1338", "0.569"),
    ("43", "5", "1", "0.2208", "0.0954", "0.0947", "0.515"),
    ("45", "4", "1", "0.1656", "0.0860", "0.0598", "0.458"),
    ("48", "2", "1", "0.0828", "0.0727", "0.0148", "0.462"),
]


def test_aml_pooled_matches_survival_summary_and_median():
    km = kaplan_meier(MAINTAINED_TIME + NONMAINTAINED_TIME, MAINTAINED_EVENT + NONMAINTAINED_EVENT)
    _check_summary(km, AML_POOLED_SUMMARY)
    # The upper band is not monotone (0.458 at 45, 0.462 at 48): print.survfit takes the first
    # time it is below 0.5, 45.
    assert (km.n, km.events, km.median, km.median_lower, km.median_upper) == (23, 18, 27.0, 18.0, 45.0)


def test_rows_include_censoring_times_like_the_survfit_object():
    km = kaplan_meier(*GROUPS["Maintained"])
    assert km.time == (9.0, 13.0, 18.0, 23.0, 28.0, 31.0, 34.0, 45.0, 48.0, 161.0)
    assert km.censored == (0, 1, 0, 0, 1, 0, 0, 1, 0, 1)
    # A censoring row carries the curve and its band forward.
    assert km.survival[4] == km.survival[3] and km.ci_lower[4] == km.ci_lower[3]
    # std_err is se(S); std_err_log is se(log S) (survfit()$std.err): S * se(log S) = se(S).
    assert np.allclose(np.array(km.std_err), np.array(km.survival) * np.array(km.std_err_log))


def test_greenwood_by_direct_computation():
    # Independent direct computation of the first rows of the Maintained curve:
    # S(9) = 10/11, var(log S) = 1/(11*10); S(13) = S(9) * 9/10, var += 1/(10*9).
    km = kaplan_meier(*GROUPS["Maintained"])
    assert km.survival[0] == pytest.approx(10 / 11)
    assert km.std_err_log[0] == pytest.approx(math.sqrt(1 / 110))
    assert km.survival[1] == pytest.approx(10 / 11 * 9 / 10)
    assert km.std_err_log[1] == pytest.approx(math.sqrt(1 / 110 + 1 / 90))
    z = 1.959963984540054
    assert km.ci_lower[1] == pytest.approx(km.survival[1] * math.exp(-z * km.std_err_log[1]))


def test_numbers_at_risk():
    # R's n.risk at the event times (doaml.Rout.save summary) plus times between/after them:
    # the number of subjects with observed time >= t.
    km = kaplan_meier(*GROUPS["Maintained"])
    assert km.at_risk([9, 13, 18, 23, 31, 34, 48]) == (11, 10, 8, 7, 5, 4, 2)
    assert km.at_risk([0, 10, 100, 161, 162]) == (11, 10, 1, 1, 0)
    assert km.at_risk(20) == (7,)


def test_survival_at_requested_times():
    km = kaplan_meier(*GROUPS["Maintained"])
    s = km.survival
    assert km.survival_at([0, 8.9, 9, 12, 13, 160, 161]) == pytest.approx(
        [1.0, 1.0, s[0], s[0], s[1], s[8], s[8]]
    )
    assert math.isnan(km.survival_at(162)[0])


def test_log_log_band_by_direct_computation():
    # No published R conf.type="log-log" output was found for these data: R's formula,
    # exp(-exp(log(-log S) -/+ z se(log S) / log S)), computed directly.
    km = kaplan_meier(
        MAINTAINED_TIME + NONMAINTAINED_TIME, MAINTAINED_EVENT + NONMAINTAINED_EVENT, conf_type="log-log"
    )
    z = 1.959963984540054
    for s, se, lo, hi in zip(
        km.survival[:-1], km.std_err_log[:-1], km.ci_lower[:-1], km.ci_upper[:-1], strict=True
    ):
        a = math.exp(-math.exp(math.log(-math.log(s)) + z * se / math.log(s)))
        b = math.exp(-math.exp(math.log(-math.log(s)) - z * se / math.log(s)))
        assert (lo, hi) == pytest.approx((min(a, b), max(a, b)))
        assert lo < s < hi


def test_plain_band_by_direct_computation():
    # R's conf.type="plain": S -/+ z se(S), clipped to [0, 1] (independent direct computation).
    km = kaplan_meier(*GROUPS["Nonmaintained"], conf_type="plain", level=0.9)
    z = 1.6448536269514722
    for s, se, lo, hi in zip(
        km.survival[:-1], km.std_err[:-1], km.ci_lower[:-1], km.ci_upper[:-1], strict=True
    ):
        assert lo == pytest.approx(max(0.0, s - z * se))
        assert hi == pytest.approx(min(1.0, s + z * se))


def test_median_midpoint_rule():
    # print.survfit: if S(t) is exactly 0.5, the median is the midpoint to the next drop.
    assert kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1]).median == 2.5
    # Curve never reaches 0.5: no median (R's NA).
    assert kaplan_meier([1, 2, 3, 4], [1, 0, 0, 0]).median is None


def test_boolean_events_and_unsorted_input():
    a = kaplan_meier([13, 9, 13], [False, True, True])
    b = kaplan_meier([9, 13, 13], [1, 1, 0])
    assert a == b


@pytest.mark.parametrize(
    ("time", "event", "kwargs", "match"),
    [
        ([1, 2], [1], {}, "same length"),
        ([], [], {}, "non-empty"),
        ([1, -2], [1, 1], {}, ">= 0"),
        ([1, float("nan")], [1, 1], {}, "non-finite"),
        ([1, 2], [1, 2], {}, "only 0"),
        (["a", 2], [1, 1], {}, "numbers"),
        ([1, 2], [1, 1], {"conf_type": "arcsin"}, "conf_type"),
        ([1, 2], [1, 1], {"level": 95}, "level"),
    ],
)
def test_input_validation(time, event, kwargs, match):
    with pytest.raises(ValueError, match=match):
        kaplan_meier(time, event, **kwargs)


def test_at_risk_rejects_non_finite_times():
    km = kaplan_meier([1, 2], [1, 0])
    with pytest.raises(ValueError, match="finite"):
        km.at_risk([float("inf")])
