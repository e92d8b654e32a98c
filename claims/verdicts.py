"""Judge a sweep's requested claims on its run records and write `claims.csv`.

Works on the records as read from disk, so verdicts can be recomputed (and
the report rebuilt) at any time, also while the sweep is still running.

For each part of a requested claim:

1. the runs it may use: completed and not pruned by median stopping (a
   diverged run also counts where the part measures non-convergence);
2. one value per seed: for a contrast, the paired differences (treatment
   minus baseline, runs equal in everything the contrast does not vary)
   averaged over the other settings within the seed; within runs, the mean
   of the seed's runs. The seed is the unit (see `claims.stats`);
3. "not measurable on this data" when the data cannot show the margin (it
   is under two validation images) or most of the runs sit at the ceiling
   or at chance; said in words, never as "no difference";
4. at every planned look (`seed_looks` in sweep.json) reached so far: the
   t test of each statement on seeds 0..n-1; sequential p-values over the
   looks; Holm across every part the sweep judges. The adjusted verdict is
   the one to act on; the unadjusted one is what the 95% interval says;
5. where the sweep varies other knobs too, the tuned comparison of each
   contrast part (`claims.tuned`): each side at its own best settings,
   judged the same way as a Holm family of its own.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from claims.catalogue import CLAIMS, Claim, Part
from claims.contrasts import BASELINE, TREATMENT, pairing
from claims.stated import claim_of
from claims.measure import censored, chance_rate, common_target, diverged, metric_named, seed_weight, weighted_mean
from claims.stats import (
    ALPHA, CONTRADICTED, DEFAULT_MIN_SEEDS, DEFINITIVE, INCONCLUSIVE, NO_DIFFERENCE, NOT_MEASURABLE, NOT_REQUESTED,
    NOT_TESTED, SUPPORTED, UNDECIDED, UNRESOLVED, WITHIN, BEYOND, Answer, Interval, PValues, answer_of, decide, holm_levels,
    holm_thresholds, look_null, look_weights, p_values, sequential, t_interval, zero_spread_interval,
    zero_spread_p_values,
)
from claims.tuned import Tuned, look_tests, measure_tuned, tuned_statements
from rundir.manifest import Manifest
from rundir.files import atomic_write_text, to_csv
from rundir.records import RunRecord

COLUMNS = ["claim", "verdict", "adjusted_verdict", "decided_by", "effect", "ci_low", "ci_high", "seeds", "runs",
           "margin", "seeds_needed", "seeds_to_decide", "tuned_verdict", "tuned_effect", "tuned_ci_low", "tuned_ci_high",
           "tuned_seeds", "tuned_choice", "why_unmeasurable", "direction", "size", "tuned_size", "metric", "note", "source",
           "sentence", "differences"]
MOST = 0.5  # "most runs" at the ceiling or at chance: more than half
RESOLUTION_IMAGES = 2  # a margin under two validation images cannot be measured


@dataclass
class ClaimRow:
    claim: str
    verdict: str  # what the unadjusted 95% interval says
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    n_pairs: int | None  # files written before the seed became the unit: their pair count
    metric: str
    note: str
    source: str
    sentence: str
    differences: list[float]  # per-seed values of the deciding part (or the first tested one)
    adjusted_verdict: str = ""  # Holm across the sweep's parts, valid at every look: the one to act on
    decided_by: str = ""  # the part that decided the claim's verdict
    seeds: int | None = None
    runs: int | None = None
    margin: float | None = None
    seeds_needed: int | None = None  # the first look at which the adjusted verdict was definitive
    seeds_to_decide: int | None = None  # open claims: seeds in all that would decide it at today's spread (a projection)
    # Each side at its own best settings (`claims.tuned`), where the sweep varies nuisance knobs ("" otherwise):
    tuned_verdict: str = ""  # adjusted (Holm across the sweep's tuned parts, valid at every look)
    tuned_effect: float | None = None
    tuned_ci_low: float | None = None
    tuned_ci_high: float | None = None
    tuned_seeds: int | None = None
    tuned_choice: str = ""  # the settings each side was chosen at, in words
    why_unmeasurable: str = ""  # "not measurable": why, in a few words ("every run scored 100%")
    # The adjusted answers of the deciding part (claims.stats.Answer): the verdict is derived from them.
    direction: str = ""  # supported, contradicted or undecided ("" when not tested)
    size: str = ""  # at least the margin, smaller than the margin, size not yet resolved ("" for sign-0 parts)
    settled: bool = True  # False while more seeds could change the answers (`undecided`)
    tuned_size: str = ""  # the tuned answer's size

    @property
    def final(self) -> str:
        """The verdict to act on: adjusted when known (older files have only the unadjusted one)."""
        return self.adjusted_verdict or self.verdict

    @property
    def headline(self) -> str:
        """The answers in words ("supported, but smaller than the margin"); the verdict where they do not apply."""
        return _headline(self.final, self.size)

    @property
    def tuned_headline(self) -> str:
        return _headline(self.tuned_verdict, self.tuned_size)


def _headline(verdict: str, size: str) -> str:
    """A one-word verdict and a size in words; the verdict alone where no size applies (not measurable, ...)."""
    if verdict in (SUPPORTED, CONTRADICTED, NO_DIFFERENCE, INCONCLUSIVE) and size:
        return answer_of(verdict, size).headline
    return verdict


@dataclass
class PartResult:
    part: Part
    status: str  # "tested", NOT_TESTED or NOT_MEASURABLE
    reason: str = ""
    short: str = ""  # the reason in a few words, for a table cell (not measurable)
    per_seed: dict[int, float] = field(default_factory=dict)
    runs: int = 0
    details: list[str] = field(default_factory=list)
    interval: Interval | None = None
    verdict: str = INCONCLUSIVE  # unadjusted
    adjusted: str = INCONCLUSIVE  # `answer.verdict`: the older one-word vocabulary
    answer: Answer = field(default_factory=lambda: Answer(UNDECIDED, UNRESOLVED))  # adjusted: direction and size
    seeds_needed: int | None = None
    evidence: tuple[float, float] | None = None  # (p, Holm's level) of the hypothesis that decides it, last look
    trials: frozenset[str] = frozenset()  # the configurations whose runs entered it
    seed_limit: int | None = None  # a targeted round stopped training it here: seeds from this one on stay out
    tuned: Tuned | None = None  # each side at its best settings; None without nuisance knobs

    @property
    def tested(self) -> bool:
        return self.status == "tested"

    def at_look(self, seeds: int) -> list[float]:
        return [v for s, v in sorted(self.per_seed.items()) if s < seeds]


# -- which runs, and one value per seed --------------------------------------

def usable(records: list[RunRecord]) -> list[RunRecord]:
    """Completed runs and diverged ones; never a run cut short by median stopping."""
    return [r for r in records if not r.pruned and (r.status == "completed" or diverged(r))]


def _runs_for(claim: Claim, runs: list[RunRecord], manifest: Manifest) -> list[RunRecord]:
    """The runs a claim may use: its model's only, at the article's settings if it says so."""
    if claim.model is not None and manifest.model.name != claim.model:
        return []
    if not claim.at_article_defaults:
        return runs
    if claim.image_size is not None and manifest.data.image_size != claim.image_size:
        return []
    defaults = manifest.article_defaults
    keep = [k for k in defaults if k != "epochs"]
    least_epochs = defaults.get("epochs", 0)
    return [r for r in runs if all(r.hyperparameters.get(k) == defaults[k] for k in keep)
            and (r.hyperparameters.get("epochs") or 0) >= least_epochs]


PerSeed = tuple[dict[int, float], list[RunRecord]]  # one value per seed, and the runs that entered them


def per_seed_differences(part: Part, runs: list[RunRecord], manifest: Manifest) -> PerSeed:
    """Treatment minus baseline averaged within each seed, and the runs that entered a pair.

    Runs pair on the seed, the fold and every knob the contrast does not
    vary; should a key hold several runs of one side they are averaged
    first. The pairs of one seed share its initial weights and data order
    (and with folds its partition), so they are averaged into one value:
    the seed is the unit. With folds a pair weighs as many as the images its
    fold validated, so a seed's value is the difference over all its images.
    """
    metric = metric_named(part.metric)
    plan = pairing(part.contrast, [r.hyperparameters for r in runs])
    sided = [r for r in runs if plan.side(r.hyperparameters) is not None]
    sides: dict[tuple, dict[str, list[tuple[RunRecord, float]]]] = defaultdict(lambda: {TREATMENT: [], BASELINE: []})
    keys: dict[int, tuple] = {}  # a trial's seeds share their hyperparameters: compute each key once
    for run, value in metric.values(sided, manifest):
        hps = run.hyperparameters
        if id(hps) not in keys:
            keys[id(hps)] = plan.key(hps, 0)[1:]
        sides[(run.seed, run.fold, *keys[id(hps)])][plan.side(hps)].append((run, value))
    by_seed: dict[int, list[tuple[float, float]]] = defaultdict(list)
    used: list[RunRecord] = []
    for key, s in sides.items():
        if s[TREATMENT] and s[BASELINE]:
            difference = _mean([v for _, v in s[TREATMENT]]) - _mean([v for _, v in s[BASELINE]])
            by_seed[key[0]].append((difference, seed_weight(s[TREATMENT][0][0])))
            used += [r for r, _ in s[TREATMENT] + s[BASELINE]]
    return {seed: weighted_mean(d) for seed, d in by_seed.items()}, used


def _mean(values: list[float]) -> float:
    return math.fsum(values) / len(values)


def per_seed_values(part: Part, runs: list[RunRecord], manifest: Manifest, reference: float) -> PerSeed:
    """Within-run parts: the mean of each seed's runs (minus the article's reference for sign-0 parts),
    with folds weighted by the images each validated."""
    by_seed: dict[int, list[tuple[float, float]]] = defaultdict(list)
    used = []
    for run, value in metric_named(part.metric).values(runs, manifest):
        by_seed[run.seed].append((value - (reference if part.sign == 0 else 0.0), seed_weight(run)))
        used.append(run)
    return {seed: weighted_mean(v) for seed, v in by_seed.items()}, used


# -- not measurable on this data --------------------------------------------

@dataclass(frozen=True)
class Unmeasurable:
    """Why the data cannot decide a part: a few words for a table cell, and the sentence for the notes."""

    short: str
    detail: str


def _some(k: int, n: int) -> str:
    return "every run" if k == n else f"{k} of {n} runs"


def below_resolution(part: Part, n_val: int) -> bool:
    """The part's margin is under two of `n_val` validation images: no run can show it, whatever the seeds.

    The one rule for this: verdicts apply it to the records, the sweep's
    header to the split before training (`unresolvable`)."""
    return bool(metric_named(part.metric).scale == "val" and part.accuracy_units and n_val
                and part.margin < RESOLUTION_IMAGES / n_val)


def unresolvable(claims: Sequence[Claim], n_val: int) -> list[tuple[str, Part]]:
    """(claim id, part) of each claim's part that `n_val` validation images cannot measure."""
    return [(claim.id, part) for claim in claims for part in claim.parts
            if below_resolution(part, n_val)]


