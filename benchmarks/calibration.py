"""Calibration of the claim verdicts: error rates, coverage, power and seeds saved, on synthetic sweeps.

Not a speed benchmark: it measures whether the verdicts mean what they
say. Thousands of synthetic sweeps are drawn whose runs share seed effects,
written as run records and fed through the real claims code
(`claims.verdicts.evaluate`, the same call the report and the engine make).

The synthetic grid is pooling_1 x pooling_2 in {avg, max} x conv_blocks in
{2, 3} (8 configurations; the 2-block runs have pooling_3 None, as real
records do), judged on pooling-texture, mixed-pooling and depth-overfit's
two parts: 4 parts, margin 0.02 each. A run's score is

    0.7 + seed effect (shared by every run of the seed)
        + for each contrast on its treatment side: (true effect + seed's own slope)
        + run noise

so the paired differences of one seed are correlated (`rho`, the
within-seed correlation of the paired differences, from 0 to 0.8) while
the total spread of one difference stays `--sd` (default 0.03: 3 points).
True effects: 0 (a "supported" or "contradicted" direction, or "at least
the margin", is false), half the margin (a "contradicted" direction or "at
least the margin" is false; issue 44's world, where the single answer
flipped), the margin ("contradicted", and any definitive size: both size
nulls hold there) and twice the margin ("contradicted" or "smaller than the
margin"; power: how often "supported"). False direction and false size
answers are counted apart, each with its 5% target. Consecutive sweeps of
one world pair up as independent replications: `agreement` is the share of
parts decided in both whose answers (direction and size, in words) agree.

Designs: a fixed 5 seeds (one look) and `Seeds(3, 20)`, which adds rounds
while a claim is undecided exactly as the engine does (evaluate after each
look, stop when `undecided` is empty: both answers settled), and, on the
same sweeps, stopping at the first look where no claim is inconclusive (the
stopping rule before issue 44: its mean seeds against ours is what settling
both answers costs). The baseline of each fixed design's
false-verdict line is the old rule on the same sweeps: every seed x setting
pair counted as independent, no Holm. Each sequential sweep is also run
under the previous sequential rule (design "auto, previous rule": the
union bound taken as the p-value, looks 3, 5, 8, 12, 18, 20), on the very
same records, so the two rules are compared pair by pair. For the seeds
saved, fixed designs of 3, 4, ... seeds are run at twice the margin to find
the smallest with the power each sequential rule reached; its runs over
that rule's mean runs is the saving.

With `--schedules "3,5,8,12,18,20;3,4,5,6,8,10,12,15,20"` it also runs
sequential designs that differ only in their looks on the very same sweeps
(at zero and at twice the margin, per correlation): how Seeds.looks() was
chosen.

With `--runs DIR` it also replays a finished sweep: it resamples its seeds
with replacement (`--resamples`, default 20) and reports how often each
decided claim keeps its verdict (target 9 in 10).
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import Measurement, Skip, text_table
from benchmarks.false_answers import EFFECTS, direction_false, is_false, size_false  # noqa: F401  (tests read them here)

CLAIM_IDS = ("pooling-texture", "mixed-pooling", "depth-overfit")
MARGIN = 0.02
CORRELATIONS = (0.0, 0.2, 0.4, 0.6, 0.8)
AGREE_TARGET = 0.9  # a decided answer agrees with an independent replication of the same world
FIXED_SEEDS = 5
AUTO = (3, 20)
FIXED, AUTO_DESIGN, PREVIOUS, TARGETED = "fixed", "auto", "auto, previous rule", "auto, targeted rounds"
FIRST_VERDICT = "auto, stop at the first verdict"
DESIGNS = {FIXED: f"{FIXED_SEEDS} seeds", AUTO_DESIGN: f"Seeds({AUTO[0]}, {AUTO[1]})",
           TARGETED: f"Seeds({AUTO[0]}, {AUTO[1]}), each round training only what an open part reads",
           PREVIOUS: f"Seeds({AUTO[0]}, {AUTO[1]}) under the previous rule (union bound, looks 3, 5, 8, 12, 18, 20)",
           FIRST_VERDICT: f"Seeds({AUTO[0]}, {AUTO[1]}) stopping at the first look where no claim is inconclusive "
                          "(the stopping rule before issue 44: what settling both answers costs)"}
FALSE_TARGET = 0.05
FOLDS = 5
PARTITIONS = (0.0, 0.5, 1.0, 2.0)  # partition effects, in units of --sd
FRESH, SHARED = "5 folds, a fresh partition per seed", "5 folds, one partition for every seed"
FOLD_RHO = 0.4  # the seed effect of the fold sweeps: the middle of CORRELATIONS
N_VAL = 2000  # a validation set that resolves the 2-point margin (one image = 0.05 points)


@dataclass(frozen=True)
class World:
    rho: float  # within-seed correlation of the paired differences
    effect: float  # true effect of every part, in accuracy
    sd: float  # spread of one paired difference
    partition: float = 0.0  # spread of a partition's effect on a contrast, in units of sd (folds only)


CONFIGS = [(p1, p2, depth) for p1 in ("avg", "max") for p2 in ("avg", "max") for depth in (2, 3)]


def _meta(looks: tuple[int, ...], rounds: list[dict[str, Any]] | None = None):
    """The manifest of a simulated sweep: its claims, planned looks and the rounds run so far."""
    from rundir.manifest import DataInfo, Manifest, Round, SeedPlan

    return Manifest(claims=tuple(CLAIM_IDS), seeds=SeedPlan(looks[0], looks[-1], tuple(looks), len(looks) > 1),
                    rounds=tuple(Round.from_json(r) for r in rounds or []), rounds_finished=len(rounds or []),
                    data=DataInfo(n_val=N_VAL, n_train=4 * N_VAL,
                                  class_counts={c: {"train": N_VAL, "val": N_VAL // 4} for c in "abcd"}))


def draw_sweep(world: World, seeds: int, rng: np.random.Generator):
    """Run records of one synthetic sweep on a fixed split."""
    from rundir.records import RunRecord

    sd_slope, sd_run = _spreads(world)
    records = []
    settings = _settings()
    for seed in range(seeds):
        shared = rng.normal(0, 0.03)
        slope = rng.normal(0, sd_slope, size=4)  # max-max, avg-max, depth (accuracy), depth (gap)
        for trial, config in enumerate(CONFIGS):
            score, gap = _scores(config, 0.7 + shared, world.effect + slope, sd_run, rng)
            records.append(RunRecord(f"{trial:04d}", seed, "completed", settings[trial], score=score,
                                     best_val_accuracy=score,
                                     final_val_accuracy=score, train_val_gap=gap, epochs_run=1,
                                     params=1000 * config[2]))
    return records


def draw_fold_sweep(world: World, seeds: int, rng: np.random.Generator, shared_partition: bool):
    """Run records of one synthetic sweep with K folds per seed, and a partition effect on every contrast.

    A partition moves each contrast by a ~ N(0, partition sd) on all its
    folds, and each fold by its own b ~ N(0, partition sd) on top. With a
    fresh partition per seed (what `Sweep(folds=K)` does) these effects
    are drawn per seed, so they are part of the spread between seeds and
    the t interval over seeds covers them; with one partition for every
    seed (what a fixed split or one shared K-fold partition gives) they are
    drawn once per sweep, a bias that no number of seeds averages away.
    Every fold run carries the run noise of a fixed-split run.
    """
    from rundir.records import RunRecord

    sd_slope, sd_run = _spreads(world)
    sd_part = world.partition * world.sd
    settings = _settings()
    records = []
    partition = None
    for seed in range(seeds):
        if partition is None or not shared_partition:
            whole = rng.normal(0, sd_part, size=4)
            partition = whole + rng.normal(0, sd_part, size=(FOLDS, 4))  # one row of contrast effects per fold
        shared = rng.normal(0, 0.03)
        slope = rng.normal(0, sd_slope, size=4)
        for fold in range(FOLDS):
            for trial, config in enumerate(CONFIGS):
                score, gap = _scores(config, 0.7 + shared, world.effect + slope + partition[fold], sd_run, rng)
                records.append(RunRecord(f"{trial:04d}", seed, "completed", settings[trial], fold=fold,
                                         val_images=N_VAL // FOLDS, score=score, best_val_accuracy=score,
                                         final_val_accuracy=score, train_val_gap=gap, epochs_run=1,
                                         params=1000 * config[2]))
    return records


def _spreads(world: World) -> tuple[float, float]:
    """(sd of a seed's own effect on a contrast, sd of each run's own noise): a difference has two runs, and
    `rho` of its variance is the seed's."""
    return math.sqrt(world.rho) * world.sd, math.sqrt((1 - world.rho) / 2) * world.sd


