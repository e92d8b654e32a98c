"""The calibration benchmark at toy size: it runs the real claims code and reports what it promises."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.__main__ import main
from claims.stats import SUPPORTED
from rundir.records import RunDirectory, RunRecord


def _lines(capsys) -> list[dict]:
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def _clear_sweep(root) -> None:
    """A finished sweep where max pooling wins by 10-11 points in every seed: a decided claim."""
    directory = RunDirectory(root)
    directory.prepare()
    directory.write_json("sweep.json", {"name": "clear", "claims": ["pooling-texture"], "seeds": 6,
                                        "data": {"n_val": 1000, "class_counts": {"a": {"val": 500},
                                                                                 "b": {"val": 500}}}})
    for seed in range(6):
        for trial, (pool, score) in enumerate((("avg", 0.70), ("max", 0.80))):
            score += 0.01 * seed + 0.002 * seed * trial  # every seed its own difference: resamples spread
            directory.write_run(RunRecord(f"{trial:04d}", seed, "completed", {"pooling_1": pool}, score=score,
                                          best_val_accuracy=score, final_val_accuracy=score))


def test_calibration_at_toy_size_reports_rates_coverage_power_and_seeds(capsys):
    assert main(["calibration", "--binary-sweeps", "5", "--stated-sweeps", "0", "--sweeps", "6", "--auto-sweeps", "3", "--correlations", "0.4",
                 "--schedules", "3,5;3,4,5", "--partitions", "", "--tuned-sweeps", "0"]) == 0
    lines = _lines(capsys)
    schedules = [m for m in lines if m.get("details", {}).get("design", "").startswith("looks ")]
    assert {(m["details"]["design"], m["details"]["effect"]) for m in schedules} == {
        (d, e) for d in ("looks 3, 5", "looks 3, 4, 5") for e in ("zero", "twice the margin")}
    assert all(3 <= m["details"]["mean_seeds"] <= 5 for m in schedules)
    rates = [m for m in lines if "false_per_sweep" in m.get("details", {}) and m not in schedules]
    assert {(m["details"]["effect"], m["details"]["design"]) for m in rates} == {
        (e, d) for e in ("zero", "half the margin", "margin", "twice the margin")
        for d in ("fixed", "auto", "auto, targeted rounds", "auto, previous rule", "auto, stop at the first verdict")}
    for m in rates:
        d = m["details"]
        assert 0 <= d["false_per_sweep"] <= 1 and 0 <= d["coverage_mean"] <= 1 and len(d["false_per_part"]) == 4
        assert max(d["false_direction_per_sweep"], d["false_size_per_sweep"]) <= d["false_per_sweep"]
        assert sum(d["headlines"].values()) == pytest.approx(1.0, abs=1e-3)
        assert d["agreement"] is None or 0 <= d["agreement"] <= 1
        assert d["mean_seeds"] == 5 if d["design"] == "fixed" else 3 <= d["mean_seeds"] <= 20
    fixed_null = next(m for m in rates if m["details"]["design"] == "fixed" and m["details"]["effect"] == "zero")
    assert fixed_null["baseline"] is not None  # the old pooled-pairs rule on the same sweeps
    saving = [m for m in lines if m.get("metric", "").startswith("runs for the same power")]
    assert {m["details"]["design"] for m in saving} == {"auto", "auto, targeted rounds", "auto, previous rule"}
    assert all(m["ours"] > 0 for m in saving)
    # Targeted rounds train a subset of what untargeted ones do, on the very same sweeps.
    runs = {m["details"]["design"]: m["details"]["mean_runs"] for m in rates if m["details"]["effect"] == "zero"}
    assert runs["auto, targeted rounds"] <= runs["auto"]
    binary = [m for m in lines if m["name"] == "calibration.binary"]  # benchmarks/binary_calibration.py
    assert len(binary) == 48 and all(0 <= m["details"]["coverage"] <= 1 for m in binary)


def test_fold_sweeps_with_a_partition_effect_compare_fresh_and_shared_partitions(capsys):
    """A large partition effect: one partition for every seed biases each verdict, a fresh one per seed
    does not. At toy size the rates are noisy, so only a gap this large is asserted."""
    assert main(["calibration", "--binary-sweeps", "0", "--stated-sweeps", "0", "--sweeps", "40", "--auto-sweeps", "2", "--correlations", "",
                 "--partitions", "3", "--tuned-sweeps", "0", "--effects", "zero"]) == 0
    folds = [m for m in _lines(capsys) if m.get("details", {}).get("layout")]
    assert {(m["details"]["layout"], m["details"]["design"].rsplit(", ", 1)[-1]) for m in folds} >= {
        ("5 folds, a fresh partition per seed", "5 seeds"), ("5 folds, one partition for every seed", "5 seeds")}
    null = {m["details"]["layout"]: m["details"] for m in folds
            if m["details"]["effect"] == "zero" and m["details"]["design"].endswith("5 seeds")}
    fresh, shared = null["5 folds, a fresh partition per seed"], null["5 folds, one partition for every seed"]
    assert fresh["coverage_mean"] > 0.8 > shared["coverage_mean"]
    assert fresh["false_per_sweep"] < shared["false_per_sweep"]
    assert all(m["details"]["mean_runs"] == 5 * 8 * 5 for m in folds if m["details"]["design"].endswith("5 seeds"))


def test_tuned_comparison_is_calibrated_beside_the_naive_best_of_both(capsys):
    """The tuned worlds at toy size: every world x design is measured, with the naive baseline beside it,
    and where max wins only at its own best rate the averaged answer contradicts what the tuned one finds."""
    assert main(["calibration", "--binary-sweeps", "0", "--stated-sweeps", "0", "--sweeps", "1", "--auto-sweeps", "2", "--correlations", "", "--partitions", "",
                 "--tuned-sweeps", "30"]) == 0
    tuned = [m["details"] for m in _lines(capsys) if "tuned_world" in m.get("details", {})]
    assert {(d["tuned_world"], d["effect"], d["design"]) for d in tuned} == {
        (w, e, design) for w, e in (("max wins only at its own best learning rate", "zero"),
                                    ("max wins only at its own best learning rate", "twice the margin"),
                                    ("one side has more configurations", "zero"))
        for design in ("5 seeds", "10 seeds", "Seeds(3, 20)")}
    for d in tuned:
        assert 0 <= d["false"] <= 1 and 0 <= d["coverage"] <= 1 and 0 <= d["naive_false"] <= 1
    ten = {(d["tuned_world"], d["effect"]): d for d in tuned if d["design"] == "10 seeds"}
    wins = ten[("max wins only at its own best learning rate", "twice the margin")]
    assert wins["averaged_truth"] < 0 < wins["tuned_truth"]
    assert wins["power"] > 0.5  # max's win at its own best rate is found over 10 seeds
    assert wins["averaged_verdicts"].get(SUPPORTED, 0) == 0  # while the average over rates never supports it


def test_replay_resamples_a_finished_sweeps_seeds(tmp_path, capsys):
    _clear_sweep(tmp_path / "run")
    assert main(["calibration", "--binary-sweeps", "0", "--stated-sweeps", "0", "--sweeps", "2", "--auto-sweeps", "1", "--correlations", "0", "--partitions", "",
                 "--effects", "zero", "--runs", str(tmp_path / "run"), "--resamples", "10", "--tuned-sweeps", "0"]) == 0
    lines = _lines(capsys)
    replays = [m for m in lines if m.get("details", {}).get("claim") == "pooling-texture"]
    assert len(replays) == 1
    assert replays[0]["details"]["verdict"] == SUPPORTED and replays[0]["ours"] == 1.0 and replays[0]["pass"]


def test_calibration_says_when_there_is_nothing_to_replay(tmp_path, capsys):
    assert main(["calibration", "--binary-sweeps", "0", "--stated-sweeps", "0", "--sweeps", "1", "--auto-sweeps", "1", "--correlations", "0", "--partitions", "",
                 "--tuned-sweeps", "0", "--effects", "zero"]) == 0
    assert "calibration: replay skipped: no --runs DIR given" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["calibration", "--binary-sweeps", "0", "--stated-sweeps", "0", "--sweeps", "1", "--auto-sweeps", "1", "--correlations", "0", "--effects", "zero",
                 "--runs", str(tmp_path / "empty"), "--partitions", "", "--tuned-sweeps", "0"]) == 0
    assert "calibration: replay skipped:" in capsys.readouterr().err


def test_bad_calibration_options_are_one_line(capsys):
    assert main(["calibration", "--binary-sweeps", "0", "--stated-sweeps", "0", "--sweeps", "0"]) == 0
    assert "calibration: skipped: --sweeps" in capsys.readouterr().err
    assert main(["calibration", "--binary-sweeps", "0", "--stated-sweeps", "0", "--correlations", "0.4,x"]) == 0
    assert "--correlations must be comma-separated numbers" in capsys.readouterr().err
    assert main(["calibration", "--binary-sweeps", "0", "--stated-sweeps", "0", "--schedules", "5,3"]) == 0
    assert "--schedules must be ';'-separated lists of growing seed counts" in capsys.readouterr().err


def test_an_effect_at_half_the_margin_reads_supported_but_smaller_than_the_margin():
    """Issue 44: a real effect at half the margin. Under the single answer it read "supported" or "no
    meaningful difference" by luck; with two answers and rounds that stop only on settled ones, Seeds(3, 20)
    ends on "supported, but smaller than the margin" in at least 9 sweeps of 10, and a sweep never shows
    "no meaningful difference" at one settled look and "supported" at another."""
    from benchmarks.calibration import MARGIN, World, draw_sweep, part_outcomes, run_auto
    from claims.verdicts import trials_feeding_undecided
    from rundir.manifest import Manifest
    from search.sweep.seeds import Seeds

    rng = np.random.default_rng(44)
    looks = Seeds(3, 20).looks()
    world = World(rho=0.4, effect=MARGIN / 2, sd=0.01)
    sweeps, wanted, seeds_used = 20, 0, []
    for _ in range(sweeps):
        records = draw_sweep(world, looks[-1], rng)
        seeds, outcomes, _ = run_auto(records, looks)
        seeds_used.append(seeds)
        answers = [o[4] for o in outcomes]
        wanted += all(a.headline == "supported, but smaller than the margin" for a in answers)
        # Every look up to the stopping one: once a part's answers are settled they never change.
        seen: dict[int, str] = {}
        for n in [n for n in looks if n <= seeds]:
            upto = [r for r in records if r.seed < n]
            for i, o in enumerate(part_outcomes(upto, looks, None)):
                if o[4].settled:
                    assert seen.setdefault(i, o[4].headline) == o[4].headline, (n, i, seen[i], o[4].headline)
        open_claims, _ = trials_feeding_undecided([r for r in records if r.seed < seeds],
                                                  Manifest.from_json({
                                                      "claims": ["pooling-texture", "mixed-pooling", "depth-overfit"],
                                                      "seed_looks": list(looks), "rounds": [],
                                                      "data": {"n_val": 2000, "n_train": 8000}}))
        assert seeds == looks[-1] or not open_claims
    assert wanted / sweeps >= 0.9, (wanted, seeds_used)


def test_stability_counts_agreeing_pairs_of_draws_under_both_rules(tmp_path):
    """The resample benchmark's judging, on three finished draws: two find max pooling clearly better, one a
    small certain gain that the single answer called "no meaningful difference"."""
    from benchmarks.stability import DIRECTION, SINGLE, SIZE, TWO, agreement, answers
    from test_scorecard import write_pooling_study

    draws = [write_pooling_study(tmp_path / "a", +0.06, seeds=8), write_pooling_study(tmp_path / "b", +0.06, seeds=8),
             write_pooling_study(tmp_path / "c", +0.005, seeds=8)]
    judged = [answers(d) for d in draws]
    assert [j[TWO]["pooling-texture"] for j in judged] == [
        "supported, and at least the margin", "supported, and at least the margin",
        "supported, but smaller than the margin"]
    assert [j[SINGLE]["pooling-texture"] for j in judged] == ["supported", "supported", "no meaningful difference"]
    assert agreement([j[TWO] for j in judged], "pooling-texture") == (1, 3)
    assert agreement([j[SINGLE] for j in judged], "pooling-texture") == (1, 3)
    assert agreement([{"pooling-texture": "inconclusive"}, {"pooling-texture": "supported"}], "pooling-texture") == (0, 0)
    # Each answer on its own: the three directions agree; the sizes differ (at least / smaller than the margin).
    assert agreement([j[DIRECTION] for j in judged], "pooling-texture") == (3, 3)
    assert agreement([j[SIZE] for j in judged], "pooling-texture") == (1, 3)
    assert agreement([{"c": "undecided"}, {"c": "supported"}, {"c": "size not yet resolved"}], "c") == (0, 0)


def test_stated_claims_are_calibrated_on_a_numeric_knob_a_categorical_one_and_an_own_metric(capsys):
    """Claims a user states (Compare), judged together as a sweep file's would be: every true effect x design
    is measured, with the false rate, each claim's coverage and power, and the table prints them."""
    assert main(["calibration", "--binary-sweeps", "0", "--sweeps", "1", "--auto-sweeps", "2", "--correlations", "", "--partitions", "",
                 "--tuned-sweeps", "0", "--stated-sweeps", "6"]) == 0
    out = capsys.readouterr().out
    stated = [json.loads(line) for line in out.splitlines() if line.startswith("{") and '"stated": true' in line]
    assert {(m["details"]["effect"], m["details"]["design"]) for m in stated} == {
        (e, d) for e in ("zero", "margin", "twice the margin") for d in ("5 seeds", "Seeds(3, 20)")}
    for m in stated:
        d = m["details"]
        assert 0 <= d["false_per_sweep"] <= 1 and len(d["coverage_per_claim"]) == len(d["power_per_claim"]) == 3
        assert d["mean_seeds"] == 5 if d["design"] == "5 seeds" else 3 <= d["mean_seeds"] <= 20
    assert "coverage (dropout, optimizer, val_auc)" in out  # the stated claims' own table


