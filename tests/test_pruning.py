"""Median stopping: hopeless runs stop early, the rest train to the end."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from conftest import make_image_folder, write_sweep
from rundir.errors import SweepError
from search.training.pruning import MedianStopping, MedianStoppingCallback, best_so_far, median_curve, replay
from rundir.records import RunDirectory, RunRecord
from search.run import main


def _record(scores: list[float], status: str = "completed", trial_id: str = "0000", key: str = "val_accuracy",
            **fields) -> RunRecord:
    return RunRecord(trial_id, 0, status, {}, history=[{key: s} for s in scores], **fields)


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


def test_replay_cuts_each_run_where_the_rule_would_have_stopped_it():
    runs = [_record([0.5, 0.6, 0.7, 0.8], trial_id="0000"), _record([0.6, 0.7, 0.8, 0.9], trial_id="0001"),
            _record([0.4, 0.5, 0.6, 0.7], trial_id="0002"),
            _record([0.1, 0.2, 0.3, 0.4], trial_id="0003"),  # hopeless: cut at epoch 2
            _record([0.2, 0.3, 0.4, 0.95], trial_id="0004"),  # late bloomer: the winner, cut at epoch 2 as well
            _record([0.2], "failed", trial_id="0005")]
    r = replay(runs, MedianStopping(after_epochs=2, min_runs=3), "val_accuracy", 1.0)
    assert (r.runs, r.runs_stopped, r.epochs_full, r.epochs_kept) == (5, 2, 20, 16)
    assert r.epoch_ratio == 20 / 16
    assert r.best_run == ("0004", 0) and r.best_full == 0.95
    assert r.chosen_run == ("0001", 0) and r.best_found == 0.9 and r.chosen_full == 0.9
    assert abs(r.regret - 0.05) < 1e-12

    # From epoch 3: 0003 is cut there (0.3 < median 0.7), and the four runs
    # before 0004 reach epoch 3 with median 0.65, which cuts 0004 there too.
    late = replay(runs, MedianStopping(after_epochs=3, min_runs=3), "val_accuracy", 1.0)
    assert late.epochs_kept == 18 and late.chosen_run == ("0001", 0)

    never = replay(runs, MedianStopping(after_epochs=5, min_runs=3), "val_accuracy", 1.0)
    assert (never.epochs_kept, never.runs_stopped, never.regret, never.chosen_run) == (20, 0, 0.0, ("0004", 0))


def test_replay_follows_start_order_and_the_objective_direction():
    losses = [_record([1.0, 0.9, 0.8], trial_id="0002", key="val_loss", started="2026-01-01T00:00:01"),
              _record([1.1, 1.0, 0.9], trial_id="0001", key="val_loss", started="2026-01-01T00:00:02"),
              _record([1.2, 1.1, 1.0], trial_id="0000", key="val_loss", started="2026-01-01T00:00:03"),
              _record([2.0, 1.9, 1.8], trial_id="0003", key="val_loss", started="2026-01-01T00:00:04")]
    r = replay(losses, MedianStopping(after_epochs=1, min_runs=3), "val_loss", -1.0)
    # Only the run that started last has three before it; its loss is above their median.
    assert (r.runs_stopped, r.epochs_kept) == (1, 10)
    assert r.best_run == r.chosen_run == ("0002", 0) and r.best_full == 0.8 and r.regret == 0.0


def test_replay_refuses_a_sweep_that_was_already_pruned():
    with pytest.raises(SweepError, match="already ran with median stopping"):
        replay([_record([0.5, 0.6]), _record([0.1], pruned=True)], MedianStopping(), "val_accuracy", 1.0)
    with pytest.raises(SweepError, match="no completed runs"):
        replay([_record([0.1], "failed")], MedianStopping(), "val_accuracy", 1.0)