def _settings() -> list[dict[str, Any]]:
    """One dict per configuration, shared by its seeds' records as a trial's are."""
    return [{"pooling_1": p1, "pooling_2": p2, "conv_blocks": depth, "pooling_3": "none" if depth == 3 else None,
             "batch_size": 32} for p1, p2, depth in CONFIGS]


def _scores(config: tuple[str, str, int], base: float, shift: np.ndarray, sd_run: float,
            rng: np.random.Generator) -> tuple[float, float]:
    """(validation score, train-validation gap) of one run: `shift` holds each contrast's move on its treatment
    side (max-max, avg-max, depth on accuracy, depth on the gap)."""
    p1, p2, depth = config
    score = base + rng.normal(0, sd_run)
    if (p1, p2) == ("max", "max"):
        score += shift[0]
    if (p1, p2) == ("avg", "max"):
        score += shift[1]
    gap = 0.05 + rng.normal(0, sd_run)
    if depth == 3:
        score += shift[2]
        gap += shift[3]
    return score, gap


def old_rule_false(records, part_index: int, effect: float) -> bool:
    """The rule before the seed became the unit: every seed x setting pair independent, no margin, no Holm."""
    from claims.contrasts import BASELINE, TREATMENT, pairing
    from claims.measure import METRICS
    from claims.stats import t_interval
    from rundir.manifest import Manifest

    claim, part = _parts()[part_index]
    plan = pairing(part.contrast, [r.hyperparameters for r in records])
    sides: dict[tuple, dict[str, list[float]]] = {}
    for run, value in METRICS[part.metric].values(records, Manifest()):
        side = plan.side(run.hyperparameters)
        if side is not None:
            sides.setdefault(plan.key(run.hyperparameters, run.seed), {TREATMENT: [], BASELINE: []})[side].append(value)
    diffs = [np.mean(s[TREATMENT]) - np.mean(s[BASELINE]) for s in sides.values() if s[TREATMENT] and s[BASELINE]]
    i = t_interval(diffs)
    if effect == 0:
        return i.low > 0 or i.high < 0  # any "supported" or "contradicted" is false
    return i.high < 0  # the old rule had no "no meaningful difference": only "contradicted" is false


