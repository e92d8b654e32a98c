"""Claim statistics: one value per seed, five answers, error control across parts and looks.

The unit of replication is the seed. Runs that share a seed share their
initial weights and the order of their training images, so their scores
move together; counting every run (or every seed x setting pair) as an
independent pair makes the interval too narrow (issue 13 measured 28% false
verdicts instead of 5% at a within-seed correlation of 0.3). Each claim part
is therefore reduced to one number per seed first (`claims.verdicts`), and
everything here works on those per-seed numbers: a Student t interval with
df = seeds - 1.

A part gets two answers, read together (Lakens, Scheel and Isager 2018),
each from one-sided t tests on the per-seed mean, with p-values doubled so
that "p < 0.05" is exactly "the 95% interval says so":

- *direction*, the interval against zero: *supported* (it lies on the side
  the article predicts), *contradicted* (the other side) or undecided;
- *size*, the interval against +-margin, the part's smallest effect of
  interest: *within the margin* (it lies inside +-margin: two one-sided
  tests, TOST), *at least the margin* (it lies wholly beyond +margin or
  -margin: a minimum-effect test) or unresolved.

The headline is the pair in words (`Answer.headline`): "supported, and at
least the margin", "supported, but smaller than the margin", "supported;
size not yet resolved", "no meaningful difference" (within the margin,
direction undecided), "inconclusive". A real effect at half the margin thus
reads "supported, but smaller than the margin" however many seeds it took:
the two answers never contradict each other, so it cannot read "supported"
in one sweep and "no meaningful difference" in the next (issue 44: under
the older single answer, where "no meaningful difference" won, it did).
`Answer.verdict` keeps the older one-word vocabulary for claims.csv's
`verdict` column: the direction when decided, else "no meaningful
difference" when within the margin, else "inconclusive".

Each answer is one member of Holm's family (`PValues.family`): the
direction's two sides are the two sides of one two-sided test at zero, and
the size's two (within, beyond) those of one two-sided test at the margin
(under an effect exactly at the margin both are null, each at half the
level), so Holm still takes two hypotheses per part.

For a part that compares with an article value (sign 0: "about 0.36",
"resets to the initial rate"), *supported* is "within reference +-
tolerance" (TOST) and *contradicted* "wholly outside it".

Why the looks do not inflate the error: with `Seeds(min, max)` the engine
reads the verdicts after every round of seeds. Each statement's sequential
p-value starts from S = min over the looks k reached of p_k / w_k, with
fixed weights w_k summing to 1 over the planned looks (`seed_looks`;
`look_weights`: proportional to each look's seed count, since early looks
with 3-5 seeds rarely decide anything but the clearest effects). The union
bound alone would make S a valid p-value (P(S <= a) <= sum_k w_k a = a), but
it ignores that every look re-uses the seeds of the looks before it, so it
spends the error rate as if the looks were unrelated. Here S is referred to
its exact null distribution instead (`LookNull`): the t statistics of
nested samples of seeds have a joint distribution that depends on nothing
but the seed counts of the looks (the spread of the values cancels out of
every t), so it is simulated once per plan from standard normal seeds, and
p_seq = P_null(S_all <= S), S_all being the minimum over *all* planned
looks. A sweep that stops early has S >= S_all on the same seeds, so
P(p_seq <= a) <= a however the stopping was decided (by this claim, by
another, or by the budget): the error stays at its level however often the
verdicts are read, and p_seq is a plain p-value that Holm's procedure can
take across the parts of a sweep (two hypotheses per part, see
`PValues.family`). With one planned look it is the plain t test's p-value
exactly. `benchmarks calibration` measures the error rates and the seeds
this saves over the union bound.

Why not a confidence sequence or normal-theory boundaries: with 3-20 seeds
and an unknown variance, group-sequential boundaries computed for a known
variance undercover, and anytime-valid confidence sequences for an unknown
variance are far wider; the simulated t sequences are exact at any n (for
roughly normal per-seed values, the t interval's own assumption).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

SUPPORTED, CONTRADICTED, INCONCLUSIVE = "supported", "contradicted", "inconclusive"
NO_DIFFERENCE = "no meaningful difference"
UNDECIDED = "undecided"  # direction: neither side of zero yet
BEYOND, WITHIN, UNRESOLVED = "at least the margin", "smaller than the margin", "size not yet resolved"
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
class Answer:
    """A part's two answers: its direction and its size against the margin (module docstring).

    A part compared with an article value (sign 0) has one answer, within
    the band or wholly outside it: `direction` holds it and `size` is "".
    """

    direction: str  # SUPPORTED, CONTRADICTED or UNDECIDED (sign 0: SUPPORTED, CONTRADICTED or INCONCLUSIVE)
    size: str = ""  # BEYOND, WITHIN or UNRESOLVED ("" for sign 0)

    @property
    def verdict(self) -> str:
        """The older one-word verdict (claims.csv's `verdict` column): the direction when decided, else
        "no meaningful difference" within the margin, else "inconclusive"."""
        if not self.size:
            return self.direction if self.direction in (SUPPORTED, CONTRADICTED) else INCONCLUSIVE
        if self.direction in (SUPPORTED, CONTRADICTED):
            return self.direction
        return NO_DIFFERENCE if self.size == WITHIN else INCONCLUSIVE

    @property
    def settled(self) -> bool:
        """Both answers decided (sign 0: the one): what a round of seeds stops on."""
        if not self.size:
            return self.direction in (SUPPORTED, CONTRADICTED)
        return self.direction in (SUPPORTED, CONTRADICTED) and self.size in (BEYOND, WITHIN)

    @property
    def headline(self) -> str:
        """The pair in words a reader can act on."""
        verdict = self.verdict
        if not self.size or verdict in (NO_DIFFERENCE, INCONCLUSIVE):
            return verdict
        if self.size == UNRESOLVED:
            return f"{verdict}; {UNRESOLVED}"
        if self.size == WITHIN:
            return f"{verdict}, but {WITHIN}"
        return f"{verdict}, {'and' if verdict == SUPPORTED else 'by'} {BEYOND}"


def answer_of(verdict: str, size: str = "") -> Answer:
    """The Answer behind an older one-word verdict and a size (claims.csv rows, the tuned answer)."""
    if verdict == NO_DIFFERENCE:
        return Answer(UNDECIDED, WITHIN)
    if verdict in (SUPPORTED, CONTRADICTED):
        return Answer(verdict, size)
    return Answer(UNDECIDED if size else INCONCLUSIVE, size)


@dataclass(frozen=True)
class PValues:
    """The p-values (one-sided, doubled: p < 0.05 iff the 95% interval says so) of a part's statements."""

    supported: float
    contradicted: float
    no_difference: float = 1.0  # within the margin
    beyond: float = 1.0  # wholly beyond +margin or -margin, on the nearer side

    def family(self, sign: int) -> tuple[float, float]:
        """The part's two hypotheses for Holm: (direction, size), or for a sign-0 part (within the band,
        outside it).

        "Supported" and "contradicted" are the two sides of one two-sided
        test at zero; "within" and "beyond" the two sides of one at the
        margin. Ranking a part by the smallest of all four would be wrong: a
        part decided truly by its size would lower Holm's bar for another
        part's false "supported" (measured: 7-10% false verdicts per sweep).
        """
        if sign == 0:
            return self.supported, self.contradicted
        return min(self.supported, self.contradicted), min(self.no_difference, self.beyond)

    def decide_adjusted(self, sign: int, first: float | None, second: float | None) -> Answer:
        """The answers once Holm has rejected (level not None) none, one or both of `family`'s hypotheses."""
        if sign == 0:
            return Answer(SUPPORTED if first is not None else CONTRADICTED if second is not None else INCONCLUSIVE)
        side = SUPPORTED if self.supported <= self.contradicted else CONTRADICTED
        size = UNRESOLVED if second is None else WITHIN if self.no_difference <= self.beyond else BEYOND
        # Beyond the margin on one side implies that side of zero (closed testing): never "undecided" then.
        direction = side if first is not None or size == BEYOND else UNDECIDED
        return Answer(direction, size)

    def scaled(self, factor: float) -> "PValues":
        return PValues(min(1.0, self.supported * factor), min(1.0, self.contradicted * factor),
                     min(1.0, self.no_difference * factor), min(1.0, self.beyond * factor))


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
    outside = 2 * min(_upper(m - margin, se, df), _upper(-(m + margin), se, df)) if margin > 0 else 1.0
    if sign == 0:
        return PValues(min(1.0, within), min(1.0, outside), 1.0)
    m = sign * m
    return PValues(min(1.0, 2 * _upper(m, se, df)), min(1.0, 2 * _upper(-m, se, df)), min(1.0, within),
                   min(1.0, outside))


def zero_spread_interval(n: int, value: float, lo: float, hi: float, confidence: float = CONFIDENCE) -> Interval:
    """The interval of a part whose `n` seeds all gave `value`, on a metric whose seeds lie in [lo, hi].

    A t interval has no width here, which is no certainty (ten seeds without
    a diverged run do not make divergence impossible). What the seeds do
    bound is the chance q that a seed gives anything else: all n agree with
    probability (1 - q)^n, so q <= 1 - (alpha/2)^(1/n) at 95%, and the mean
    lies at most q of the way from `value` to either end of the range (ten
    seeds on a 0/1 difference: +-0.31).
    """
    q = 1.0 - ((1.0 - confidence) / 2.0) ** (1.0 / n)
    return Interval(n, value, value - q * (value - lo), value + q * (hi - value), 0.0)


def zero_spread_p_values(n: int, value: float, lo: float, hi: float, sign: int, margin: float) -> PValues:
    """The statements of a part whose `n` seeds all gave `value` in [lo, hi] (`zero_spread_interval`), as
    doubled p-values like `p_values`: each is the largest chance, under its null, that n seeds all give
    `value`. Under "mean <= b" that chance is at most ((b - lo) / (value - lo))^n (the rest of the
    mass at lo); under "mean >= b", ((hi - b) / (hi - value))^n."""
    def below(b: float) -> float:  # the null: mean <= b
        if value <= b:
            return 1.0
        return 0.0 if b < lo else ((b - lo) / (value - lo)) ** n

    def above(b: float) -> float:  # the null: mean >= b
        if value >= b:
            return 1.0
        return 0.0 if b > hi else ((hi - b) / (hi - value)) ** n

    within = 2 * max(above(margin), below(-margin)) if margin > 0 else 1.0
    outside = 2 * min(below(margin), above(-margin)) if margin > 0 else 1.0
    if sign == 0:
        return PValues(min(1.0, within), min(1.0, outside), 1.0)
    up, down = min(1.0, 2 * below(0.0)), min(1.0, 2 * above(0.0))
    return PValues(up if sign > 0 else down, down if sign > 0 else up, min(1.0, within), min(1.0, outside))


def decide_answer(p: PValues, level: float, sign: int = 1) -> Answer:
    """Both answers of a part at `level`, each statement on its own (the unadjusted reading)."""
    first, second = p.family(sign)
    return p.decide_adjusted(sign, level if first < level else None, level if second < level else None)


def decide(p: PValues, level: float, sign: int = 1) -> str:
    """The one-word verdict of a part at `level` (`Answer.verdict`): the direction when the interval
    excludes zero, else "no meaningful difference" when it lies within the margin."""
    return decide_answer(p, level, sign).verdict


def look_weights(looks: tuple[int, ...]) -> tuple[float, ...]:
    """Share of the error rate each planned look spends: proportional to its seed count, summing to 1."""
    total = float(sum(looks))
    return tuple(n / total for n in looks) if total > 0 else ()


NULL_DRAWS = 1 << 18  # simulated seed sequences per plan: 262,144 (the p-value's Monte Carlo error is under 3% of it at 0.005)
NULL_SEED = 20261201  # fixed, so the same records always get the same verdicts


@dataclass(frozen=True)
class LookNull:
    """The null distribution of S = min_k p_k / w_k over every planned look, for one plan of seed counts.

    `two_sided`: S of two-sided t p-values under a mean of zero (a
    difference; also "wholly outside a band", see `sequential`).
    `one_sided`: S of one-sided t p-values at the null's boundary (the
    equivalence tests), each capped at 1/2 as a doubled p-value capped at 1
    is. Both sorted, so a p-value is one binary search.
    """

    counts: tuple[int, ...]
    two_sided: np.ndarray
    one_sided: np.ndarray

    @staticmethod
    def cdf(sorted_s: np.ndarray, s: float) -> float:
        """P(S_all <= s), with the simulation's +1 so that a Monte Carlo p-value is never zero."""
        return (float(np.searchsorted(sorted_s, s, side="right")) + 1.0) / (len(sorted_s) + 1.0)


_NULLS: dict[tuple, LookNull] = {}


def look_null(counts: tuple[int, ...], weights: tuple[float, ...], min_seeds: int = DEFAULT_MIN_SEEDS) -> LookNull:
    """Simulate (once per plan, then cached) S over looks of `counts` seeds from standard normal seeds.

    A t statistic does not change when the values are multiplied by a
    constant, so under a zero mean, normal seeds of spread 1 give the joint
    law of the looks' t statistics whatever the real spread (the t
    interval's own assumption: per-seed values roughly normal). A look with
    fewer than `min_seeds` seeds is never judged, so it never counts in S.
    """
    key = (tuple(counts), tuple(weights), min_seeds)
    if key in _NULLS:
        return _NULLS[key]
    rng = np.random.default_rng(NULL_SEED)
    looks = [(k, n) for k, n in enumerate(counts) if n >= max(2, min_seeds)]
    two, one = [], []
    chunk = 1 << 15
    for start in range(0, NULL_DRAWS, chunk):
        x = rng.standard_normal((min(chunk, NULL_DRAWS - start), max(counts)))
        total, squares = np.cumsum(x, axis=1), np.cumsum(x * x, axis=1)
        s2 = np.full(len(x), np.inf)
        s1 = np.full(len(x), np.inf)
        for k, n in looks:
            mean = total[:, n - 1] / n
            se = np.sqrt(np.maximum(squares[:, n - 1] - n * mean * mean, 0.0) / (n - 1) / n)
            t = mean / se
            s2 = np.minimum(s2, np.minimum(1.0, 2 * special.stdtr(n - 1, -np.abs(t))) / weights[k])
            s1 = np.minimum(s1, np.minimum(0.5, special.stdtr(n - 1, -t)) / weights[k])
        two.append(s2)
        one.append(s1)
    null = LookNull(tuple(counts), np.sort(np.concatenate(two)), np.sort(np.concatenate(one)))
    _NULLS[key] = null
    return null


def sequential(per_look: list[PValues | None], weights: tuple[float, ...], sign: int = 1,
               null: LookNull | None = None) -> PValues:
    """Sequential p-values from the looks reached (None: a look too small to judge), module docstring.

    S = min_k p_k / w_k is referred to `null`; without one (or with a single
    planned look) S itself is returned, the union bound, which is exact for
    one look. Which law each statement takes:

    - supported / contradicted of a difference: one side of a two-sided t
      test, `two_sided` (under a zero mean one side's S is at least the
      two-sided S);
    - no meaningful difference, "beyond the margin", and "within the band"
      of a sign-0 part: a doubled one-sided test at the nearer edge of the
      band, `one_sided` at that edge, doubled again (a mean further out
      only makes S larger);
    - "wholly outside the band": `two_sided`, since at an edge the test
      towards the far side is weaker than a two-sided test centred there.
    """
    looks = [(p, wk) for p, wk in zip(per_look, weights) if p is not None]
    if not looks:
        return PValues(1.0, 1.0, 1.0)
    s_sup = min(p.supported / wk for p, wk in looks)
    s_con = min(p.contradicted / wk for p, wk in looks)
    s_nd = min(p.no_difference / wk for p, wk in looks)
    s_beyond = min(p.beyond / wk for p, wk in looks)
    if null is None or len(weights) == 1:
        return PValues(min(1.0, s_sup), min(1.0, s_con), min(1.0, s_nd), min(1.0, s_beyond))

    def two(s: float) -> float:
        return min(1.0, LookNull.cdf(null.two_sided, s))

    def doubled_one(s: float) -> float:  # the doubled p-values halved back: one-sided, capped at 1/2 as in `look_null`
        return min(1.0, 2 * LookNull.cdf(null.one_sided, s / 2))

    if sign == 0:
        return PValues(doubled_one(s_sup), two(s_con), 1.0)
    return PValues(two(s_sup), two(s_con), doubled_one(s_nd), doubled_one(s_beyond))


def holm_thresholds(pvalues: list[float], alpha: float = ALPHA) -> list[float]:
    """The level each p-value faces in Holm's procedure at its rank: alpha / (m - rank), smallest first
    (one that ranks after a failure is not rejected whatever its level)."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    out = [alpha] * len(pvalues)
    for rank, i in enumerate(order):
        out[i] = alpha / (len(pvalues) - rank)
    return out


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