def not_measurable(part: Part, used: list[RunRecord], manifest: Manifest) -> Unmeasurable | None:
    """Why the data cannot decide this part, in plain words (None when it can)."""
    metric = metric_named(part.metric)
    n_val, n_train = manifest.data.n_val or 0, manifest.data.n_train or 0
    if below_resolution(part, n_val):
        return Unmeasurable(
            f"{RESOLUTION_IMAGES} images = {RESOLUTION_IMAGES * 100 / n_val:.2g} points, over the "
            f"{part.margin * 100:g}-point margin",
            f"the smallest difference that matters here ({part.margin * 100:g} accuracy points) is less than "
            f"{RESOLUTION_IMAGES} of the {n_val} validation images (one image is {100 / n_val:.2g} points); "
            f"a larger validation set is needed")
    if part.sign == 0 or metric.scale is None or not used:
        return None
    done = [r for r in used if r.status == "completed"]
    if metric.scale == "train":
        top = [r for r in done if r.final_train_accuracy is not None and r.final_train_accuracy >= _all_right(n_train)]
        if len(top) > MOST * len(used):
            return Unmeasurable(f"{_some(len(top), len(used))} fit 100% of the training images",
                                f"{len(top)} of {len(used)} runs fit every training image, so there is no room left "
                                f"to show which fits better")
        return None
    top = [r for r in done if r.best_val_accuracy is not None and r.best_val_accuracy >= _all_right(n_val)]
    if len(top) > MOST * len(used):
        return Unmeasurable(f"{_some(len(top), len(used))} scored 100%",
                            f"{len(top)} of {len(used)} runs got every validation image right, so there is no room "
                            f"left to show a difference (the task is too easy, or the validation set too small; see "
                            f"the data check)")
    chance = chance_rate(manifest)
    if chance is not None and part.metric != "did_not_converge":
        slack = 0.5 / n_val if n_val else 1e-9  # half an image: accuracies are multiples of 1/n_val
        low = [r for r in used if r.status != "completed" or (r.best_val_accuracy is not None
                                                              and r.best_val_accuracy <= chance + slack)]
        if len(low) > MOST * len(used):
            return Unmeasurable(f"{_some(len(low), len(used))} at chance ({chance:.0%})",
                                f"{len(low)} of {len(used)} runs did no better than always answering the largest "
                                f"class ({chance:.0%}), so they learned nothing to compare")
    return None


