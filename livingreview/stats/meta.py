"""Random-effects meta-analysis of generic effect sizes, and meta-analysis of single proportions.

Conventions follow R's metafor (``rma.uni``, ``rma.glmm``, ``escalc``, ``predict.rma``) so that the
numbers in the book can be checked against the published metafor/meta outputs (see tests/test_meta.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from livingreview.stats.proportions import proportion_ci, validate_level

__all__ = [
    "MetaResult",
    "StudyProportion",
    "ProportionMetaResult",
    "rma",
    "meta_proportions",
    "logit_escalc",
    "ft_escalc",
    "ft_inverse",
    "TAU2_METHODS",
]

TAU2_METHODS = ("EE", "DL", "PM", "REML", "ML", "HE")
_TESTS = ("z", "knha")

# Fisher scoring / root finding tolerances: far below the 4th decimal we report.
_TOL = 1e-12
_MAXITER = 1000


@dataclass(frozen=True)
class MetaResult:
    """Result of :func:`rma` (an intercept-only equal- or random-effects model).

    ``i2`` is in percent (as metafor prints it); ``weights`` are the model weights in percent.
    ``statistic`` is a z value (``test="z"``) or a t value with ``df`` degrees of freedom (``"knha"``).
    ``tau2_se`` is only defined for the likelihood estimators (ML, REML) and is None otherwise.
    """

    estimate: float
    se: float
    statistic: float
    p_value: float
    ci_lower: float
    ci_upper: float
    pi_lower: float
    pi_upper: float
    tau2: float
    tau: float
    tau2_se: float | None
    q: float
    q_df: int
    q_pvalue: float
    i2: float
    h2: float
    k: int
    method: str
    test: str
    df: int | None
    level: float
    weights: tuple[float, ...]


@dataclass(frozen=True)
class StudyProportion:
    """One study of a proportion meta-analysis: the raw proportion with its exact (Clopper-Pearson)
    interval, and the study's outcome ``yi`` and sampling variance ``vi`` on the analysis scale
    (logit for "GLMM" and "logit", Freeman-Tukey for "FT")."""

    events: int
    total: int
    proportion: float
    ci_lower: float
    ci_upper: float
    yi: float
    vi: float


@dataclass(frozen=True)
class ProportionMetaResult:
    """Pooled proportion from :func:`meta_proportions`.

    ``estimate``/``se`` are on the analysis scale (logit, or Freeman-Tukey on metafor's scale
    ``0.5*(asin(sqrt(x/(n+1))) + asin(sqrt((x+1)/(n+1))))``); ``proportion`` and the interval bounds
    are back-transformed. ``q``/``i2``/``h2`` come from the per-study ``yi``/``vi`` as metafor reports
    them. ``model`` is the underlying :func:`rma` fit for the two-step methods (None for GLMM);
    ``loglik`` is the GLMM's maximised marginal log-likelihood (None otherwise).
    """

    method: str
    k: int
    proportion: float
    ci_lower: float
    ci_upper: float
    pi_lower: float | None
    pi_upper: float | None
    estimate: float
    se: float
    tau2: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_pvalue: float
    level: float
    studies: tuple[StudyProportion, ...]
    model: MetaResult | None
    loglik: float | None


# --------------------------------------------------------------------------------------------
# rma: equal- and random-effects model for generic yi, vi
# --------------------------------------------------------------------------------------------


def _as_vector(values: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a sequence of numbers") from exc
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: at least one study is needed")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains missing or non-finite values")
    return arr


def _validate_yi_vi(yi, vi) -> tuple[np.ndarray, np.ndarray]:
    y = _as_vector(yi, "yi")
    v = _as_vector(vi, "vi")
    if y.shape != v.shape:
        raise ValueError(f"yi and vi must have the same length, got {y.size} and {v.size}")
    if np.any(v <= 0):
        raise ValueError("vi must be strictly positive sampling variances")
    return y, v


def _i2_h2(tau2: float, w: np.ndarray) -> tuple[float, float]:
    """I² (percent) and H² of a random-effects fit from tau² and the equal-effects weights
    1/vi, with metafor's "typical" within-study variance
    s² = (k - 1) Σw / ((Σw)² - Σw²) (Higgins & Thompson 2002)."""
    s2 = (len(w) - 1) * np.sum(w) / (np.sum(w) ** 2 - np.sum(w**2))
    return float(100.0 * tau2 / (tau2 + s2)), float((tau2 + s2) / s2)


def _weighted_mean(y: np.ndarray, w: np.ndarray) -> float:
    return float(np.sum(w * y) / np.sum(w))


def _q_generalized(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    # Generalised Q: sum w_i (y_i - mu_w)^2 with w_i = 1/(v_i + tau2); decreasing in tau2.
    w = 1.0 / (v + tau2)
    return float(np.sum(w * (y - _weighted_mean(y, w)) ** 2))


def _tau2_dl(y: np.ndarray, v: np.ndarray) -> float:
    w = 1.0 / v
    k = y.size
    q = _q_generalized(y, v, 0.0)
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    return max(0.0, (q - (k - 1)) / c)


def _tau2_he(y: np.ndarray, v: np.ndarray) -> float:
    # Hedges (1983) / metafor "HE": unweighted method of moments.
    k = y.size
    rss = np.sum((y - y.mean()) ** 2)
    return max(0.0, (rss - (1.0 - 1.0 / k) * np.sum(v)) / (k - 1))


def _tau2_pm(y: np.ndarray, v: np.ndarray) -> float:
    # Paule-Mandel: the tau2 at which the generalised Q equals its expectation k - 1.
    k = y.size
    target = k - 1
    if _q_generalized(y, v, 0.0) <= target:
        return 0.0
    hi = max(1.0, float(np.var(y)))
    while _q_generalized(y, v, hi) > target:
        hi *= 2.0
        if hi > 1e12:  # pragma: no cover - would need absurd inputs
            raise RuntimeError("Paule-Mandel estimator: could not bracket the root")
    return float(
        optimize.brentq(
            lambda t: _q_generalized(y, v, t) - target, 0.0, hi, xtol=_TOL, rtol=4 * np.finfo(float).eps
        )
    )


def _score_info(y: np.ndarray, v: np.ndarray, tau2: float, reml: bool) -> tuple[float, float]:
    """Score (times 2) and Fisher information (times 2) for tau2 in the intercept-only model.

    With P = W - w w'/sum(w): ML uses (sum w^2 r^2 - sum w, sum w^2) and REML uses
    (y'PPy - tr P, tr PP), exactly as metafor's Fisher scoring.
    """
    w = 1.0 / (v + tau2)
    sw = np.sum(w)
    r = y - np.sum(w * y) / sw
    ypp_y = float(np.sum((w * r) ** 2))
    if reml:
        sw2, sw3 = np.sum(w**2), np.sum(w**3)
        tr_p = sw - sw2 / sw
        tr_pp = sw2 - 2.0 * sw3 / sw + (sw2 / sw) ** 2
        return ypp_y - tr_p, float(tr_pp)
    return ypp_y - float(sw), float(np.sum(w**2))


def _neg_loglik(y: np.ndarray, v: np.ndarray, tau2: float, reml: bool) -> float:
    w = 1.0 / (v + tau2)
    sw = np.sum(w)
    r = y - np.sum(w * y) / sw
    nll = 0.5 * (np.sum(np.log(v + tau2)) + np.sum(w * r**2))
    if reml:
        nll += 0.5 * math.log(sw)
    return float(nll)


def _tau2_likelihood(y: np.ndarray, v: np.ndarray, reml: bool) -> float:
    # If the (restricted) likelihood decreases from tau2 = 0, the maximum is on the boundary.
    if _score_info(y, v, 0.0, reml)[0] <= 0.0:
        return 0.0
    tau2 = max(_tau2_dl(y, v), 1e-8)
    for _ in range(_MAXITER):
        score, info = _score_info(y, v, tau2, reml)
        step = score / info
        # Step halving keeps tau2 inside the parameter space (as metafor does).
        while tau2 + step < 0.0:
            step /= 2.0
        tau2 += step
        if abs(step) <= _TOL * max(1.0, tau2):
            return tau2
    # Fisher scoring should always converge here; fall back to a bounded direct search anyway.
    hi = 10.0 * max(1.0, float(np.var(y)))  # pragma: no cover
    res = optimize.minimize_scalar(
        lambda t: _neg_loglik(y, v, t, reml), bounds=(0.0, hi), method="bounded", options={"xatol": 1e-12}
    )  # pragma: no cover
    return float(res.x)  # pragma: no cover


def _estimate_tau2(y: np.ndarray, v: np.ndarray, method: str) -> tuple[float, float | None]:
    if y.size == 1 or method == "EE":
        return 0.0, None
    if method == "DL":
        return _tau2_dl(y, v), None
    if method == "HE":
        return _tau2_he(y, v), None
    if method == "PM":
        return _tau2_pm(y, v), None
    reml = method == "REML"
    tau2 = _tau2_likelihood(y, v, reml)
    info = _score_info(y, v, tau2, reml)[1]
    return tau2, math.sqrt(2.0 / info)


def _normalise_method(method: str) -> str:
    if not isinstance(method, str):
        raise ValueError(f"method must be one of {TAU2_METHODS}, got {method!r}")
    key = method.upper()
    if key in ("FE", "CE"):  # metafor's older names for the equal-effects model
        key = "EE"
    if key not in TAU2_METHODS:
        raise ValueError(f"method must be one of {TAU2_METHODS}, got {method!r}")
    return key


def _normalise_test(test: str) -> str:
    key = test.lower() if isinstance(test, str) else test
    if key in ("hk", "hksj"):
        key = "knha"
    if key not in _TESTS:
        raise ValueError(f"test must be 'z' or 'knha' (Hartung-Knapp-Sidik-Jonkman), got {test!r}")
    return key


def rma(
    yi: Sequence[float] | np.ndarray,
    vi: Sequence[float] | np.ndarray,
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
) -> MetaResult:
    """Intercept-only meta-analysis of outcomes ``yi`` with known sampling variances ``vi``.

    ``method`` chooses the estimator of the between-study variance tau^2: "EE" (equal/fixed
    effect, tau^2 = 0), "DL" (DerSimonian-Laird), "PM" (Paule-Mandel), "REML" (default, as
    metafor), "ML", "HE" (Hedges). All are truncated at 0. ML and REML are fitted by Fisher
    scoring, as metafor does; PM by a bracketed root search of the generalised Q statistic.

    ``test="z"`` gives Wald-type inference; ``test="knha"`` the Hartung-Knapp(-Sidik-Jonkman)
    adjustment (metafor's test="knha": the variance of the estimate is multiplied by
    sum w_i (y_i - mu)^2 / (k - 1), without truncation, and t_{k-1} quantiles are used).

    The prediction interval is metafor's: estimate +/- crit * sqrt(se^2 + tau^2) with crit the
    normal (z) or t_{k-1} (knha) quantile and se the (adjusted) standard error.

    Q is Cochran's statistic (inverse-variance weights), for every method. For random-effects
    methods I^2 = tau^2 / (tau^2 + s^2) and H^2 = (tau^2 + s^2) / s^2, with s^2 the "typical"
    within-study variance (k-1) sum w / ((sum w)^2 - sum w^2) (Higgins & Thompson 2002); for "EE"
    they are computed from Q, as metafor does.
    """
    y, v = _validate_yi_vi(yi, vi)
    method = _normalise_method(method)
    test = _normalise_test(test)
    level = validate_level(level)
    k = y.size
    if test == "knha" and k < 2:
        raise ValueError("test='knha' needs at least 2 studies (its t distribution has k - 1 df)")

    w_fe = 1.0 / v
    q = _q_generalized(y, v, 0.0)
    q_df = k - 1
    q_pvalue = float(stats.chi2.sf(q, q_df)) if k > 1 else math.nan

    tau2, tau2_se = _estimate_tau2(y, v, method)

    w = 1.0 / (v + tau2)
    estimate = _weighted_mean(y, w)
    se = math.sqrt(1.0 / np.sum(w))
    alpha = 1.0 - level
    if test == "knha":
        df: int | None = k - 1
        scale = float(np.sum(w * (y - estimate) ** 2)) / (k - 1)
        se *= math.sqrt(scale)
        crit = float(stats.t.ppf(1.0 - alpha / 2.0, df))
        statistic = estimate / se if se > 0 else math.copysign(math.inf, estimate)
        p_value = float(2.0 * stats.t.sf(abs(statistic), df))
    else:
        df = None
        crit = float(stats.norm.ppf(1.0 - alpha / 2.0))
        statistic = estimate / se
        p_value = float(2.0 * stats.norm.sf(abs(statistic)))
    pi_half = crit * math.sqrt(se**2 + tau2)

    if k == 1:
        i2 = h2 = math.nan
    elif method == "EE":
        i2 = max(0.0, 100.0 * (q - q_df) / q) if q > 0 else 0.0
        h2 = q / q_df
    else:
        i2, h2 = _i2_h2(tau2, w_fe)

    return MetaResult(
        estimate=estimate,
        se=se,
        statistic=float(statistic),
        p_value=p_value,
        ci_lower=estimate - crit * se,
        ci_upper=estimate + crit * se,
        pi_lower=estimate - pi_half,
        pi_upper=estimate + pi_half,
        tau2=tau2,
        tau=math.sqrt(tau2),
        tau2_se=tau2_se,
        q=q,
        q_df=q_df,
        q_pvalue=q_pvalue,
        i2=i2,
        h2=h2,
        k=k,
        method=method,
        test=test,
        df=df,
        level=level,
        weights=tuple(float(x) for x in 100.0 * w / np.sum(w)),
    )


# --------------------------------------------------------------------------------------------
# Proportions: study-level transformations (metafor's escalc conventions)
# --------------------------------------------------------------------------------------------


def _validate_counts(events, total) -> tuple[np.ndarray, np.ndarray]:
    x = _as_vector(events, "events")
    n = _as_vector(total, "total")
    if x.shape != n.shape:
        raise ValueError(f"events and total must have the same length, got {x.size} and {n.size}")
    if np.any(x != np.round(x)) or np.any(n != np.round(n)):
        raise ValueError("events and total must be whole numbers")
    if np.any(n <= 0):
        raise ValueError("every total must be > 0")
    if np.any(x < 0) or np.any(x > n):
        raise ValueError("every study must satisfy 0 <= events <= total")
    return x, n


def logit_escalc(events, total) -> tuple[np.ndarray, np.ndarray]:
    """Logit of each proportion and its variance 1/x + 1/(n - x), adding 0.5 to events and
    non-events only for studies with 0 or all events (metafor escalc measure="PLO", to="only0")."""
    x, n = _validate_counts(events, total)
    edge = (x == 0) | (x == n)
    xa = np.where(edge, x + 0.5, x)
    ma = np.where(edge, n - x + 0.5, n - x)
    return np.log(xa / ma), 1.0 / xa + 1.0 / ma


def ft_escalc(events, total) -> tuple[np.ndarray, np.ndarray]:
    """Freeman-Tukey double arcsine on metafor's scale (escalc measure="PFT"):
    0.5*(asin(sqrt(x/(n+1))) + asin(sqrt((x+1)/(n+1)))), variance 1/(4n + 2).

    No continuity correction, as meta's metaprop (the transform is defined at 0 and n events);
    metafor's escalc would add 1/2 to such studies unless called with add=0."""
    x, n = _validate_counts(events, total)
    yi = 0.5 * (np.arcsin(np.sqrt(x / (n + 1))) + np.arcsin(np.sqrt((x + 1) / (n + 1))))
    return yi, 1.0 / (4.0 * n + 2.0)


def ft_inverse(t: float, n: float) -> float:
    """Miller's (1978) inverse of the Freeman-Tukey transform at sample size ``n`` (metafor's
    transf.ipft); values beyond the transforms of 0 and 1 map to 0 and 1."""
    lo, hi = _ft_value(0.0, n), _ft_value(1.0, n)
    if t < lo:
        return 0.0
    if t > hi:
        return 1.0
    s = math.sin(2.0 * t)
    inner = 1.0 - (s + (s - 1.0 / s) / n) ** 2
    if inner < 0.0:
        return math.nan
    return 0.5 * (1.0 - math.copysign(1.0, math.cos(2.0 * t)) * math.sqrt(inner))


def _ft_value(p: float, n: float) -> float:
    # metafor's transf.pft: the transform of proportion p at (possibly non-integer) sample size n.
    x = p * n
    return 0.5 * (math.asin(math.sqrt(x / (n + 1))) + math.asin(math.sqrt((x + 1) / (n + 1))))


# --------------------------------------------------------------------------------------------
# Binomial-normal (logistic-normal) GLMM by maximum likelihood with adaptive Gauss-Hermite
# --------------------------------------------------------------------------------------------

_GH_NODES = 40  # per study, after centring/scaling at the mode: far beyond lme4's nAGQ=7
_GH_T, _GH_W = special.roots_hermite(_GH_NODES)
_GH_LOGW = np.log(_GH_W) + _GH_T**2  # weights for integrating exp(g(u)) without the exp(-t^2)
_GH_T20, _GH_W20 = special.roots_hermite(20)  # embedded check of the 40-node rule
_GH_LOGW20 = np.log(_GH_W20) + _GH_T20**2
# AGH is exact for a Gaussian integrand and excellent for near-Gaussian ones (informative
# studies, moderate tau). It is accepted for a study when the 20- and 40-node rules agree and the
# outermost nodes reach the tails (a Gaussian has dropped by t_max^2, about 65, there). It fails
# for studies with 0 or all events (or nearly) when tau is large: the integrand is a long
# one-sided Gaussian tail next to a logistic "knee", which Hermite nodes scaled by the curvature
# at the mode sample badly. Those studies get composite Gauss-Legendre instead (see _glmm_terms).
_AGH_MIN_DROP = 30.0
_AGH_AGREE = 1e-10
_SUPPORT_SDS = 10.0  # fallback support: mode +/- 10 tau (log-integrand drop >= 50 there)
_GL_S, _GL_W = special.roots_legendre(16)
_GL_LOGW = np.log(_GL_W)
# The log-integrand's only singularities are those of log(expit(mu + u)), at imaginary distance
# pi from the real axis, so panels of half-width <= 2 make 16-point Gauss-Legendre converge to
# machine precision (Bernstein ellipse rho > 3.4, error of order rho^-32).
_GL_PANEL_HALF_WIDTH = 2.0


def _log_binom_coef(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    return special.gammaln(n + 1) - special.gammaln(x + 1) - special.gammaln(n - x + 1)


def _binomial_loglik(eta: np.ndarray, x: np.ndarray, n: np.ndarray) -> np.ndarray:
    # x*log(expit(eta)) + (n-x)*log(1-expit(eta)), computed stably.
    return x * special.log_expit(eta) + (n - x) * special.log_expit(-eta)


def _log_integrand(u: np.ndarray, mu: float, inv_t2: float, x: np.ndarray, n: np.ndarray) -> np.ndarray:
    return _binomial_loglik(mu + u, x, n) - 0.5 * u**2 * inv_t2


def _logsumexp_rows(a: np.ndarray) -> np.ndarray:
    # Row-wise log(sum(exp(a))); plain numpy because scipy's version costs more than the sums here.
    top = a.max(axis=1)
    return top + np.log(np.exp(a - top[:, None]).sum(axis=1))


def _posterior_sums(nodes, log_w, mu, inv_t2, x, n):
    """log of the integral sum(exp(log_w + g(nodes))) per study, and the posterior moments of the
    binomial score x - n*expit(mu + u) that give the derivatives in mu."""
    xc, nc = x[:, None], n[:, None]
    lw = log_w + _log_integrand(nodes, mu, inv_t2, xc, nc)
    log_int = _logsumexp_rows(lw)
    post = np.exp(lw - log_int[:, None])
    pn = special.expit(mu + nodes)
    score = xc - nc * pn
    e1 = np.sum(post * score, axis=1)
    e2 = np.sum(post * score**2, axis=1)
    info = np.sum(post * nc * pn * (1.0 - pn), axis=1)
    return log_int, e1, e2 - e1**2 - info


def _composite_gl(
    mode: float, tau: float, mu: float, inv_t2: float, x: float, n: float
) -> tuple[float, float, float]:
    """One study's integral by composite 16-point Gauss-Legendre over [mode - 10 tau, mode + 10 tau].

    The log-integrand is strongly concave (g'' <= -1/tau^2), so 10 tau from the mode it has dropped
    by at least 50: nothing of relevance lies outside. Its curvature never exceeds n/4 + 1/tau^2,
    and its only singularities are pi away from the real axis, so panels no wider than 2 standard
    deviations of that sharpest Gaussian, nor than 2 on either side, resolve it to machine precision.
    """
    half_width = min(_GL_PANEL_HALF_WIDTH, 2.0 / math.sqrt(n / 4.0 + inv_t2))
    per_side = max(2, math.ceil(_SUPPORT_SDS * tau / (2.0 * half_width)))
    edges = mode + np.linspace(-_SUPPORT_SDS * tau, _SUPPORT_SDS * tau, 2 * per_side + 1)
    half = 0.5 * np.diff(edges)
    nodes = (0.5 * (edges[:-1] + edges[1:])[:, None] + half[:, None] * _GL_S[None, :]).reshape(1, -1)
    log_w = (np.log(half)[:, None] + _GL_LOGW[None, :]).reshape(1, -1)
    li, e1, e2 = _posterior_sums(nodes, log_w, mu, inv_t2, np.array([x]), np.array([n]))
    return float(li[0]), float(e1[0]), float(e2[0])


def _glmm_terms(mu: float, tau: float, x: np.ndarray, n: np.ndarray) -> tuple[float, float, float]:
    """Marginal log-likelihood of the random-intercept logistic model and its first two
    derivatives in ``mu``.

    Each study's integral over its random effect u ~ N(0, tau^2) is done by adaptive
    Gauss-Hermite quadrature (40 nodes, centred at the mode of the integrand and scaled by its
    curvature there, per study). Where that rule is not reliable (it disagrees with the 20-node
    rule, or its nodes miss the tails; see _AGH_AGREE) the study is integrated by composite
    Gauss-Legendre on its support instead. The derivatives are posterior moments of the binomial
    score on the same nodes.
    """
    const = _log_binom_coef(x, n)
    if tau <= 0.0:
        p = special.expit(np.full_like(x, mu))
        ll = float(np.sum(const + _binomial_loglik(np.full_like(x, mu), x, n)))
        return ll, float(np.sum(x - n * p)), -float(np.sum(n * p * (1.0 - p)))
    inv_t2 = 1.0 / tau**2
    # Mode of g(u) = loglik(mu + u) - u^2 / (2 tau^2): g' is strictly decreasing and its root lies
    # in (-(n-x) tau^2, x tau^2); safeguarded Newton inside that bracket.
    lo = -(n - x) * tau**2 - 1e-12
    hi = x * tau**2 + 1e-12
    u = np.zeros_like(x)
    for _ in range(200):
        p = special.expit(mu + u)
        grad = x - n * p - u * inv_t2
        hess = -n * p * (1.0 - p) - inv_t2
        lo = np.where(grad > 0, u, lo)
        hi = np.where(grad < 0, u, hi)
        newton = u - grad / hess
        u_new = np.where((newton > lo) & (newton < hi), newton, 0.5 * (lo + hi))
        done = np.all(np.abs(u_new - u) <= 1e-11 * (1.0 + np.abs(u)))
        u = u_new
        if done:
            break
    p = special.expit(mu + u)
    sigma = 1.0 / np.sqrt(n * p * (1.0 - p) + inv_t2)
    nodes = u[:, None] + math.sqrt(2.0) * sigma[:, None] * _GH_T[None, :]
    log_w = _GH_LOGW[None, :] + np.log(math.sqrt(2.0) * sigma)[:, None]
    log_int, d1, d2 = _posterior_sums(nodes, log_w, mu, inv_t2, x, n)

    # Embedded check with 20 nodes, and tail coverage of the 40 nodes.
    nodes20 = u[:, None] + math.sqrt(2.0) * sigma[:, None] * _GH_T20[None, :]
    log_w20 = _GH_LOGW20[None, :] + np.log(math.sqrt(2.0) * sigma)[:, None]
    lw20 = log_w20 + _log_integrand(nodes20, mu, inv_t2, x[:, None], n[:, None])
    log_int20 = _logsumexp_rows(lw20)
    g_mode = _log_integrand(u, mu, inv_t2, x, n)
    drop_left = g_mode - _log_integrand(nodes[:, 0], mu, inv_t2, x, n)
    drop_right = g_mode - _log_integrand(nodes[:, -1], mu, inv_t2, x, n)
    bad = (np.abs(log_int - log_int20) > _AGH_AGREE) | (np.minimum(drop_left, drop_right) < _AGH_MIN_DROP)
    if np.any(bad):
        log_int, d1, d2 = log_int.copy(), d1.copy(), d2.copy()
        for i in np.flatnonzero(bad):
            log_int[i], d1[i], d2[i] = _composite_gl(float(u[i]), tau, mu, inv_t2, float(x[i]), float(n[i]))

    ll = np.sum(const + log_int) - x.size * (0.5 * math.log(2.0 * math.pi) + math.log(tau))
    return float(ll), float(np.sum(d1)), float(np.sum(d2))


def _glmm_loglik(mu: float, tau: float, x: np.ndarray, n: np.ndarray) -> float:
    return _glmm_terms(mu, tau, x, n)[0]


def _glmm_profile_mu(tau: float, x: np.ndarray, n: np.ndarray, start: float) -> tuple[float, float]:
    """Maximise over mu for fixed tau. The log-likelihood is concave in mu (the integrand is
    log-concave in (mu, u), Prekopa), so damped Newton converges from any start."""
    mu = start
    ll, d1, d2 = _glmm_terms(mu, tau, x, n)
    for _ in range(200):
        step = -d1 / d2 if d2 < 0 else math.copysign(1.0, d1)
        step = max(-5.0, min(5.0, step))
        for _ in range(40):
            ll_new, d1_new, d2_new = _glmm_terms(mu + step, tau, x, n)
            if ll_new >= ll - 1e-12:
                break
            step /= 2.0
        else:
            break  # no ascent left at working precision: mu is the maximiser
        mu, ll, d1, d2 = mu + step, ll_new, d1_new, d2_new
        if abs(step) <= 1e-10 * (1.0 + abs(mu)):
            break
    return mu, ll


def _numeric_hessian(f, point: np.ndarray, steps: np.ndarray) -> np.ndarray:
    dim = point.size
    hess = np.empty((dim, dim))
    for i in range(dim):
        for j in range(i, dim):
            ei = np.zeros(dim)
            ej = np.zeros(dim)
            ei[i] = steps[i]
            ej[j] = steps[j]
            val = (f(point + ei + ej) - f(point + ei - ej) - f(point - ei + ej) + f(point - ei - ej)) / (
                4 * steps[i] * steps[j]
            )
            hess[i, j] = hess[j, i] = val
    return hess


def _fit_glmm(x: np.ndarray, n: np.ndarray) -> tuple[float, float, float, float]:
    """ML fit of logit(p_i) = mu + u_i, u_i ~ N(0, tau^2). Returns (mu, se(mu), tau2, loglik)."""
    if np.all(x == 0) or np.all(x == n):
        raise ValueError(
            "GLMM: every study has 0 events (or every study has all events), so the pooled logit "
            "has no finite maximum-likelihood estimate; report the exact per-study intervals instead"
        )
    start = float(special.logit(np.sum(x) / np.sum(n)))
    if x.size == 1:
        tau = 0.0
        mu, loglik = _glmm_profile_mu(0.0, x, n, start)
    else:
        # Profile over tau: coarse grid first (guards against a local optimum), then Brent.
        grid = np.concatenate([[0.0], np.geomspace(0.03, 8.0, 12)])
        prof, mus = [], []
        mu_guess = start
        for t in grid:
            mu_guess, ll = _glmm_profile_mu(float(t), x, n, mu_guess)
            prof.append(ll)
            mus.append(mu_guess)
        best = int(np.argmax(prof))
        while best == grid.size - 1:  # still rising at the top of the grid: extend it
            if grid[-1] > 100.0:
                raise ValueError(
                    "GLMM: the between-study SD diverges (> 100 on the logit scale); the model does not fit"
                )
            t = 2.0 * grid[-1]
            mu_guess, ll = _glmm_profile_mu(t, x, n, mus[-1])
            grid = np.append(grid, t)
            prof.append(ll)
            mus.append(mu_guess)
            best = int(np.argmax(prof))
        mu_best = mus[best]
        lo = grid[max(best - 1, 0)]
        hi = grid[min(best + 1, grid.size - 1)]
        res = optimize.minimize_scalar(
            lambda t: -_glmm_profile_mu(t, x, n, mu_best)[1],
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": 1e-10},
        )
        tau = float(res.x)
        mu, loglik = _glmm_profile_mu(tau, x, n, mu_best)
        mu0, ll0 = _glmm_profile_mu(0.0, x, n, mus[0])
        if ll0 >= loglik - 1e-10:  # the maximum is on the boundary tau = 0
            tau, mu, loglik = 0.0, mu0, ll0
    # Standard error of mu from the observed information of the full likelihood in (mu, tau), as
    # lme4's vcov (use.hessian=TRUE). The likelihood is even in tau, so differencing across
    # tau = 0 is legitimate for a small tau; at tau = 0 exactly the cross term vanishes and this is
    # the binomial SE.
    if tau > 0.0:
        f = lambda par: -_glmm_loglik(par[0], abs(par[1]), x, n)  # noqa: E731
        hess = _numeric_hessian(f, np.array([mu, tau]), np.array([1e-4, 1e-4 * max(tau, 0.1)]))
        var_mu = float(np.linalg.inv(hess)[0, 0])
    else:
        p = special.expit(mu)
        var_mu = 1.0 / float(np.sum(n * p * (1.0 - p)))
    return mu, math.sqrt(var_mu), tau**2, loglik


# --------------------------------------------------------------------------------------------
# meta_proportions
# --------------------------------------------------------------------------------------------

_PROP_METHODS = {"glmm": "GLMM", "logit": "logit", "ft": "FT", "pft": "FT", "freeman-tukey": "FT"}


def meta_proportions(
    events: Sequence[int] | np.ndarray,
    total: Sequence[int] | np.ndarray,
    method: str = "GLMM",
    level: float = 0.95,
    tau2_method: str = "REML",
    test: str = "z",
) -> ProportionMetaResult:
    """Pool single proportions ``events[i] / total[i]`` across studies.

    method="GLMM" (default): binomial-normal random-intercept logistic model fitted by maximum
        likelihood (metafor ``rma.glmm(measure="PLO")``, lme4 ``glmer``). The random effect is
        integrated by adaptive Gauss-Hermite quadrature with 40 nodes per study, centred and scaled
        at each study's mode (lme4's nAGQ=7 is the same idea with fewer nodes; low-order
        non-adaptive quadrature is visibly biased). Studies for which that rule is unreliable
        (typically 0 or all events with a large tau^2) are integrated by composite Gauss-Legendre
        on their support instead; the marginal log-likelihood agrees with QUADPACK to ~1e-11.
        tau is profiled (grid, then Brent), mu maximised by Newton; se(mu) from the observed
        information of the full likelihood (as lme4's Hessian-based vcov). Wald CI for the pooled
        logit, prediction interval mu +/- z*sqrt(se^2 + tau^2), back-transformed with the inverse
        logit. No zero-cell correction is needed; ``tau2_method`` and ``test`` do not apply. If
        every study has 0 events (or every study all events) the MLE is infinite: ValueError.
    method="logit": inverse-variance meta-analysis of logits (metafor escalc "PLO", adding 0.5 to
        events and non-events only in studies with 0 or all events), tau^2 by ``tau2_method``,
        inference by ``test``; everything back-transformed with the inverse logit.
    method="FT": Freeman-Tukey double arcsine (metafor/meta "PFT"), tau^2 by ``tau2_method``; the
        pooled value and its interval are back-transformed with Miller's (1978) inverse at the
        harmonic mean of the sample sizes (meta's default; metafor's transf.ipft.hm).
        Caveats (Schwarzer et al. 2019, Res Synth Methods 10:476-483): the back-transformation
        depends on which "n" is plugged in, so the pooled proportion can be misleading, even lying
        outside the range of the study proportions when sample sizes differ a lot, and it is not
        monotone in the transformed value (the inverse is only valid on [ft(0, n), ft(1, n)] and is
        clipped to 0 or 1 outside it). Prefer the GLMM; report FT only for comparison.

    The prediction interval is None for a single study (tau^2 is then not estimable).
    I^2, H^2 and Q come from the per-study ``yi``/``vi`` (for "GLMM" the "PLO" values, as metafor's
    rma.glmm does); I^2 is in percent.
    """
    key = method.lower() if isinstance(method, str) else method
    if key not in _PROP_METHODS:
        raise ValueError(f"method must be 'GLMM', 'logit' or 'FT', got {method!r}")
    method = _PROP_METHODS[key]
    level = validate_level(level)
    x, n = _validate_counts(events, total)
    k = x.size

    if method == "FT":
        yi, vi = ft_escalc(x, n)
    else:
        yi, vi = logit_escalc(x, n)
    studies = []
    for xi, ni, y_i, v_i in zip(x, n, yi, vi, strict=True):
        ci = proportion_ci(int(xi), int(ni), "exact", level)
        studies.append(
            StudyProportion(int(xi), int(ni), ci.proportion, ci.lower, ci.upper, float(y_i), float(v_i))
        )

    if method == "GLMM":
        # Heterogeneity statistics as metafor reports them for rma.glmm: from the PLO yi/vi.
        het = rma(yi, vi, method="EE", level=level)
        mu, se, tau2, loglik = _fit_glmm(x, n)
        crit = float(stats.norm.ppf(1.0 - (1.0 - level) / 2.0))
        i2, h2 = _i2_h2(tau2, 1.0 / vi) if k > 1 else (math.nan, math.nan)
        pi_half = crit * math.sqrt(se**2 + tau2)
        expit = lambda t: float(special.expit(t))  # noqa: E731
        has_pi = k >= 2  # with one study tau^2 is not estimable, so neither is a prediction interval
        return ProportionMetaResult(
            method=method,
            k=k,
            proportion=expit(mu),
            ci_lower=expit(mu - crit * se),
            ci_upper=expit(mu + crit * se),
            pi_lower=expit(mu - pi_half) if has_pi else None,
            pi_upper=expit(mu + pi_half) if has_pi else None,
            estimate=mu,
            se=se,
            tau2=tau2,
            i2=i2,
            h2=h2,
            q=het.q,
            q_df=het.q_df,
            q_pvalue=het.q_pvalue,
            level=level,
            studies=tuple(studies),
            model=None,
            loglik=loglik,
        )

    fit = rma(yi, vi, method=tau2_method, test=test, level=level)
    if method == "logit":
        back = lambda t: float(special.expit(t))  # noqa: E731
    else:
        n_hm = float(1.0 / np.mean(1.0 / n))
        back = lambda t: ft_inverse(t, n_hm)  # noqa: E731
    return ProportionMetaResult(
        method=method,
        k=k,
        proportion=back(fit.estimate),
        ci_lower=back(fit.ci_lower),
        ci_upper=back(fit.ci_upper),
        pi_lower=back(fit.pi_lower) if k >= 2 else None,
        pi_upper=back(fit.pi_upper) if k >= 2 else None,
        estimate=fit.estimate,
        se=fit.se,
        tau2=fit.tau2,
        i2=fit.i2,
        h2=fit.h2,
        q=fit.q,
        q_df=fit.q_df,
        q_pvalue=fit.q_pvalue,
        level=level,
        studies=tuple(studies),
        model=fit,
        loglik=None,
    )
