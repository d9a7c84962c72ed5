"""Reference tests for livingreview.stats.meta (rma and meta_proportions).

Every expected number names its source. Published values are checked to the precision they were
published with: 4 decimals -> abs=5e-5, 3 decimals -> abs=5e-4, 2 decimals -> abs=5e-3 (i.e. our
value must round to the published one). Where no published output was found the test says so and
checks against statsmodels or an independent direct computation instead.
"""

import math

import numpy as np
import pytest
from scipy import integrate, optimize, special, stats

from livingreview.stats.meta import (
    MetaResult,
    ProportionMetaResult,
    _glmm_loglik,
    ft_escalc,
    ft_inverse,
    logit_escalc,
    meta_proportions,
    rma,
)

D4, D3, D2 = 5e-5, 5e-4, 5e-3

# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------

# BCG vaccine trials (Colditz et al. 1994), metafor's dat.bcg, typed from the data listing in
# metafor's README.md (github.com/wviechtb/metafor, "Example" section): tpos, tneg, cpos, cneg.
BCG_TPOS = np.array([4, 6, 3, 62, 33, 180, 8, 505, 29, 17, 186, 5, 27])
BCG_TNEG = np.array([119, 300, 228, 13536, 5036, 1361, 2537, 87886, 7470, 1699, 50448, 2493, 16886])
BCG_CPOS = np.array([11, 29, 11, 248, 47, 372, 10, 499, 45, 65, 141, 3, 29])
BCG_CNEG = np.array([128, 274, 209, 12619, 5761, 1079, 619, 87892, 7232, 1600, 27197, 2338, 17825])


def bcg_log_rr():
    # metafor escalc(measure="RR"): yi = log((a/n1)/(c/n2)), vi = 1/a - 1/n1 + 1/c - 1/n2.
    n1, n2 = BCG_TPOS + BCG_TNEG, BCG_CPOS + BCG_CNEG
    yi = np.log((BCG_TPOS / n1) / (BCG_CPOS / n2))
    vi = 1 / BCG_TPOS - 1 / n1 + 1 / BCG_CPOS - 1 / n2
    return yi, vi


def bcg_log_or():
    # metafor escalc(measure="OR"): yi = log(ad/(bc)), vi = 1/a + 1/b + 1/c + 1/d (no zero cells here).
    yi = np.log(BCG_TPOS * BCG_CNEG / (BCG_TNEG * BCG_CPOS))
    vi = 1 / BCG_TPOS + 1 / BCG_TNEG + 1 / BCG_CPOS + 1 / BCG_CNEG
    return yi, vi


# Kacker (2004) interlaboratory example, as given (y, v) in statsmodels'
# statsmodels/stats/tests/results/results_meta.py, whose expected values were "computed with R
# metafor" (rma(y, v, method=..., control=list(tol=1e-9)), full precision).
KACKER_Y = np.array([61.0, 61.4, 62.21, 62.3, 62.34, 62.6, 62.7, 62.84, 65.9])
KACKER_V = np.array([0.2025, 1.2100, 0.0900, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225])

# CLASP example of DerSimonian & Kacker (2007), typed from metafor's
# tests/testthat/test_analysis_example_dersimonian2007.r.
CLASP_N1 = np.array([156, 303, 565, 1570, 103, 4659])
CLASP_N2 = np.array([74, 303, 477, 1565, 105, 4650])
CLASP_A = np.array([5, 5, 12, 69, 9, 313])
CLASP_C = np.array([8, 17, 9, 94, 11, 352])


def clasp_log_or():
    b, d = CLASP_N1 - CLASP_A, CLASP_N2 - CLASP_C
    return np.log(CLASP_A * d / (b * CLASP_C)), 1 / CLASP_A + 1 / b + 1 / CLASP_C + 1 / d


# --------------------------------------------------------------------------------------------
# rma: BCG, log risk ratios
# --------------------------------------------------------------------------------------------


def test_bcg_effect_sizes_match_escalc_listing():
    # Source: yi and vi columns of the escalc(measure="RR") listing in metafor's README.md.
    yi, vi = bcg_log_rr()
    expected_yi = [
        -0.8893,
        -1.5854,
        -1.3481,
        -1.4416,
        -0.2175,
        -0.7861,
        -1.6209,
        0.0120,
        -0.4694,
        -1.3713,
        -0.3394,
        0.4459,
        -0.0173,
    ]
    expected_vi = [
        0.3256,
        0.1946,
        0.4154,
        0.0200,
        0.0512,
        0.0069,
        0.2230,
        0.0040,
        0.0564,
        0.0730,
        0.0124,
        0.5325,
        0.0714,
    ]
    assert yi == pytest.approx(expected_yi, abs=D4)
    assert vi == pytest.approx(expected_vi, abs=D4)


def test_bcg_reml_z():
    # Source: metafor output of rma(yi, vi, data=dat, method="REML") and confint(), printed in the
    # RoBMA package vignette "Bayesian Meta-Analysis" (fbartos/RoBMA,
    # vignettes 02-bayesian-meta-analysis): tau^2 0.3132 (SE = 0.1664), tau 0.5597,
    # Q(df = 12) = 152.2330, estimate -0.7145, se 0.1798, zval -3.9744, CI -1.0669 to -0.3622;
    # confint(): I^2(%) 92.2214, H^2 12.8558.
    yi, vi = bcg_log_rr()
    res = rma(yi, vi)  # REML and z are the defaults, as in metafor
    assert isinstance(res, MetaResult)
    assert (res.method, res.test, res.k, res.q_df, res.df) == ("REML", "z", 13, 12, None)
    assert res.tau2 == pytest.approx(0.3132, abs=D4)
    assert res.tau2_se == pytest.approx(0.1664, abs=D4)
    assert res.tau == pytest.approx(0.5597, abs=D4)
    assert res.i2 == pytest.approx(92.2214, abs=D4)
    assert res.h2 == pytest.approx(12.8558, abs=D4)
    assert res.q == pytest.approx(152.2330, abs=D4)
    assert res.q_pvalue < 1e-4  # "p-val < .0001"
    assert res.estimate == pytest.approx(-0.7145, abs=D4)
    assert res.se == pytest.approx(0.1798, abs=D4)
    assert res.statistic == pytest.approx(-3.9744, abs=D4)
    assert res.p_value < 1e-4
    assert res.ci_lower == pytest.approx(-1.0669, abs=D4)
    assert res.ci_upper == pytest.approx(-0.3622, abs=D4)