def _all_right(n: int) -> float:
    """The accuracy of getting all n images right, less half an image of float rounding (1.0 when n is unknown)."""
    return 1 - 0.5 / n if n else 1.0


# -- one claim's parts --------------------------------------------------------

def measure_part(claim: Claim, part: Part, runs: list[RunRecord], manifest: Manifest) -> PartResult:
    """One value per seed for the part, or why it cannot be tested or measured."""
    metric = metric_named(part.metric)
    runs = runs if metric.takes_diverged else [r for r in runs if r.status == "completed"]
    per_seed, used = _per_seed(claim, part, runs, manifest)
    trials = frozenset(r.trial_id for r in used)
    limit = targeted_limit(trials, manifest)
    if limit is not None:
        runs = [r for r in runs if r.seed < limit]
        per_seed, used = _per_seed(claim, part, runs, manifest)
    if not per_seed:
        return PartResult(part, NOT_TESTED, f"needs {claim.needs}")
    result = PartResult(part, "tested", per_seed=per_seed, runs=len(used), details=_details(claim, part, used, manifest),
                        trials=trials, seed_limit=limit, tuned=measure_tuned(part, runs, manifest))
    why = not_measurable(part, used, manifest)
    if why:
        result.status, result.reason, result.short, result.tuned = NOT_MEASURABLE, why.detail, why.short, None
        result.verdict = result.adjusted = NOT_MEASURABLE
        result.interval = t_interval(list(per_seed.values()))  # shown for context, never judged
    return result


