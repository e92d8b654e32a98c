"""Claim statistics and measurements on constructed records with known answers, and claim scheduling."""

from __future__ import annotations

import math

import numpy as np
import pytest

from claims.catalogue import BY_ID, CLAIMS
from search.sweep.schedule import schedule_claims
from claims.stats import (
    CONTRADICTED, INCONCLUSIVE, NO_DIFFERENCE, NOT_MEASURABLE, NOT_REQUESTED, NOT_TESTED, SUPPORTED, PValues, decide,
    Interval, holm_levels, look_null, look_weights, p_values, sequential, t_interval, BEYOND, WITHIN, UNDECIDED, Answer,
    decide_answer,
)
from claims.verdicts import (
    COLUMNS, ClaimRow, evaluate, evaluate_claim, per_seed_differences, read_claims_csv, undecided, write_claims_csv,
)
from search import Digits, SneakersCNN, Sweep, TrainTestFolders
from rundir.errors import SweepError
from rundir.manifest import DataInfo, Manifest, ModelInfo
from rundir.records import RunRecord

BIG_JSON = {"data": {"n_val": 10_000, "n_train": 50_000, "class_counts": {"a": {"val": 5000}, "b": {"val": 5000}}}}
BIG = Manifest.from_json(BIG_JSON)


def _run(trial: str, seed: int, score: float, *, final: float | None = None, **hps) -> RunRecord:
    return RunRecord(trial_id=trial, seed=seed, status="completed", hyperparameters=hps, score=score,
                     best_val_accuracy=score, final_val_accuracy=score if final is None else final,
                     history=[{"epoch": 1, "val_accuracy": score}])


def _judge(claim: str, runs: list[RunRecord], meta: dict | None = None) -> ClaimRow:
    return evaluate_claim(BY_ID[claim], runs, Manifest.from_json({**BIG_JSON, **(meta or {})}))


# -- the catalogue ------------------------------------------------------------

def test_catalogue_covers_every_article_claim_and_every_part_states_its_margin():
    assert set(BY_ID) == {
        "pooling-texture", "mixed-pooling", "depth-overfit", "more-pooling-hurts", "fit-rule", "batch-size",
        "learning-rate", "lr-resets-each-epoch", "more-epochs-hurt", "hollywood-baseline", "vgg16-cost",
    }
    for claim in CLAIMS:
        assert claim.sentence and claim.parts
        for part in claim.parts:
            assert part.margin > 0 and len(part.why) > 20, (claim.id, part.label)


# -- statistics on per-seed values -------------------------------------------

def test_known_interval_matches_the_t_formula():
    interval = t_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    half = 2.776445 * np.sqrt(2.5) / np.sqrt(5)  # t(0.975, df=4)
    assert interval.n == 5 and interval.mean == pytest.approx(3.0)
    assert (interval.low, interval.high) == (pytest.approx(3 - half, rel=1e-5), pytest.approx(3 + half, rel=1e-5))


def test_two_answers_from_the_interval_against_zero_and_the_margin():
    rng = np.random.default_rng(0)
    clear = 0.05 + rng.normal(0, 0.01, size=8)
    assert decide(p_values(t_interval(clear), +1, 0.02), 0.05) == SUPPORTED
    assert decide_answer(p_values(t_interval(clear), +1, 0.02), 0.05) == Answer(SUPPORTED, BEYOND)
    assert decide_answer(p_values(t_interval(clear), +1, 0.02), 0.05).headline == "supported, and at least the margin"
    assert decide(p_values(t_interval(-clear), +1, 0.02), 0.05) == CONTRADICTED
    assert decide_answer(p_values(t_interval(-clear), +1, 0.02), 0.05).headline == (
        "contradicted, by at least the margin")
    assert decide(p_values(t_interval(-clear), -1, 0.02), 0.05) == SUPPORTED
    # Certainly above zero, and the whole interval within +-2 points: real, but smaller than what matters.
    tiny = 0.005 + rng.normal(0, 0.001, size=8)
    interval = t_interval(tiny)
    assert interval.low > 0 and interval.high < 0.02
    answer = decide_answer(p_values(interval, +1, 0.02), 0.05)
    assert answer == Answer(SUPPORTED, WITHIN) and answer.verdict == SUPPORTED and answer.settled
    assert answer.headline == "supported, but smaller than the margin"
    # Within the margin and across zero: no meaningful difference, the direction open.
    centred = rng.normal(0, 0.002, size=8)
    answer = decide_answer(p_values(t_interval(centred), +1, 0.02), 0.05)
    assert answer == Answer(UNDECIDED, WITHIN) and answer.verdict == NO_DIFFERENCE and not answer.settled
    # Above zero, the interval across the margin: supported, size not yet resolved.
    near = 0.02 + rng.normal(0, 0.004, size=8)
    answer = decide_answer(p_values(t_interval(near), +1, 0.02), 0.05)
    assert answer.headline == "supported; size not yet resolved" and not answer.settled
    wide = rng.normal(0, 0.05, size=4)
    assert decide(p_values(t_interval(wide), +1, 0.02), 0.05) == INCONCLUSIVE


