"""Max versus average pooling: how the score moves with the pooling choice.

This section describes; it decides nothing of its own. Whether max pooling
beats average pooling is two of the articles' claims (`pooling-texture`:
all max against all average; `mixed-pooling`: article 004's average-then-max
against all average). A claim is judged once per report, in the Claims
section, under the error control that covers every claim of the sweep
(`claims.verdicts`). This section quotes those verdicts beside the contrasts
they decide, and names its whole-network patterns with the claims' own
definitions (`claims.contrasts.PoolingType`), so the two sections cannot
disagree. When the sweep did not request a pooling claim, the claim's
measurement is still shown, as an estimate that nothing judged.

Per knob (`pooling_1`, `pooling_2`, ...) the number is *paired*: two runs that
share the seed and every other hyperparameter, differing only in that knob.
The seed is the unit, as in the claims: runs of one seed share their initial
weights and data order, so the pairs of one seed are averaged into one
difference first, and the 95% t interval is over seeds
(`claims.stats.t_interval`, whose coverage `python -m benchmarks
calibration` measures). These are estimates, not verdicts: a test per knob,
each at 5%, would crown a winner by chance in one sweep out of a few.

Pooling hyperparameters are named `pooling_1`, `pooling_2`, ... with values
"max", "avg" or "none" (None: a block this run's model does not have).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from claims.catalogue import CLAIMS, Claim, Part
from claims.contrasts import BASELINE, TREATMENT, PoolingType
from claims.stats import DEFINITIVE, NOT_REQUESTED, NOT_TESTED, t_interval
from claims.verdicts import ClaimRow, measure_part, usable
from reports.runs import SweepRuns

POOLING_NAME = re.compile(r"^pooling_\d+$")
MIN_SEEDS = 3  # below this a t interval over seeds is too wide to say anything (claims.stats.DEFAULT_MIN_SEEDS)
OPTIONS = ("max", "avg", "none")
# Whole-network patterns, by the claims' definitions, in the order shown.
ALL_MAX, ALL_AVG, AVG_THEN_MAX, OTHER_MIX, NO_POOLING = "all max", "all avg", "avg then max", "other mix", "no pooling"
PATTERNS = (ALL_MAX, ALL_AVG, AVG_THEN_MAX, OTHER_MIX, NO_POOLING)
TREATMENT_PATTERN = {"max": ALL_MAX, "mixed": AVG_THEN_MAX}  # PoolingType.treatment -> its pattern


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
    """Mean of per-seed differences `first − second` with its t interval over seeds: an estimate."""

    first: str
    second: str
    n_pairs: int  # seed x setting pairs
    mean_diff: float | None
    ci_low: float | None
    ci_high: float | None
    sentence: str  # the numbers in words
    differences: list[float] = field(default_factory=list)  # one per seed
    n_seeds: int = 0

    @property
    def label(self) -> str:
        return f"{self.first} − {self.second}"

    @property
    def too_few(self) -> bool:
        return self.n_seeds < MIN_SEEDS


@dataclass
class KnobComparison:
    name: str  # e.g. pooling_1
    options: list[MeanCI]  # unpaired mean per value (max, avg, none where present)
    paired: PairedDifference  # max − avg on runs equal in everything else


@dataclass
class ClaimedContrast:
    """A pooling claim's contrast, with the Claims section's verdict on it (or "not requested")."""

    claim: str  # the claim's id
    label: str  # e.g. "all max − all avg"
    metric: str
    verdict: str  # the claim's verdict to act on (adjusted), NOT_REQUESTED or NOT_TESTED
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    seeds: int
    sentence: str

    @property
    def judged(self) -> bool:
        return self.verdict not in (NOT_REQUESTED, NOT_TESTED)

    @property
    def definitive(self) -> bool:
        return self.verdict in DEFINITIVE


@dataclass
class PoolingComparisonInfo:
    objective: str
    mode: str
    varied: bool  # False: the sweep did not vary pooling and the section is omitted
    note: str
    knobs: list[KnobComparison] = field(default_factory=list)
    patterns: list[MeanCI] = field(default_factory=list)
    claimed: list[ClaimedContrast] = field(default_factory=list)


def pooling_info(runs: SweepRuns, claim_rows: list[ClaimRow]) -> PoolingComparisonInfo:
    """Compare pooling choices knob by knob, and quote the claims' verdicts on the whole-network contrasts.

    `claim_rows` are the report's verdicts (`claims.verdicts.evaluate`,
    computed once by `reports.html.write_report`).
    """
    # A pooling knob of a block only deeper models have is None in the others:
    # that varies the depth, not the pooling, so it is no comparison here.
    knobs = [n for n in runs.tuned if POOLING_NAME.match(n) and len(_set_values(runs, n)) > 1]
    if not knobs:
        return PoolingComparisonInfo(runs.objective, runs.mode, False,
                                     "The sweep did not vary pooling, so there is no max vs average comparison.")
    done = runs.completed
    seeds = list(zip(done["seed"], done["fold"]))  # with folds a pair shares the seed and the fold
    scores = done["score"].astype(float).tolist()
    hp_values = {n: done[runs.hp_column(n)].tolist() for n in runs.hp_names}
    comparisons = []
    for knob in knobs:
        values = [str(v) for v in hp_values[knob]]
        keys = _keys(seeds, hp_values, [n for n in runs.hp_names if n != knob])
        options = [_mean_ci(opt, [s for s, v in zip(scores, values) if v == opt]) for opt in OPTIONS if opt in values]
        comparisons.append(KnobComparison(knob, options, paired_difference("max", "avg", keys, values, scores)))

    completed = [r for r in runs.records if r.status == "completed" and r.score is not None]
    patterns = [pattern(r.hyperparameters) for r in completed]
    pattern_stats = [_mean_ci(p, [float(r.score) for r, q in zip(completed, patterns) if q == p])
                     for p in PATTERNS if p in patterns]
    note = "No run has completed yet." if done.empty else ""
    return PoolingComparisonInfo(runs.objective, runs.mode, True, note, comparisons, pattern_stats,
                                 claimed_contrasts(runs, claim_rows))


def pattern(hps: dict[str, Any]) -> str:
    """A run's whole-network pooling pattern, by the claims' sides (claims.contrasts.PoolingType)."""
    for treatment, label in TREATMENT_PATTERN.items():
        side = PoolingType(treatment).side(hps, None)
        if side == TREATMENT:
            return label
        if side == BASELINE:
            return ALL_AVG
    used = {v for k, v in hps.items() if POOLING_NAME.match(k) and v not in ("none", None)}
    return OTHER_MIX if used else NO_POOLING


def pooling_claims() -> list[tuple[Claim, Part]]:
    """The catalogue's claims about the pooling type, each with its pooling part."""
    return [(c, p) for c in CLAIMS for p in c.parts if isinstance(p.contrast, PoolingType)]