def _per_seed(claim: Claim, part: Part, runs: list[RunRecord], manifest: Manifest) -> PerSeed:
    reference = part.reference if part.reference is not None else claim.reference or 0.0
    if part.contrast is None:
        return per_seed_values(part, runs, manifest, reference)
    per_seed, used = per_seed_differences(part, runs, manifest)
    if part.sign == 0:  # a stated "equal": the difference against the one expected
        per_seed = {seed: value - reference for seed, value in per_seed.items()}
    return per_seed, used


def targeted_limit(trials: frozenset[str], manifest: Manifest) -> int | None:
    """The first seed of the first targeted round that left out one of these configurations (sweep.json's
    rounds), or None. From there on a part would average over fewer settings per seed than before, so its
    seeds would not be alike: the part keeps the seeds below, as a sequential design that stopped there."""
    for rnd in manifest.rounds:
        if rnd.trials is not None and not trials <= set(rnd.trials):
            return rnd.first_seed
    return None


def _details(claim: Claim, part: Part, used: list[RunRecord], manifest: Manifest) -> list[str]:
    notes = []
    if part.metric == "epochs_to_target":
        target = common_target(used, manifest)
        late = sum(censored(r, target) for r in used)
        if target is not None:
            notes.append(f"target {target:.3f} validation accuracy; {late} of {len(used)} runs never reached it")
    if part.metric == "did_not_converge":
        notes.append(f"{sum(diverged(r) for r in used)} of {len(used)} runs diverged (NaN loss)")
    if claim.confounded_with_size and part.contrast is not None:
        plan = pairing(part.contrast, [r.hyperparameters for r in used])
        sizes = {side: sorted({r.params for r in used if r.params and plan.side(r.hyperparameters) == side})
                 for side in (TREATMENT, BASELINE)}
        if sizes[TREATMENT] and sizes[BASELINE]:
            fmt = lambda xs: "/".join(f"{x:,}" for x in xs[:3]) + ("..." if len(xs) > 3 else "")  # noqa: E731
            notes.append(f"parameters: {fmt(sizes[TREATMENT])} (treatment) vs {fmt(sizes[BASELINE])} (baseline)")
    return notes


# -- looks, sequential p-values and Holm -------------------------------------

@dataclass(frozen=True)
class LookPlan:
    looks: tuple[int, ...]  # planned seed counts at which verdicts are read
    reached: tuple[int, ...]  # those the records reach
    min_seeds: int


def look_plan(records: list[RunRecord], manifest: Manifest) -> LookPlan:
    """The planned looks (sweep.json's seed_looks; one look at the seed count otherwise) and those reached."""
    present = max((r.seed for r in records), default=-1) + 1
    looks = manifest.looks or (present,)
    min_seeds = max(2, min(manifest.claim_min_pairs or DEFAULT_MIN_SEEDS, DEFAULT_MIN_SEEDS))
    return LookPlan(looks, tuple(n for n in looks if n <= present), min_seeds)


def value_range(part: Part) -> tuple[float, float] | None:
    """The range one seed's value of a part can take, where its metric has one (a 0/1 outcome): a
    difference of two such values spans twice it. None for a part compared with a reference (sign 0)."""
    bounds = metric_named(part.metric).bounds
    if bounds is None or part.sign == 0:
        return None
    lo, hi = bounds
    return (lo - hi, hi - lo) if part.contrast is not None else (lo, hi)


def statements(values: list[float], part: Part) -> tuple[Interval, PValues]:
    """A part's interval and the p-values of its statements on one look's per-seed values.

    The t interval and its tests, unless every seed gave the same value on a
    metric that is not an exact reading: a t interval then has no width,
    which is no certainty. On a metric with a range (did_not_converge) the
    exact bound for n seeds that all agree is used instead
    (`stats.zero_spread_interval`); on any other the part stays open.
    """
    return statements_on(t_interval(values), part)


def statements_on(interval: Interval, part: Part) -> tuple[Interval, PValues]:
    """`statements` on a look's interval (also a projected one: `seeds_to_decide`)."""
    if interval.n < 2 or interval.sd != 0 or metric_named(part.metric).exact:
        return interval, p_values(interval, part.sign, part.margin)
    span = value_range(part)
    if span is None:
        return interval, PValues(1.0, 1.0, 1.0)
    return (zero_spread_interval(interval.n, interval.mean, *span),
            zero_spread_p_values(interval.n, interval.mean, *span, part.sign, part.margin))