def test_the_p_values_agree_with_the_interval():
    """p < 0.05 for "supported" exactly when the 95% interval lies above zero."""
    rng = np.random.default_rng(3)
    for _ in range(200):
        values = rng.normal(rng.uniform(-0.03, 0.03), 0.02, size=int(rng.integers(3, 12)))
        i = t_interval(values)
        p = p_values(i, +1, 0.01)
        assert (p.supported < 0.05) == (i.low > 0)
        assert (p.contradicted < 0.05) == (i.high < 0)
        assert (p.no_difference < 0.05) == (-0.01 < i.low and i.high < 0.01)


def test_identical_values_decide_without_a_spread():
    assert decide(p_values(t_interval([0.05] * 5), +1, 0.02), 0.05) == SUPPORTED
    assert decide(p_values(t_interval([0.0] * 5), +1, 0.02), 0.05) == NO_DIFFERENCE


def test_band_parts_are_within_or_outside_the_reference():
    near = t_interval([0.01, -0.01, 0.0, 0.005, -0.004])  # centred on the reference
    assert decide(p_values(near, 0, 0.05), 0.05) == SUPPORTED
    far = t_interval([0.2, 0.21, 0.19, 0.2, 0.2])
    assert decide(p_values(far, 0, 0.05), 0.05) == CONTRADICTED


def test_holm_steps_down_and_stops_at_the_first_failure():
    levels = holm_levels([0.01, 0.04, 0.012, 0.3])
    assert levels == [0.05 / 4, None, 0.05 / 3, None]
    assert holm_levels([0.001, 0.02, 0.04]) == [0.05 / 3, 0.05 / 2, 0.05]


def test_one_planned_look_is_the_plain_t_test():
    p = p_values(t_interval([0.01, 0.03, 0.02, 0.05]), +1, 0.02)
    assert sequential([p], look_weights((4,)), +1, None) == p


LOOKS = (3, 4, 5, 6, 8, 10, 12, 15, 20)


def _sequence_p(values: np.ndarray, sign: int, margin: float, exact: bool) -> PValues:
    """Sequential p-values after every planned look of LOOKS, as claims.verdicts computes them (the
    intervals built directly: p_values reads only their n, mean and sd)."""
    weights = look_weights(LOOKS)
    null = look_null(LOOKS, weights) if exact else None
    per_look = [p_values(Interval(n, float(values[:n].mean()), math.nan, math.nan, float(values[:n].std(ddof=1))),
                         sign, margin) for n in LOOKS]
    return sequential(per_look, weights, sign, null)


def test_the_exact_look_null_is_never_above_the_union_bound_nor_below_a_single_look():
    weights = look_weights(LOOKS)
    assert sum(weights) == pytest.approx(1) and weights[0] < weights[-1]
    rng = np.random.default_rng(11)
    for _ in range(50):
        values = rng.normal(0.01, 0.02, size=LOOKS[-1])
        per_look = [p_values(t_interval(values[:n]), +1, 0.02) for n in LOOKS]
        bound = sequential(per_look, weights, +1, None)
        exact = sequential(per_look, weights, +1, look_null(LOOKS, weights))
        smallest = min(min(p.supported, p.contradicted) for p in per_look)
        assert bound.supported == pytest.approx(min(1.0, min(p.supported / w for p, w in zip(per_look, weights))))
        assert min(exact.supported, exact.contradicted) <= min(bound.supported, bound.contradicted) + 1e-9
        assert min(exact.supported, exact.contradicted) >= smallest  # looking 9 times is not free


