"""The tuned comparison: each side of a contrast at its own best settings.

The averaged verdict (`claims.verdicts`) answers "averaged over the other
settings this sweep ran, does the treatment beat the baseline?". A
practitioner usually asks "if I tune each well, which should I use?". In the
terms of Google's Deep Learning Tuning Playbook the knobs a contrast varies
are *scientific*, and the other knobs the sweep varies are *nuisance*: they
are to be optimised separately for each side before comparing. The two
answers differ when one side is more sensitive to a nuisance knob (it loses
in the average but wins at its own best learning rate).

Taking each side's best configuration and comparing the same runs' scores
would favour the side with more, or noisier, configurations (the winner's
curse: the maximum of noisy means is biased upwards). So selection and
measurement never share runs. The seeds are split into two halves
(alternate seeds); each side's best configuration is chosen by its mean
validation accuracy on one half and the difference of the part's metric
measured on the other half, then the halves swap (cross-fitting). Each seed
thus gets one value, "treatment at its best minus baseline at its best",
chosen without that seed, and the values go through the same t interval,
statements and Holm procedure as the averaged ones (`claims.stats`), as a
family of their own so the averaged verdicts do not change.

Why not the plain t interval on those values: the two halves are not
independent. Half A chooses the configuration that looks best on A and is
measured on B; half B's choice is measured on A. When both halves happen to
choose the same configuration, A's values are measured at the configuration
that looked best on A, and B's at the one that looked best on B: both lean
the same way. Where a side's configurations are alike (ties, the case where
choosing is hardest) this spreads the cross-fitted mean about 15% more than
the t interval assumes (measured: 91-93% coverage at 5, 10 and 20 seeds).
The statistic t = (mean - effect) / (sd / sqrt(n)) is therefore referred to
its law in that least favourable case, simulated once per (seeds,
configurations per side) and cached (`tie_null`): every configuration of a
side alike, each run with noise of its own, and the validation accuracy
that chooses the same as the value measured. Adding a constant to one
side's configurations changes no choice, so the law is that of t at any
true effect, and the interval, the three statements and the equivalence
test all come from it (`tuned_statements`). Away from ties the choice is
stable and t is close to Student's, so the interval is conservative there.

At a sequential design's later looks the halves are drawn again from the
seeds reached, so the looks' selections are not nested; the looks are
therefore combined by the plain union bound (`sequential` without a null
law), valid under any dependence between them. `benchmarks calibration`
measures the error rates and the coverage of the true tuned effect
(treatment's best minus baseline's best).

The tuned comparison exists only where it could differ from the averaged
one: where one side ran two or more configurations.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from claims.catalogue import Part
from claims.contrasts import BASELINE, TREATMENT, Pairing, pairing
from claims.measure import metric_named, seed_weight, weighted_mean
from claims.stats import ALPHA, INCONCLUSIVE, UNDECIDED, UNRESOLVED, Answer, Interval, PValues
from rundir.manifest import Manifest
from rundir.records import RunRecord

NULL_DRAWS = 1 << 15  # simulated sweeps per (seeds, configurations): a p-value of 0.005 to within about 8%
NULL_SEED = 20261204  # fixed, so the same records always get the same verdicts
MOST_CONFIGS = 32  # the tie law barely moves past a few configurations per side; beyond this it is taken at 32

Config = tuple  # everything but the seed and the fold: the contrast's extra key and the other settings
# side -> configuration -> seed -> (objective, value): folds already combined
Table = dict[str, dict[Config, dict[int, tuple[float, float]]]]


@dataclass
class Tuned:
    """One part's tuned comparison: one cross-fitted value per seed, and what each half chose."""

    per_seed: dict[int, float]
    choice: str  # the configurations chosen, in words
    table: Table
    configs: tuple[int, int]  # configurations of the treatment and the baseline side (for `tie_null`)
    interval: Interval | None = None
    verdict: str = INCONCLUSIVE  # unadjusted
    adjusted: str = INCONCLUSIVE  # Holm across the sweep's tuned parts, valid at every look
    answer: Answer = field(default_factory=lambda: Answer(UNDECIDED, UNRESOLVED))  # the adjusted direction and size
    seeds_needed: int | None = None

    def at_look(self, seeds: int) -> dict[int, float]:
        """The cross-fit on seeds 0..seeds-1 alone: the halves are drawn from the seeds reached then."""
        return cross_fit(self.table, [s for s in self.seeds if s < seeds])[0]

    @property
    def seeds(self) -> list[int]:
        return table_seeds(self.table)


