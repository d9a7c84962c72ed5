"""Confidence intervals for a single binomial proportion.

The arithmetic is delegated to statsmodels' ``proportion_confint`` (checked there against
R's ``binom`` package); this module only validates inputs and names the result.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ProportionCI", "proportion_ci", "proportion_cis", "validate_level"]

# Our method names -> statsmodels' names. "exact" is Clopper-Pearson (statsmodels calls it "beta").
_METHODS = {"exact": "beta", "clopper-pearson": "beta", "wilson": "wilson"}


@dataclass(frozen=True)
class ProportionCI:
    """A proportion ``events / total`` with a two-sided confidence interval."""

    events: int
    total: int
    proportion: float
    lower: float
    upper: float
    method: str  # "exact" (Clopper-Pearson) or "wilson"
    level: float


def validate_level(level: float) -> float:
    """Return ``level`` as a float in (0, 1); a percentage such as 95 is refused, not guessed."""
    if isinstance(level, bool) or not isinstance(level, numbers.Real):
        raise ValueError(f"level must be a number in (0, 1), got {level!r}")
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1) (e.g. 0.95), got {level!r}")
    return level


def _as_count(value: object, name: str) -> int:
    # Counts must be whole numbers: 3.0 is accepted, 2.5 and True are not.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if value != value or int(value) != value:  # NaN, or a fraction
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return int(value)


def proportion_cis(
    events: Sequence[int], totals: Sequence[int], method: str = "exact", level: float = 0.95
) -> list[ProportionCI]:
    """:func:`proportion_ci` for many counts at once: the same checks on each pair, the
    intervals from one vectorised statsmodels call (the same numbers, computed element-wise by
    the same SciPy functions; a table of thousands of figures needs milliseconds, not seconds)."""
    pairs = [(_as_count(e, "events"), _as_count(t, "total")) for e, t in zip(events, totals, strict=True)]
    for e, t in pairs:
        _check_counts(e, t)
    key = _check_method(method)
    level = validate_level(level)
    if not pairs:
        return []
    import numpy as np
    from statsmodels.stats.proportion import proportion_confint

    count = np.array([e for e, _ in pairs], dtype=float)
    nobs = np.array([t for _, t in pairs], dtype=float)
    lowers, uppers = proportion_confint(count, nobs, alpha=1.0 - level, method=_METHODS[key])
    return [
        _result(e, t, float(lo), float(hi), key, level)
        for (e, t), lo, hi in zip(pairs, np.atleast_1d(lowers), np.atleast_1d(uppers), strict=True)
    ]


def _check_counts(events: int, total: int) -> None:
    if total <= 0:
        raise ValueError(f"total must be > 0, got {total}")
    if not 0 <= events <= total:
        raise ValueError(f"events must satisfy 0 <= events <= total, got events={events}, total={total}")


def _check_method(method: str) -> str:
    key = method.lower() if isinstance(method, str) else method
    if key not in _METHODS:
        raise ValueError(f"method must be 'exact' or 'wilson', got {method!r}")
    return key


def _result(events: int, total: int, lower: float, upper: float, key: str, level: float) -> ProportionCI:
    # Clip rounding noise (e.g. 1.0000000000000002) so the interval stays inside [0, 1].
    lower, upper = max(0.0, lower), min(1.0, upper)
    # Exact bounds at the edges are 0 and 1 by definition; statsmodels can return NaN there.
    if events == 0:
        lower = 0.0
    if events == total:
        upper = 1.0
    name = "exact" if _METHODS[key] == "beta" else "wilson"
    return ProportionCI(events, total, events / total, lower, upper, name, level)


def proportion_ci(events: int, total: int, method: str = "exact", level: float = 0.95) -> ProportionCI:
    """Confidence interval for ``events / total``.

    ``method="exact"`` is the Clopper-Pearson interval (conservative, never below nominal
    coverage: the usual choice for small single-arm studies); ``method="wilson"`` is the Wilson
    score interval. Counts may be given as ints or whole floats.
    """
    events = _as_count(events, "events")
    total = _as_count(total, "total")
    _check_counts(events, total)
    key = _check_method(method)
    level = validate_level(level)
    # Imported here: statsmodels pulls in pandas, which modules importing this one need not pay for.
    from statsmodels.stats.proportion import proportion_confint

    lower, upper = proportion_confint(events, total, alpha=1.0 - level, method=_METHODS[key])
    return _result(events, total, float(lower), float(upper), key, level)
