"""Claim statistics: one value per seed, five answers, error control across parts and looks.

The unit of replication is the seed. Runs that share a seed share their
initial weights and the order of their training images, so their scores
move together; counting every run (or every seed x setting pair) as an
independent pair makes the interval too narrow (issue 13 measured 28% false
verdicts instead of 5% at a within-seed correlation of 0.3). Each claim part
is therefore reduced to one number per seed first (`claims.verdicts`), and
everything here works on those per-seed numbers: a Student t interval with
df = seeds - 1.

A part is read in three statements, each a one-sided t test on the per-seed
mean, with its p-value doubled so that "p < 0.05" is exactly "the 95%
interval says so":

- *supported*: the interval lies on the side of zero the article predicts;
- *contradicted*: it lies on the other side;
- *no meaningful difference*: it lies within +-margin, the part's smallest
  effect of interest (two one-sided tests, TOST). This wins over
  "supported": a tiny but certain difference is not what the sentence means.

For a part that compares with an article value (sign 0: "about 0.36",
"resets to the initial rate"), *supported* is "within reference +-
tolerance" (TOST) and *contradicted* "wholly outside it".

Why Bonferroni-weighted looks (and not alpha spending or a confidence
sequence): with `Seeds(min, max)` the engine reads the verdicts after every
round of seeds. A part's sequential p-value is min over the looks k reached
of p_k / w_k, with fixed weights w_k summing to 1 over the planned looks
(`seed_looks`). By the union bound P(p_seq <= a) <= sum_k w_k a = a under
the null, whatever the dependence between looks, so the error stays at its
level however often the verdicts are read, and p_seq is a plain p-value
that Holm's procedure can take across the parts of a sweep (two hypotheses
per part, see `PValues.family`). It needs
nothing beyond the t distribution (small samples, unknown variance:
group-sequential boundaries assume a known variance or large n, and
confidence sequences for unknown variance are far wider at 3-20 seeds).
It costs some power at the last look, measured by `benchmarks calibration`.
The weights grow with the seed count of the look (`look_weights`): early
looks with 3-5 seeds rarely decide anything but the clearest effects, so
they get little of the error rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

SUPPORTED, CONTRADICTED, INCONCLUSIVE = "supported", "contradicted", "inconclusive"
NO_DIFFERENCE = "no meaningful difference"
NOT_MEASURABLE = "not measurable on this data"
NOT_TESTED, NOT_REQUESTED = "not tested", "not requested"
DEFINITIVE = (SUPPORTED, CONTRADICTED, NO_DIFFERENCE)
ALPHA = 0.05
CONFIDENCE = 1 - ALPHA
DEFAULT_MIN_SEEDS = 3


@dataclass(frozen=True)
class Interval:
    """Mean of per-seed values with its t interval over seeds (df = n - 1)."""

    n: int
    mean: float
    low: float
    high: float
    sd: float

    @property
    def se(self) -> float:
        return self.sd / math.sqrt(self.n) if self.n > 1 else math.inf


def t_interval(values: list[float] | np.ndarray, confidence: float = CONFIDENCE) -> Interval:
    """Student t interval of the mean; infinitely wide below 2 values, a point when they are all equal."""
    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    n = len(x)
    if n == 0:
        return Interval(0, math.nan, math.nan, math.nan, math.nan)
    mean = float(x.sum()) / n
    if n == 1:
        return Interval(1, mean, -math.inf, math.inf, math.nan)
    sd = math.sqrt(float(((x - mean) ** 2).sum()) / (n - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return Interval(n, mean, mean - half, mean + half, sd)


@dataclass(frozen=True)
class PValues:
    """The p-values (one-sided, doubled: p < 0.05 iff the 95% interval says so) of a part's statements."""

    supported: float
    contradicted: float
    no_difference: float = 1.0

    def family(self, sign: int) -> tuple[float, float]:
        """The part's two hypotheses for Holm: (a difference, no meaningful difference), or for a
        sign-0 part (within the band, outside it).

        "Supported" and "contradicted" are the two sides of one two-sided
        test; "no meaningful difference" is a hypothesis of its own. Ranking a
        part by the smallest of all three would be wrong: a part decided
        truly by its equivalence test would lower Holm's bar for another
        part's false "supported" (measured: 7-10% false verdicts per sweep).
        """
        if sign == 0:
            return self.supported, self.contradicted
        return min(self.supported, self.contradicted), self.no_difference

    def decide_adjusted(self, sign: int, first: float | None, second: float | None) -> str:
        """The verdict once Holm has rejected (level not None) none, one or both of `family`'s hypotheses."""
        if sign == 0:
            return SUPPORTED if first is not None else CONTRADICTED if second is not None else INCONCLUSIVE
        if second is not None:
            return NO_DIFFERENCE
        if first is not None:
            return SUPPORTED if self.supported <= self.contradicted else CONTRADICTED
        return INCONCLUSIVE

    def scaled(self, factor: float) -> "PValues":
        return PValues(min(1.0, self.supported * factor), min(1.0, self.contradicted * factor),
                     min(1.0, self.no_difference * factor))