def test_bcg_reml_prediction_interval():
    # Source: predict(rma(yi, vi, data=dat), transf=exp) with metafor 4.2-0, printed in the R
    # Markdown tutorial "Metanálise em R - tutorial básico" (L. S. R. Conceição), section 5.2:
    # pred 0.4894, ci 0.3441-0.6962, pi 0.1546-1.5490.
    yi, vi = bcg_log_rr()
    res = rma(yi, vi)
    assert math.exp(res.estimate) == pytest.approx(0.4894, abs=D4)
    assert math.exp(res.ci_lower) == pytest.approx(0.3441, abs=D4)
    assert math.exp(res.ci_upper) == pytest.approx(0.6962, abs=D4)
    assert math.exp(res.pi_lower) == pytest.approx(0.1546, abs=D4)
    assert math.exp(res.pi_upper) == pytest.approx(1.5490, abs=D4)


def test_bcg_reml_hartung_knapp():
    # Source: metafor README.md, rma(yi, vi, data=dat, test="knha"): tau^2 0.3132, I^2 92.22%,
    # H^2 12.86, Q 152.2330; estimate -0.7145, se 0.1808, tval -3.9522, df 12, pval 0.0019,
    # CI -1.1084 to -0.3206; predict(res, transf=exp, digits=2): pi.lb 0.14, pi.ub 1.76.
    yi, vi = bcg_log_rr()
    res = rma(yi, vi, method="REML", test="knha")
    assert (res.test, res.df) == ("knha", 12)
    assert res.tau2 == pytest.approx(0.3132, abs=D4)
    assert res.i2 == pytest.approx(92.22, abs=D2)
    assert res.h2 == pytest.approx(12.86, abs=D2)
    assert res.q == pytest.approx(152.2330, abs=D4)
    assert res.estimate == pytest.approx(-0.7145, abs=D4)
    assert res.se == pytest.approx(0.1808, abs=D4)
    assert res.statistic == pytest.approx(-3.9522, abs=D4)
    assert res.p_value == pytest.approx(0.0019, abs=D4)
    assert res.ci_lower == pytest.approx(-1.1084, abs=D4)
    assert res.ci_upper == pytest.approx(-0.3206, abs=D4)
    assert math.exp(res.estimate) == pytest.approx(0.49, abs=D2)
    assert math.exp(res.ci_lower) == pytest.approx(0.33, abs=D2)
    assert math.exp(res.ci_upper) == pytest.approx(0.73, abs=D2)
    assert math.exp(res.pi_lower) == pytest.approx(0.14, abs=D2)
    assert math.exp(res.pi_upper) == pytest.approx(1.76, abs=D2)


def test_bcg_dl_and_ee_log_rr():
    # Source: metafor tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r (values from Stata
    # metan): DL: estimate -0.7141, CI -1.0644 to -0.3638, zval -3.9952, tau^2 0.3088,
    # I^2 92.1173, exp: 0.4896 (0.3449, 0.6950). FE: -0.4303 (-0.5097, -0.3509), zval -10.6247,
    # Q 152.2330, exp: 0.6503 (0.6007, 0.7040).
    yi, vi = bcg_log_rr()
    dl = rma(yi, vi, method="DL")
    assert dl.estimate == pytest.approx(-0.7141, abs=D4)
    assert dl.ci_lower == pytest.approx(-1.0644, abs=D4)
    assert dl.ci_upper == pytest.approx(-0.3638, abs=D4)
    assert dl.statistic == pytest.approx(-3.9952, abs=D4)
    assert dl.tau2 == pytest.approx(0.3088, abs=D4)
    assert dl.i2 == pytest.approx(92.1173, abs=D4)
    assert [math.exp(v) for v in (dl.estimate, dl.ci_lower, dl.ci_upper)] == pytest.approx(
        [0.4896, 0.3449, 0.6950], abs=D4
    )
    assert dl.tau2_se is None

    ee = rma(yi, vi, method="EE")
    assert ee.tau2 == 0.0
    assert ee.estimate == pytest.approx(-0.4303, abs=D4)
    assert ee.ci_lower == pytest.approx(-0.5097, abs=D4)
    assert ee.ci_upper == pytest.approx(-0.3509, abs=D4)
    assert ee.statistic == pytest.approx(-10.6247, abs=D4)
    assert ee.q == pytest.approx(152.2330, abs=D4)
    assert [math.exp(v) for v in (ee.estimate, ee.ci_lower, ee.ci_upper)] == pytest.approx(
        [0.6503, 0.6007, 0.7040], abs=D4
    )
    # "FE" is metafor's older name for the equal-effects model.
    assert rma(yi, vi, method="FE") == ee