def _look_tests(result: PartResult, seeds: int, min_seeds: int) -> PValues | None:
    """The part's statements on seeds 0..seeds-1; None when that look has too few seeds to judge."""
    values = result.at_look(seeds)
    if len(values) < min_seeds:
        return None
    return statements(values, result.part)[1]


def planned_counts(result: PartResult, plan: LookPlan) -> tuple[int, ...]:
    """The part's seed count at every planned look: as on disk for the looks reached, and for the
    others the planned count less the seeds missing so far (a failed run's seed stays missing)."""
    reached = [len(result.at_look(n)) for n in plan.reached]
    missing = plan.reached[-1] - reached[-1] if reached else 0
    return tuple(reached) + tuple(max(0, n - missing) for n in plan.looks[len(reached):])


def judge(results: list[PartResult], plan: LookPlan) -> None:
    """Set every tested part's unadjusted and adjusted verdicts and the seeds its verdict needed, and
    the same for the tuned comparisons (a Holm family of their own, `claims.tuned`)."""
    tested = [r for r in results if r.tested]
    for r in tested:
        r.interval, p = statements(list(r.per_seed.values()), r.part)
        r.verdict = _unadjusted(p, len(r.per_seed), plan, r.part.sign)
    if not tested:
        return
    weights = look_weights(plan.looks)
    own = [_own_plan(r, plan) for r in tested]
    # A part on a metric with a range may take exact p-values (`statements`), which are not t's: it
    # takes the union bound across looks, valid for any p-values, instead of the t statistics' null.
    nulls = [look_null(planned_counts(r, p), weights, plan.min_seeds)
             if len(plan.looks) > 1 and value_range(r.part) is None else None for r, p in zip(tested, own)]
    per_look = [[_look_tests(r, n, plan.min_seeds) for n in p.reached] for r, p in zip(tested, own)]
    for r, (answer, needed, evidence) in zip(tested, _holm_over_looks(tested, per_look, nulls, weights, plan)):
        r.answer, r.adjusted, r.seeds_needed, r.evidence = answer, answer.verdict, needed, evidence
    tuned = [r for r in tested if r.tuned is not None]
    for r in tuned:
        r.tuned.interval, p = tuned_statements(r.tuned, list(r.tuned.per_seed.values()), r.part)
        r.tuned.verdict = _unadjusted(p, len(r.tuned.per_seed), plan, r.part.sign)
    per_look = [[look_tests(r.tuned, n, plan.min_seeds, r.part) for n in _own_plan(r, plan).reached] for r in tuned]
    for r, (answer, needed, _) in zip(tuned, _holm_over_looks(tuned, per_look, [None] * len(tuned), weights, plan)):
        r.tuned.answer, r.tuned.adjusted, r.tuned.seeds_needed = answer, answer.verdict, needed


def _unadjusted(p: PValues, seeds: int, plan: LookPlan, sign: int) -> str:
    """What the 95% interval alone says, once a part has the seeds a verdict needs."""
    return decide(p, ALPHA, sign) if seeds >= plan.min_seeds else INCONCLUSIVE


def _holm_over_looks(parts: list[PartResult], per_look: list[list[PValues | None]], nulls: list[Any],
                     weights: tuple[float, ...], plan: LookPlan) -> list[tuple[Answer, int | None, tuple | None]]:
    """Each part's adjusted answers at the last look reached, the first look its one-word verdict was
    definitive at, and (p, Holm's level) of the hypothesis it rests on: Holm across the parts at every
    look reached."""
    out: list[tuple[Answer, int | None, tuple | None]] = [(Answer(UNDECIDED, UNRESOLVED), None, None)] * len(parts)
    for k, seeds in enumerate(plan.reached):
        p_seq = [sequential(p[: k + 1], weights, r.part.sign, null) for r, p, null in zip(parts, per_look, nulls)]
        family = [q for r, p in zip(parts, p_seq) for q in p.family(r.part.sign)]
        levels, thresholds = holm_levels(family), holm_thresholds(family)
        for i, (r, p) in enumerate(zip(parts, p_seq)):
            answer = p.decide_adjusted(r.part.sign, levels[2 * i], levels[2 * i + 1])
            h = 2 * i + _deciding(r.part.sign, answer.verdict, family[2 * i], family[2 * i + 1])
            needed = (out[i][1] or seeds) if answer.verdict in DEFINITIVE else None  # the first definitive look
            out[i] = (answer, needed, (family[h], thresholds[h]))
    return out


