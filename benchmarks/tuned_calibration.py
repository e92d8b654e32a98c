"""Calibration of the tuned comparison (`claims.tuned`) on synthetic sweeps where it and the averaged one differ.

Part of `python -m benchmarks calibration`. The sweeps vary the pooling
type (all-average vs all-max, the pooling-texture claim) and one nuisance
knob, the learning rate, and are judged by the real claims code
(`claims.verdicts.evaluate`). Two worlds:

- *max wins only at its own best learning rate*: all-average scores 0.70 at
  each of 3 rates; all-max 0.66, 0.70 + delta and 0.66. Averaged over the
  rates max loses ((delta - 0.08) / 3); at each side's best it wins by
  delta. delta = 0 (the tuned answer's truth is zero: a "supported" or
  "contradicted" is false) and delta = twice the margin (its power).
- *one side has more configurations*: all-max at 6 rates, all-average at 2,
  every one scoring 0.70. The truth is zero, averaged and tuned; the best of
  six noisy means beats the best of two by chance (the winner's curse).

The baseline is the naive tuned comparison: each side's best configuration
chosen on every seed and the difference measured on the same seeds (with
the plain t interval). Its bias (the winner's curse) and error rate are the
reason for cross-fitting; bias is in accuracy points, estimate minus truth. Runs share seed effects as in
`benchmarks.calibration` (sd of a paired difference 0.03, within-seed
correlation 0.4; 0 in the second world, where all the noise is the
configurations' own); designs: fixed 5 and 10 seeds, and Seeds(3, 20) stopping
as the engine does (when the averaged verdicts are decided).
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, field

import numpy as np

from benchmarks.common import Measurement, text_table

CLAIM = "pooling-texture"
MARGIN = 0.02
SD = 0.03
N_VAL = 2000
BASE = 0.70
LOW = 0.66  # max pooling away from its best rate


@dataclass(frozen=True)
class TunedWorld:
    name: str
    treatment: tuple[float, ...]  # all-max's true score at each of its learning rates
    baseline: tuple[float, ...]  # all-average's
    rho: float = 0.4  # within-seed correlation of the paired differences

    @property
    def tuned_truth(self) -> float:
        return max(self.treatment) - max(self.baseline)

    @property
    def averaged_truth(self) -> float:
        return float(np.mean(self.treatment) - np.mean(self.baseline))


def worlds() -> list[tuple[TunedWorld, str]]:
    """Each world with the label of its tuned truth in margins ("zero" or "twice the margin")."""
    return [
        (TunedWorld("max wins only at its own best learning rate", (LOW, BASE, LOW), (BASE,) * 3), "zero"),
        (TunedWorld("max wins only at its own best learning rate", (LOW, BASE + 2 * MARGIN, LOW), (BASE,) * 3),
         "twice the margin"),
        # No seed slope: every configuration's noise is its own, the case where picking the best of six
        # noisy means on the seeds that measure it inflates most.
        (TunedWorld("one side has more configurations", (BASE,) * 6, (BASE,) * 2, rho=0.0), "zero"),
    ]


RATES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2)


def draw(world: TunedWorld, seeds: int, rng: np.random.Generator):
    """Run records of one sweep: a seed effect shared by all its runs, a seed slope on the max side, run noise."""
    from rundir.records import RunRecord

    sd_slope, sd_run = math.sqrt(world.rho) * SD, math.sqrt((1 - world.rho) / 2) * SD
    configs = [("max", RATES[i], m) for i, m in enumerate(world.treatment)] + \
              [("avg", RATES[i], m) for i, m in enumerate(world.baseline)]
    settings = [{"pooling_1": kind, "pooling_2": kind, "learning_rate": lr, "batch_size": 32} for kind, lr, _ in configs]
    records = []
    for seed in range(seeds):
        shared, slope = rng.normal(0, 0.03), rng.normal(0, sd_slope)
        for trial, (kind, _, mean) in enumerate(configs):
            score = mean + shared + (slope if kind == "max" else 0.0) + rng.normal(0, sd_run)
            records.append(RunRecord(f"{trial:04d}", seed, "completed", settings[trial], score=score,
                                     best_val_accuracy=score, final_val_accuracy=score, epochs_run=1))
    return records


def meta(looks: tuple[int, ...]):
    """The manifest of a simulated sweep of the one claim, judged at `looks`."""
    from rundir.manifest import DataInfo, Manifest, SeedPlan

    return Manifest(claims=(CLAIM,), seeds=SeedPlan(looks[0], looks[-1], tuple(looks), len(looks) > 1),
                    data=DataInfo(n_val=N_VAL, n_train=4 * N_VAL,
                                  class_counts={c: {"train": N_VAL, "val": N_VAL // 4} for c in "abcd"}))


def naive(records) -> tuple[str, float, float, float]:
    """Each side's best on every seed, measured on the same seeds: (verdict at 0.05, ci_low, ci_high, mean)."""
    from claims.catalogue import BY_ID
    from claims.stats import ALPHA, decide, p_values, t_interval
    from claims.tuned import best, side_table
    from claims.contrasts import BASELINE, TREATMENT
    from rundir.manifest import Manifest

    part = BY_ID[CLAIM].parts[0]
    table, _ = side_table(part, records, Manifest())
    seeds = sorted({r.seed for r in records})
    t, b = best(table[TREATMENT], seeds), best(table[BASELINE], seeds)
    i = t_interval([table[TREATMENT][t][s][1] - table[BASELINE][b][s][1] for s in seeds])
    return decide(p_values(i, part.sign, part.margin), ALPHA), i.low, i.high, i.mean