def test_bcg_dl_and_ee_log_or():
    # Source: same metafor test file (Stata metan, measure="OR"): DL -0.7474 (-1.1242, -0.3706),
    # zval -3.8873, tau^2 0.3663, I^2 92.6455, exp 0.4736 (0.3249, 0.6903); FE -0.4361
    # (-0.5190, -0.3533), zval -10.3190, Q 163.1649, exp 0.6465 (0.5951, 0.7024).
    # se 0.1923 and H^2 13.5971 (confint()): metafor output of rma(ai=tpos, bi=tneg, ci=cpos,
    # di=cneg, data=dat.bcg, measure="OR", method="DL") in the R Presentation slides
    # "用R做統合分析" (Yi-Ju Tseng, Chang Gung University), same run as test_bcg_dl_leave_one_out.
    yi, vi = bcg_log_or()
    dl = rma(yi, vi, method="DL")
    assert dl.estimate == pytest.approx(-0.7474, abs=D4)
    assert dl.se == pytest.approx(0.1923, abs=D4)
    assert dl.ci_lower == pytest.approx(-1.1242, abs=D4)
    assert dl.ci_upper == pytest.approx(-0.3706, abs=D4)
    assert dl.statistic == pytest.approx(-3.8873, abs=D4)
    assert dl.tau2 == pytest.approx(0.3663, abs=D4)
    assert dl.i2 == pytest.approx(92.6455, abs=D4)
    assert dl.h2 == pytest.approx(13.5971, abs=D4)
    assert [math.exp(v) for v in (dl.estimate, dl.ci_lower, dl.ci_upper)] == pytest.approx(
        [0.4736, 0.3249, 0.6903], abs=D4
    )

    ee = rma(yi, vi, method="EE")
    assert ee.estimate == pytest.approx(-0.4361, abs=D4)
    assert ee.ci_lower == pytest.approx(-0.5190, abs=D4)
    assert ee.ci_upper == pytest.approx(-0.3533, abs=D4)
    assert ee.statistic == pytest.approx(-10.3190, abs=D4)
    assert ee.q == pytest.approx(163.1649, abs=D4)
    assert [math.exp(v) for v in (ee.estimate, ee.ci_lower, ee.ci_upper)] == pytest.approx(
        [0.6465, 0.5951, 0.7024], abs=D4
    )


# Source: leave1out() of the DL log-odds-ratio model on dat.bcg, printed (knitr::kable) in the
# slides "用R做統合分析" (Yi-Ju Tseng, Chang Gung University): for each omitted trial, estimate, se,
# Q, tau2, I2 (%), H2 (7 significant digits there; checked to 4 decimals).
BCG_DL_OR_LEAVE1OUT = [
    (-0.7373485, 0.1982353, 162.45415, 0.3702077, 93.22886, 14.768559),
    (-0.6837433, 0.1964725, 155.83244, 0.3562084, 92.94114, 14.166586),
    (-0.7164282, 0.1968517, 161.07330, 0.3662782, 93.17081, 14.643028),
    (-0.6591438, 0.1795794, 106.97867, 0.2711545, 89.71758, 9.725334),
    (-0.8000960, 0.2063179, 162.22626, 0.3889283, 93.21935, 14.747842),
    (-0.7267500, 0.2083261, 129.60540, 0.3933731, 91.51270, 11.782309),
    (-0.6881416, 0.1966943, 156.79642, 0.3581391, 92.98453, 14.254220),
    (-0.8258572, 0.1750651, 72.71742, 0.2514517, 84.87295, 6.610674),
    (-0.7753965, 0.2062696, 163.14194, 0.3892237, 93.25741, 14.831086),
    (-0.6865009, 0.1976628, 150.51661, 0.3522040, 92.69184, 13.683329),
    (-0.7962835, 0.2240062, 162.31937, 0.4705305, 93.22324, 14.756307),
    (-0.7986358, 0.1965526, 161.70112, 0.3673199, 93.19733, 14.700102),
    (-0.8155773, 0.2036448, 160.65390, 0.3786162, 93.15298, 14.604900),
]


@pytest.mark.parametrize("omit", range(13))
def test_bcg_dl_leave_one_out(omit):
    yi, vi = bcg_log_or()
    keep = np.arange(13) != omit
    est, se, q, tau2, i2, h2 = BCG_DL_OR_LEAVE1OUT[omit]
    res = rma(yi[keep], vi[keep], method="DL")
    assert res.estimate == pytest.approx(est, abs=D4)
    assert res.se == pytest.approx(se, abs=D4)
    assert res.q == pytest.approx(q, abs=D4)
    assert res.tau2 == pytest.approx(tau2, abs=D4)
    assert res.i2 == pytest.approx(i2, abs=D4)
    assert res.h2 == pytest.approx(h2, abs=D4)


def test_bcg_ml_log_or():
    # Source: metafor tests/testthat/test_analysis_example_vanhouwelingen2002.r (van Houwelingen
    # et al. 2002, p. 597, and metafor): rma(yi, vi, method="ML") on dat.colditz1994 (= dat.bcg),
    # measure "OR": exp pred .476 (.336, .675), tau^2 .302; predict cr.lb -1.875, cr.ub 0.391;
    # test="knha": exp CI (.318, .714). All to 3 decimals.
    yi, vi = bcg_log_or()
    res = rma(yi, vi, method="ML")
    assert res.tau2 == pytest.approx(0.302, abs=D3)
    assert math.exp(res.estimate) == pytest.approx(0.476, abs=D3)
    assert math.exp(res.ci_lower) == pytest.approx(0.336, abs=D3)
    assert math.exp(res.ci_upper) == pytest.approx(0.675, abs=D3)
    assert res.pi_lower == pytest.approx(-1.875, abs=D3)
    assert res.pi_upper == pytest.approx(0.391, abs=D3)
    knha = rma(yi, vi, method="ML", test="knha")
    assert math.exp(knha.ci_lower) == pytest.approx(0.318, abs=D3)
    assert math.exp(knha.ci_upper) == pytest.approx(0.714, abs=D3)