def _own_plan(result: PartResult, plan: LookPlan) -> LookPlan:
    """The looks a part reached: the sweep's, up to where a targeted round stopped training it. Its later
    planned looks count as not reached, so its sequential p-value is that of a design stopped early."""
    if result.seed_limit is None:
        return plan
    return LookPlan(plan.looks, tuple(n for n in plan.reached if n <= result.seed_limit), plan.min_seeds)


def _deciding(sign: int, adjusted: str, first: float, second: float) -> int:
    """Which of a part's two hypotheses (`PValues.family`) its adjusted verdict rests on: 0 or 1; for an
    open part, the one closer to being rejected."""
    if adjusted == NO_DIFFERENCE or (sign == 0 and adjusted == CONTRADICTED):
        return 1
    if adjusted in (SUPPORTED, CONTRADICTED):
        return 0
    return 0 if first <= second else 1


# -- a claim's verdict from its parts ----------------------------------------

PRECEDENCE = (CONTRADICTED, INCONCLUSIVE, NO_DIFFERENCE, NOT_MEASURABLE, NOT_TESTED)


def combine(verdicts: list[str]) -> tuple[str, int | None]:
    """A claim's verdict from its parts' and the index of the part that decided it (None: every part).

    A claim holds only if every part does. Otherwise the first part, in this
    order, decides: one contradicted; one still open; one showing no
    meaningful effect; one the data cannot measure; one not tested.
    """
    for verdict in PRECEDENCE:
        if verdict in verdicts:
            return verdict, verdicts.index(verdict)
    return SUPPORTED, None


def _fmt(x: float | None) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{x:+.4g}"


def _part_note(r: PartResult) -> str:
    p = r.part
    if r.status == NOT_TESTED:
        return f"{p.label}: not tested ({r.reason})"
    head = f"{p.label}: "
    if r.status == NOT_MEASURABLE:
        head += f"not measurable on this data: {r.reason}"
    else:
        i = r.interval
        head += (f"{r.adjusted} (unadjusted {r.verdict}; mean {_fmt(i.mean)}, 95% CI [{_fmt(i.low)}, {_fmt(i.high)}] "
                 f"over {i.n} seeds, {r.runs} runs"
                 + (f"; decided after {r.seeds_needed} seeds" if r.seeds_needed else "")
                 + (f"; p {r.evidence[0]:.2g} at Holm's level {r.evidence[1]:.2g}"
                    + (" (narrowly: a few seeds more or fewer could change it)"
                       if r.adjusted in DEFINITIVE and r.evidence[0] > r.evidence[1] / 2 else "")
                    if r.evidence else "") + ")")
        if i.n > 1 and i.sd == 0 and not metric_named(p.metric).exact:
            head += (f"; every seed gave the same value ({_fmt(i.mean)}): no spread seen is no certainty, so the "
                     + ("interval is the exact bound for that many seeds that all agree" if value_range(p) is not None
                        else "part stays open (a t interval would have no width)"))
    head += f"; margin {p.margin:g}: {p.why}"
    return head + "".join(f"; {d}" for d in r.details)


def claim_row(claim: Claim, results: list[PartResult]) -> ClaimRow:
    if not any(r.status != NOT_TESTED for r in results):
        return ClaimRow(claim.id, NOT_TESTED, None, None, None, None, claim.parts[0].metric, f"needs {claim.needs}",
                        claim.source, claim.sentence, [], adjusted_verdict=NOT_TESTED,
                        margin=claim.parts[0].margin)
    adjusted, which = combine([r.adjusted if r.tested else r.status for r in results])
    verdict, _ = combine([r.verdict if r.tested else r.status for r in results])
    if which is None:  # every part supported: the one whose size is least settled stands for the claim,
        # then the one decided last (a claim is "at least the margin" only if every part is)
        which = min(range(len(results)), key=lambda i: (SIZE_ORDER.get(results[i].answer.size, 3),
                                                         -(results[i].seeds_needed or 0)))
        decided_by = "every part" if len(results) > 1 else results[0].part.label
    else:
        decided_by = results[which].part.label
    shown = results[which] if results[which].interval is not None else next(
        (r for r in results if r.interval is not None), results[which])
    notes = [_part_note(r) for r in results]
    if claim.untested:
        notes.append("not tested: " + "; ".join(f'"{u}"' for u in claim.untested))
    if claim.notes:
        notes.append(claim.notes)
    i = shown.interval
    row = ClaimRow(
        claim.id, verdict,
        i.mean if i else None, _finite(i.low) if i else None, _finite(i.high) if i else None, None,
        shown.part.metric, " | ".join(notes), claim.source, claim.sentence,
        [v for _, v in sorted(shown.per_seed.items())],
        adjusted_verdict=adjusted, decided_by=decided_by, seeds=i.n if i else len(shown.per_seed),
        runs=shown.runs, margin=shown.part.margin,
        seeds_needed=results[which].seeds_needed if adjusted in DEFINITIVE else None,
        seeds_to_decide=seeds_to_decide(results[which]) if adjusted == INCONCLUSIVE else None,
        why_unmeasurable=results[which].short if adjusted == NOT_MEASURABLE else "",
        direction=results[which].answer.direction if results[which].tested else "",
        size=results[which].answer.size if results[which].tested else "",
        settled=_settled(adjusted, results, which),
    )
    _add_tuned(row, results, which)
    return row