def judged(records, looks: tuple[int, ...]):
    """The claim's row when the sweep stops: after the last look, or (several looks) once nothing is undecided."""
    from claims.verdicts import evaluate, undecided

    for n in looks:
        upto = [r for r in records if r.seed < n]
        rows = [r for r in evaluate(upto, meta(looks)) if r.claim == CLAIM]
        if n == looks[-1] or not undecided(rows):
            return rows[0], n


@dataclass
class TunedTally:
    sweeps: int = 0
    false: int = 0
    covered: int = 0
    supported: int = 0
    naive_false: int = 0
    naive_covered: int = 0
    naive_supported: int = 0
    seeds: int = 0
    error: float = 0.0  # sum of (estimate - truth): the bias, once divided by the sweeps
    naive_error: float = 0.0
    averaged: dict[str, int] = field(default_factory=dict)

    def add(self, row, naive_outcome, truth_label: str, truth: float, seeds: int) -> None:
        from benchmarks.false_answers import EFFECTS, size_false
        from claims.stats import CONTRADICTED, SUPPORTED

        # False: any definitive difference when the truth is zero; "contradicted" when max truly wins; and a
        # size the truth does not have ("at least the margin" at zero, "smaller than the margin" at twice it).
        wrong = (SUPPORTED, CONTRADICTED) if truth_label == "zero" else (CONTRADICTED,)
        self.sweeps += 1
        self.seeds += seeds
        self.false += row.tuned_verdict in wrong or size_false(row.tuned_size, EFFECTS[truth_label])
        self.supported += row.tuned_verdict == SUPPORTED
        low = -math.inf if row.tuned_ci_low is None else row.tuned_ci_low
        high = math.inf if row.tuned_ci_high is None else row.tuned_ci_high
        self.covered += low <= truth <= high
        self.error += (row.tuned_effect if row.tuned_effect is not None else math.nan) - truth
        verdict, n_low, n_high, n_mean = naive_outcome
        self.naive_error += n_mean - truth
        self.naive_false += verdict in wrong
        self.naive_supported += verdict == SUPPORTED
        self.naive_covered += n_low <= truth <= n_high
        self.averaged[row.final] = self.averaged.get(row.final, 0) + 1


DESIGNS = {"5 seeds": (5,), "10 seeds": (10,)}


