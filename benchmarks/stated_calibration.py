"""Calibration of claims a user states (`claims.stated.Compare`), on synthetic sweeps through the real claims code.

Part of `python -m benchmarks calibration` (`--stated-sweeps`, 0 skips it).
One synthetic sweep states three claims at once, as a user's sweep file
would, so they are judged together (Holm over all three):

- a numeric knob: `Compare("dropout", 0.5, 0.25, expect="higher", metric="best_val_accuracy", margin=0.02)`;
- a categorical knob: `Compare("optimizer", "sgd", "adam", expect="higher", metric="final_val_accuracy",
  margin=0.02)`;
- a metric of the user's own model, read from each run's history as a claim
  reads it: `Compare("units", 64, 32, expect="higher", metric="val_auc", margin=0.01)`.

The grid is dropout x optimizer x units x learning_rate (16 configurations;
the learning rate is a knob no claim is about, so each claim also gets its
tuned answer, and each pairs on it). A run's accuracy is 0.7 + a seed effect
shared by its runs + for each claim on its treatment side (the true effect +
the seed's own slope) + run noise, as `benchmarks.calibration` draws them
(within-seed correlation `RHO`, one paired difference's spread `SD`); its
AUC is 0.9 + the seed's AUC effect + the AUC claim's effect and slope + noise
at `AUC_SD`. True effects, in each claim's own margin: zero, the margin and
twice the margin. Designs: a fixed 5 seeds, and `Seeds(3, 20)`, judged after
each look and stopped once nothing is undecided, as the engine does.

Counted per sweep: any false definitive answer (direction or size, the
catalogue's rule, `benchmarks.false_answers`);
per claim: the 95% interval's coverage of the true effect, and how often it
reads "supported".
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass

import numpy as np

from benchmarks.common import Measurement, text_table
from benchmarks.false_answers import EFFECTS as ALL_EFFECTS, direction_false, size_false

RHO, SD, AUC_SD = 0.4, 0.03, 0.015
N_VAL = 2000  # resolves the 2-point margin, as the catalogue's calibration
EFFECTS = {label: ALL_EFFECTS[label] for label in ("zero", "margin", "twice the margin")}  # in margins
FIXED_SEEDS, AUTO = 5, (3, 20)
CONFIGS = [(d, o, u, lr) for d in (0.25, 0.5) for o in ("adam", "sgd") for u in (32, 64) for lr in (1e-3, 1e-2)]


def stated():
    """The three claims, as a sweep file states them."""
    from claims.stated import Compare

    why = "the smallest effect a user would act on"
    return (Compare("dropout", 0.5, 0.25, expect="higher", metric="best_val_accuracy", margin=0.02, why=why),
            Compare("optimizer", "sgd", "adam", expect="higher", metric="final_val_accuracy", margin=0.02, why=why),
            Compare("units", 64, 32, expect="higher", metric="val_auc", margin=0.01, why=why))


MARGINS = (0.02, 0.02, 0.01)
KINDS = ("numeric knob (dropout)", "categorical knob (optimizer)", "own metric (val_auc)")


def manifest(looks: tuple[int, ...]):
    from rundir.manifest import DataInfo, Manifest, SeedPlan

    claims = stated()
    return Manifest(claims=tuple(c.id for c in claims), stated=tuple(c.record for c in claims),
                    seeds=SeedPlan(looks[0], looks[-1], tuple(looks), len(looks) > 1),
                    data=DataInfo(n_val=N_VAL, n_train=4 * N_VAL,
                                  class_counts={c: {"train": N_VAL, "val": N_VAL // 4} for c in "abcd"}))


def draw(effect_m: float, seeds: int, rng: np.random.Generator):
    """Run records of one synthetic sweep: each claim's true effect is `effect_m` of its margin."""
    from rundir.records import RunRecord

    effects = effect_m * np.array(MARGINS)
    spreads = [(math.sqrt(RHO) * sd, math.sqrt((1 - RHO) / 2) * sd) for sd in (SD, SD, AUC_SD)]
    settings = [{"dropout": d, "optimizer": o, "units": u, "learning_rate": lr} for d, o, u, lr in CONFIGS]
    records = []
    for seed in range(seeds):
        shared, shared_auc = rng.normal(0, 0.03), rng.normal(0, 0.02)
        slopes = [rng.normal(0, slope) for slope, _ in spreads]
        for trial, (dropout, optimizer, units, lr) in enumerate(CONFIGS):
            accuracy = 0.7 + shared + (0.01 if lr == 1e-3 else 0.0) + rng.normal(0, spreads[0][1])
            accuracy += (effects[0] + slopes[0]) * (dropout == 0.5) + (effects[1] + slopes[1]) * (optimizer == "sgd")
            auc = 0.9 + shared_auc + (effects[2] + slopes[2]) * (units == 64) + rng.normal(0, spreads[2][1])
            records.append(RunRecord(f"{trial:04d}", seed, "completed", settings[trial], score=accuracy,
                                     best_val_accuracy=accuracy, final_val_accuracy=accuracy, epochs_run=1,
                                     history=[{"epoch": 1, "val_accuracy": accuracy, "val_auc": auc}]))
    return records


