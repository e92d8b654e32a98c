"""Max versus average pooling, with confidence intervals and paired comparisons.

The articles argue about max against average pooling; a sweep answers it
only if the difference is larger than what changing the seed does. Comparing
the mean of all max runs with the mean of all avg runs mixes in every other
hyperparameter, so the main number here is *paired*: two runs that share
every other hyperparameter and the seed, differing only in the pooling knob.

The seed is the unit, as in the claims (`claims.stats`): runs of one seed
share their initial weights and data order, so the pairs of one seed are
averaged into one difference first, and the t interval is over seeds (df =
seeds - 1). The answer is "<first> better" when the interval lies on one
side of zero (and not wholly within the margin), "no meaningful difference"
only when the whole interval lies within +-MARGIN (an equivalence test), and
"undecided" otherwise. When most runs got every validation image right, or
the margin is under two validation images, it says the data cannot measure
it, not that there is no difference.

Pooling hyperparameters are named `pooling_1`, `pooling_2`, ... with values
"max", "avg" or "none" (None: a block this run's model does not have). A
run is "all max" when every pooling layer it has is max, "all avg" likewise,
and "mixed" when it has both.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
from scipy import stats

from claims.stats import CONTRADICTED, NO_DIFFERENCE, SUPPORTED, decide, p_values
from claims.stats import t_interval as seed_interval
from reports.runs import SweepRuns

POOLING_NAME = re.compile(r"^pooling_\d+$")
CONFIDENCE = 0.95
MIN_SEEDS = 3  # below this a t interval over seeds is too wide to say anything
MARGIN = 0.02  # accuracy points: the claims' margin for accuracy (see claims.catalogue.ACCURACY_WHY)
NOT_MEASURABLE = "not measurable on this data"
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
    """Mean of per-seed differences `first − second` with its t interval over seeds, and a verdict."""

    first: str
    second: str
    n_pairs: int  # seed x setting pairs
    mean_diff: float | None
    ci_low: float | None
    ci_high: float | None
    verdict: str  # "too few seeds", "undecided", "no meaningful difference", NOT_MEASURABLE, "<first> better", ...
    sentence: str  # the whole finding in words, verdict included
    detail: str = ""  # the numbers and the reason, without the verdict (for a line that shows it apart)
    differences: list[float] = field(default_factory=list)  # one per seed
    n_seeds: int = 0

    @property
    def label(self) -> str:
        return f"{self.first} − {self.second}"

    @property
    def undecided(self) -> bool:
        """No definite answer: undecided, no meaningful difference, or not measurable."""
        return self.verdict in ("undecided", NO_DIFFERENCE, NOT_MEASURABLE)

    @property
    def too_few(self) -> bool:
        return self.verdict == "too few seeds"


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
    # A pooling knob of a block only deeper models have is None in the others:
    # that varies the depth, not the pooling, so it is no comparison here.
    knobs = [n for n in runs.tuned if POOLING_NAME.match(n) and len(_set_values(runs, n)) > 1]
    if not knobs:
        return PoolingComparisonInfo(runs.objective, runs.mode, False,
                                     "The sweep did not vary pooling, so there is no max vs average comparison.")
    all_pooling = [n for n in runs.hp_names if POOLING_NAME.match(n)]
    done = runs.completed
    seeds = done["seed"].tolist()
    scores = done["score"].astype(float).tolist()
    hp_values = {n: done[runs.hp_column(n)].tolist() for n in runs.hp_names}

    margin = MARGIN if "accuracy" in runs.objective else None
    cannot = measurability(runs, scores)
    comparisons = []
    for knob in knobs:
        values = [str(v) for v in hp_values[knob]]
        others = [n for n in runs.hp_names if n != knob]
        keys = _keys(seeds, hp_values, others)
        options = [_mean_ci(opt, [s for s, v in zip(scores, values) if v == opt])
                   for opt in OPTIONS if opt in values]
        paired = paired_difference("max", "avg", keys, values, scores, runs.mode, margin, cannot)
        comparisons.append(KnobComparison(knob, options, paired))

    patterns = [_pattern([str(hp_values[n][i]) for n in all_pooling]) for i in range(len(scores))]
    non_pooling = [n for n in runs.hp_names if n not in all_pooling]
    keys = _keys(seeds, hp_values, non_pooling)
    pattern_stats = [_mean_ci(p, [s for s, q in zip(scores, patterns) if q == p]) for p in PATTERNS
                     if p in patterns]
    pattern_pairs = [paired_difference(a, b, keys, patterns, scores, runs.mode, margin, cannot)
                     for a, b in (("all max", "all avg"), ("mixed", "all max"), ("mixed", "all avg"))
                     if a in patterns and b in patterns]
    note = ""
    if done.empty:
        note = "No run has completed yet."
    return PoolingComparisonInfo(runs.objective, runs.mode, True, note, comparisons, pattern_stats, pattern_pairs)


def _set_values(runs: SweepRuns, name: str) -> set[str]:
    """The values a knob took in the runs, leaving out None (a block the run's model does not have)."""
    column = runs.frame[runs.hp_column(name)] if runs.hp_column(name) in runs.frame else []
    return {str(v) for v in column if v is not None and not (isinstance(v, float) and math.isnan(v))}


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
                      mode: str = "max", margin: float | None = MARGIN, cannot_measure: str = "") -> PairedDifference:
    """Mean difference `first − second` over seeds, from runs with equal keys, with a t interval over seeds.

    Runs are matched on `keys` (the seed first, then every other
    hyperparameter). Should a key hold several runs of one side (a tuner
    that repeated a configuration), they are averaged first so a repeat
    does not count as extra evidence; the pairs of one seed are then
    averaged into one difference. `margin` None: no equivalence answer (an
    objective that is not an accuracy). `cannot_measure`: why the data
    cannot show the margin ("" when it can). One pass over the runs: O(n).
    """
    sides: dict[tuple, dict[str, list[float]]] = defaultdict(lambda: {first: [], second: []})
    for key, group, score in zip(keys, groups, scores):
        if group in (first, second) and math.isfinite(score):
            sides[key][group].append(score)
    by_seed: dict[Any, list[float]] = defaultdict(list)
    for key, s in sides.items():
        if s[first] and s[second]:
            by_seed[key[0]].append(float(np.mean(s[first]) - np.mean(s[second])))
    n_pairs = sum(len(d) for d in by_seed.values())
    diffs = [float(np.mean(d)) for _, d in sorted(by_seed.items(), key=lambda kv: str(kv[0]))]
    n = len(diffs)
    mean = float(np.mean(diffs)) if diffs else None
    low, high = t_interval(diffs)
    verdict = _verdict(first, second, diffs, mode, margin, cannot_measure)
    detail = _detail(first, second, n, n_pairs, mean, low, high, verdict, margin, cannot_measure)
    sentence = detail if verdict in ("too few seeds", NOT_MEASURABLE) else f"{verdict}: {detail}"
    return PairedDifference(first, second, n_pairs, mean, low, high, verdict, sentence, detail, diffs, n)


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


