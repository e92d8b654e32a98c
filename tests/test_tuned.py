"""The tuned comparison (each side at its own best settings): cross-fitting, claims.csv and the report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from claims.catalogue import BY_ID
from claims.contrasts import BASELINE, TREATMENT
from claims.stats import CONTRADICTED, INCONCLUSIVE, SUPPORTED
from claims.tuned import best, cross_fit
from claims.verdicts import evaluate, evaluate_claim, read_claims_csv, write_claims_csv
from reports.html import write_report
from rundir.manifest import DataInfo, Manifest, SeedPlan, write_manifest
from rundir.synthetic import synthetic_manifest
from rundir.records import RunDirectory, RunRecord

BIG = Manifest(data=DataInfo(n_val=10_000, n_train=50_000, class_counts={"a": {"val": 5000}, "b": {"val": 5000}}))
RATES = (1e-4, 1e-3, 1e-2)


def _sweep(seeds: int, max_scores=(0.62, 0.74, 0.62), avg_scores=(0.70, 0.70, 0.70), noise: float = 0.004,
           rates=RATES) -> list[RunRecord]:
    """All-max vs all-average at three learning rates: max is best only at its own best rate."""
    rng = np.random.default_rng(7)
    records = []
    for seed in range(seeds):
        shared = rng.normal(0, 0.02)
        for kind, scores in (("max", max_scores), ("avg", avg_scores)):
            for lr, mean in zip(rates, scores):
                score = mean + shared + rng.normal(0, noise)
                hps = {"pooling_1": kind, "pooling_2": kind, "learning_rate": lr}
                records.append(RunRecord(f"{kind}-{lr:g}", seed, "completed", hps, score=score,
                                         best_val_accuracy=score, final_val_accuracy=score))
    return records


def test_max_at_its_own_best_rate_wins_while_the_average_over_rates_loses():
    row = evaluate_claim(BY_ID["pooling-texture"], _sweep(8), BIG)
    assert row.final == CONTRADICTED and row.effect == pytest.approx((0.62 + 0.74 + 0.62) / 3 - 0.70, abs=0.01)
    assert row.tuned_verdict == SUPPORTED and row.tuned_effect == pytest.approx(0.04, abs=0.01)
    assert row.tuned_seeds == 8 and row.tuned_ci_low > 0
    assert "all-max at learning_rate=0.001" in row.tuned_choice  # max's best rate, in words


def test_a_sweep_without_nuisance_knobs_has_one_answer():
    records = [r for r in _sweep(6) if r.hyperparameters["learning_rate"] == 1e-3]
    row = evaluate_claim(BY_ID["pooling-texture"], records, BIG)
    assert row.final == SUPPORTED and row.tuned_verdict == "" and row.tuned_effect is None


def test_selection_and_measurement_never_share_seeds():
    """Configuration "a" is best on seeds 0 and 2, "b" on seeds 1 and 3: each half picks the one that
    looks best on it, and is measured on the other half, where that one is worse (no winner's curse)."""
    treatment = {("a",): {0: (0.9, 0.9), 1: (0.5, 0.5), 2: (0.9, 0.9), 3: (0.5, 0.5)},
                 ("b",): {0: (0.5, 0.5), 1: (0.9, 0.9), 2: (0.5, 0.5), 3: (0.9, 0.9)}}
    baseline = {("c",): {s: (0.6, 0.6) for s in range(4)}}
    values, choices = cross_fit({TREATMENT: treatment, BASELINE: baseline}, [0, 1, 2, 3])
    assert choices == [(("a",), ("c",)), (("b",), ("c",))]
    assert values == {s: pytest.approx(-0.1) for s in range(4)}  # the naive best-of-both would say +0.3


def test_ties_choose_the_first_configuration_in_sorted_order():
    configs = {("b",): {0: (0.7, 0.1)}, ("a",): {0: (0.7, 0.2)}}
    assert best(configs, [0]) == ("a",)
    assert best(configs, [5]) is None


def test_claims_csv_keeps_the_tuned_answer(tmp_path):
    rows = evaluate(_sweep(6), BIG.with_changes(claims=("pooling-texture",)))
    read = {r.claim: r for r in read_claims_csv(write_claims_csv(tmp_path, rows))}
    row = read["pooling-texture"]
    original = next(r for r in rows if r.claim == "pooling-texture")
    assert row.tuned_verdict == original.tuned_verdict != ""
    assert row.tuned_effect == pytest.approx(original.tuned_effect, rel=1e-5)
    assert (row.tuned_seeds, row.tuned_choice) == (original.tuned_seeds, original.tuned_choice)
    assert read["batch-size"].tuned_verdict == ""


def test_the_tuned_family_leaves_the_averaged_verdicts_alone(monkeypatch):
    """The tuned parts are a Holm family of their own: the averaged verdicts are those of a sweep judged
    without any tuned comparison."""
    records = _sweep(5)
    meta = BIG.with_changes(claims=("pooling-texture", "mixed-pooling", "learning-rate"))

    def averaged(rows):
        return [(r.claim, r.verdict, r.adjusted_verdict, r.effect, r.ci_low, r.ci_high, r.seeds_to_decide)
                for r in rows]

    with_tuned = evaluate(records, meta)
    assert any(r.tuned_verdict for r in with_tuned)
    monkeypatch.setattr("claims.verdicts.measure_tuned", lambda *args: None)
    without = evaluate(records, meta)
    assert not any(r.tuned_verdict for r in without)
    assert averaged(with_tuned) == averaged(without)


def test_sequential_looks_judge_the_tuned_answer_at_every_look():
    """Seeds(3, 8)-like looks: the tuned answer is re-cross-fitted on the seeds of each look reached."""
    meta = BIG.with_changes(claims=("pooling-texture",), seeds=SeedPlan(3, 8, (3, 5, 8), in_rounds=True))
    row = next(r for r in evaluate(_sweep(8), meta) if r.claim == "pooling-texture")
    assert row.tuned_verdict == SUPPORTED and row.tuned_seeds == 8
    early = next(r for r in evaluate([r for r in _sweep(8) if r.seed < 3], meta) if r.claim == "pooling-texture")
    assert early.tuned_seeds == 3


def test_the_report_shows_both_answers_and_what_each_means(tmp_path):
    root = tmp_path / "run"
    directory = RunDirectory(root)
    directory.prepare()
    write_manifest(root, synthetic_manifest("tuned", tuned=["pooling_1", "pooling_2", "learning_rate"],
                                            defaults={"pooling_1": "max", "pooling_2": "max", "learning_rate": 1e-3},
                                            planned_trials=None, n_val=10_000, claims=["pooling-texture"], seeds=8))
    for record in _sweep(8):
        directory.write_run(record)
    html = write_report(root).read_text(encoding="utf-8")
    section = html[html.index('id="claims"'):html.index("</section>", html.index('id="claims"'))]
    assert "Each side at its best" in section and "which should you use?" in section
    assert "each side at its best: <b>supported" in section
    assert '<span class="final">contradicted' in section
    assert "Each side at its own best settings (chosen on half the seeds, measured on the other half; all-max at " \
           "learning_rate=0.001" in section
    table = read_claims_csv(root / "claims.csv")
    assert next(r for r in table if r.claim == "pooling-texture").tuned_verdict == SUPPORTED
    assert json.loads((root / "sweep.json").read_text())["claims"] == ["pooling-texture"]


def test_a_report_without_nuisance_knobs_says_nothing_of_a_second_answer(tmp_path):
    root = tmp_path / "run"
    directory = RunDirectory(root)
    directory.prepare()
    write_manifest(root, synthetic_manifest("flat", tuned=["pooling_1", "pooling_2"],
                                            defaults={"pooling_1": "max", "pooling_2": "max"}, planned_trials=None,
                                            n_val=10_000, claims=["pooling-texture"], seeds=6))
    for record in _sweep(6):
        if record.hyperparameters["learning_rate"] == 1e-3:
            directory.write_run(record)
    section = write_report(root).read_text(encoding="utf-8")
    section = section[section.index('id="claims"'):]
    assert "Each side at its best" not in section and "each side at its best" not in section


def test_the_tie_law_is_students_without_a_choice_and_wider_with_one():
    """One configuration per side chooses nothing: the cross-fitted t is Student's. Alike configurations
    make the halves lean together, so the law is wider than Student's (the reason for it)."""
    from scipy import stats

    from claims.tuned import tie_null

    plain = np.quantile(tie_null(5, 1, 1), [0.025, 0.975])
    assert plain == pytest.approx([stats.t.ppf(0.025, 4), stats.t.ppf(0.975, 4)], rel=0.05)
    assert np.quantile(tie_null(5, 3, 3), 0.975) > 1.1 * stats.t.ppf(0.975, 4)


def test_an_open_tuned_answer_whose_interval_excludes_zero_says_why_it_is_open():
    from claims.verdicts import ClaimRow
    from reports.claims import tuned_sentence

    row = ClaimRow("pooling-texture", SUPPORTED, 0.03, 0.02, 0.05, None, "best_val_accuracy", "", "", "", [],
                   tuned_verdict=INCONCLUSIVE, tuned_effect=0.026, tuned_ci_low=0.010, tuned_ci_high=0.042,
                   tuned_seeds=5, tuned_choice="all-max at batch_size=16; all-average at batch_size=16")
    text = tuned_sentence(row, judged=3)
    assert text.startswith("Each side at its own best settings (chosen on half the seeds, measured on the other half; "
                           "all-max at batch_size=16; all-average at batch_size=16): +2.6 points (95% interval "
                           "+1.0 points to +4.2 points) over 5 seeds: inconclusive (the 95% interval alone")
    assert "with 3 claims judged at once" in text