def test_looking_after_every_round_keeps_the_error_at_five_percent():
    """Seeds drawn under the null, judged at each of the 9 planned looks: the exact rule rejects about 5%
    of the time (the union bound, far less); the equivalence test at the margin's edge at most 5%."""
    rng = np.random.default_rng(12)
    n = 2500
    exact = bound = equivalent = 0
    for _ in range(n):
        values = rng.normal(0.0, 0.03, size=LOOKS[-1])
        e, b = _sequence_p(values, +1, 0.02, True), _sequence_p(values, +1, 0.02, False)
        exact += min(e.supported, e.contradicted) < 0.05
        bound += min(b.supported, b.contradicted) < 0.05
        equivalent += _sequence_p(values + 0.02, +1, 0.02, True).no_difference < 0.05
    slack = 2.6 * math.sqrt(0.05 * 0.95 / n)  # 99% of a correct rule's runs fall within this of 5%
    assert abs(exact / n - 0.05) < slack
    assert bound / n < 0.05 - slack  # the union bound spends the error rate as if the looks were unrelated
    assert equivalent / n < 0.05 + slack


# -- the seed is the unit ----------------------------------------------------

def _pooling_sweep(seeds: int, effect: float, configs: int = 4, seed_sd: float = 0.03, rng_seed: int = 0):
    rng = np.random.default_rng(rng_seed)
    runs = []
    for seed in range(seeds):
        shared = rng.normal(0, seed_sd)  # every run of this seed moves together
        for c in range(configs):
            for pool in ("avg", "max"):
                score = 0.7 + shared + (effect if pool == "max" else 0) + rng.normal(0, 0.01)
                runs.append(_run(f"{c}{pool}", seed, score, pooling_1=pool, pooling_2=pool, dropout=0.1 * c))
    return runs


def test_one_value_per_seed_and_the_run_count_beside_it():
    runs = _pooling_sweep(seeds=5, effect=0.05, configs=4)
    row = _judge("pooling-texture", runs)
    assert row.seeds == 5 and row.runs == 40 and len(row.differences) == 5
    per_seed, used = per_seed_differences(BY_ID["pooling-texture"].parts[0], runs, BIG)
    by_hand = {s: np.mean([b.score - a.score for a in runs for b in runs if a.seed == b.seed == s
                           and a.hyperparameters["dropout"] == b.hyperparameters["dropout"]
                           and a.hyperparameters["pooling_1"] == "avg" and b.hyperparameters["pooling_1"] == "max"])
               for s in range(5)}
    assert per_seed == pytest.approx(by_hand)
    assert row.verdict == SUPPORTED and row.adjusted_verdict == SUPPORTED and row.margin == 0.02


def test_pooled_pairs_would_be_overconfident_the_seed_interval_is_not():
    """Correlated pairs within a seed: the seed interval is wider than a pooled one would be."""
    rng = np.random.default_rng(5)
    runs = []
    for seed in range(5):
        seed_effect = rng.normal(0, 0.03)  # the max-avg difference itself varies by seed
        for c in range(8):
            runs.append(_run(f"a{c}", seed, 0.7, pooling_1="avg", dropout=0.1 * c))
            runs.append(_run(f"m{c}", seed, 0.7 + 0.01 + seed_effect + rng.normal(0, 0.002), pooling_1="max",
                             dropout=0.1 * c))
    row = _judge("pooling-texture", runs)
    pooled = t_interval([m.score - a.score for a in runs for m in runs if a.seed == m.seed
                         and a.hyperparameters["dropout"] == m.hyperparameters["dropout"]
                         and a.hyperparameters["pooling_1"] == "avg" and m.hyperparameters["pooling_1"] == "max"])
    assert row.seeds == 5 and pooled.n == 40
    assert (row.ci_high - row.ci_low) > 2 * (pooled.high - pooled.low)


# -- pairing with knobs a model does not have ------------------------------

def test_depth_pairs_despite_the_pooling_knob_only_the_deeper_model_has():
    runs = []
    for seed in range(5):
        runs.append(_run("3", seed, 0.70 + 0.01 * seed, conv_blocks=3, pooling_1="avg", pooling_2="max",
                         pooling_3="none", pooling_4=None, dropout=0.3))
        deep = _run("4", seed, 0.75 + 0.011 * seed, conv_blocks=4, pooling_1="avg", pooling_2="max",
                    pooling_3="none", pooling_4="none", dropout=0.3)  # seeds that differ: zero spread decides nothing
        deep.train_val_gap, runs[-1].train_val_gap = 0.10 + 0.001 * seed, 0.02
        deep.params, runs[-1].params = 2_000_000, 1_000_000
        runs.append(deep)
    row = _judge("depth-overfit", runs)
    assert row.seeds == 5 and row.adjusted_verdict == SUPPORTED and row.decided_by == "every part"
    assert "2,000,000 (treatment) vs 1,000,000 (baseline)" in row.note and "confounded" in row.note


