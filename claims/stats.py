"""Paired statistics: one verdict from a handful of seed-matched differences.

One training run of these models varies by several accuracy points from
seed to seed, so a claim is judged on differences between runs that share a
seed, a data split and every other setting (paired), with a t interval on
their mean. Three answers: supported, contradicted, inconclusive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

SUPPORTED, CONTRADICTED, INCONCLUSIVE = "supported", "contradicted", "inconclusive"
DEFAULT_MIN_PAIRS = 5


@dataclass(frozen=True)
class PairedResult:
    n_pairs: int
    effect: float  # mean paired difference (treatment minus baseline)
    ci_low: float
    ci_high: float
    effect_size: float  # Cohen's d_z: mean difference / its standard deviation
    verdict: str
    reason: str


def paired_verdict(
    differences: list[float] | np.ndarray,
    expected_sign: int,
    min_pairs: int = DEFAULT_MIN_PAIRS,
    confidence: float = 0.95,
    margin: float = 0.0,
) -> PairedResult:
    """Verdict on whether the mean difference has `expected_sign` (+1 or -1).

    Supported when the whole interval lies beyond `margin` on the expected
    side, contradicted when it lies wholly on the other side of zero,
    inconclusive when it straddles or there are fewer than `min_pairs` pairs.
    """
    d = np.asarray([x for x in differences if x is not None and math.isfinite(x)], dtype=float)
    n = len(d)
    if n == 0:
        return PairedResult(0, math.nan, math.nan, math.nan, math.nan, INCONCLUSIVE, "no paired runs")
    mean = float(d.mean())
    sd = float(d.std(ddof=1)) if n > 1 else math.nan
    if n > 1 and sd > 0:
        half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n))
        dz = mean / sd
    elif n > 1:  # identical differences: no spread at all
        half, dz = 0.0, math.copysign(math.inf, mean) if mean else 0.0
    else:
        half, dz = math.inf, math.nan
    low, high = mean - half, mean + half
    if n < min_pairs:
        return PairedResult(n, mean, low, high, dz, INCONCLUSIVE, f"only {n} pairs (minimum {min_pairs})")
    lo_s, hi_s = (low, high) if expected_sign > 0 else (-high, -low)
    if lo_s > margin:
        return PairedResult(n, mean, low, high, dz, SUPPORTED, "the interval lies on the claimed side")
    if hi_s < 0:
        return PairedResult(n, mean, low, high, dz, CONTRADICTED, "the interval lies on the opposite side")
    return PairedResult(n, mean, low, high, dz, INCONCLUSIVE, "the interval includes no difference (within noise)")


def combine(verdicts: list[str]) -> str:
    """A claim with several parts holds only if every part does."""
    if CONTRADICTED in verdicts:
        return CONTRADICTED
    if verdicts and all(v == SUPPORTED for v in verdicts):
        return SUPPORTED
    return INCONCLUSIVE