def _parts():
    from claims.catalogue import BY_ID

    return [(c, p) for c in CLAIM_IDS for p in BY_ID[c].parts]


def part_outcomes(records, looks: tuple[int, ...], rounds: list[dict[str, Any]] | None = None):
    """(adjusted verdict, unadjusted verdict, ci_low, ci_high, adjusted answers) per part, from the real claims
    code; the answers are a `claims.stats.Answer` (direction and size)."""
    from claims.verdicts import _runs_for, judge, usable, look_plan, measure_part
    from claims.catalogue import BY_ID

    meta = _meta(looks, rounds)
    runs = usable(records)
    results = [measure_part(BY_ID[c], p, _runs_for(BY_ID[c], runs, meta), meta) for c, p in _parts()]
    judge(results, look_plan(records, meta))
    return [(r.adjusted, r.verdict, r.interval.low if r.interval else math.nan,
             r.interval.high if r.interval else math.nan, r.answer) for r in results]


PREVIOUS_LOOKS = (3, 5, 8, 12, 18, 20)  # Seeds(3, 20).looks() before the exact sequential rule


@contextlib.contextmanager
def union_bound():
    """The sequential rule before `claims.stats.look_null`: S = min_k p_k / w_k taken as the p-value itself."""
    import claims.verdicts

    exact = claims.verdicts.look_null
    claims.verdicts.look_null = lambda *args, **kwargs: None
    try:
        yield
    finally:
        claims.verdicts.look_null = exact


def run_auto(records, looks: tuple[int, ...], targeted: bool = False, first_verdict: bool = False):
    """One sweep in rounds at `looks`: evaluate after each look as the engine does; stop when nothing is undecided.
    Targeted, each round after the first has only the runs of the configurations an open part reads (the
    engine's `trials` of a round), and the claims read the rounds as sweep.json keeps them. `first_verdict`:
    stop instead at the first look where no claim's one-word verdict is "inconclusive" (before issue 44).
    (seeds reached, outcomes, runs trained)."""
    from claims.stats import INCONCLUSIVE
    from claims.verdicts import evaluate, trials_feeding_undecided

    kept, rounds = records, [{"round": 1, "first_seed": 0, "seeds": looks[0]}]
    for i, n in enumerate(looks):
        upto = [r for r in kept if r.seed < n]
        if first_verdict:
            open_claims = [r.claim for r in evaluate(upto, _meta(looks, rounds)) if r.final == INCONCLUSIVE
                           and r.claim in CLAIM_IDS]
            trials = {r.trial_id for r in upto}
        else:
            open_claims, trials = trials_feeding_undecided(upto, _meta(looks, rounds))
        if not open_claims or n == looks[-1]:
            return n, part_outcomes(upto, looks, rounds), len(upto)
        following = {"round": i + 2, "first_seed": n, "seeds": looks[i + 1]}
        if targeted and not trials >= {r.trial_id for r in upto}:
            following["trials"] = sorted(trials)
            kept = [r for r in kept if r.seed < n or r.trial_id in trials]
        rounds.append(following)
    raise AssertionError("unreachable")