def test_model_choice_pairs_vgg16_runs_that_lack_the_article_knobs():
    runs = []
    for seed in range(4):
        article = _run("a", seed, 0.5, model="article", conv_blocks=3, dropout=0.3, pooling_1="avg", weights=None,
                       batch_size=8)
        vgg = _run("v", seed, 0.5, model="vgg16", conv_blocks=None, dropout=None, pooling_1=None, weights="none",
                   batch_size=8)
        article.seconds_per_epoch, vgg.seconds_per_epoch = 1.0, 20.0 * (1 + 0.05 * seed)
        runs += [article, vgg]
    row = _judge("vgg16-cost", runs)
    assert row.seeds == 4 and row.runs == 8 and row.adjusted_verdict == SUPPORTED
    assert row.effect == pytest.approx(np.mean([math.log(20 * (1 + 0.05 * s)) for s in range(4)]))


def test_extra_pooling_ignores_a_block_that_exists_only_in_deeper_runs():
    runs = []
    for seed in range(5):
        for depth in (2, 3):
            extra = {"pooling_3": "none" if depth == 3 else None}
            runs.append(_run(f"{depth}n", seed, 0.70 + 0.01 * seed, conv_blocks=depth, pooling_1="avg",
                             pooling_2="none", **extra))
            runs.append(_run(f"{depth}m", seed, 0.66 + 0.011 * seed, conv_blocks=depth, pooling_1="avg",
                             pooling_2="max", **extra))
    row = _judge("more-pooling-hurts", runs)
    assert row.seeds == 5 and row.runs == 20 and row.adjusted_verdict == SUPPORTED
    assert row.effect == pytest.approx(-0.038)


def test_extremes_compare_the_largest_and_smallest_value_only():
    runs = []
    for seed in range(5):
        runs.append(_run("0", seed, 0.80 + 0.01 * seed, final=0.80, batch_size=16, pooling_1="max"))
        runs.append(_run("1", seed, 0.90, final=0.9, batch_size=32, pooling_1="max"))  # on neither side
        runs.append(_run("2", seed, 0.75 + 0.01 * seed, final=0.75, batch_size=128, pooling_1="max"))
    per_seed, used = per_seed_differences(BY_ID["batch-size"].parts[1], runs, BIG)
    assert per_seed == pytest.approx({s: -0.05 for s in range(5)}) and len(used) == 10


# -- only requested claims, never pruned runs ---------------------------------

def test_only_requested_claims_are_judged_and_pruned_runs_never_count():
    runs = _pooling_sweep(seeds=5, effect=0.05)
    rows = {r.claim: r for r in evaluate(runs, Manifest.from_json({**BIG_JSON, "claims": ["pooling-texture"]}))}
    assert rows["pooling-texture"].adjusted_verdict == SUPPORTED
    assert rows["mixed-pooling"].verdict == NOT_REQUESTED == rows["batch-size"].adjusted_verdict
    for r in runs:
        if r.seed >= 3:
            r.pruned = True
    assert rows["pooling-texture"].seeds == 5
    assert evaluate_claim(BY_ID["pooling-texture"], runs, BIG).seeds == 3


def test_seeds_beyond_the_plans_last_look_stay_out():
    """A folder run earlier with 8 seeds, judged under a plan of 5: seeds 5-7
    would reach only the settings that got them, so they do not count."""
    runs = _pooling_sweep(seeds=8, effect=0.05)
    whole = evaluate(runs, Manifest.from_json({**BIG_JSON, "claims": ["pooling-texture"], "seeds": 8}))[0]
    planned = evaluate(runs, Manifest.from_json({**BIG_JSON, "claims": ["pooling-texture"], "seeds": 5}))[0]
    assert (whole.seeds, planned.seeds) == (8, 5)
    assert (whole.runs, planned.runs) == (8 * 8, 5 * 8)


def test_undecided_lists_only_claims_more_seeds_could_decide():
    rows = evaluate(_pooling_sweep(seeds=3, effect=0.0, seed_sd=0.0, rng_seed=2)[:0], Manifest.from_json({**BIG_JSON, "claims": ["batch-size"]}))
    assert undecided(rows) == []  # not tested: more seeds do not help
    noisy = _pooling_sweep(seeds=3, effect=0.01, configs=1)
    rows = evaluate(noisy, Manifest.from_json({**BIG_JSON, "claims": ["pooling-texture"]}))
    assert rows[0].adjusted_verdict == INCONCLUSIVE and undecided(rows) == ["pooling-texture"]


# -- measurement fixes -------------------------------------------------------

def _curve_run(trial: str, seed: int, curve: list[float], **hps) -> RunRecord:
    run = _run(trial, seed, max(curve), final=curve[-1], **hps)
    run.history = [{"epoch": i + 1, "val_accuracy": a} for i, a in enumerate(curve)]
    run.epochs_run = len(curve)
    return run