SIZE_ORDER = {UNRESOLVED: 0, WITHIN: 1, BEYOND: 2}


def _settled(adjusted: str, results: list[PartResult], which: int) -> bool:
    """Whether more seeds could still change the claim's answers (`undecided`): a supported claim is
    settled once every part's direction and size are; a contradicted one once the part that contradicts
    it is; "no meaningful difference" and "inconclusive" never (the direction is open), until the plan's
    last look stops the rounds. Not measurable or not tested: more seeds cannot help."""
    if adjusted == SUPPORTED:
        return all(r.answer.settled for r in results if r.tested)
    if adjusted == CONTRADICTED:
        return results[which].answer.settled
    return adjusted not in (INCONCLUSIVE, NO_DIFFERENCE)


def _add_tuned(row: ClaimRow, results: list[PartResult], which: int) -> None:
    """The claim's tuned answer, where every tested part has one: combined from the parts as the averaged one is."""
    tested = [r for r in results if r.tested]
    if not tested or any(r.tuned is None for r in tested):
        return
    verdict, at = combine([r.tuned.adjusted if r.tested else r.status for r in results])
    shown = results[at if at is not None else which]
    tuned = shown.tuned if shown.tuned is not None else tested[0].tuned
    i = tuned.interval
    row.tuned_verdict, row.tuned_choice = verdict, tuned.choice
    row.tuned_size = tuned.answer.size
    if i is not None:
        row.tuned_effect, row.tuned_ci_low, row.tuned_ci_high = i.mean, _finite(i.low), _finite(i.high)
        row.tuned_seeds = i.n


PROJECTION_LIMIT = 100  # seeds: past this a projection says nothing a user can plan with


def seeds_to_decide(r: PartResult) -> int | None:
    """The seeds in all at which this open part would be decided if its mean and spread stayed as
    seen: the first count whose fixed-design p-value clears the Holm level the part faces now.

    A planning figure, not a promise: the next seeds move the mean and the
    spread, and each further look costs some level. None when the part is
    decided, has fewer than two seeds, no spread that more seeds could narrow (`statements`: on a metric
    with a range, seeds that all agree narrow the exact bound), or needs over PROJECTION_LIMIT.
    """
    i = r.interval
    if r.adjusted in DEFINITIVE or i is None or i.n < 2 or r.evidence is None:
        return None
    for n in range(i.n + 1, PROJECTION_LIMIT + 1):
        if decide(statements_on(Interval(n, i.mean, i.low, i.high, i.sd), r.part)[1], r.evidence[1],
                  r.part.sign) != INCONCLUSIVE:
            return n
    return None


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def claims_of(manifest: Manifest) -> tuple[Claim, ...]:
    """Every claim a sweep's rows cover: the catalogue's, then the user's own (sweep.json's stated claims),
    each rebuilt as the catalogue's type (`claims.stated.claim_of`)."""
    return CLAIMS + tuple(claim_of(c) for c in manifest.stated)


def requested(manifest: Manifest) -> set[str]:
    """The claims the sweep asked for (sweep.json's `claims`); every article claim when the key is absent."""
    if manifest.claims is None:
        return {c.id for c in CLAIMS}
    return set(manifest.claims)


def evaluate(records: list[RunRecord], manifest: Manifest, min_pairs: int | None = None) -> list[ClaimRow]:
    """Every claim's row: the requested ones judged together (Holm across all their parts), the rest 'not requested'."""
    if min_pairs is not None:
        manifest = manifest.with_changes(claim_min_pairs=min_pairs)
    wanted = requested(manifest)
    measured, plan = _judged(records, manifest)
    rows = []
    for claim in claims_of(manifest):
        if claim.id not in wanted:
            rows.append(ClaimRow(claim.id, NOT_REQUESTED, None, None, None, None, claim.parts[0].metric,
                                 "not in the sweep's claims=", claim.source, claim.sentence, [],
                                 adjusted_verdict=NOT_REQUESTED, margin=claim.parts[0].margin))
        else:
            rows.append(claim_row(claim, measured[claim.id]))
    if plan.looks and not plan.reached and measured:
        for row in rows:
            if row.adjusted_verdict == INCONCLUSIVE:
                row.note += f" | the first planned look ({plan.looks[0]} seeds) is not reached yet"
    return rows