@dataclass
class Tally:
    sweeps: int = 0
    part_false: np.ndarray | None = None
    part_unadjusted_false: np.ndarray | None = None
    part_old_false: np.ndarray | None = None
    part_supported: np.ndarray | None = None
    part_covered: np.ndarray | None = None
    sweep_false: int = 0
    sweep_old_false: int = 0
    sweep_direction_false: int = 0
    sweep_size_false: int = 0
    seeds_total: int = 0
    runs_total: int = 0
    headlines: dict[str, int] = field(default_factory=dict)  # each part's headline answer, counted over parts
    agree: int = 0  # decided parts whose headline equals the same part's in an independent replication
    agree_pairs: int = 0  # decided parts compared (both replications decided)
    last: list | None = None  # the previous sweep's headlines, to pair sweeps as replications

    def add(self, outcomes, effect: float, effect_m: float, old: list[bool], seeds: int,
            runs: int | None = None) -> None:
        from claims.stats import DEFINITIVE, SUPPORTED

        k = len(outcomes)
        for name in ("part_false", "part_unadjusted_false", "part_old_false", "part_supported", "part_covered"):
            if getattr(self, name) is None:
                setattr(self, name, np.zeros(k))
        directions = [direction_false(a, effect_m) for a, *_ in outcomes]
        sizes = [size_false(o[4].size, effect_m) for o in outcomes]
        false = np.array([d or s for d, s in zip(directions, sizes)], dtype=float)
        self.part_false += false
        self.part_unadjusted_false += [is_false(u, effect_m) for _, u, *_ in outcomes]
        self.part_old_false += old
        self.part_supported += [a == SUPPORTED for a, *_ in outcomes]
        self.part_covered += [lo <= effect <= hi for _, _, lo, hi, *_ in outcomes]
        self.sweep_false += bool(false.any())
        self.sweep_direction_false += any(directions)
        self.sweep_size_false += any(sizes)
        self.sweep_old_false += any(old)
        self.sweeps += 1
        self.seeds_total += seeds
        self.runs_total += runs if runs is not None else seeds * len(CONFIGS)
        answers = [o[4] for o in outcomes]
        for a in answers:
            self.headlines[a.headline] = self.headlines.get(a.headline, 0) + 1
        if self.last is None:  # sweeps pair up in order: the 1st with the 2nd, the 3rd with the 4th, ...
            self.last = answers
            return
        for a, b in zip(self.last, answers):
            if a.verdict in DEFINITIVE and b.verdict in DEFINITIVE:
                self.agree_pairs += 1
                self.agree += a.headline == b.headline
        self.last = None


def _labels() -> list[str]:
    return [f"{c}: {p.label}" for c, p in _parts()]


def compare_schedules(world: World, effect_label: str, sweeps: int, schedules: list[tuple[int, ...]],
                      rng: np.random.Generator, sd: float) -> list[Measurement]:
    """Sequential designs that differ only in their looks, on the very same sweeps (the exact rule)."""
    effect_m = EFFECTS[effect_label]
    tallies = {looks: Tally() for looks in schedules}
    for _ in range(sweeps):
        records = draw_sweep(world, max(max(looks) for looks in schedules), rng)
        for looks, tally in tallies.items():
            seeds, outcomes, runs = run_auto(records, looks)
            tally.add(outcomes, world.effect, effect_m, [False] * len(outcomes), seeds, runs)
    out = []
    for looks, tally in tallies.items():
        name = f"looks {', '.join(map(str, looks))}"
        out.append(_measure("calibration", world, effect_label, name, tally, sd))
    return out


