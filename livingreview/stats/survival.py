"""Kaplan-Meier estimation from individual (or reconstructed individual) time-to-event data.

The numbers follow R's survival package (``survfit``, ``summary.survfit``, ``print.survfit``) so
they can be checked against its published test outputs (tests/test_survival.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

if TYPE_CHECKING:
    import pandas as pd

from livingreview.stats.proportions import validate_level

__all__ = ["KaplanMeier", "kaplan_meier", "CONF_TYPES"]

CONF_TYPES = ("log", "log-log", "plain")
# R's tolerance (sqrt(machine eps), as all.equal) for "the curve is exactly at 0.5".
_QUANTILE_TOL = math.sqrt(np.finfo(float).eps)


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan-Meier curve, one row per distinct observed time (events and censorings, as R's
    ``survfit`` object; R's ``summary()`` shows only the rows with ``n_event > 0``).

    ``std_err`` is the Greenwood standard error of S(t) (the column R's ``summary()`` prints);
    ``std_err_log`` is that of log S(t) (R's ``survfit()$std.err``). Undefined values (the SE and
    bounds once S(t) = 0, R's NaN/NA) are ``nan``. ``median_lower``/``median_upper`` are None where
    the confidence curve never reaches 0.5 (R prints NA). Times are in the units given.
    """

    time: tuple[float, ...]
    n_at_risk: tuple[int, ...]
    n_event: tuple[int, ...]
    censored: tuple[int, ...]
    survival: tuple[float, ...]
    std_err: tuple[float, ...]
    std_err_log: tuple[float, ...]
    ci_lower: tuple[float, ...]
    ci_upper: tuple[float, ...]
    conf_type: str
    level: float
    n: int
    events: int
    median: float | None
    median_lower: float | None
    median_upper: float | None
    observed_times: tuple[float, ...]  # every subject's time, sorted: kept for at_risk()

    def frame(self) -> pd.DataFrame:
        """The curve as the Kaplan-Meier chart reads it (the same names as these fields): one row
        per distinct time with ``time``, ``survival``, ``ci_lower``, ``ci_upper``, ``n_at_risk``,
        ``n_event`` and ``censored``."""
        import pandas as pd

        return pd.DataFrame(
            {
                "time": self.time,
                "survival": self.survival,
                "ci_lower": self.ci_lower,
                "ci_upper": self.ci_upper,
                "n_at_risk": self.n_at_risk,
                "n_event": self.n_event,
                "censored": self.censored,
            }
        )

    def at_risk_frame(self, times: Sequence[float]) -> pd.DataFrame:
        """``time`` and ``n_at_risk`` at the requested times (the numbers printed under the plot)."""
        import pandas as pd

        return pd.DataFrame({"time": list(times), "n_at_risk": self.at_risk(times)})

    def at_risk(self, times: Sequence[float] | float) -> tuple[int, ...]:
        """Number at risk at each requested time: subjects whose observed time is >= t (the
        numbers printed under KM plots and by R's ``summary(fit, times=...)``)."""
        t = np.atleast_1d(np.asarray(times, dtype=float))
        if not np.all(np.isfinite(t)):
            raise ValueError("times must be finite numbers")
        obs = np.asarray(self.observed_times)
        return tuple(int(obs.size - np.searchsorted(obs, ti, side="left")) for ti in t)

    def survival_at(self, times: Sequence[float] | float) -> tuple[float, ...]:
        """S(t) at each requested time (right-continuous step function); ``nan`` beyond the last
        observed time, where the curve is not estimated (R's ``summary(times=)`` drops such rows)."""
        t = np.atleast_1d(np.asarray(times, dtype=float))
        if not np.all(np.isfinite(t)):
            raise ValueError("times must be finite numbers")
        grid = np.asarray(self.time)
        surv = np.asarray(self.survival)
        out = []
        for ti in t:
            if ti > grid[-1]:
                out.append(math.nan)
                continue
            i = int(np.searchsorted(grid, ti, side="right")) - 1
            out.append(1.0 if i < 0 else float(surv[i]))
        return tuple(out)