def test_bcg_paule_mandel():
    # Source: metafor tests/testthat/test_misc_rma_uni.r: method="DLIT" and method="SJIT" both give
    # tau^2 = 0.3181 on the BCG log risk ratios. Both iterations converge to the Paule-Mandel
    # fixed point sum w_i (y_i - mu)^2 = k - 1 (DerSimonian & Kacker 2007), i.e. to PM.
    yi, vi = bcg_log_rr()
    res = rma(yi, vi, method="PM")
    assert res.tau2 == pytest.approx(0.3181, abs=D4)
    w = 1 / (vi + res.tau2)
    assert np.sum(w * (yi - res.estimate) ** 2) == pytest.approx(12.0, abs=1e-9)


# --------------------------------------------------------------------------------------------
# rma: other published examples
# --------------------------------------------------------------------------------------------


def test_kacker_pm_dl_fe_and_knha_match_metafor():
    # Source: statsmodels/stats/tests/results/results_meta.py, objects exk1_metafor (PM),
    # exk1_dl, exk1_dl_hksj (DL, test="knha"), exk1_fe, exk1_fe_hksj (R metafor, full precision).
    pm = rma(KACKER_Y, KACKER_V, method="PM")
    assert pm.estimate == pytest.approx(62.4076199113286, abs=D4)
    assert pm.se == pytest.approx(0.338030602684471, abs=D4)
    assert pm.statistic == pytest.approx(184.621213037276, abs=D4)
    assert pm.ci_lower == pytest.approx(61.7450921043947, abs=D4)
    assert pm.ci_upper == pytest.approx(63.0701477182625, abs=D4)
    assert pm.tau2 == pytest.approx(0.705395309224248, abs=D4)
    assert pm.q == pytest.approx(24.801897741835, abs=D4)
    assert pm.q_pvalue == pytest.approx(0.00167935146372742, abs=D4)
    assert pm.i2 == pytest.approx(83.7218626490482, abs=D4)
    assert pm.h2 == pytest.approx(6.14320900751909, abs=D4)

    dl = rma(KACKER_Y, KACKER_V, method="DL")
    assert dl.estimate == pytest.approx(62.3901386044504, abs=D4)
    assert dl.se == pytest.approx(0.245749668040304, abs=D4)
    assert dl.statistic == pytest.approx(253.876797075543, abs=D4)
    assert dl.ci_lower == pytest.approx(61.9084781058787, abs=D4)
    assert dl.ci_upper == pytest.approx(62.8717991030221, abs=D4)
    assert dl.tau2 == pytest.approx(0.288049246973751, abs=D4)
    assert dl.i2 == pytest.approx(67.744403741711, abs=D4)
    assert dl.h2 == pytest.approx(3.10023721772938, abs=D4)

    dl_hk = rma(KACKER_Y, KACKER_V, method="DL", test="knha")
    assert dl_hk.se == pytest.approx(0.29477605699879, abs=D4)
    assert dl_hk.statistic == pytest.approx(211.652666908108, abs=D4)
    assert dl_hk.ci_lower == pytest.approx(61.710383798052, abs=D4)
    assert dl_hk.ci_upper == pytest.approx(63.0698934108488, abs=D4)
    assert dl_hk.p_value == pytest.approx(2.77938607433693e-16, abs=1e-18)

    fe = rma(KACKER_Y, KACKER_V, method="EE")
    assert fe.estimate == pytest.approx(62.5833970939982, abs=D4)
    assert fe.se == pytest.approx(0.107845705498231, abs=D4)
    assert fe.ci_lower == pytest.approx(62.3720233953344, abs=D4)
    assert fe.ci_upper == pytest.approx(62.7947707926621, abs=D4)
    assert fe.i2 == pytest.approx(67.744403741711, abs=D4)
    assert fe.h2 == pytest.approx(3.10023721772938, abs=D4)

    fe_hk = rma(KACKER_Y, KACKER_V, method="EE", test="knha")
    assert fe_hk.se == pytest.approx(0.189889223522271, abs=D4)
    assert fe_hk.ci_lower == pytest.approx(62.1455117593252, abs=D4)
    assert fe_hk.ci_upper == pytest.approx(63.0212824286713, abs=D4)


# Source: metafor tests/testthat/test_analysis_example_dersimonian2007.r, the expected table
# (DerSimonian & Kacker 2007, Tables 3 and 4, as reproduced by metafor, rounded to 4 decimals):
# columns tau, mu, se for PM, CA (= metafor "HE"), DL, REML.
CLASP_EXPECTED = {
    "PM": (0.3681, -0.3811, 0.2060),
    "HE": (0.4410, -0.4035, 0.2327),
    "DL": (0.2323, -0.3240, 0.1540),
    "REML": (0.1843, -0.2980, 0.1343),
}


@pytest.mark.parametrize("method", sorted(CLASP_EXPECTED))
def test_clasp_tau2_estimators(method):
    yi, vi = clasp_log_or()
    tau, mu, se = CLASP_EXPECTED[method]
    res = rma(yi, vi, method=method)
    assert res.tau == pytest.approx(tau, abs=D4)
    assert res.estimate == pytest.approx(mu, abs=D4)
    assert res.se == pytest.approx(se, abs=D4)


def test_clasp_ml_is_on_the_boundary():
    # Source: same table, ML row: tau 0.0023, mu -0.1974, se 0.0694. That tau (tau^2 = 5e-6) is
    # where metafor's Fisher scoring stops (its convergence threshold is 1e-5 on tau^2): the ML
    # log-likelihood here is maximised on the boundary tau^2 = 0 (its score at 0 is negative, see
    # below), which we return. The estimate therefore differs by 4e-5 (-0.19735 vs -0.19738) and
    # is checked to 1e-4 rather than 5e-5; se agrees to 4 decimals.
    yi, vi = clasp_log_or()
    res = rma(yi, vi, method="ML")
    assert res.tau2 == 0.0
    assert res.tau == pytest.approx(0.0023, abs=0.003)
    assert res.estimate == pytest.approx(-0.1974, abs=1e-4)
    assert res.se == pytest.approx(0.0694, abs=D4)
    # ML score for tau^2 at 0: sum w^2 r^2 - sum w with w = 1/v (independent direct computation).
    w = 1 / vi
    r = yi - np.sum(w * yi) / np.sum(w)
    assert np.sum(w**2 * r**2) - np.sum(w) < 0