def simulate(world: World, effect_m: float, sweeps: int, design: str, rng: np.random.Generator,
             fixed: int = FIXED_SEEDS, auto: tuple[int, int] = AUTO) -> Tally | tuple[Tally, ...]:
    """A fixed design's tally; for "auto", this rule's, its targeted rounds', the previous sequential rule's and
    the first-verdict stopping rule's, on the very same sweeps."""
    from search.sweep.seeds import Seeds

    if design == FIXED:
        tally = Tally()
        for _ in range(sweeps):
            records = draw_sweep(world, fixed, rng)
            outcomes = part_outcomes(records, (fixed,))
            old = [old_rule_false(records, i, effect_m) for i in range(len(outcomes))]
            tally.add(outcomes, world.effect, effect_m, old, fixed)
        return tally
    looks = Seeds(*auto).looks()
    ours, before, targeted, first = Tally(), Tally(), Tally(), Tally()
    for _ in range(sweeps):
        records = draw_sweep(world, auto[1], rng)
        seeds, outcomes, runs = run_auto(records, looks)
        ours.add(outcomes, world.effect, effect_m, [False] * len(outcomes), seeds, runs)
        seeds, outcomes, runs = run_auto(records, looks, first_verdict=True)
        first.add(outcomes, world.effect, effect_m, [False] * len(outcomes), seeds, runs)
        seeds, outcomes, runs = run_auto(records, looks, targeted=True)
        targeted.add(outcomes, world.effect, effect_m, [False] * len(outcomes), seeds, runs)
        with union_bound():
            seeds, outcomes, runs = run_auto(records, PREVIOUS_LOOKS if auto == AUTO else looks)
        before.add(outcomes, world.effect, effect_m, [False] * len(outcomes), seeds, runs)
    return ours, before, targeted, first


def simulate_folds(world: World, effect_m: float, sweeps: int, auto_sweeps: int, shared_partition: bool,
                   rng: np.random.Generator) -> tuple[Tally, Tally]:
    """Fold sweeps under a fixed 5 seeds and under Seeds(3, 20), one partition layout."""
    from search.sweep.seeds import Seeds

    fixed, auto = Tally(), Tally()
    for _ in range(sweeps):
        records = draw_fold_sweep(world, FIXED_SEEDS, rng, shared_partition)
        outcomes = part_outcomes(records, (FIXED_SEEDS,))
        fixed.add(outcomes, world.effect, effect_m, [False] * len(outcomes), FIXED_SEEDS, len(records))
    looks = Seeds(*AUTO).looks()
    for _ in range(auto_sweeps):
        seeds, outcomes, runs = run_auto(draw_fold_sweep(world, AUTO[1], rng, shared_partition), looks)
        auto.add(outcomes, world.effect, effect_m, [False] * len(outcomes), seeds, runs)
    return fixed, auto


def fold_measurements(partitions: list[float], sweeps: int, auto_sweeps: int, sd: float,
                      rng: np.random.Generator, effects: dict[str, float] = EFFECTS) -> list[Measurement]:
    """Every partition effect x true effect x layout x seed design, at the middle seed correlation."""
    out = []
    for partition in partitions:
        for label, effect_m in effects.items():
            world = World(FOLD_RHO, effect_m * MARGIN, sd, partition)
            for layout, shared in ((FRESH, False), (SHARED, True)):
                fixed, auto = simulate_folds(world, effect_m, sweeps, auto_sweeps, shared, rng)
                for seeds, tally in ((DESIGNS[FIXED], fixed), (DESIGNS[AUTO_DESIGN], auto)):
                    m = _measure("calibration", world, label, f"{layout}, {seeds}", tally, sd)
                    m.details["layout"], m.details["partition"] = layout, partition
                    print(json.dumps({"progress": m.data, "false_per_sweep": m.details["false_per_sweep"],
                                      "coverage": m.details["coverage_mean"]}), file=sys.stderr, flush=True)
                    out.append(m)
    return out