def _validate(time, event) -> tuple[np.ndarray, np.ndarray]:
    try:
        t = np.asarray(time, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError("time must be a sequence of numbers") from exc
    if t.ndim != 1 or t.size == 0:
        raise ValueError("time must be a non-empty one-dimensional sequence")
    if not np.all(np.isfinite(t)):
        raise ValueError("time contains missing or non-finite values")
    if np.any(t < 0):
        raise ValueError("time must be >= 0")
    try:
        e = np.asarray(event, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError("event must be a sequence of 0/1 (or booleans)") from exc
    if e.shape != t.shape:
        raise ValueError(f"time and event must have the same length, got {t.size} and {e.size}")
    if not np.all((e == 0) | (e == 1)):
        raise ValueError("event must contain only 0 (censored) and 1 (event), or booleans")
    return t, e.astype(int)


def _confidence_band(
    surv: np.ndarray, se_log: np.ndarray, conf_type: str, z: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise bounds as R's survfit_confint (logse=TRUE). Where S = 0 the bounds are NaN."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "log":
            lower = surv * np.exp(-z * se_log)
            upper = np.minimum(1.0, surv * np.exp(z * se_log))
        elif conf_type == "log-log":
            # Undefined at S = 0 and S = 1 (R returns NA there).
            s = np.where((surv == 0) | (surv == 1), np.nan, surv)
            log_s = np.log(s)
            a = np.exp(-np.exp(np.log(-log_s) + z * se_log / log_s))
            b = np.exp(-np.exp(np.log(-log_s) - z * se_log / log_s))
            lower, upper = np.minimum(a, b), np.maximum(a, b)
        else:  # plain
            half = z * se_log * surv
            lower = np.maximum(0.0, surv - half)
            upper = np.minimum(1.0, surv + half)
    dead = surv == 0
    lower = np.where(dead | np.isnan(se_log), np.nan, lower)
    upper = np.where(dead | np.isnan(se_log), np.nan, upper)
    return lower, upper


def _minmin(y: np.ndarray, x: np.ndarray) -> float | None:
    """R survival's ``minmin`` (inside ``survmean``, used by ``print.survfit``): the first time
    the curve ``y`` is below 0.5 (within sqrt(machine eps)), ignoring NaN. If that first value is
    0.5 itself and the curve drops further later, the midpoint between its time and the time of
    that next drop. None where the curve never gets to 0.5 (R's NA)."""
    keep = ~np.isnan(y) & (y < 0.5 + _QUANTILE_TOL)
    if not np.any(keep):
        return None
    xs, ys = x[keep], y[keep]
    if abs(ys[0] - 0.5) < _QUANTILE_TOL and np.any(ys < ys[0]):
        return float((xs[0] + xs[np.argmax(ys < ys[0])]) / 2.0)
    return float(xs[0])


def kaplan_meier(
    time: Sequence[float] | np.ndarray,
    event: Sequence[int] | Sequence[bool] | np.ndarray,
    level: float = 0.95,
    conf_type: str = "log",
) -> KaplanMeier:
    """Kaplan-Meier estimate with Greenwood standard errors.

    The confidence band is, by default, R survival's default ``conf.type="log"``:
    exp(log S +/- z * se(log S)), upper bound capped at 1. ``conf_type="log-log"`` gives
    exp(-exp(log(-log S) +/- z * se(log S) / log S)), the band lifelines shows by default (its
    "exponential Greenwood" interval), so the two libraries' default bands differ; ``"plain"``
    gives S +/- z * se(S) clipped to [0, 1]. The curve itself is computed here directly (a few
    lines of numpy) rather than through lifelines, so the band is exactly R's.

    The median is R's print.survfit one: the first time S(t) <= 0.5 (within sqrt(machine eps));
    if S(t) is exactly 0.5 there, the midpoint between that time and the time S next drops. Its
    confidence limits apply the same rule to the lower and upper confidence curves (the lower
    curve gives the lower limit); None where a curve never gets to 0.5 (R prints NA).
    """
    t, e = _validate(time, event)
    if not isinstance(conf_type, str) or conf_type.lower() not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {CONF_TYPES}, got {conf_type!r}")
    conf_type = conf_type.lower()
    level = validate_level(level)
    z = float(stats.norm.ppf(1.0 - (1.0 - level) / 2.0))

    order = np.argsort(t, kind="stable")
    t, e = t[order], e[order]
    times, first = np.unique(t, return_index=True)
    n_total = t.size
    n_risk = n_total - first
    n_event = np.add.reduceat(e, first)
    n_censor = np.add.reduceat(1 - e, first)

    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - n_event / n_risk)
        # Greenwood: var(log S) = sum d / (n (n - d)); infinite once everyone at risk has died.
        green = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
        se_log = np.sqrt(np.cumsum(green))
        se_surv = surv * se_log
    se_log = np.where(np.isinf(se_log), np.nan, se_log)
    se_surv = np.where(np.isnan(se_log), np.nan, se_surv)
    lower, upper = _confidence_band(surv, se_log, conf_type, z)

    # Median and its limits as print.survfit: the same rule on S(t) and on the two bounds.
    median = _minmin(surv, times)
    median_lower = _minmin(lower, times)
    median_upper = _minmin(upper, times)

    as_floats = lambda a: tuple(float(v) for v in a)  # noqa: E731
    as_ints = lambda a: tuple(int(v) for v in a)  # noqa: E731
    return KaplanMeier(
        time=as_floats(times),
        n_at_risk=as_ints(n_risk),
        n_event=as_ints(n_event),
        censored=as_ints(n_censor),
        survival=as_floats(surv),
        std_err=as_floats(se_surv),
        std_err_log=as_floats(se_log),
        ci_lower=as_floats(lower),
        ci_upper=as_floats(upper),
        conf_type=conf_type,
        level=level,
        n=int(n_total),
        events=int(e.sum()),
        median=median,
        median_lower=median_lower,
        median_upper=median_upper,
        observed_times=as_floats(t),
    )