# Source: metafor tests/testthat/test_analysis_example_viechtbauer2005.r (Viechtbauer 2005,
# pp. 271-272), data typed from that file; tau^2 to 3 decimals, I^2 and H^2 to 2 decimals.
V2005 = {
    "example1": (
        [-0.581, 0.530, 0.771, 1.031, 0.553, 0.295, 0.078, 0.573, -0.176, -0.232],
        [0.023, 0.052, 0.060, 0.115, 0.095, 0.203, 0.200, 0.211, 0.051, 0.040],
        {
            "HE": (0.148, 68.80, 3.21),
            "DL": (0.277, 80.44, 5.11),
            "ML": (0.197, 74.51, 3.92),
            "REML": (0.223, 76.84, 4.32),
        },
    ),
    "example2": (
        [
            0.100,
            -0.162,
            -0.090,
            -0.049,
            -0.046,
            -0.010,
            -0.431,
            -0.261,
            0.134,
            0.019,
            0.175,
            0.056,
            0.045,
            0.103,
            0.121,
            -0.482,
            0.290,
            0.342,
        ],
        [
            0.016,
            0.015,
            0.050,
            0.050,
            0.032,
            0.052,
            0.036,
            0.024,
            0.034,
            0.033,
            0.031,
            0.034,
            0.039,
            0.167,
            0.134,
            0.096,
            0.016,
            0.035,
        ],
        {
            "HE": (0.000, 0.00, 1.00),
            "DL": (0.013, 27.53, 1.38),
            "ML": (0.013, 28.45, 1.40),
            "REML": (0.016, 32.02, 1.47),
        },
    ),
}


@pytest.mark.parametrize("example", sorted(V2005))
@pytest.mark.parametrize("method", ["HE", "DL", "ML", "REML"])
def test_viechtbauer2005_heterogeneity(example, method):
    yi, vi, expected = V2005[example]
    tau2, i2, h2 = expected[method]
    res = rma(yi, vi, method=method)
    assert res.tau2 == pytest.approx(tau2, abs=D3)
    assert res.i2 == pytest.approx(i2, abs=D2)
    assert res.h2 == pytest.approx(h2, abs=D2)


# --------------------------------------------------------------------------------------------
# rma: checks against statsmodels and against independent direct computations
# --------------------------------------------------------------------------------------------


# statsmodels is used only where its answer is closed-form (DerSimonian-Laird: no iteration).
# Its Paule-Mandel is an iteration whose convergence differs between machines (on the CLASP data
# it stopped at tau^2 = 0 on one machine and at the root on another), so PM is checked against
# the root of the generalised Q equation found here by bracketing (brentq: guaranteed to converge
# on a sign change), and against metafor's published values above (Kacker, CLASP).


def _data(name):
    return {"bcg": bcg_log_rr(), "kacker": (KACKER_Y, KACKER_V), "clasp": clasp_log_or()}[name]


def _random_effects_summary(yi, vi, tau2):
    # Direct computation of the random-effects mean, its se, Wald CI and Knapp-Hartung se.
    w = 1 / (vi + tau2)
    mu = np.sum(w * yi) / np.sum(w)
    se = math.sqrt(1 / np.sum(w))
    z = stats.norm.ppf(0.975)
    se_knha = math.sqrt(np.sum(w * (yi - mu) ** 2) / ((yi.size - 1) * np.sum(w)))
    return mu, se, (mu - z * se, mu + z * se), se_knha


@pytest.mark.parametrize("data", ["bcg", "kacker", "clasp"])
def test_dl_agrees_with_statsmodels_combine_effects(data):
    from statsmodels.stats.meta_analysis import combine_effects

    yi, vi = _data(data)
    res = rma(yi, vi, method="DL")
    sm = combine_effects(yi, vi, method_re="dl")
    assert res.tau2 == pytest.approx(max(sm.tau2, 0.0), abs=1e-10)  # statsmodels' DL is not truncated
    assert res.estimate == pytest.approx(sm.mean_effect_re, abs=1e-10)
    assert res.se == pytest.approx(sm.sd_eff_w_re, abs=1e-10)
    lo, hi = sm.conf_int(alpha=0.05)[1]  # row 1: random effects, normal quantiles
    assert (res.ci_lower, res.ci_upper) == pytest.approx((lo, hi), abs=1e-10)
    assert rma(yi, vi, method="DL", test="knha").se == pytest.approx(sm.sd_eff_w_re_hksj, abs=1e-10)


def _generalised_q(yi, vi, tau2):
    w = 1 / (vi + tau2)
    mu = np.sum(w * yi) / np.sum(w)
    return np.sum(w * (yi - mu) ** 2)


@pytest.mark.parametrize("data", ["bcg", "kacker", "clasp"])
def test_pm_is_the_root_of_the_generalised_q_equation(data):
    # Paule-Mandel: tau^2 solves Q(tau^2) = k - 1 (0 when Q(0) <= k - 1). Q decreases in tau^2,
    # so the root is bracketed by 0 and any tau^2 where Q < k - 1 (found by doubling).
    yi, vi = _data(data)
    k = yi.size
    assert _generalised_q(yi, vi, 0.0) > k - 1  # all three data sets are heterogeneous
    hi = 1.0
    while _generalised_q(yi, vi, hi) >= k - 1:
        hi *= 2
    root = optimize.brentq(lambda t2: _generalised_q(yi, vi, t2) - (k - 1), 0.0, hi, xtol=1e-14, rtol=1e-14)
    res = rma(yi, vi, method="PM")
    assert res.tau2 == pytest.approx(root, abs=1e-8)
    assert _generalised_q(yi, vi, res.tau2) == pytest.approx(k - 1, abs=1e-6)
    mu, se, ci, se_knha = _random_effects_summary(yi, vi, res.tau2)
    assert res.estimate == pytest.approx(mu, abs=1e-12)
    assert res.se == pytest.approx(se, abs=1e-12)
    assert (res.ci_lower, res.ci_upper) == pytest.approx(ci, abs=1e-12)
    assert rma(yi, vi, method="PM", test="knha").se == pytest.approx(se_knha, abs=1e-12)