def _measure(name: str, world: World, effect_label: str, design: str, tally: Tally, sd: float) -> Measurement:
    n = tally.sweeps
    per_part = tally.part_false / n
    sweep_rate = tally.sweep_false / n
    coverage = tally.part_covered / n
    power = tally.part_supported / n
    effect_m = EFFECTS[effect_label]
    bound = FALSE_TARGET + 1.96 * math.sqrt(FALSE_TARGET * (1 - FALSE_TARGET) / n)
    direction_rate, size_rate = tally.sweep_direction_false / n, tally.sweep_size_false / n
    if effect_m >= 2:
        metric, ours, target = "power: share of parts 'supported' (adjusted)", float(power.mean()), "none"
        passed = None
    else:
        metric, ours, target = ("false definitive answers per sweep (any part, direction or size, adjusted)",
                                sweep_rate, "<= 0.05 each for direction and size")
        passed = bool(direction_rate <= bound and size_rate <= bound)
    agreement = tally.agree / tally.agree_pairs if tally.agree_pairs else None
    baseline = tally.sweep_old_false / n if design == FIXED and effect_m < 2 else None
    slack = 1.96 * math.sqrt(0.95 * 0.05 / n)  # the sampling error of a 95% coverage measured on n sweeps
    cov_ok = bool(0.93 - slack <= coverage.mean() <= 0.97 + slack)
    seeds_desc = DESIGNS.get(design, design)
    return Measurement(
        name=name,
        data=f"{n} synthetic sweeps, 8 configurations, {seeds_desc}, rho={world.rho:g}, true effect {effect_label} "
             f"({world.effect:+.3f}), sd of a paired difference {sd:g}"
             + (f", partition effect {world.partition:g} sd" if design not in DESIGNS else ""),
        metric=metric,
        unit="",
        baseline_is="the old rule on the same sweeps: seed x setting pairs as independent, no Holm"
        if baseline is not None else "none",
        ours_is=f"claims.verdicts with the seed as the unit, Holm, sequential looks ({seeds_desc})"
        if design != PREVIOUS else f"claims.verdicts under the previous sequential rule ({seeds_desc})",
        baseline=baseline,
        ours=ours,
        ratio=None,
        ratio_means="",
        target=target,
        passed=passed,
        trials=len(CONFIGS),
        details={
            "design": design, "rho": world.rho, "partition": world.partition, "true_effect": world.effect, "effect": effect_label,
            "parts": _labels(),
            "false_per_part": per_part.round(4).tolist(),
            "false_per_part_mean": float(per_part.mean()),
            "false_per_part_unadjusted": (tally.part_unadjusted_false / n).round(4).tolist(),
            "false_per_part_old_rule": (tally.part_old_false / n).round(4).tolist() if design == FIXED else None,
            "false_per_sweep": sweep_rate,
            "false_direction_per_sweep": direction_rate,
            "false_size_per_sweep": size_rate,
            "headlines": {h: round(c / (n * len(per_part)), 4) for h, c in sorted(tally.headlines.items())},
            "agreement": agreement,
            "agreement_pairs": tally.agree_pairs,
            "agreement_ok": None if agreement is None else agreement >= AGREE_TARGET,
            "coverage_per_part": coverage.round(4).tolist(),
            "coverage_mean": float(coverage.mean()),
            "coverage_ok": cov_ok,
            "power_per_part": power.round(4).tolist(),
            "mean_seeds": tally.seeds_total / n,
            "mean_runs": tally.runs_total / n,
        },
    )


def _savings(world: World, tallies: dict[str, Tally], sweeps: int, rng: np.random.Generator,
             sd: float) -> list[Measurement]:
    """Fixed designs of 3, 4, ... seeds at twice the margin until one has the power of each sequential rule;
    its runs against that rule's mean runs (the same fixed designs serve both rules)."""
    targets = {d: float(t.part_supported.mean() / t.sweeps) for d, t in tallies.items()}
    powers: dict[int, float] = {}
    for n in range(3, AUTO[1] + 1):
        tally = simulate(world, 2.0, sweeps, FIXED, rng, fixed=n)
        powers[n] = float(tally.part_supported.mean() / tally.sweeps)
        if powers[n] >= max(targets.values()):
            break
    out = []
    for design, t in tallies.items():
        match = next((n for n, p in powers.items() if p >= targets[design]), None)
        runs = t.runs_total / t.sweeps
        fixed_runs = match * len(CONFIGS) if match else None
        ratio = fixed_runs / runs if fixed_runs else None
        out.append(Measurement(
            name="calibration",
            data=f"{t.sweeps} sequential and {sweeps} fixed synthetic sweeps per design, rho={world.rho:g}, "
                 f"true effect twice the margin, sd {sd:g}",
            metric=f"runs for the same power: fixed seeds vs {DESIGNS[design]}",
            unit="runs",
            baseline_is=f"fixed {match} seeds, the smallest with the sequential design's power" if match
            else f"no fixed design up to {AUTO[1]} seeds",
            ours_is=f"{DESIGNS[design]}, mean runs",
            baseline=fixed_runs,
            ours=runs,
            ratio=ratio,
            ratio_means="fixed runs / sequential runs",
            target=">= 2",
            passed=None if ratio is None else ratio >= 2,
            trials=len(CONFIGS),
            details={"rho": world.rho, "design": design, "seeds_power": targets[design], "fixed_power": powers,
                     "matched_fixed_seeds": match, "mean_seeds": t.seeds_total / t.sweeps},
        ))
    return out