def judged(records, looks: tuple[int, ...]):
    """Each claim's row when the sweep stops (after its last look, or once nothing is undecided), and the seeds."""
    from claims.verdicts import evaluate, undecided

    ids = [c.id for c in stated()]
    for n in looks:
        upto = [r for r in records if r.seed < n]
        rows = {r.claim: r for r in evaluate(upto, manifest(looks))}
        mine = [rows[i] for i in ids]
        if n == looks[-1] or not undecided(mine):
            return mine, n
    raise AssertionError("unreachable")


@dataclass
class StatedTally:
    sweeps: int = 0
    false_sweeps: int = 0
    seeds: int = 0
    false: np.ndarray | None = None  # per claim
    covered: np.ndarray | None = None
    supported: np.ndarray | None = None
    tuned_false: int = 0

    def add(self, rows, effect_m: float, seeds: int) -> None:
        from claims.stats import SUPPORTED

        if self.false is None:
            self.false, self.covered, self.supported = np.zeros(3), np.zeros(3), np.zeros(3)
        false = np.array([direction_false(r.final, effect_m) or size_false(r.size, effect_m) for r in rows])
        truth = effect_m * np.array(MARGINS)
        self.false += false
        self.covered += [r.ci_low is not None and r.ci_high is not None and r.ci_low <= t <= r.ci_high
                         for r, t in zip(rows, truth)]
        self.supported += [r.final == SUPPORTED for r in rows]
        self.false_sweeps += bool(false.any())
        self.tuned_false += any(direction_false(r.tuned_verdict, effect_m) for r in rows if r.tuned_verdict)
        self.sweeps += 1
        self.seeds += seeds


def simulate(effect_m: float, sweeps: int, auto_sweeps: int, rng: np.random.Generator) -> dict[str, StatedTally]:
    from search.sweep.seeds import Seeds

    fixed, auto = StatedTally(), StatedTally()
    for _ in range(sweeps):
        rows, n = judged(draw(effect_m, FIXED_SEEDS, rng), (FIXED_SEEDS,))
        fixed.add(rows, effect_m, n)
    looks = Seeds(*AUTO).looks()
    for _ in range(auto_sweeps):
        rows, n = judged(draw(effect_m, AUTO[1], rng), looks)
        auto.add(rows, effect_m, n)
    return {f"{FIXED_SEEDS} seeds": fixed, f"Seeds({AUTO[0]}, {AUTO[1]})": auto}


def measurements(sweeps: int, auto_sweeps: int, rng: np.random.Generator) -> list[Measurement]:
    out = []
    for label, effect_m in EFFECTS.items():
        for design, t in simulate(effect_m, sweeps, auto_sweeps, rng).items():
            n = t.sweeps
            if not n:
                continue
            rate = t.false_sweeps / n
            m = Measurement(
                name="calibration",
                data=f"{n} synthetic sweeps stating 3 claims of a user's own ({', '.join(KINDS)}), {design}, "
                     f"rho={RHO:g}, true effect {label} of each claim's margin",
                metric="stated claims: false definitive verdicts per sweep", unit="",
                baseline_is="the target", ours_is="claims.stated through claims.verdicts.evaluate",
                baseline=None, ours=rate, ratio=None, ratio_means="", target="<= 0.05",
                passed=bool(rate <= 0.05 + 1.96 * math.sqrt(0.05 * 0.95 / n)), trials=len(CONFIGS),
                details={"stated": True, "design": design, "effect": label, "rho": RHO,
                         "false_per_sweep": rate, "false_per_claim": list(t.false / n),
                         "coverage_per_claim": list(t.covered / n), "power_per_claim": list(t.supported / n),
                         "tuned_false_per_sweep": t.tuned_false / n, "mean_seeds": t.seeds / n, "kinds": list(KINDS)},
            )
            print(json.dumps({"progress": m.data, "false_per_sweep": rate,
                              "coverage": m.details["coverage_per_claim"]}), file=sys.stderr, flush=True)
            out.append(m)
    return out


def table(lines: list[str]) -> str:
    """The stated-claim lines as one plain table: a row per true effect and design, a column group per claim."""
    rows = [("true effect", "design", "false/sweep", "coverage (dropout, optimizer, val_auc)",
             "supported (dropout, optimizer, val_auc)", "tuned false/sweep", "mean seeds")]
    for line in lines:
        m = json.loads(line)
        d = m.get("details") or {}
        if m.get("name") != "calibration" or not d.get("stated"):
            continue
        rows.append((d["effect"], d["design"], f"{d['false_per_sweep']:.3f}",
                     ", ".join(f"{c:.3f}" for c in d["coverage_per_claim"]),
                     ", ".join(f"{p:.3f}" for p in d["power_per_claim"]),
                     f"{d['tuned_false_per_sweep']:.3f}", f"{d['mean_seeds']:.1f}"))
    if len(rows) == 1:
        return ""
    return text_table(rows)