def claimed_contrasts(runs: SweepRuns, claim_rows: list[ClaimRow]) -> list[ClaimedContrast]:
    """Each pooling claim's contrast: its row from the claims when judged, else its measurement, unjudged."""
    rows = {r.claim: r for r in claim_rows}
    out = []
    for claim, part in pooling_claims():
        label = f"{TREATMENT_PATTERN[part.contrast.treatment]} − {ALL_AVG}"
        row = rows.get(claim.id)
        if row is not None and row.final not in (NOT_REQUESTED, "") and row.effect is not None:
            out.append(ClaimedContrast(claim.id, label, row.metric, row.final, row.effect, row.ci_low, row.ci_high,
                                       row.seeds or len(row.differences),
                                       "decided in the Claims section, together with the sweep's other claims"))
            continue
        measured = measure_part(claim, part, usable(runs.records), runs.manifest)
        i = measured.interval or (t_interval(list(measured.per_seed.values())) if measured.per_seed else None)
        if i is None or i.n == 0:
            continue  # the sweep never ran both sides with the same other settings
        verdict = NOT_REQUESTED if row is None or row.final in (NOT_REQUESTED, "") else NOT_TESTED
        why = (f'add "{claim.id}" to the sweep file\'s claims= to test it with the claims\' error control'
               if verdict == NOT_REQUESTED else row.note)
        out.append(ClaimedContrast(claim.id, label, part.metric, verdict, i.mean, _finite(i.low), _finite(i.high),
                                   i.n, why))
    return out


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _set_values(runs: SweepRuns, name: str) -> set[str]:
    """The values a knob took in the runs, leaving out None (a block the run's model does not have)."""
    column = runs.frame[runs.hp_column(name)] if runs.hp_column(name) in runs.frame else []
    return {str(v) for v in column if v is not None and not (isinstance(v, float) and math.isnan(v))}


def _keys(seeds: list[tuple[int, int]], hp_values: dict[str, list[Any]], names: list[str]) -> list[tuple]:
    """Pairing key per run: its (seed, fold), then every hyperparameter except the compared ones."""
    columns = [hp_values[n] for n in sorted(names) if not n.startswith("tuner/trial_id")]
    return [(*seed, *row) for seed, row in zip(seeds, zip(*columns))] if columns else [tuple(s) for s in seeds]


def paired_difference(first: str, second: str, keys: list[tuple], groups: list[str],
                      scores: list[float]) -> PairedDifference:
    """Mean difference `first − second` over seeds, from runs with equal keys, with a t interval over seeds.

    Runs are matched on `keys` (the seed first, then every other
    hyperparameter). Should a key hold several runs of one side (a tuner
    that repeated a configuration), they are averaged first so a repeat
    does not count as extra evidence; the pairs of one seed are then
    averaged into one difference. One pass over the runs: O(n).
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
    i = t_interval(diffs)
    mean = i.mean if n else None
    low, high = (_finite(i.low), _finite(i.high)) if n >= 2 else (None, None)
    return PairedDifference(first, second, n_pairs, mean, low, high,
                            _sentence(first, second, n, n_pairs, mean, low, high), diffs, n)


def _mean_ci(label: str, scores: list[float]) -> MeanCI:
    n = len(scores)
    if n == 0:
        return MeanCI(label, 0, None, None, None, None)
    i = t_interval(scores)
    low, high = (_finite(i.low), _finite(i.high)) if n >= 2 else (None, None)
    return MeanCI(label, n, i.mean, i.sd if n > 1 else None, low, high)


def _sentence(first: str, second: str, n: int, n_pairs: int, mean: float | None, low: float | None,
              high: float | None) -> str:
    if n == 0:
        return (f"No pairs: the sweep never ran {first} and {second} with the same other "
                f"hyperparameters and seed, so they cannot be compared fairly.")
    ci = f"95% CI {low:+.4f} to {high:+.4f}, " if low is not None and high is not None else ""
    body = (f"{first} − {second} = {mean:+.4f} ({ci}{n} seed{'s' if n != 1 else ''}, "
            f"{n_pairs} pair{'s' if n_pairs != 1 else ''})")
    if n < MIN_SEEDS:
        return f"{body}; too few seeds (fewer than {MIN_SEEDS}) to tell a difference from seed noise."
    return f"{body}."