def replay(folder: Path, resamples: int, rng: np.random.Generator) -> list[Measurement]:
    """Resample a finished sweep's seeds with replacement; how often each decided claim keeps its verdict."""
    from claims.stats import DEFINITIVE, NOT_MEASURABLE
    from claims.verdicts import evaluate
    from rundir.errors import SweepError
    from rundir.manifest import SeedPlan, read_manifest
    from rundir.records import RunDirectory

    directory = RunDirectory(folder)
    try:
        meta = read_manifest(folder)
    except (SweepError, OSError) as exc:
        raise Skip(f"{folder}: cannot read sweep.json ({exc})") from None
    records = directory.read_runs()
    seeds = sorted({r.seed for r in records})
    if len(seeds) < 2:
        raise Skip(f"{folder}: fewer than 2 seeds, nothing to resample")
    original = {r.claim: r for r in evaluate(records, meta)}
    decided = [c for c, r in original.items() if r.final in DEFINITIVE or r.final == NOT_MEASURABLE]
    kept = {c: 0 for c in decided}
    flat = meta.with_changes(seeds=SeedPlan.fixed(len(seeds)))
    for _ in range(resamples):
        chosen = rng.choice(seeds, size=len(seeds), replace=True)
        resampled = [replace(r, seed=new) for new, old in enumerate(chosen) for r in records if r.seed == old]
        rows = {r.claim: r for r in evaluate(resampled, flat)}
        for c in decided:
            kept[c] += rows[c].final == original[c].final
    out = []
    for c in decided:
        share = kept[c] / resamples
        out.append(Measurement(
            name="calibration",
            data=f"{folder}: {len(records)} runs, {len(seeds)} seeds, {resamples} resamples of the seeds",
            metric=f"{c}: share of resamples that keep the verdict '{original[c].final}'",
            unit="",
            baseline_is="none",
            ours_is="claims.verdicts on the resampled seeds",
            baseline=None,
            ours=share,
            ratio=None,
            ratio_means="",
            target=">= 0.9",
            passed=share >= 0.9,
            details={"claim": c, "verdict": original[c].final, "decided_by": original[c].decided_by,
                     "kept": kept[c], "resamples": resamples, "replayed_folder": str(folder)},
        ))
    if not out:
        raise Skip(f"{folder}: no claim was decided, nothing to replay")
    return out


