"""Tuning curves: the best score to expect after n configurations, with a confidence band.

A sweep's configurations are its sample: each scores the mean of its
completed seeds, so a configuration counts once, however many seeds it ran.
The tuning curve at n is the median of the best of n configurations drawn
at random from that sample's distribution; the band is opda's exact,
simultaneous and distribution-free confidence band (Lourie et al., "Show
your work with confidence: confidence bands for tuning curves"), so with
95% confidence the true curve lies inside the band at every n at once. For
a grid sweep the curve treats its configurations as random draws from the
grid: it says what n random picks from that grid would reach, not what the
grid's own order did.

Curves are drawn for the whole sweep and for each side of the pooling
contrasts the sweep's claims compare (all max vs all average, say), which
answers "if I tried n settings of each, how good would the best be?".
`tuning_info` is the typed record the tests assert on; `reports.plots.tuning_png`
draws it.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from claims.catalogue import BY_ID
from claims.contrasts import BASELINE, TREATMENT, pairing
from claims.stats import NOT_REQUESTED, NOT_TESTED
from claims.verdicts import ClaimRow
from reports.runs import SweepRuns

CONFIDENCE = 0.95
MIN_CONFIGS = 3  # below this a band spans the whole range and says nothing
EXACT_UP_TO = 40  # opda's "ld_equal_tailed" band up to here (0.1-0.5 s); the DKW band (instant, wider) past it
BAND_SEED = 0  # the ld bands are computed by simulation: a fixed generator keeps a report the same on every rebuild


@dataclass(frozen=True)
class TuningCurve:
    label: str
    configs: int  # the sample: configurations with a completed seed
    ns: list[int]
    point: list[float]
    low: list[float]  # the band's lower edge (may be the score's floor at small n)
    high: list[float]
    method: str  # opda's band method


@dataclass
class TuningInfo:
    objective: str
    minimize: bool
    confidence: float = CONFIDENCE
    curves: list[TuningCurve] = field(default_factory=list)
    grid: bool = False  # the sweep walked a grid: say what its curve means


def _bounds(objective: str) -> tuple[float, float]:
    """The score's support: accuracies lie in [0, 1]; a loss is at least 0. Finite bounds keep a band finite."""
    if "accuracy" in objective:
        return 0.0, 1.0
    if "loss" in objective:
        return 0.0, math.inf
    return -math.inf, math.inf


def tuning_curve(label: str, scores: list[float], objective: str, minimize: bool) -> TuningCurve | None:
    """The median tuning curve of `scores` (one per configuration) with its simultaneous band."""
    from opda.nonparametric import EmpiricalDistribution

    ys = np.asarray([s for s in scores if s is not None and math.isfinite(s)], dtype=float)
    if len(ys) < MIN_CONFIGS:
        return None
    a, b = _bounds(objective)
    ys = np.clip(ys, a, b)
    method = "ld_equal_tailed" if len(ys) <= EXACT_UP_TO else "dkw"
    with warnings.catch_warnings():
        # opda warns that tied scores (accuracies on a small validation set are discrete) make its
        # coverage inexact; a band for a discrete distribution errs on the wide side, and
        # benchmarks/tuning_coverage.py measures it on tied scores too.
        warnings.filterwarnings("ignore", message="Duplicates detected")
        lower_cdf, point_cdf, upper_cdf = EmpiricalDistribution.confidence_bands(
            ys, CONFIDENCE, a=a, b=b, method=method, generator=np.random.default_rng(BAND_SEED), n_jobs=1)
    ns = np.arange(1, len(ys) + 1)
    point = point_cdf.quantile_tuning_curve(ns, minimize=minimize)
    # A CDF band's upper edge puts more mass on low scores, so its curve is the lower edge when
    # maximising, and the upper edge when minimising.
    first = upper_cdf.quantile_tuning_curve(ns, minimize=minimize)
    second = lower_cdf.quantile_tuning_curve(ns, minimize=minimize)
    low, high = np.minimum(first, second), np.maximum(first, second)
    return TuningCurve(label, len(ys), [int(n) for n in ns], [float(v) for v in point], [float(v) for v in low],
                       [float(v) for v in high], method)


def _config_scores(runs: SweepRuns) -> list[tuple[dict, float]]:
    """Each configuration's hyperparameters and mean score over its completed seeds (and folds). A
    configuration is its hyperparameter values, so seeds filed under separate trials still count once."""
    by_config: dict[tuple, tuple[dict, list[float]]] = {}
    for r in runs.records:
        if r.status != "completed" or r.score is None or not math.isfinite(r.score):
            continue
        key = tuple(sorted((k, repr(v)) for k, v in r.hyperparameters.items()))
        by_config.setdefault(key, (r.hyperparameters, []))[1].append(float(r.score))
    return [(hps, sum(scores) / len(scores)) for hps, scores in by_config.values()]


def _side_names(label: str) -> tuple[str, str]:
    """("all-max", "all-average pooling") from "all-max beats all-average pooling"."""
    if " beats " in label:
        treatment, baseline = label.split(" beats ", 1)
        return treatment, baseline
    return f"{label}: treatment", f"{label}: baseline"


def tuning_info(runs: SweepRuns, verdicts: list[ClaimRow] | None = None) -> TuningInfo:
    """The whole sweep's curve, and each side's of the pooling contrasts its requested claims test."""
    minimize = runs.mode == "min"
    configs = _config_scores(runs)
    info = TuningInfo(runs.objective, minimize, grid=runs.manifest.tuner == "grid")
    whole = tuning_curve("every configuration", [s for _, s in configs], runs.objective, minimize)
    if whole is None:
        return info
    info.curves.append(whole)
    tested = {v.claim for v in verdicts or [] if v.final not in (NOT_TESTED, NOT_REQUESTED)}
    present = [hps for hps, _ in configs]
    for claim_id in [c for c in BY_ID if c in tested]:
        for part in BY_ID[claim_id].parts:
            if part.contrast is None or "pooling" not in part.label:
                continue
            pair = pairing(part.contrast, present)
            sides = {TREATMENT: [], BASELINE: []}
            for hps, score in configs:
                side = pair.side(hps)
                if side is not None:
                    sides[side].append(score)
            names = _side_names(part.label)
            curves = [tuning_curve(f"{name} ({claim_id})", sides[side], runs.objective, minimize)
                      for name, side in zip(names, (TREATMENT, BASELINE))]
            if all(c is not None for c in curves):
                info.curves.extend(curves)
    return info
