"""Max versus average pooling, with confidence intervals and paired comparisons.

The articles argue about max against average pooling; a sweep answers it
only if the difference is larger than what changing the seed does. Comparing
the mean of all max runs with the mean of all avg runs mixes in every other
hyperparameter, so the main number here is *paired*: two runs that share
every other hyperparameter and the seed, differing only in the pooling knob.
The mean of the per-pair differences (max − avg) gets a t interval; when it
includes 0 the report says the difference is within noise.

Pooling hyperparameters are named `pooling_1`, `pooling_2`, ... with values
"max", "avg" or "none". A run is "all max" when every pooling layer it has
is max, "all avg" likewise, and "mixed" when it has both.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
from scipy import stats

from reports.runs import SweepRuns

POOLING_NAME = re.compile(r"^pooling_\d+$")
CONFIDENCE = 0.95
MIN_PAIRS = 3  # below this a t interval is too wide to say anything
OPTIONS = ("max", "avg", "none")
PATTERNS = ("all max", "all avg", "mixed", "no pooling")


@dataclass
class MeanCI:
    """Mean score of a group of runs with its 95% t interval (None below 2 runs)."""

    label: str
    n: int
    mean: float | None
    std: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass
class PairedDifference:
    """Mean of per-pair differences `first − second` with its t interval and a verdict."""

    first: str
    second: str
    n_pairs: int
    mean_diff: float | None
    ci_low: float | None
    ci_high: float | None
    verdict: str  # "too few pairs", "within noise", "<first> better", "<second> better"
    sentence: str  # the whole finding in words, verdict included
    detail: str = ""  # the numbers and the reason, without the verdict (for a line that shows it apart)
    differences: list[float] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.first} − {self.second}"

    @property
    def within_noise(self) -> bool:
        return self.verdict == "within noise"

    @property
    def too_few(self) -> bool:
        return self.verdict == "too few pairs"


@dataclass
class KnobComparison:
    name: str  # e.g. pooling_1
    options: list[MeanCI]  # unpaired mean per value (max, avg, none where present)
    paired: PairedDifference  # max − avg on runs equal in everything else


@dataclass
class PoolingComparisonInfo:
    objective: str
    mode: str
    varied: bool  # False: the sweep did not vary pooling and the section is omitted
    note: str
    knobs: list[KnobComparison] = field(default_factory=list)
    patterns: list[MeanCI] = field(default_factory=list)
    pattern_pairs: list[PairedDifference] = field(default_factory=list)


def pooling_info(runs: SweepRuns) -> PoolingComparisonInfo:
    """Compare pooling choices knob by knob and as whole-network patterns."""
    knobs = [n for n in runs.tuned if POOLING_NAME.match(n)]
    if not knobs:
        return PoolingComparisonInfo(runs.objective, runs.mode, False,
                                     "The sweep did not vary pooling, so there is no max vs average comparison.")
    all_pooling = [n for n in runs.hp_names if POOLING_NAME.match(n)]
    done = runs.completed
    seeds = done["seed"].tolist()
    scores = done["score"].astype(float).tolist()
    hp_values = {n: done[runs.hp_column(n)].tolist() for n in runs.hp_names}

    comparisons = []
    for knob in knobs:
        values = [str(v) for v in hp_values[knob]]
        others = [n for n in runs.hp_names if n != knob]
        keys = _keys(seeds, hp_values, others)
        options = [_mean_ci(opt, [s for s, v in zip(scores, values) if v == opt])
                   for opt in OPTIONS if opt in values]
        paired = paired_difference("max", "avg", keys, values, scores, runs.mode)
        comparisons.append(KnobComparison(knob, options, paired))

    patterns = [_pattern([str(hp_values[n][i]) for n in all_pooling]) for i in range(len(scores))]
    non_pooling = [n for n in runs.hp_names if n not in all_pooling]
    keys = _keys(seeds, hp_values, non_pooling)
    pattern_stats = [_mean_ci(p, [s for s, q in zip(scores, patterns) if q == p]) for p in PATTERNS
                     if p in patterns]
    pattern_pairs = [paired_difference(a, b, keys, patterns, scores, runs.mode)
                     for a, b in (("all max", "all avg"), ("mixed", "all max"), ("mixed", "all avg"))
                     if a in patterns and b in patterns]
    note = ""
    if done.empty:
        note = "No run has completed yet."
    return PoolingComparisonInfo(runs.objective, runs.mode, True, note, comparisons, pattern_stats, pattern_pairs)


def _keys(seeds: list[int], hp_values: dict[str, list[Any]], names: list[str]) -> list[tuple]:
    """Pairing key per run: its seed and every hyperparameter except the compared ones."""
    columns = [hp_values[n] for n in sorted(names) if not n.startswith("tuner/trial_id")]
    return [(seed, *row) for seed, row in zip(seeds, zip(*columns))] if columns else [(s,) for s in seeds]


def _pattern(values: Iterable[str]) -> str:
    used = {v for v in values if v in ("max", "avg")}
    if used == {"max"}:
        return "all max"
    if used == {"avg"}:
        return "all avg"
    if used == {"max", "avg"}:
        return "mixed"
    return "no pooling"


def paired_difference(first: str, second: str, keys: list[tuple], groups: list[str], scores: list[float],
                      mode: str = "max") -> PairedDifference:
    """Mean difference `first − second` over runs with equal keys, with a t interval.

    Runs are matched on `keys` (seed plus every other hyperparameter). Should
    a key hold several runs of one side (a tuner that repeated a
    configuration), they are averaged first so a repeat does not count as
    extra evidence. One pass over the runs: O(n).
    """
    sides: dict[tuple, dict[str, list[float]]] = defaultdict(lambda: {first: [], second: []})
    for key, group, score in zip(keys, groups, scores):
        if group in (first, second) and math.isfinite(score):
            sides[key][group].append(score)
    diffs = [float(np.mean(s[first]) - np.mean(s[second])) for s in sides.values() if s[first] and s[second]]
    n = len(diffs)
    mean = float(np.mean(diffs)) if diffs else None
    low, high = t_interval(diffs)
    verdict = _verdict(first, second, n, mean, low, high, mode)
    detail = _detail(first, second, n, mean, low, high, verdict)
    sentence = detail if verdict == "too few pairs" else f"{verdict}: {detail}"
    return PairedDifference(first, second, n, mean, low, high, verdict, sentence, detail, diffs)


def t_interval(values: list[float], confidence: float = CONFIDENCE) -> tuple[float | None, float | None]:
    """Student t confidence interval for the mean; (None, None) with fewer than 2 values."""
    n = len(values)
    if n < 2:
        return None, None
    mean = float(np.mean(values))
    sem = float(np.std(values, ddof=1)) / math.sqrt(n)
    if sem == 0.0:
        return mean, mean
    low, high = stats.t.interval(confidence, df=n - 1, loc=mean, scale=sem)
    return float(low), float(high)


def _mean_ci(label: str, scores: list[float]) -> MeanCI:
    n = len(scores)
    if n == 0:
        return MeanCI(label, 0, None, None, None, None)
    low, high = t_interval(scores)
    std = float(np.std(scores, ddof=1)) if n > 1 else None
    return MeanCI(label, n, float(np.mean(scores)), std, low, high)


def _verdict(first: str, second: str, n: int, mean: float | None, low: float | None, high: float | None,
             mode: str) -> str:
    if n < MIN_PAIRS or mean is None or low is None or high is None:
        return "too few pairs"
    if low <= 0.0 <= high:
        return "within noise"
    first_higher = low > 0
    first_better = first_higher if mode == "max" else not first_higher
    return f"{first if first_better else second} better"


def _detail(first: str, second: str, n: int, mean: float | None, low: float | None, high: float | None,
            verdict: str) -> str:
    if n == 0:
        return (f"No pairs: the sweep never ran {first} and {second} with the same other "
                f"hyperparameters and seed, so they cannot be compared fairly.")
    ci = f"95% CI {low:+.4f} to {high:+.4f}, " if low is not None and high is not None else ""
    body = f"{first} − {second} = {mean:+.4f} ({ci}{n} pair{'s' if n != 1 else ''})"
    if verdict == "too few pairs":
        return f"{body}; too few pairs (fewer than {MIN_PAIRS}) to tell a difference from seed noise."
    if verdict == "within noise":
        return f"{body}; the confidence interval includes 0."
    return f"{body}; the confidence interval excludes 0."