def test_epochs_to_converge_use_one_target_and_a_low_plateau_is_not_fast():
    runs = []
    for seed in range(5):
        # Small batches climb to 0.9 by epoch 4; large ones plateau at 0.5 from epoch 1.
        runs.append(_curve_run("s", seed, [0.3, 0.6 + 0.1 * (seed % 2), 0.8, 0.9, 0.9, 0.9], batch_size=16, epochs=6))
        runs.append(_curve_run("l", seed, [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], batch_size=128, epochs=6))
    row = _judge("batch-size", runs)
    part = next(n for n in row.note.split(" | ") if n.startswith("larger batches converge"))
    # Against each run's own best the plateau would reach "95%" at epoch 1: 3 epochs faster.
    assert part.startswith("larger batches converge in fewer epochs: contradicted")
    assert "5 of 10 runs never reached it" in part
    assert row.adjusted_verdict == CONTRADICTED and row.decided_by == "larger batches converge in fewer epochs"


def test_end_less_accurate_reads_the_final_epoch():
    runs = []
    for seed in range(5):
        # Same best epoch; the large batch ends 5 points lower.
        runs.append(_curve_run("s", seed, [0.6, 0.8, 0.8 - 0.001 * seed], batch_size=16, epochs=3))
        runs.append(_curve_run("l", seed, [0.6, 0.8, 0.75], batch_size=128, epochs=3))
    row = _judge("batch-size", runs)
    end = next(n for n in row.note.split(" | ") if n.startswith("larger batches end less accurate"))
    assert end.startswith("larger batches end less accurate: supported")


def test_diverged_runs_count_as_not_converged_in_the_learning_rate_claim():
    runs = []
    for seed in range(8):  # every seed's difference is 1: 8 such seeds are needed (2 * 0.5^8 under Holm's 0.0125)
        runs.append(_curve_run("s", seed, [0.5 + 0.01 * seed, 0.8], learning_rate=1e-4))
        big = _curve_run("b", seed, [0.7 + 0.01 * seed, 0.9], learning_rate=1e-2)
        big.status, big.error = "failed", "loss became NaN or infinite at epoch 2"
        runs.append(big)
    row = _judge("learning-rate", runs)
    fails = next(n for n in row.note.split(" | ") if n.startswith("a larger rate fails"))
    assert fails.startswith("a larger rate fails to converge more often (NaN loss, or no better than the largest "
                            "class): supported") and "8 of 16 runs diverged" in fails
    assert "not tested" in row.note and "may get stuck" in row.note  # the untested sub-sentence is listed


def test_a_part_whose_seeds_all_agree_takes_the_exact_bound_not_a_t_interval_of_no_width():
    """No run diverges on either side: every seed's difference is 0, and a t interval over equal values is
    [0, 0], which once read "no meaningful difference" (issue 39's Fashion-MNIST row). Six seeds that all
    agree bound the chance of a seed that does not at 1 - 0.025^(1/6) = 0.46: the interval is +-0.46 on a
    difference of two 0/1 outcomes, wider than the 0.1 margin, so the part is open; 36 such seeds would
    narrow the interval within it, and more pass Holm's adjustment, as the projection says. A deterministic measurement (the logged rate) keeps its point."""
    runs = [_curve_run(side, seed, [0.5 + (0.1 + 0.01 * seed if side == "b" else 0.0), 0.8], learning_rate=rate)
            for seed in range(6) for side, rate in (("s", 1e-4), ("b", 1e-2))]
    fails = next(n for n in _judge("learning-rate", runs).note.split(" | ") if n.startswith("a larger rate fails"))
    assert fails.startswith("a larger rate fails to converge more often (NaN loss, or no better than the largest "
                            "class): inconclusive"), fails
    assert _judge("learning-rate", runs).adjusted_verdict == INCONCLUSIVE
    assert "95% CI [-0.4593, +0.4593]" in fails and "every seed gave the same value (+0)" in fails, fails
    assert "no certainty" in fails and "exact bound" in fails
    assert _judge("learning-rate", runs).seeds_to_decide == 42  # 2 * 0.9^42 = 0.024, under the Holm level 0.025 it faces
    label = "a larger rate fails to converge more often (NaN loss, or no better than the largest class)"
    many = [_curve_run(side, seed, [0.5 + (0.1 + 0.01 * seed if side == "b" else 0.0), 0.8], learning_rate=rate)
            for seed in range(60) for side, rate in (("s", 1e-4), ("b", 1e-2))]
    fails = next(n for n in _judge("learning-rate", many).note.split(" | ") if n.startswith(label))
    assert fails.startswith(f"{label}: no meaningful difference"), fails
    faster = next(n for n in _judge("learning-rate", runs).note.split(" | ") if n.startswith("a larger rate learns"))
    assert "no width" not in faster  # the seeds' first-epoch differences spread


