"""Calibration of a part on a 0/1 outcome (did_not_converge: did a run diverge?), where seeds often all agree.

A part on such a metric takes the t interval while its seeds spread, and
the exact bound for seeds that all agree (`claims.verdicts.statements`,
`claims.stats.zero_spread_interval`). Ten seeds without a divergence on
either side once read "no meaningful difference" from a t interval of no
width (issue 39's learning-rate row on Fashion-MNIST). This measures both
branches together, on the real `statements` and `decide`, at one look and
the unadjusted 5% level (Holm's adjustment and the union bound over looks
only make a part harder to decide):

- false "no meaningful difference" where the true difference is at the
  margin or beyond it (target <= 5%);
- false direction ("supported" or "contradicted") where it is zero, and
  "contradicted" where it is positive (target <= 5%);
- coverage of the shown 95% interval (target >= 95% - sampling error: the
  exact bound is conservative by design).

A world: each seed pairs `k` runs at the larger learning rate with `k` at
the smaller one; a run at the smaller rate diverges with probability `base`,
at the larger with `base + difference`; a seed's value is the mean
difference of its pairs, as `claims.verdicts.per_seed_differences` makes it.
"""

from __future__ import annotations

import json
import math

import numpy as np

from benchmarks.common import Measurement, text_table
from claims.catalogue import BY_ID
from claims.stats import CONTRADICTED, NO_DIFFERENCE, SUPPORTED, decide
from claims.verdicts import statements

PART = next(p for p in BY_ID["learning-rate"].parts if p.metric == "did_not_converge")
BASES = (0.0, 0.05)
DIFFERENCES = (0.0, 1.0, 2.0)  # in margins
SEEDS = (5, 10, 20, 40)
PAIRS = (1, 4)
TARGET = 0.05


def simulate(base: float, difference: float, seeds: int, pairs: int, sweeps: int, rng: np.random.Generator) -> dict:
    """Verdict counts and coverage over `sweeps` parts of one world."""
    counts = {SUPPORTED: 0, CONTRADICTED: 0, NO_DIFFERENCE: 0, "covered": 0, "zero_spread": 0}
    high = rng.random((sweeps, seeds, pairs)) < base + difference
    low = rng.random((sweeps, seeds, pairs)) < base
    values = (high.astype(float) - low).mean(axis=2)
    for row in values:
        interval, p = statements(list(row), PART)
        verdict = decide(p, TARGET, PART.sign)
        if verdict in counts:
            counts[verdict] += 1
        counts["covered"] += interval.low <= difference <= interval.high
        counts["zero_spread"] += interval.sd == 0
    return counts


def measurements(sweeps: int, rng: np.random.Generator) -> list[Measurement]:
    """One line per world: the false answers its truth allows, and the interval's coverage."""
    out = []
    margin = PART.margin
    bound = TARGET + 1.96 * math.sqrt(TARGET * (1 - TARGET) / sweeps)
    slack = 1.96 * math.sqrt(0.95 * 0.05 / sweeps)
    for base in BASES:
        for diff_m in DIFFERENCES:
            difference = diff_m * margin
            for pairs in PAIRS:
                for seeds in SEEDS:
                    c = simulate(base, difference, seeds, pairs, sweeps, rng)
                    false_nd = c[NO_DIFFERENCE] / sweeps if diff_m >= 1 else None
                    false_dir = (c[SUPPORTED] + c[CONTRADICTED]) / sweeps if diff_m == 0 else c[CONTRADICTED] / sweeps
                    coverage = c["covered"] / sweeps
                    passed = bool(false_dir <= bound and (false_nd is None or false_nd <= bound)
                                  and coverage >= 0.95 - slack)
                    out.append(Measurement(
                        name="calibration.binary",
                        data=f"{sweeps} synthetic parts: {seeds} seeds x {pairs} pair(s) of runs, divergence rate "
                             f"{base:g} at the smaller rate and {base + difference:g} at the larger",
                        metric="false 'no meaningful difference' (true difference >= the margin) and false direction, "
                               "per part, unadjusted 5% level",
                        unit="", baseline_is="none", ours_is="claims.verdicts.statements: t, or the exact bound "
                                                             "when every seed agrees",
                        baseline=None, ours=false_nd if false_nd is not None else false_dir, ratio=None, ratio_means="",
                        target="<= 0.05 false; coverage >= 0.95", passed=passed, trials=seeds,
                        details={"base": base, "difference": difference, "difference_in_margins": diff_m,
                                 "seeds": seeds, "pairs": pairs, "margin": margin,
                                 "false_no_difference": false_nd, "false_direction": false_dir,
                                 "no_difference": c[NO_DIFFERENCE] / sweeps, "supported": c[SUPPORTED] / sweeps,
                                 "coverage": coverage, "zero_spread": c["zero_spread"] / sweeps},
                    ))
    return out


def table(lines: list[str]) -> str:
    """The 0/1-outcome lines (JSON, as printed) as one plain table; "" when there are none."""
    rows = [("base", "difference", "seeds", "pairs", "false 'no difference'", "false direction", "coverage",
             "all seeds agree", "supported")]
    for line in lines:
        m = json.loads(line)
        if m.get("name") != "calibration.binary":
            continue
        d = m["details"]
        rows.append((f"{d['base']:g}", f"{d['difference']:g}", str(d["seeds"]), str(d["pairs"]),
                     "-" if d["false_no_difference"] is None else f"{d['false_no_difference']:.3f}",
                     f"{d['false_direction']:.3f}", f"{d['coverage']:.3f}", f"{d['zero_spread']:.3f}",
                     f"{d['supported']:.3f}"))
    return text_table(rows) if len(rows) > 1 else ""