def _verdict(first: str, second: str, diffs: list[float], mode: str, margin: float | None,
             cannot_measure: str) -> str:
    if len(diffs) < MIN_SEEDS:
        return "too few seeds"
    if cannot_measure:
        return NOT_MEASURABLE
    answer = decide(p_values(seed_interval(diffs), +1, margin or 0.0), 1 - CONFIDENCE)
    if answer == NO_DIFFERENCE:
        return NO_DIFFERENCE
    if answer not in (SUPPORTED, CONTRADICTED):
        return "undecided"
    first_higher = answer == SUPPORTED
    first_better = first_higher if mode == "max" else not first_higher
    return f"{first if first_better else second} better"


def _detail(first: str, second: str, n: int, n_pairs: int, mean: float | None, low: float | None,
            high: float | None, verdict: str, margin: float | None, cannot_measure: str) -> str:
    if n == 0:
        return (f"No pairs: the sweep never ran {first} and {second} with the same other "
                f"hyperparameters and seed, so they cannot be compared fairly.")
    ci = f"95% CI {low:+.4f} to {high:+.4f}, " if low is not None and high is not None else ""
    body = (f"{first} − {second} = {mean:+.4f} ({ci}{n} seed{'s' if n != 1 else ''}, "
            f"{n_pairs} pair{'s' if n_pairs != 1 else ''})")
    band = f"±{margin:g}" if margin else ""
    if verdict == "too few seeds":
        return f"{body}; too few seeds (fewer than {MIN_SEEDS}) to tell a difference from seed noise."
    if verdict == NOT_MEASURABLE:
        return f"{body}; not measurable on this data: {cannot_measure}."
    if verdict == NO_DIFFERENCE:
        return f"{body}; the whole interval lies within {band}, the smallest difference that matters."
    if verdict == "undecided":
        return (f"{body}; the interval includes 0" + (f" and reaches beyond {band}" if band else "")
                + ": more seeds are needed to decide.")
    return f"{body}; the confidence interval excludes 0."


def measurability(runs: SweepRuns, scores: list[float]) -> str:
    """Why this sweep's data cannot show a MARGIN difference in accuracy ("" when it can)."""
    if "accuracy" not in runs.objective:
        return ""
    n_val = int((runs.meta.get("data") or {}).get("n_val") or 0)
    if n_val and MARGIN < 2 / n_val:
        return (f"{MARGIN * 100:g} accuracy points is less than 2 of the {n_val} validation images "
                f"(one image is {100 / n_val:.2g} points)")
    finite = [s for s in scores if math.isfinite(s)]
    top = [s for s in finite if s >= (1 - 0.5 / n_val if n_val else 1.0)]
    if finite and len(top) > len(finite) / 2:
        return f"{len(top)} of {len(finite)} runs got every validation image right, so there is no room to differ"
    return ""