def test_more_epochs_hurt_compares_epoch_10_with_epoch_100():
    def hundred(seed: int, stopped: int | None = None) -> RunRecord:
        curve = [0.5] * 9 + [0.70] + [0.68] * 89 + [0.65 + 0.001 * seed]
        run = _curve_run("0", seed, curve, epochs=100)
        run.stopped_epoch = stopped
        return run

    row = _judge("more-epochs-hurt", [hundred(s) for s in range(5)])
    assert row.adjusted_verdict == SUPPORTED and row.effect == pytest.approx(-0.05 + 0.002, abs=1e-9)
    short = [_curve_run("0", s, [0.5] * 40, epochs=40) for s in range(5)]
    assert _judge("more-epochs-hurt", short).verdict == NOT_TESTED
    assert _judge("more-epochs-hurt", [hundred(s, stopped=100) for s in range(5)]).verdict == NOT_TESTED


def test_mixed_pooling_is_average_then_max():
    runs = []
    for seed in range(5):
        runs.append(_run("aa", seed, 0.70 + 0.01 * seed, pooling_1="avg", pooling_2="avg"))
        runs.append(_run("am", seed, 0.75 + 0.01 * seed, pooling_1="avg", pooling_2="max"))
        runs.append(_run("ma", seed, 0.50, pooling_1="max", pooling_2="avg"))  # max first: not the article's mix
    row = _judge("mixed-pooling", runs)
    assert row.effect == pytest.approx(0.05) and row.runs == 10


def test_lr_resets_is_decided_from_the_logged_rate():
    def run(seed: int, starts: list[float]) -> RunRecord:
        hps = {"learning_rate": 1e-3, "decay_rate": 0.9, "decay_steps": 2, "batch_size": 10}
        history = [{"epoch": i + 1, "lr_epoch_start": s} for i, s in enumerate(starts)]
        return RunRecord("0", seed, "completed", hps, history=history)

    meta = Manifest.from_json({"data": {"n_train": 100}})  # 10 steps per epoch, decay every 2 steps
    keras_like = [run(s, [1e-3, 1e-3 * 0.9**5, 1e-3 * 0.9**10]) for s in range(5)]
    row = evaluate_claim(BY_ID["lr-resets-each-epoch"], keras_like, meta)
    assert row.adjusted_verdict == CONTRADICTED and row.effect == pytest.approx(0.9**10 - 1)
    resetting = [run(s, [1e-3, 1e-3, 1e-3]) for s in range(5)]
    assert evaluate_claim(BY_ID["lr-resets-each-epoch"], resetting, meta).adjusted_verdict == SUPPORTED


def test_claim_without_the_runs_it_needs_is_not_tested():
    runs = [_run("0", s, 0.5, pooling_1="avg") for s in range(5)]
    row = _judge("depth-overfit", runs)
    assert row.verdict == NOT_TESTED == row.adjusted_verdict and "conv_blocks" in row.note


def test_hollywood_baseline_uses_only_article_default_runs_of_its_model():
    defaults = {"pooling_1": "avg", "dropout": 0.5, "epochs": 100}
    runs = [_run(str(s), s, 0.36 + 0.002 * s, pooling_1="avg", dropout=0.5, epochs=100) for s in range(5)]
    runs += [_run("9", s, 0.90, pooling_1="max", dropout=0.5, epochs=100) for s in range(5)]  # not the article's
    runs += [_run("8", s, 0.10, pooling_1="avg", dropout=0.5, epochs=15) for s in range(5)]  # too few epochs
    meta = Manifest.from_json({"model": {"name": "HollywoodCNN"}, "article_defaults": defaults,
                               "data": {"image_size": 224, "n_val": 180}})
    row = evaluate_claim(BY_ID["hollywood-baseline"], runs, meta)
    assert row.seeds == 5 and row.adjusted_verdict == SUPPORTED
    other = evaluate_claim(BY_ID["hollywood-baseline"], runs, meta.with_changes(model=ModelInfo("SneakersCNN")))
    assert other.verdict == NOT_TESTED
    small = evaluate_claim(BY_ID["hollywood-baseline"], runs, meta.with_changes(data=DataInfo(image_size=64)))
    assert small.verdict == NOT_TESTED and "224 px" in small.note


# -- not measurable on this data -----------------------------------------------