def _judged(records: list[RunRecord], manifest: Manifest) -> tuple[dict[str, list[PartResult]], LookPlan]:
    """Every requested claim's parts, measured and judged together."""
    wanted = requested(manifest)
    plan = look_plan(records, manifest)
    # Seeds beyond the plan's last look (left by an earlier run of the folder
    # with more seeds) would reach some settings and not others, so each
    # seed's average would mix different sets of settings: they stay out.
    runs = [r for r in usable(records) if not plan.looks or r.seed < plan.looks[-1]]
    measured: dict[str, list[PartResult]] = {}
    for claim in claims_of(manifest):
        if claim.id in wanted:
            claim_runs = _runs_for(claim, runs, manifest)
            measured[claim.id] = [measure_part(claim, part, claim_runs, manifest) for part in claim.parts]
    judge([r for results in measured.values() for r in results], plan)
    return measured, plan


def trials_feeding_undecided(records: list[RunRecord], manifest: Manifest) -> tuple[list[str], set[str]]:
    """The requested claims more seeds could change, and the configurations their open parts read.

    A targeted round trains only these: a part already decided, or a claim
    decided by one of its parts, needs no further seed.
    """
    measured, _ = _judged(records, manifest)
    rows = {claim.id: claim_row(claim, measured[claim.id]) for claim in claims_of(manifest) if claim.id in measured}
    open_claims = undecided([rows[c] for c in requested(manifest) if c in rows])
    trials = {t for c in open_claims for r in measured[c] if r.tested and not r.answer.settled for t in r.trials}
    return open_claims, trials


def evaluate_claim(claim: Claim, runs: list[RunRecord], manifest: Manifest, min_pairs: int | None = None) -> ClaimRow:
    """One claim judged alone (Holm across its own parts only): for tests and scripts."""
    rows = evaluate(runs, manifest.with_changes(claims=(claim.id,)), min_pairs)
    return next(r for r in rows if r.claim == claim.id)


def undecided(rows: list[ClaimRow]) -> list[str]:
    """Ids of the claims whose answers more seeds could still change (the sequential-seeds engine asks this).

    Open: "inconclusive", "no meaningful difference" (its direction), and a
    supported or contradicted claim whose size is not yet resolved (issue
    44: a round stops only on a settled answer, so "supported" at one look
    cannot become "no meaningful difference" at the next). "Not
    measurable", "not tested" and "not requested" are not helped by more seeds.
    """
    return [r.claim for r in rows
            if r.final in (INCONCLUSIVE, NO_DIFFERENCE) or (r.final in (SUPPORTED, CONTRADICTED) and not r.settled)]


# -- claims.csv ----------------------------------------------------------------

def write_claims_csv(run_dir: str | Path, rows: list[ClaimRow]) -> Path:
    path = Path(run_dir) / "claims.csv"
    table = [{**asdict(r), "differences": ";".join(f"{d:.6g}" for d in r.differences)} for r in rows]
    atomic_write_text(path, to_csv(table, COLUMNS))
    return path


def read_claims_csv(path: str | Path) -> list[ClaimRow]:
    """The rows `write_claims_csv` wrote (or an older file's); missing or unreadable numbers become None.

    Raises OSError, UnicodeDecodeError or csv.Error when the file cannot be read.
    """
    with Path(path).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [
        ClaimRow(
            claim=row.get("claim") or "",
            verdict=row.get("verdict") or "",
            effect=_float(row.get("effect")),
            ci_low=_float(row.get("ci_low")),
            ci_high=_float(row.get("ci_high")),
            n_pairs=_int(row.get("n_pairs")),
            metric=row.get("metric") or "",
            note=row.get("note") or "",
            source=row.get("source") or "",
            sentence=row.get("sentence") or "",
            differences=[v for v in (_float(x) for x in (row.get("differences") or "").split(";")) if v is not None],
            adjusted_verdict=row.get("adjusted_verdict") or "",
            decided_by=row.get("decided_by") or "",
            seeds=_int(row.get("seeds")),
            runs=_int(row.get("runs")),
            margin=_float(row.get("margin")),
            seeds_needed=_int(row.get("seeds_needed")),
            seeds_to_decide=_int(row.get("seeds_to_decide")),
            tuned_verdict=row.get("tuned_verdict") or "",
            tuned_effect=_float(row.get("tuned_effect")),
            tuned_ci_low=_float(row.get("tuned_ci_low")),
            tuned_ci_high=_float(row.get("tuned_ci_high")),
            tuned_seeds=_int(row.get("tuned_seeds")),
            tuned_choice=row.get("tuned_choice") or "",
            why_unmeasurable=row.get("why_unmeasurable") or "",
            direction=row.get("direction") or "",
            size=row.get("size") or "",
            tuned_size=row.get("tuned_size") or "",
        )
        for row in rows
    ]


def _float(text: str | None) -> float | None:
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _int(text: str | None) -> int | None:
    value = _float(text)
    return None if value is None else int(value)