def simulate(world: TunedWorld, truth_label: str, sweeps: int, auto_sweeps: int,
             rng: np.random.Generator) -> dict[str, TunedTally]:
    from search.sweep.seeds import Seeds

    designs = {**DESIGNS, "Seeds(3, 20)": Seeds(3, 20).looks()}
    tallies = {name: TunedTally() for name in designs}
    for name, looks in designs.items():
        for _ in range(auto_sweeps if len(looks) > 1 else sweeps):
            records = draw(world, looks[-1], rng)
            row, n = judged(records, looks)
            tallies[name].add(row, naive([r for r in records if r.seed < n]), truth_label, world.tuned_truth, n)
    return tallies


def measurements(sweeps: int, auto_sweeps: int, rng: np.random.Generator) -> list[Measurement]:
    out = []
    for world, label in worlds():
        for design, t in simulate(world, label, sweeps, auto_sweeps, rng).items():
            n = t.sweeps
            if label == "zero":
                metric, ours, baseline, target = "tuned: false definitive verdicts", t.false / n, t.naive_false / n, "<= 0.05"
                passed = bool(ours <= 0.05 + 1.96 * math.sqrt(0.05 * 0.95 / n))
            else:
                metric, ours, baseline, target = "tuned: power (share 'supported')", t.supported / n, \
                    t.naive_supported / n, "none"
                passed = None
            m = Measurement(
                name="calibration",
                data=f"{n} synthetic sweeps, {world.name}: all-max {len(world.treatment)} and all-average "
                     f"{len(world.baseline)} learning rates, {design}, rho={world.rho:g}, tuned truth {label} "
                     f"({world.tuned_truth:+.3f}), averaged truth {world.averaged_truth:+.3f}, sd {SD:g}",
                metric=metric, unit="",
                baseline_is="naive tuned comparison: each side's best chosen and measured on the same seeds",
                ours_is="claims.tuned: chosen on one half of the seeds, measured on the other, halves swapped",
                baseline=baseline, ours=ours, ratio=None, ratio_means="", target=target, passed=passed,
                trials=len(world.treatment) + len(world.baseline),
                details={"tuned_world": world.name, "rho": world.rho, "design": design, "effect": label,
                         "tuned_truth": world.tuned_truth, "averaged_truth": world.averaged_truth,
                         "false": t.false / n, "naive_false": t.naive_false / n,
                         "coverage": t.covered / n, "naive_coverage": t.naive_covered / n,
                         "power": t.supported / n, "naive_power": t.naive_supported / n,
                         "bias": t.error / n, "naive_bias": t.naive_error / n,
                         "averaged_verdicts": {k: v / n for k, v in sorted(t.averaged.items())},
                         "mean_seeds": t.seeds / n},
            )
            print(json.dumps({"progress": m.data, "false": m.details["false"], "coverage": m.details["coverage"]}),
                  file=sys.stderr, flush=True)
            out.append(m)
    return out


def table(lines: list[str]) -> str:
    """The tuned-comparison lines as one plain table."""
    rows = [("world", "tuned truth", "design", "false", "naive false", "coverage", "naive coverage", "power",
             "naive power", "bias", "naive bias", "averaged verdicts", "mean seeds")]
    for line in lines:
        m = json.loads(line)
        d = m.get("details") or {}
        if m.get("name") != "calibration" or "tuned_world" not in d:
            continue
        averaged = ", ".join(f"{v:.0%} {k}" for k, v in sorted(d["averaged_verdicts"].items(), key=lambda kv: -kv[1]))
        rows.append((d["tuned_world"], d["effect"], d["design"], f"{d['false']:.3f}", f"{d['naive_false']:.3f}",
                     f"{d['coverage']:.3f}", f"{d['naive_coverage']:.3f}", f"{d['power']:.3f}",
                     f"{d['naive_power']:.3f}", f"{d['bias'] * 100:+.2f}", f"{d['naive_bias'] * 100:+.2f}", averaged,
                     f"{d['mean_seeds']:.1f}"))
    if len(rows) == 1:
        return ""
    return text_table(rows)