def test_pm_on_clasp_is_not_the_boundary():
    # The case where an iterative PM stopped at 0 on one machine: Q(0) = 9.678 > k - 1 = 5, so 0
    # cannot be the Paule-Mandel estimate (values from the generalised Q computed directly).
    yi, vi = clasp_log_or()
    assert _generalised_q(yi, vi, 0.0) == pytest.approx(9.678, abs=5e-4)
    assert rma(yi, vi, method="PM").tau2 == pytest.approx(0.135475, abs=5e-7)


def _direct_max_loglik(yi, vi, reml):
    # Independent check of Fisher scoring: the (restricted) likelihood's score in tau^2, written
    # out directly, and its root found by bracketing (brentq converges on any sign change, so
    # the verdict does not depend on an optimiser's stopping rule).
    def score(t2):
        w = 1 / (vi + t2)
        r = yi - np.sum(w * yi) / np.sum(w)
        val = np.sum(w**2 * r**2) - np.sum(w)
        return val + (np.sum(w**2) / np.sum(w) if reml else 0.0)

    assert score(0.0) > 0 > score(10.0)
    return optimize.brentq(score, 0.0, 10.0, xtol=1e-14, rtol=1e-14)


@pytest.mark.parametrize("method", ["ML", "REML"])
def test_likelihood_estimators_match_direct_maximisation(method):
    yi, vi = bcg_log_rr()
    assert rma(yi, vi, method=method).tau2 == pytest.approx(
        _direct_max_loglik(yi, vi, method == "REML"), abs=1e-7
    )


def test_hedges_estimator_matches_its_formula_on_bcg():
    # No published HE value on dat.bcg found; HE is checked on published data above (CLASP,
    # Viechtbauer 2005). Here: Hedges' unweighted moment estimator computed directly.
    yi, vi = bcg_log_rr()
    k = yi.size
    direct = max(0.0, np.sum((yi - yi.mean()) ** 2) / (k - 1) - np.mean(vi))
    assert rma(yi, vi, method="HE").tau2 == pytest.approx(direct, abs=1e-12)


def test_weights_prediction_interval_and_level():
    yi, vi = bcg_log_rr()
    res = rma(yi, vi, level=0.9)
    assert sum(res.weights) == pytest.approx(100.0)
    w = 1 / (vi + res.tau2)
    assert res.weights == pytest.approx(tuple(100 * w / w.sum()))
    z = stats.norm.ppf(0.95)
    assert res.ci_upper - res.estimate == pytest.approx(z * res.se)
    assert res.pi_upper - res.estimate == pytest.approx(z * math.sqrt(res.se**2 + res.tau2))


def test_single_study():
    res = rma([0.3], [0.04])
    assert (res.k, res.tau2, res.q) == (1, 0.0, 0.0)
    assert res.estimate == pytest.approx(0.3)
    assert res.se == pytest.approx(0.2)
    assert math.isnan(res.i2) and math.isnan(res.q_pvalue)
    with pytest.raises(ValueError, match="at least 2 studies"):
        rma([0.3], [0.04], test="knha")


@pytest.mark.parametrize(
    ("yi", "vi", "kwargs", "match"),
    [
        ([0.1, 0.2], [0.1], {}, "same length"),
        ([], [], {}, "at least one study"),
        ([0.1, float("nan")], [0.1, 0.1], {}, "non-finite"),
        ([0.1, 0.2], [0.1, 0.0], {}, "strictly positive"),
        ([0.1, 0.2], [0.1, -0.1], {}, "strictly positive"),
        ([[0.1, 0.2]], [[0.1, 0.2]], {}, "one-dimensional"),
        (["a", "b"], [0.1, 0.2], {}, "numbers"),
        ([0.1, 0.2], [0.1, 0.2], {"method": "SJ"}, "method must be"),
        ([0.1, 0.2], [0.1, 0.2], {"test": "t"}, "test must be"),
        ([0.1, 0.2], [0.1, 0.2], {"level": 95}, "level"),
    ],
)
def test_rma_input_validation(yi, vi, kwargs, match):
    with pytest.raises(ValueError, match=match):
        rma(yi, vi, **kwargs)


# --------------------------------------------------------------------------------------------
# Proportions: Freeman-Tukey (Miller 1978)
# --------------------------------------------------------------------------------------------


def test_freeman_tukey_miller1978():
    # Source: metafor tests/testthat/test_analysis_example_miller1978.r (Miller 1978, p. 138):
    # xi = (3, 6, 10, 1), ni = (11, 17, 21, 6); 2*yi = 1.1391, 1.2888, 1.5253, 0.9515 and
    # 4*vi = 0.0870, 0.0571, 0.0465, 0.1538 (metafor's transform is half of Miller's);
    # equal-effects weighted model: 2*pred = 1.3093, back-transformed with the harmonic-mean
    # inverse (transf.ipft.hm) 0.3595.
    yi, vi = ft_escalc([3, 6, 10, 1], [11, 17, 21, 6])
    assert 2 * yi == pytest.approx([1.1391, 1.2888, 1.5253, 0.9515], abs=D4)
    assert 4 * vi == pytest.approx([0.0870, 0.0571, 0.0465, 0.1538], abs=D4)
    res = meta_proportions([3, 6, 10, 1], [11, 17, 21, 6], method="FT", tau2_method="EE")
    assert isinstance(res, ProportionMetaResult)
    assert 2 * res.estimate == pytest.approx(1.3093, abs=D4)
    assert res.proportion == pytest.approx(0.3595, abs=D4)