def test_every_run_at_100_percent_is_not_measurable_never_no_difference():
    runs = []
    for seed in range(5):
        runs.append(_run("a", seed, 1.0, pooling_1="avg"))
        runs.append(_run("m", seed, 1.0, pooling_1="max"))
    meta = Manifest.from_json({"data": {"n_val": 1000, "class_counts": {"a": {"val": 500}, "b": {"val": 500}}}})
    row = evaluate_claim(BY_ID["pooling-texture"], runs, meta)
    assert row.verdict == NOT_MEASURABLE == row.adjusted_verdict
    assert "10 of 10 runs got every validation image right" in row.note
    assert "noise" not in row.note and undecided([row]) == []


def test_without_the_validation_size_only_exact_100_percent_is_the_ceiling():
    runs = _pooling_sweep(seeds=5, effect=0.05)  # scores around 0.7-0.8
    assert evaluate_claim(BY_ID["pooling-texture"], runs, Manifest()).adjusted_verdict == SUPPORTED
    top = [_run(t, s, 1.0, pooling_1=p) for s in range(5) for t, p in (("a", "avg"), ("m", "max"))]
    assert evaluate_claim(BY_ID["pooling-texture"], top, Manifest()).adjusted_verdict == NOT_MEASURABLE


def test_a_margin_under_two_validation_images_is_not_measurable():
    runs = _pooling_sweep(seeds=5, effect=0.05)
    meta = Manifest.from_json({"data": {"n_val": 76, "class_counts": {"a": {"val": 38}, "b": {"val": 38}}}})
    row = evaluate_claim(BY_ID["pooling-texture"], runs, meta)
    assert row.adjusted_verdict == NOT_MEASURABLE and "one image is 1.3 points" in row.note


def test_runs_at_chance_are_not_measurable():
    runs = []
    for seed in range(5):
        runs.append(_run("a", seed, 0.5, pooling_1="avg"))
        runs.append(_run("m", seed, 0.5, pooling_1="max"))
    row = _judge("pooling-texture", runs)
    assert row.adjusted_verdict == NOT_MEASURABLE and "always answering the largest class (50%)" in row.note


# -- Holm across parts, looks and seeds needed --------------------------------

def test_holm_can_leave_a_part_open_that_its_own_interval_decides():
    rng = np.random.default_rng(11)
    runs = []
    for seed in range(6):
        for c in range(2):
            runs.append(_run(f"a{c}", seed, 0.7, pooling_1="avg", pooling_2="avg", dropout=0.1 * c))
            runs.append(_run(f"m{c}", seed, 0.7 + 0.03 + rng.normal(0, 0.02), pooling_1="max", pooling_2="max",
                             dropout=0.1 * c))
            runs.append(_run(f"x{c}", seed, 0.7 + 0.03 + rng.normal(0, 0.02), pooling_1="avg", pooling_2="max",
                             dropout=0.1 * c))
    alone = evaluate(runs, Manifest.from_json({**BIG_JSON, "claims": ["pooling-texture"]}))[0]
    together = {r.claim: r for r in evaluate(runs, Manifest.from_json({**BIG_JSON, "claims": ["pooling-texture", "mixed-pooling"]}))}
    # Same interval either way; the adjusted verdict accounts for the second claim judged.
    assert together["pooling-texture"].ci_low == alone.ci_low
    assert all(r.verdict == r.adjusted_verdict or r.adjusted_verdict == INCONCLUSIVE for r in together.values())


def test_the_note_gives_the_deciding_p_value_and_holm_level_and_flags_a_narrow_decision():
    spread = np.array([-1.2649, -0.6325, 0.0, 0.6325, 1.2649])  # mean 0, sd 1 over 5 seeds
    runs = []
    for seed, d in enumerate(0.033 + 0.02 * spread):  # t = 3.69 over 5 seeds: p = 0.021 against 0.025
        runs += [_run("a", seed, 0.7, pooling_1="avg", pooling_2="avg"),
                 _run("m", seed, 0.7 + d, pooling_1="max", pooling_2="max")]
    row = _judge("pooling-texture", runs)
    assert row.adjusted_verdict == SUPPORTED
    assert "p 0.021 at Holm's level 0.025 (narrowly: a few seeds more or fewer could change it)" in row.note
    clear = _judge("pooling-texture", _pooling_sweep(seeds=5, effect=0.05))
    assert clear.adjusted_verdict == SUPPORTED and "at Holm's level 0.025" in clear.note
    assert "narrowly" not in clear.note


