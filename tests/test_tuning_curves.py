"""Tuning curves: the median best score after n configurations, with opda's simultaneous band."""

from __future__ import annotations

import numpy as np

from claims.verdicts import evaluate
from reports.html import build_context, render
from reports.runs import load_runs
from reports.tuning import MIN_CONFIGS, tuning_curve, tuning_info
from test_report import request_claims, write_pooling_dir


def test_a_curve_is_the_median_best_of_n_with_a_band_around_it():
    scores = [0.61, 0.72, 0.55, 0.80, 0.67, 0.70, 0.58, 0.75]
    curve = tuning_curve("every configuration", scores, "val_accuracy", minimize=False)
    assert curve.configs == 8 and curve.ns == list(range(1, 9))
    # Best of one draw: the sample's median; best of many: rises towards the sample's best.
    assert curve.point[0] == sorted(scores)[3] and curve.point[-1] <= max(scores)
    assert all(a <= b for a, b in zip(curve.point, curve.point[1:]))  # more tries never do worse
    assert all(lo <= p <= hi for lo, p, hi in zip(curve.low, curve.point, curve.high))
    assert 0.0 <= min(curve.low) and max(curve.high) <= 1.0  # accuracy's support bounds the band
    # Minimising a loss: the curve falls.
    loss = tuning_curve("loss", [1.2, 0.9, 1.5, 0.7, 1.1], "val_loss", minimize=True)
    assert all(a >= b for a, b in zip(loss.point, loss.point[1:])) and loss.point[0] == 1.1
    assert tuning_curve("too few", [0.5] * (MIN_CONFIGS - 1), "val_accuracy", minimize=False) is None


def test_each_side_of_a_requested_pooling_claim_gets_its_own_curve(tmp_path):
    diffs = {(dropout, seed): 0.03 for dropout in (0.1, 0.2, 0.3, 0.4) for seed in range(2)}
    root = request_claims(write_pooling_dir(tmp_path / "run", diffs, whole_network=True), "pooling-texture")
    runs = load_runs(root)
    verdicts = evaluate(runs.records, runs.manifest)
    info = tuning_info(runs, verdicts)
    assert [c.label for c in info.curves] == ["every configuration", "all-max (pooling-texture)",
                                              "all-average pooling (pooling-texture)"]
    whole, treated, base = info.curves
    assert (whole.configs, treated.configs, base.configs) == (8, 4, 4)  # a configuration counts once, seeds averaged
    # All max sits 0.03 above all average in every setting, so its curve does at every n.
    assert all(np.isclose(t - b, 0.03) for t, b in zip(treated.point, base.point))
    html = render(build_context(runs, verdicts))
    assert 'id="tuning"' in html and "confidence band for the whole curve at once" in html


def test_the_coverage_benchmark_counts_a_band_that_misses_the_true_curve(monkeypatch):
    """The simulation's truth is the true median curve: a band around a shifted sample misses it."""
    from benchmarks.tuning_coverage import covered, true_curve

    rng = np.random.default_rng(0)
    truth = true_curve(8, rounded=False)
    assert all(a < b for a, b in zip(truth, truth[1:]))  # the best of more draws is higher
    assert np.isclose(truth[0], 0.7414, atol=1e-3)  # Beta(8, 3)'s median
    hits = [covered(8, False, rng) for _ in range(20)]
    assert sum(hits) >= 15  # a 95% band misses seldom
    from benchmarks import tuning_coverage

    monkeypatch.setattr(tuning_coverage, "true_curve", lambda n, rounded: true_curve(n, rounded) + 0.3)
    assert not any(covered(8, False, rng) for _ in range(5))  # a truth far above every band