def test_freeman_tukey_back_transformation_example():
    # Source: same metafor test file, "back-transformations work as intended": xi = (0, 4, 9, 16,
    # 20), ni = (10, 10, 15, 20, 20), escalc(measure="PFT", add=0); per-study back-transform
    # transf.ipft gives (0.0, 0.4, 0.6, 0.8, 1.0); EE model with transf.ipft.hm: pred 0.6886,
    # CI 0.5734 to 0.7943.
    x, n = [0, 4, 9, 16, 20], [10, 10, 15, 20, 20]
    yi, _ = ft_escalc(x, n)
    assert [ft_inverse(t, m) for t, m in zip(yi, n, strict=True)] == pytest.approx(
        [0.0, 0.4, 0.6, 0.8, 1.0], abs=1e-12
    )
    res = meta_proportions(x, n, method="FT", tau2_method="EE")
    assert res.proportion == pytest.approx(0.6886, abs=D4)
    assert res.ci_lower == pytest.approx(0.5734, abs=D4)
    assert res.ci_upper == pytest.approx(0.7943, abs=D4)


def test_freeman_tukey_inverse_is_clipped_outside_its_range():
    assert ft_inverse(-0.1, 20) == 0.0
    assert ft_inverse(2.0, 20) == 1.0


# --------------------------------------------------------------------------------------------
# Proportions: inverse-variance logit with the "only0" correction
# --------------------------------------------------------------------------------------------


def test_logit_escalc_adds_half_only_to_studies_with_zero_cells():
    # metafor escalc(measure="PLO") default add=1/2, to="only0" (direct computation).
    yi, vi = logit_escalc([0, 3, 10], [10, 12, 10])
    assert yi == pytest.approx([math.log(0.5 / 10.5), math.log(3 / 9), math.log(10.5 / 0.5)])
    assert vi == pytest.approx([1 / 0.5 + 1 / 10.5, 1 / 3 + 1 / 9, 1 / 10.5 + 1 / 0.5])


def test_logit_meta_analysis_is_rma_on_the_logits_back_transformed():
    # Stijnen et al. (2010) Table II uses dat.nielweise2007, not reproduced here; checked instead
    # as a composition of independently tested pieces.
    x, n = [2, 10, 25, 4, 30, 1, 0], [20, 25, 40, 30, 50, 15, 12]
    res = meta_proportions(x, n, method="logit")
    fit = rma(*logit_escalc(x, n), method="REML")
    assert res.model == fit
    assert res.proportion == pytest.approx(special.expit(fit.estimate))
    assert (res.ci_lower, res.ci_upper) == pytest.approx(tuple(special.expit([fit.ci_lower, fit.ci_upper])))
    assert (res.pi_lower, res.pi_upper) == pytest.approx(tuple(special.expit([fit.pi_lower, fit.pi_upper])))
    assert (res.tau2, res.i2, res.q) == (fit.tau2, fit.i2, fit.q)
    assert [s.events for s in res.studies] == x
    assert res.studies[6].ci_lower == 0.0  # exact per-study interval for 0/12


# --------------------------------------------------------------------------------------------
# Proportions: binomial-normal GLMM
# --------------------------------------------------------------------------------------------

# No published rma.glmm(measure="PLO") output with its data typed out was found (metafor's
# Stijnen 2010 example uses dat.nielweise2007, only 2-3 decimals in the paper), so the GLMM is
# checked against an independent computation: the same likelihood integrated by scipy's adaptive
# QUADPACK (integrate.quad) and maximised by Nelder-Mead.
GLMM_X = np.array([2, 10, 25, 4, 30, 1, 0], dtype=float)
GLMM_N = np.array([20, 25, 40, 30, 50, 15, 12], dtype=float)


def _quad_loglik(mu, tau, x, n):
    total = 0.0
    for xi, ni in zip(x, n, strict=True):
        # Defaults bind this iteration's values (the closures are used within the iteration).
        def g(u, xi=xi, ni=ni):
            return (
                xi * special.log_expit(mu + u)
                + (ni - xi) * special.log_expit(-(mu + u))
                - 0.5 * u * u / tau**2
            )

        peak = optimize.minimize_scalar(
            lambda u: -g(u),
            bounds=(-60 * tau - 50, 60 * tau + 50),
            method="bounded",
            options={"xatol": 1e-10},
        )
        gmax = -peak.fun
        val, _ = integrate.quad(
            lambda u, gmax=gmax: math.exp(g(u) - gmax),
            -80 * tau - 50,
            80 * tau + 50,
            points=[peak.x],
            epsabs=0,
            epsrel=1e-13,
            limit=1000,
        )
        logc = special.gammaln(ni + 1) - special.gammaln(xi + 1) - special.gammaln(ni - xi + 1)
        total += logc + gmax + math.log(val) - 0.5 * math.log(2 * math.pi) - math.log(tau)
    return total


@pytest.mark.parametrize(
    ("x", "n", "mu", "tau"),
    [
        ([2, 10, 25, 4], [20, 25, 40, 30], -1.0, 0.5),
        ([2, 10, 25, 4], [20, 25, 40, 30], 0.3, 3.0),
        ([0, 12, 0, 150], [12, 12, 300, 300], -1.8, 8.0),  # 0/all-event studies, huge tau
        ([0, 1, 2], [12, 15, 20], 0.5, 20.0),
        ([30, 1], [50, 15], -4.0, 0.05),
    ],
)
def test_glmm_marginal_likelihood_is_accurate(x, n, mu, tau):
    x, n = np.array(x, dtype=float), np.array(n, dtype=float)
    assert _glmm_loglik(mu, tau, x, n) == pytest.approx(_quad_loglik(mu, tau, x, n), abs=1e-8)