def table_seeds(table: Table) -> list[int]:
    """Every seed any configuration of either side has, in order."""
    return sorted({s for configs in table.values() for by_seed in configs.values() for s in by_seed})


def side_table(part: Part, runs: list[RunRecord], manifest: Manifest) -> tuple[Table, Pairing]:
    """Each side's configurations with, per seed, the mean validation accuracy that chooses the best
    configuration and the part's metric that measures it (folds weighted by their validation images)."""
    metric = metric_named(part.metric)
    plan = pairing(part.contrast, [r.hyperparameters for r in runs])
    cells: dict[tuple[str, Config, int], list[tuple[float, float, float]]] = defaultdict(list)
    for run, value in metric.values([r for r in runs if plan.side(r.hyperparameters) is not None], manifest):
        objective = run.best_val_accuracy if run.status == "completed" else None
        objective = objective if objective is not None and math.isfinite(objective) else 0.0  # a diverged run: worst
        cells[(plan.side(run.hyperparameters), plan.key(run.hyperparameters, 0)[1:], run.seed)].append(
            (objective, value, seed_weight(run)))
    table: Table = {TREATMENT: defaultdict(dict), BASELINE: defaultdict(dict)}
    for (side, config, seed), rows in cells.items():
        table[side][config][seed] = (weighted_mean([(o, w) for o, _, w in rows]),
                                     weighted_mean([(v, w) for _, v, w in rows]))
    return {side: dict(configs) for side, configs in table.items()}, plan


def has_nuisance(table: Table) -> bool:
    """Whether tuning could matter: one side ran more than one configuration."""
    return any(len(configs) >= 2 for configs in table.values())


def best(configs: dict[Config, dict[int, tuple[float, float]]], seeds: list[int]) -> Config | None:
    """The configuration of highest mean objective over these seeds (each configuration over the seeds
    it has); ties go to the first in sorted order, so the same records always choose the same."""
    scored = []
    for config in sorted(configs, key=repr):
        objectives = [configs[config][s][0] for s in seeds if s in configs[config]]
        if objectives:
            scored.append((math.fsum(objectives) / len(objectives), config))
    if not scored:
        return None
    top = max(score for score, _ in scored)
    return next(config for score, config in scored if score == top)


def cross_fit(table: Table, seeds: list[int]) -> tuple[dict[int, float], list[tuple[Config | None, Config | None]]]:
    """One value per seed: treatment at its best minus baseline at its best, each best chosen on the
    other half of the seeds; and the (treatment, baseline) choice of each half's selection."""
    halves = (seeds[0::2], seeds[1::2])
    values: dict[int, float] = {}
    choices = []
    for select, measure in (halves, halves[::-1]):
        t, b = best(table[TREATMENT], select), best(table[BASELINE], select)
        choices.append((t, b))
        if t is None or b is None:
            continue
        for s in measure:
            if s in table[TREATMENT][t] and s in table[BASELINE][b]:
                values[s] = table[TREATMENT][t][s][1] - table[BASELINE][b][s][1]
    return dict(sorted(values.items())), choices


def measure_tuned(part: Part, runs: list[RunRecord], manifest: Manifest) -> Tuned | None:
    """The part's tuned comparison on these runs, or None where it has no nuisance knobs."""
    if part.contrast is None or part.sign == 0:
        return None
    table, plan = side_table(part, runs, manifest)
    if not has_nuisance(table) or not table[TREATMENT] or not table[BASELINE]:
        return None
    per_seed, choices = cross_fit(table, table_seeds(table))
    if not per_seed:
        return None
    return Tuned(per_seed, describe_choices(choices, table, plan, runs), table,
                 (len(table[TREATMENT]), len(table[BASELINE])))


def describe_choices(choices: list[tuple[Config | None, Config | None]], table: Table, plan: Pairing,
                     runs: list[RunRecord]) -> str:
    """The chosen settings in words: only the knobs that vary among a side's configurations."""
    by_config: dict[tuple[str, Config], dict[str, Any]] = {}
    for run in runs:
        side = plan.side(run.hyperparameters)
        if side is not None:
            by_config.setdefault((side, plan.key(run.hyperparameters, 0)[1:]), run.hyperparameters)
    words = []
    for side, name in zip((TREATMENT, BASELINE), plan.contrast.names()):
        settings = [by_config.get((side, c)) for c in table[side]]
        knobs = sorted({k for hps in settings if hps for k in hps if not k.startswith("tuner/")
                        and len({repr(h.get(k)) for h in settings if h}) > 1})
        picked = []
        for config in dict.fromkeys(c[0] if side == TREATMENT else c[1] for c in choices):
            hps = by_config.get((side, config)) if config is not None else None
            picked.append(", ".join(f"{k}={hps.get(k)}" for k in knobs) if hps and knobs else "its only setting")
        words.append(f"{name} at " + " / ".join(picked))
    return "; ".join(words)


