"""The statistics engine in one import: proportions, meta-analysis, survival.

The code lives in one module per concern (proportions.py, meta.py, survival.py); this module only
re-exports their public API so callers can write ``from livingreview.stats import rma``.
"""

from livingreview.stats.meta import MetaResult, ProportionMetaResult, StudyProportion, meta_proportions, rma
from livingreview.stats.proportions import ProportionCI, proportion_ci
from livingreview.stats.survival import KaplanMeier, kaplan_meier

__all__ = [
    "ProportionCI",
    "proportion_ci",
    "MetaResult",
    "ProportionMetaResult",
    "StudyProportion",
    "rma",
    "meta_proportions",
    "KaplanMeier",
    "kaplan_meier",
]