def run(args) -> list[Measurement]:
    rng = np.random.default_rng(args.calibration_seed)
    sweeps = args.sweeps
    if sweeps < 1 or args.auto_sweeps < 1 or args.resamples < 1 or not args.sd > 0 or args.tuned_sweeps < 0 \
            or getattr(args, "stated_sweeps", 0) < 0 or getattr(args, "binary_sweeps", 0) < 0:
        raise Skip("--sweeps, --auto-sweeps and --resamples must be at least 1, --tuned-sweeps, --stated-sweeps and "
                   "--binary-sweeps at least 0 and --sd above 0")
    sd = args.sd
    out: list[Measurement] = []
    try:  # "" runs no synthetic sweeps (a replay of --runs only)
        correlations = [float(x) for x in args.correlations.split(",") if x.strip()]
    except ValueError:
        raise Skip(f"--correlations must be comma-separated numbers, got {args.correlations!r}") from None
    try:
        for part in (args.schedules or "").split(";"):
            looks = [int(n) for n in part.split(",")] if part.strip() else [2]
            if looks != sorted(set(looks)) or looks[0] < 2:
                raise ValueError
    except ValueError:
        raise Skip(f"--schedules must be ';'-separated lists of growing seed counts of at least 2, like "
                   f"'3,5,8;3,4,6,8', got {args.schedules!r}") from None
    try:
        partitions = [float(x) for x in args.partitions.split(",") if x.strip()]
    except ValueError:
        raise Skip(f"--partitions must be comma-separated numbers, got {args.partitions!r}") from None
    if any(p < 0 for p in partitions):
        raise Skip(f"--partitions must be at least 0, got {args.partitions!r}")
    if any(not 0 <= r < 1 for r in correlations):
        raise Skip(f"--correlations must lie in [0, 1), got {args.correlations!r}")
    labels = [x.strip() for x in (getattr(args, "effects", "") or ",".join(EFFECTS)).split(",") if x.strip()]
    if any(label not in EFFECTS for label in labels):
        raise Skip(f"--effects takes comma-separated names from {', '.join(EFFECTS)}, got {args.effects!r}")
    effects = {label: EFFECTS[label] for label in labels}
    for rho in correlations:
        for label, effect_m in effects.items():
            world = World(rho, effect_m * MARGIN, sd)
            fixed = simulate(world, effect_m, sweeps, FIXED, rng)
            ours, before, targeted, first = simulate(world, effect_m, args.auto_sweeps, AUTO_DESIGN, rng)
            for design, tally in ((FIXED, fixed), (AUTO_DESIGN, ours), (TARGETED, targeted), (PREVIOUS, before),
                                  (FIRST_VERDICT, first)):
                m = _measure("calibration", world, label, design, tally, sd)
                print(json.dumps({"progress": m.data, "false_per_sweep": m.details["false_per_sweep"],
                                  "mean_seeds": m.details["mean_seeds"]}), file=sys.stderr, flush=True)
                out.append(m)
            saving_at = (correlations[0], correlations[len(correlations) // 2])
            if effect_m >= 2 and rho in saving_at:
                out += _savings(world, {AUTO_DESIGN: ours, TARGETED: targeted, PREVIOUS: before}, sweeps, rng, sd)
    schedules = [tuple(int(n) for n in part.split(",")) for part in (args.schedules or "").split(";") if part.strip()]
    for rho in correlations if schedules else ():
        for label in ("zero", "twice the margin"):
            out += compare_schedules(World(rho, EFFECTS[label] * MARGIN, sd), label, args.auto_sweeps, schedules,
                                     rng, sd)
    out += fold_measurements(partitions, sweeps, args.auto_sweeps, sd, rng, effects)
    if args.tuned_sweeps > 0:
        from benchmarks.tuned_calibration import measurements

        out += measurements(args.tuned_sweeps, min(args.auto_sweeps, args.tuned_sweeps), rng)
    if getattr(args, "stated_sweeps", 0) > 0:
        from benchmarks.stated_calibration import measurements as stated_measurements

        out += stated_measurements(args.stated_sweeps, min(args.auto_sweeps, args.stated_sweeps), rng)
    if getattr(args, "binary_sweeps", 0) > 0:
        from benchmarks.binary_calibration import measurements as binary_measurements

        out += binary_measurements(args.binary_sweeps, rng)
    if args.runs is not None:
        try:
            out += replay(args.runs, args.resamples, rng)
        except Skip as exc:
            print(f"calibration: replay skipped: {exc}", file=sys.stderr)
    else:
        print("calibration: replay skipped: no --runs DIR given", file=sys.stderr)
    return out


def table(lines: list[str]) -> str:
    """The calibration lines (JSON, as printed) as one plain table per correlation, effect and design."""
    rows = [("rho", "partition", "true effect", "design", "false/part", "false/sweep", "direction/sweep", "size/sweep",
             "old rule/sweep", "coverage", "power", "agreement", "mean seeds", "mean runs")]
    for line in lines:
        m = json.loads(line)
        d = m.get("details") or {}
        if m.get("name") != "calibration" or "false_per_sweep" not in d or d.get("stated"):
            continue  # the stated claims' lines have a table of their own (benchmarks.stated_calibration)
        old = m.get("baseline")
        agreement = d.get("agreement")
        rows.append((f"{d['rho']:g}", f"{d.get('partition') or 0:g}", d["effect"], d["design"], f"{d['false_per_part_mean']:.3f}",
                     f"{d['false_per_sweep']:.3f}", f"{d.get('false_direction_per_sweep', 0):.3f}",
                     f"{d.get('false_size_per_sweep', 0):.3f}", "-" if old is None else f"{old:.3f}",
                     f"{d['coverage_mean']:.3f}", f"{float(np.mean(d['power_per_part'])):.3f}",
                     "-" if agreement is None else f"{agreement:.3f}", f"{d['mean_seeds']:.1f}",
                     f"{d.get('mean_runs', 0):.0f}"))
    if len(rows) == 1:
        return ""
    return text_table(rows)
