"""Reference tests for livingreview.stats.proportions.proportion_ci.

Expected values: R package `binom`, ``binom.confint(x, n, tol = 1e-8)``, columns "exact"
(Clopper-Pearson) and "wilson", as published in statsmodels' test data file
statsmodels/stats/tests/results/results_proportion.py (``res_binom[(x, n)]``; method order
agresti-coull, asymptotic, bayes, cloglog, exact, logit, probit, profile, lrt, prop.test, wilson,
so "exact" is element 4 and "wilson" element 10). Those are full-precision R outputs; we check
them to 4 decimals (abs=5e-5), the precision the book reports.
"""

import pytest

from livingreview.stats.proportions import ProportionCI, proportion_ci

TOL = 5e-5  # 4 decimals

# (events, total): (exact lower, exact upper, wilson lower, wilson upper), copied from
# results_proportion.py (R binom.confint); negative/above-1 values there are clipped to [0, 1].
BINOM_CONFINT = {
    (18, 20): (0.6830172859809176, 0.9876514728297052, 0.6989663547715128, 0.972133518786232),
    (4, 20): (0.05733399705003284, 0.436614002996668, 0.0806576625797981, 0.4160174322518935),
    (4, 200): (0.005475565879556443, 0.05041360908989634, 0.00780442641634947, 0.05028708690582643),
    (190, 200): (0.9099724622986486, 0.975765834527891, 0.910421851861224, 0.972617354399236),
    (1, 30): (8.435709e-04, 0.17216946, 5.908590e-03, 0.16670391),
    (29, 30): (0.8278305, 0.9991564, 0.8332961, 0.9940914),
    (0, 30): (0.0, 0.11570331, 0.0, 0.11351339),
    (30, 30): (0.8842967, 1.0, 0.8864866, 1.0),
}


@pytest.mark.parametrize("case", sorted(BINOM_CONFINT))
def test_clopper_pearson_matches_r_binom(case):
    events, total = case
    lo, hi, _, _ = BINOM_CONFINT[case]
    ci = proportion_ci(events, total)  # default method is "exact"
    assert ci.method == "exact"
    assert ci.lower == pytest.approx(lo, abs=TOL)
    assert ci.upper == pytest.approx(hi, abs=TOL)
    assert ci.proportion == pytest.approx(events / total)


@pytest.mark.parametrize("case", sorted(BINOM_CONFINT))
def test_wilson_matches_r_binom(case):
    events, total = case
    _, _, lo, hi = BINOM_CONFINT[case]
    ci = proportion_ci(events, total, method="wilson")
    assert ci.method == "wilson"
    assert ci.lower == pytest.approx(lo, abs=TOL)
    assert ci.upper == pytest.approx(hi, abs=TOL)


def test_result_is_a_frozen_dataclass_with_the_inputs():
    ci = proportion_ci(3, 10, level=0.9)
    assert isinstance(ci, ProportionCI)
    assert (ci.events, ci.total, ci.level) == (3, 10, 0.9)
    with pytest.raises(AttributeError):
        ci.lower = 0.0  # type: ignore[misc]


def test_exact_interval_widens_with_level():
    # Not a reference value: a monotonicity sanity check.
    narrow, wide = proportion_ci(5, 17, level=0.8), proportion_ci(5, 17, level=0.99)
    assert wide.lower < narrow.lower < narrow.upper < wide.upper


def test_edges_are_exactly_zero_and_one():
    assert proportion_ci(0, 12).lower == 0.0
    assert proportion_ci(12, 12).upper == 1.0
    assert proportion_ci(0, 12, method="wilson").lower == 0.0


def test_whole_floats_are_accepted_as_counts():
    assert proportion_ci(3.0, 10.0) == proportion_ci(3, 10)


@pytest.mark.parametrize(
    ("events", "total", "match"),
    [
        (5, 4, "0 <= events <= total"),
        (-1, 4, "0 <= events <= total"),
        (0, 0, "total must be > 0"),
        (1, -3, "total must be > 0"),
        (1.5, 4, "whole number"),
        (1, 4.2, "whole number"),
        (True, 4, "whole number"),
        ("3", 4, "whole number"),
        (float("nan"), 4, "whole number"),
    ],
)
def test_invalid_counts_raise(events, total, match):
    with pytest.raises(ValueError, match=match):
        proportion_ci(events, total)


@pytest.mark.parametrize("method", ["wald", "beta", "", None])
def test_unknown_method_raises(method):
    with pytest.raises(ValueError, match="method must be"):
        proportion_ci(1, 4, method=method)


@pytest.mark.parametrize("level", [95, 0, 1, -0.5, "0.95", True])
def test_invalid_level_raises(level):
    with pytest.raises(ValueError, match="level"):
        proportion_ci(1, 4, level=level)


@pytest.mark.parametrize("method", ["exact", "wilson"])
def test_many_intervals_at_once_are_the_single_intervals(method):
    """The vectorised path gives, pair for pair, exactly what proportion_ci gives (itself checked
    against R above), edges included."""
    from livingreview.stats.proportions import proportion_cis

    grid = [(e, t) for t in range(1, 41) for e in range(t + 1)]
    many = proportion_cis([e for e, _ in grid], [float(t) for _, t in grid], method)
    assert many == [proportion_ci(e, t, method) for e, t in grid]
    assert proportion_cis([], [], method) == []


def test_many_intervals_refuse_what_one_refuses():
    from livingreview.stats.proportions import proportion_cis

    with pytest.raises(ValueError, match="events must satisfy"):
        proportion_cis([1, 5], [2, 4])
    with pytest.raises(ValueError, match="whole number"):
        proportion_cis([1.5], [2])
    with pytest.raises(ValueError):
        proportion_cis([1, 2], [3])  # not the same length
    with pytest.raises(ValueError, match="method"):
        proportion_cis([1], [2], "wald")