def _upper(excess: float, se: float, df: int) -> float:
    """P(T >= excess / se): how surprising the mean lies `excess` above a bound, if it sat at the bound."""
    if se == 0.0:
        return 0.0 if excess > 0 else 1.0
    return float(special.stdtr(df, -excess / se))  # scipy.stats.t.sf without its argument checks (hot in calibration)


def p_values(interval: Interval, sign: int, margin: float) -> PValues:
    """The three statements of a part on one look's interval (see the module docstring).

    `sign` +1/-1: the article predicts treatment above/below baseline, and
    the values are differences; `sign` 0: the values are already centred on
    the article's reference and `margin` is its tolerance.
    """
    if interval.n < 2 or not math.isfinite(interval.sd):
        return PValues(1.0, 1.0, 1.0)
    m, se, df = interval.mean, interval.se, interval.n - 1
    within = 2 * max(_upper(m + margin, se, df), _upper(-(m - margin), se, df)) if margin > 0 else 1.0
    if sign == 0:
        outside = 2 * min(_upper(m - margin, se, df), _upper(-(m + margin), se, df))
        return PValues(min(1.0, within), min(1.0, outside), 1.0)
    m = sign * m
    return PValues(min(1.0, 2 * _upper(m, se, df)), min(1.0, 2 * _upper(-m, se, df)), min(1.0, within))


def decide(p: PValues, level: float) -> str:
    """The verdict of a part at `level`: "no meaningful difference" first, then supported, contradicted."""
    if p.no_difference < level:
        return NO_DIFFERENCE
    if p.supported < level:
        return SUPPORTED
    if p.contradicted < level:
        return CONTRADICTED
    return INCONCLUSIVE


def look_weights(looks: tuple[int, ...]) -> tuple[float, ...]:
    """Share of the error rate each planned look spends: proportional to its seed count, summing to 1."""
    total = float(sum(looks))
    return tuple(n / total for n in looks) if total > 0 else ()


def sequential(per_look: list[PValues], weights: tuple[float, ...]) -> PValues:
    """Sequential p-values: min over the looks reached of p_k / w_k (valid at every look, union bound)."""
    if not per_look:
        return PValues(1.0, 1.0, 1.0)
    scaled = [p.scaled(1.0 / w) for p, w in zip(per_look, weights)]
    return PValues(min(s.supported for s in scaled), min(s.contradicted for s in scaled),
                 min(s.no_difference for s in scaled))


def holm_levels(pvalues: list[float], alpha: float = ALPHA) -> list[float | None]:
    """Holm's step-down procedure: for each p-value the level it was tested at, or None if not rejected.

    Ranked smallest first, the i-th (from 0) of m is tested at alpha / (m - i)
    until the first that fails; it and every larger one are not rejected.
    This keeps the chance of any false definitive verdict among the parts at
    alpha, whatever their dependence (they share seeds).
    """
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    levels: list[float | None] = [None] * len(pvalues)
    m = len(pvalues)
    for rank, i in enumerate(order):
        level = alpha / (m - rank)
        if not pvalues[i] < level:
            break
        levels[i] = level
    return levels