def test_glmm_fit_maximises_the_independent_quadrature_likelihood():
    # Our fit is checked against the independently integrated likelihood with no optimiser in
    # the test (an optimiser's stopping point would make the verdict depend on its convergence):
    # at our (mu, tau) the quadrature likelihood's Hessian is negative definite and one Newton
    # step from there moves mu and tau^2 by less than 5e-5, so the maximum agrees with ours to 4
    # decimals; the log-likelihoods agree. Derivatives by central differences.
    res = meta_proportions(GLMM_X, GLMM_N, method="GLMM")
    mu, tau2 = res.estimate, res.tau2
    f = lambda p: _quad_loglik(p[0], p[1], GLMM_X, GLMM_N)  # noqa: E731  p = (mu, tau)
    point = np.array([mu, math.sqrt(tau2)])
    assert res.loglik == pytest.approx(f(point), abs=1e-6)
    h, eye = 1e-3, np.eye(2)
    grad = np.array([(f(point + h * eye[i]) - f(point - h * eye[i])) / (2 * h) for i in range(2)])
    hess = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            ei, ej = eye[i] * h, eye[j] * h
            hess[i, j] = (
                f(point + ei + ej) - f(point + ei - ej) - f(point - ei + ej) + f(point - ei - ej)
            ) / (4 * h * h)
    assert np.all(np.linalg.eigvalsh(hess) < 0)
    mu_max, tau_max = point - np.linalg.solve(hess, grad)
    assert mu == pytest.approx(mu_max, abs=D4)
    assert tau2 == pytest.approx(tau_max**2, abs=D4)
    # se(mu) from the observed information of the quadrature likelihood.
    assert res.se == pytest.approx(math.sqrt(np.linalg.inv(-hess)[0, 0]), abs=D4)
    z = stats.norm.ppf(0.975)
    assert res.proportion == pytest.approx(special.expit(mu), abs=D4)
    assert res.ci_lower == pytest.approx(special.expit(res.estimate - z * res.se))
    assert res.pi_upper == pytest.approx(special.expit(res.estimate + z * math.sqrt(res.se**2 + res.tau2)))
    assert res.model is None and res.method == "GLMM"


def test_glmm_without_heterogeneity_is_logistic_regression():
    # Miller (1978) data: the ML estimate of tau^2 is 0, and then the model is a plain binomial
    # GLM: pooled logit = logit(sum x / sum n), se = 1/sqrt(N p (1-p)) (direct computation).
    x, n = [3, 6, 10, 1], [11, 17, 21, 6]
    res = meta_proportions(x, n)
    p = sum(x) / sum(n)
    assert res.tau2 == 0.0
    assert res.estimate == pytest.approx(special.logit(p), abs=1e-8)
    assert res.se == pytest.approx(1 / math.sqrt(sum(n) * p * (1 - p)), abs=1e-6)
    assert res.i2 == 0.0


def test_glmm_heterogeneity_statistics_use_the_plo_values():
    # As metafor's rma.glmm: Q from the escalc "PLO" yi/vi, I^2 from tau^2 and the typical
    # within-study variance of those vi (direct computation).
    res = meta_proportions(GLMM_X, GLMM_N)
    yi, vi = logit_escalc(GLMM_X, GLMM_N)
    assert res.q == pytest.approx(rma(yi, vi, method="EE").q)
    w = 1 / vi
    s2 = (w.size - 1) * w.sum() / (w.sum() ** 2 - (w**2).sum())
    assert res.i2 == pytest.approx(100 * res.tau2 / (res.tau2 + s2))


@pytest.mark.parametrize(
    ("events", "total", "kwargs", "match"),
    [
        ([1, 2], [10], {}, "same length"),
        ([11, 2], [10, 10], {}, "0 <= events <= total"),
        ([1, 2], [10, 0], {}, "total must be > 0"),
        ([1.5, 2], [10, 10], {}, "whole numbers"),
        ([0, 0, 0], [10, 12, 9], {}, "no finite maximum-likelihood"),
        ([5, 6], [5, 6], {}, "no finite maximum-likelihood"),
        ([1, 2], [10, 10], {"method": "arcsine"}, "method must be"),
        ([1, 2], [10, 10], {"method": "logit", "tau2_method": "XX"}, "method must be"),
        ([1, 2], [10, 10], {"level": 0}, "level"),
    ],
)
def test_meta_proportions_validation(events, total, kwargs, match):
    with pytest.raises(ValueError, match=match):
        meta_proportions(events, total, **kwargs)


def test_single_study_proportion():
    # One study: tau^2 is not estimable, so tau^2 = 0 and no prediction interval; the GLMM is then
    # the binomial MLE logit(x/n) with se 1/sqrt(n p (1-p)) (direct computation).
    glmm = meta_proportions([7], [20])
    assert glmm.k == 1 and glmm.tau2 == 0.0 and glmm.pi_lower is None and glmm.pi_upper is None
    assert glmm.estimate == pytest.approx(special.logit(0.35), abs=1e-8)
    assert glmm.se == pytest.approx(1 / math.sqrt(20 * 0.35 * 0.65), abs=1e-6)
    logit = meta_proportions([7], [20], method="logit")
    assert logit.estimate == pytest.approx(special.logit(0.35))
    assert logit.se == pytest.approx(math.sqrt(1 / 7 + 1 / 13))
    assert logit.pi_lower is None


def test_zero_event_studies_are_fine_for_the_two_step_methods():
    for method in ("logit", "FT"):
        res = meta_proportions([0, 0, 0], [10, 12, 9], method=method)
        assert 0.0 <= res.ci_lower <= res.proportion <= res.ci_upper <= 1.0