def test_a_0_1_outcome_whose_seeds_all_agree_is_never_called_equivalent_from_an_interval_of_no_width():
    """benchmarks/binary_calibration.py at toy size: with no divergence anywhere every seed's difference is
    0. The exact bound keeps 10 such seeds open; the t interval of no width said "no meaningful difference"."""
    import numpy as np

    from benchmarks.binary_calibration import PART, measurements, simulate
    from claims.stats import NO_DIFFERENCE, decide, p_values, t_interval

    counts = simulate(0.0, 0.0, seeds=10, pairs=1, sweeps=50, rng=np.random.default_rng(0))
    assert counts["zero_spread"] == 50 and counts[NO_DIFFERENCE] == 0 and counts["covered"] == 50
    assert decide(p_values(t_interval([0.0] * 10), PART.sign, PART.margin), 0.05, PART.sign) == NO_DIFFERENCE
    assert simulate(0.0, 0.0, seeds=40, pairs=1, sweeps=5, rng=np.random.default_rng(0))[NO_DIFFERENCE] == 5
    lines = measurements(20, np.random.default_rng(1))
    assert len(lines) == 48 and {m.details["seeds"] for m in lines} == {5, 10, 20, 40}
    assert all(m.details["false_no_difference"] is None for m in lines if m.details["difference"] == 0)