@lru_cache(maxsize=256)
def tie_null(seeds: int, treatment_configs: int, baseline_configs: int) -> np.ndarray:
    """Sorted draws of the cross-fitted t statistic when every configuration of a side is alike (module
    docstring): standard normal runs, chosen and measured on the same value, halves as `cross_fit` makes them."""
    k_t, k_b = min(treatment_configs, MOST_CONFIGS), min(baseline_configs, MOST_CONFIGS)
    rng = np.random.default_rng(NULL_SEED)
    halves = (np.arange(seeds)[0::2], np.arange(seeds)[1::2])
    chunk, out = 4096, []
    for start in range(0, NULL_DRAWS, chunk):
        n = min(chunk, NULL_DRAWS - start)
        t, b, rows = rng.standard_normal((n, k_t, seeds)), rng.standard_normal((n, k_b, seeds)), np.arange(n)
        values = np.empty((n, seeds))
        for select, measure in (halves, halves[::-1]):
            chosen_t, chosen_b = t[:, :, select].mean(2).argmax(1), b[:, :, select].mean(2).argmax(1)
            values[:, measure] = t[rows, chosen_t][:, measure] - b[rows, chosen_b][:, measure]
        sd = values.std(1, ddof=1)
        out.append(values.mean(1) / np.where(sd > 0, sd, np.inf) * math.sqrt(seeds))
    return np.sort(np.concatenate(out))


def _tail_above(null: np.ndarray, x: float) -> float:
    """P(T >= x) under the tie law, with the simulation's +1 so that a p-value is never zero."""
    return (len(null) - float(np.searchsorted(null, x, side="left")) + 1.0) / (len(null) + 1.0)


def _tail_below(null: np.ndarray, x: float) -> float:
    return (float(np.searchsorted(null, x, side="right")) + 1.0) / (len(null) + 1.0)


def tuned_statements(tuned: Tuned, values: list[float], part: Part) -> tuple[Interval, PValues]:
    """The 95% interval and the three statements (as `claims.stats.p_values`: one-sided, doubled) of
    cross-fitted values, from the tie law of their t statistic."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n < 2:
        return Interval(n, float(x.mean()) if n else math.nan, -math.inf, math.inf, math.nan), PValues(1.0, 1.0, 1.0)
    null = tie_null(n, *tuned.configs)
    mean, sd = float(x.mean()), float(x.std(ddof=1))
    se = sd / math.sqrt(n)
    low_q, high_q = np.quantile(null, [ALPHA / 2, 1 - ALPHA / 2])
    interval = Interval(n, mean, mean - float(high_q) * se, mean - float(low_q) * se, sd)
    if se == 0:
        return interval, PValues(*(0.0 if mean * part.sign > 0 else 1.0, 0.0 if mean * part.sign < 0 else 1.0,
                                   0.0 if abs(mean) < part.margin else 1.0, 0.0 if abs(mean) > part.margin else 1.0))
    above = min(1.0, 2 * _tail_above(null, mean / se))  # evidence the effect is above zero
    below = min(1.0, 2 * _tail_below(null, mean / se))
    within = min(1.0, 2 * max(_tail_above(null, (mean + part.margin) / se),
                              _tail_below(null, (mean - part.margin) / se))) if part.margin > 0 else 1.0
    beyond = min(1.0, 2 * min(_tail_above(null, (mean - part.margin) / se),
                              _tail_below(null, (mean + part.margin) / se))) if part.margin > 0 else 1.0
    supported, contradicted = (above, below) if part.sign > 0 else (below, above)
    return interval, PValues(supported, contradicted, within, beyond)


def look_tests(tuned: Tuned, seeds: int, min_seeds: int, part: Part) -> PValues | None:
    """The tuned statements on the cross-fit of seeds 0..seeds-1; None below `min_seeds` values."""
    values = list(tuned.at_look(seeds).values())
    if len(values) < min_seeds:
        return None
    return tuned_statements(tuned, values, part)[1]
