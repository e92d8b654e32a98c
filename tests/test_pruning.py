"""Median stopping: hopeless runs stop early, the rest train to the end."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from conftest import make_image_folder, write_sweep
from search.errors import SweepError
from search.pruning import MedianStopping, MedianStoppingCallback, best_so_far, median_curve
from search.records import RunDirectory, RunRecord
from search.run import main


def _record(scores: list[float], status: str = "completed") -> RunRecord:
    return RunRecord("0000", 0, status, {}, history=[{"val_accuracy": s} for s in scores])


def test_the_rule_compares_best_so_far_with_the_median_at_the_same_epoch():
    assert best_so_far([{"val_accuracy": 0.5}, {"val_accuracy": 0.4}, {"val_accuracy": 0.7}], "val_accuracy", 1) \
        == [0.5, 0.5, 0.7]
    runs = [_record([0.5, 0.6, 0.7]), _record([0.6, 0.7, 0.8]), _record([0.7, 0.8, 0.9]), _record([0.1], "failed")]
    curve = median_curve(runs, "val_accuracy", 1.0)
    assert curve == {1: (0.6, 3), 2: (0.7, 3), 3: (0.8, 3)}

    def run(scores, rule):
        cb = MedianStoppingCallback(rule, curve, "val_accuracy", 1.0)
        cb.set_model(SimpleNamespace(stop_training=False))
        for epoch, score in enumerate(scores):
            cb.on_epoch_end(epoch, {"val_accuracy": score})
            if cb.model.stop_training:
                break
        return cb.stopped_epoch

    assert run([0.2, 0.3, 0.4], MedianStopping(after_epochs=2, min_runs=3)) == 2  # behind from the start
    assert run([0.2, 0.3, 0.4], MedianStopping(after_epochs=1, min_runs=3)) == 1
    assert run([0.9, 0.1, 0.1], MedianStopping(after_epochs=2, min_runs=3)) is None  # its best so far leads
    assert run([0.2, 0.3, 0.4], MedianStopping(after_epochs=2, min_runs=4)) is None  # too few runs to judge


SWEEP = """
sweep = Sweep(
    name="prune",
    data=ImageFolder({data!r}, validation_split=0.25, seed=1),
    hypermodel=DigitsCNN,
    image_size=12,
    space={{"learning_rate": [1e-2, 1e-8], "decay_rate": 1.0}},
    objective="val_loss",
    epochs=4,
    seeds=3,
    early_stopping=None,
    median_stopping=MedianStopping(after_epochs=2, min_runs=3),
)
"""


def test_runs_behind_the_median_stop_and_are_marked(tmp_path):
    data = make_image_folder(tmp_path / "data", classes=("left", "right"), per_class=12, size=12)
    sweep = write_sweep(tmp_path / "prune.py", SWEEP.format(data=str(data)))
    assert main([str(sweep), "--out", str(tmp_path / "run"), "--no-report", "--quiet"]) == 0
    runs = RunDirectory(tmp_path / "run").read_runs()
    good = [r for r in runs if r.hyperparameters["learning_rate"] == 1e-2]
    hopeless = [r for r in runs if r.hyperparameters["learning_rate"] == 1e-8]
    assert [r.epochs_run for r in good] == [4, 4, 4] and not any(r.pruned for r in good)  # fewer than 3 to judge
    assert all(r.pruned and r.stopped_epoch == 2 and r.epochs_run == 2 for r in hopeless), \
        [(r.pruned, r.stopped_epoch, r.epochs_run, r.score) for r in hopeless]
    assert all(r.status == "completed" for r in runs)


def test_median_stopping_is_refused_with_claims(tmp_path):
    from search import DigitsCNN, Digits, Sweep

    with pytest.raises(SweepError, match="bias the paired claim statistics"):
        Sweep(name="x", data=Digits(), hypermodel=DigitsCNN, claims=("pooling-texture",),
              median_stopping=MedianStopping())
