"""Coverage of the report's tuning-curve bands, by simulation.

The report's band (`reports.tuning.tuning_curve`: opda's ld_equal_tailed
band up to 40 configurations, DKW past it) claims 95% simultaneous
coverage: the true median tuning curve lies inside it at every n at once.
Here configurations' scores are drawn from a known distribution, Beta(8, 3)
(mean 0.73, like a sweep's validation accuracies), continuous and rounded
to 1/76 (accuracy on the sneakers article's 76 images: ties, which opda
warns make its coverage inexact). The true curve at n is F^-1(0.5^(1/n)),
rounded the same way for the rounded scores. Target: coverage >= 0.95
minus the simulation's own error (2 standard errors), that is the band is
not narrower than it claims.
"""

from __future__ import annotations

import math
import sys

import numpy as np
from scipy import stats

from benchmarks.common import Measurement

SIZES = (4, 8, 16, 32, 64)
RESOLUTION = 76  # validation images: scores are multiples of 1/76


def true_curve(n_max: int, rounded: bool) -> np.ndarray:
    q = stats.beta(8, 3).ppf(0.5 ** (1.0 / np.arange(1, n_max + 1)))
    return np.round(q * RESOLUTION) / RESOLUTION if rounded else q


def covered(configs: int, rounded: bool, rng: np.random.Generator) -> bool:
    from reports.tuning import tuning_curve

    ys = rng.beta(8, 3, size=configs)
    if rounded:
        ys = np.round(ys * RESOLUTION) / RESOLUTION
    curve = tuning_curve("sim", list(ys), "val_accuracy", minimize=False)
    truth = true_curve(configs, rounded)
    eps = 1e-12
    return bool(np.all((np.asarray(curve.low) - eps <= truth) & (truth <= np.asarray(curve.high) + eps)))


def run(args) -> list[Measurement]:
    reps = getattr(args, "tuning_reps", None) or 400
    rng = np.random.default_rng(getattr(args, "calibration_seed", 0) or 0)
    out = []
    for rounded in (False, True):
        for configs in SIZES:
            hits = sum(covered(configs, rounded, rng) for _ in range(reps))
            coverage = hits / reps
            floor = 0.95 - 2 * math.sqrt(0.95 * 0.05 / reps)
            out.append(Measurement(
                name="tuning",
                data=f"{configs} configurations, scores Beta(8, 3){' rounded to 1/76' if rounded else ''}, "
                     f"{reps} simulated sweeps",
                metric="simultaneous coverage of the 95% tuning-curve band (true curve inside at every n)",
                unit="share", baseline_is="none: the band's nominal 0.95",
                ours_is="reports.tuning.tuning_curve (opda " +
                        ("ld_equal_tailed" if configs <= 40 else "dkw") + ")",
                baseline=0.95, ours=round(coverage, 4), ratio=round(coverage, 4), ratio_means="coverage",
                target=f">= {floor:.3f}", passed=coverage >= floor, trials=configs,
                details={"reps": reps, "rounded": rounded}))
            print(f"tuning: {configs} configurations{' rounded' if rounded else ''}: coverage {coverage:.3f}",
                  file=sys.stderr, flush=True)
    return out