def test_seeds_needed_is_the_first_look_that_decided():
    runs = _pooling_sweep(seeds=8, effect=0.2, seed_sd=0.0, configs=2)
    row = evaluate(runs, Manifest.from_json({**BIG_JSON, "claims": ["pooling-texture"], "seed_looks": [3, 5, 8]}))[0]
    assert row.adjusted_verdict == SUPPORTED and row.seeds_needed == 3 and row.seeds == 8
    noisy = _pooling_sweep(seeds=8, effect=0.03, seed_sd=0.0, configs=1, rng_seed=4)
    for r in noisy:
        if r.hyperparameters["pooling_1"] == "max":
            r.best_val_accuracy = r.score = r.score + np.random.default_rng(r.seed).normal(0, 0.01)
    row = evaluate(noisy, Manifest.from_json({**BIG_JSON, "claims": ["pooling-texture"], "seed_looks": [3, 5, 8]}))[0]
    assert row.seeds_needed in (None, 5, 8)
    # Before the first planned look, nothing is decided yet.
    early = evaluate([r for r in runs if r.seed < 2], Manifest.from_json({**BIG_JSON, "claims": ["pooling-texture"], "seed_looks": [3, 5]}))[0]
    assert early.adjusted_verdict == INCONCLUSIVE and "not reached yet" in early.note


# -- claims.csv ----------------------------------------------------------------

def test_claims_csv_round_trip_with_the_new_columns_and_old_files_still_read(tmp_path):
    rows = evaluate(_pooling_sweep(seeds=5, effect=0.05), Manifest.from_json({**BIG_JSON, "claims": ["pooling-texture"]}))
    path = write_claims_csv(tmp_path, rows)
    header = path.read_text().splitlines()[0].split(",")
    assert header == COLUMNS
    back = {r.claim: r for r in read_claims_csv(path)}
    row = back["pooling-texture"]
    assert (row.seeds, row.runs, row.margin, row.adjusted_verdict) == (5, 40, 0.02, SUPPORTED)
    assert row.seeds_needed == 5 and row.decided_by == "all-max beats all-average pooling"
    old = tmp_path / "old.csv"
    old.write_text("claim,verdict,effect,ci_low,ci_high,n_pairs,metric,note\npooling-texture,supported,0.1,0.05,0.15,"
                   "10,best_val_accuracy,x\n")
    (legacy,) = read_claims_csv(old)
    assert legacy.n_pairs == 10 and legacy.seeds is None and legacy.final == SUPPORTED


# -- scheduling ----------------------------------------------------------------

def test_schedule_adds_both_sides_of_each_contrast():
    sweep = Sweep(name="s", data=TrainTestFolders("x"), hypermodel=SneakersCNN, space={"pooling_1": ["max"]},
                  claims=("pooling-texture", "depth-overfit", "batch-size"))
    space = schedule_claims(sweep).space
    assert space["pooling_1"] == ["max", "avg"] and space["pooling_2"] == ["avg", "max"]
    assert space["conv_blocks"] == [3, 4]
    assert space["batch_size"] == [16, 128]


def test_unknown_claim_in_a_sweep_file():
    with pytest.raises(SweepError, match="unknown claim 'pooling-textures' \\(did you mean 'pooling-texture'\\?\\)"):
        Sweep(name="s", data=Digits(), hypermodel=SneakersCNN, claims=("pooling-textures",))


# -- what a record holds ---------------------------------------------------------

def test_records_hold_every_knob_with_none_where_the_model_lacks_it():
    import keras_tuner

    from search.sweep.knobs import knob_universe, record_values, used_knobs

    universe = knob_universe(SneakersCNN, {"conv_blocks": [3, 4]})
    assert {"pooling_1", "pooling_4", "conv_blocks", "dense_units", "weights", "model", "batch_size"} <= set(universe)
    assert "pooling_5" not in universe  # only as deep as the sweep goes
    hp = keras_tuner.HyperParameters()
    with used_knobs(hp) as used:
        hp.Choice("conv_blocks", [3, 4], default=3)
        hp.Choice("pooling_1", ["avg", "max"])
    assert used == {"conv_blocks", "pooling_1"} and "_retrieve" not in vars(hp)
    # Keras Tuner's values after a 4-block trial registered pooling_4 and a VGG16 one registered weights:
    values = {"conv_blocks": 3, "pooling_1": "avg", "pooling_4": "none", "weights": "none", "tuner/epochs": 2}
    record = record_values(values, used, universe)
    assert record["pooling_4"] is None and record["weights"] is None and record["dropout"] is None
    assert record["conv_blocks"] == 3 and record["tuner/epochs"] == 2
    assert set(record) == set(universe) | {"tuner/epochs"}
