"""The cost up front: runs, epochs in all and a time estimate, in --describe (with or without the data) and the header."""

from __future__ import annotations

import keras
import keras_tuner
import numpy as np
import pytest

from conftest import ROOT, make_image_folder, write_sweep
from search import DigitsCNN, ImageFolder, Seeds, Sweep
from search.run import main
from search.sweep.cost import Cost, sweep_counts
from search.training.step_time import StepTime, dry_run, explain_failure


def _sweep(**kwargs) -> Sweep:
    return Sweep(name="c", data=ImageFolder("nowhere"), hypermodel=DigitsCNN, image_size=12, **kwargs)


@pytest.mark.parametrize("kwargs, runs, epochs", [
    ({"space": {"pooling_1": ["avg", "max"], "pooling_2": ["avg", "max"]}, "seeds": 5}, (20, 20), (160, 160)),
    ({"space": {"pooling_1": ["avg", "max"]}, "seeds": Seeds(3, 20), "epochs": 4}, (6, 40), (24, 160)),
    ({"space": {"epochs": [2, 4]}, "seeds": 2}, (4, 4), (12, 12)),  # a grid walks each epoch count equally often
    ({"space": {"pooling_1": ["avg", "max"]}, "folds": 3, "epochs": 2}, (6, 6), (12, 12)),
    ({"tuner": "random", "max_trials": 4, "space": {"epochs": [2, 4]}}, (4, 4), (16, 16)),  # may pick 4 each time
])
def test_runs_and_epochs_come_from_the_sweep_alone(kwargs, runs, epochs):
    sweep = _sweep(**kwargs)
    assert sweep_counts(sweep, sweep.epochs or 8, sweep.folds or 1) == (runs, epochs)  # 8: the article default


def test_hyperband_has_no_run_count():
    assert sweep_counts(_sweep(tuner="hyperband", epochs=9), 9) == (None, None)
    assert Cost(None, None).lines() == ["cost       Hyperband decides the runs as it goes"]
    assert Cost((1, 1), (1, 1)).lines() == ["cost       1 run, at most 1 epoch in all"]


def test_the_estimate_is_epochs_times_the_timed_epoch():
    step = StepTime(batch_size=32, compile_s=2.0, train_step_s=0.5, eval_step_s=0.1, epoch_overhead_s=0.05)
    assert step.epoch_s(100, 40) == pytest.approx(0.05 + 4 * 0.5 + 2 * 0.1)
    assert step.epoch_s(100, 0) == pytest.approx(0.05 + 4 * 0.5)
    cost = Cost((20, 20), (1200, 1200), (step,), 100, 40)
    assert cost.seconds() == pytest.approx((1200 * 2.25 + 20 * 2.0,) * 2)
    other = StepTime(batch_size=4, compile_s=1.0, train_step_s=0.1, eval_step_s=0.05)
    assert Cost((1, 1), (1, 1), (step, other), 100, 40).epoch_s == pytest.approx((2.25 + 25 * 0.1 + 10 * 0.05) / 2)
    cost_line, estimate = cost.lines()
    assert cost_line == "cost       20 runs, at most 1,200 epochs in all"
    assert estimate.startswith("estimate   2.2 s per epoch, the sweep up to 45.7 min (less if early stopping")
    missing = Cost((20, 20), (1200, 1200), (step,)).lines()[1]
    assert "without the data no total: an epoch of 1,000 training images takes about 16 s here" in missing


def test_describe_needs_no_data_folder(capsys):
    """sweeps/sneakers.py points at data/sneakers, which is not here."""
    assert main([str(ROOT / "sweeps" / "sneakers.py"), "--describe", "--image-size", "32"]) == 0
    out = capsys.readouterr().out
    assert "data       data/sneakers (train/ for training, test/ for validation): not on this machine" in out
    assert "cost       20 runs, at most 1,200 epochs in all" in out
    assert "pooling_1        tuned   ['avg', 'max']" in out


def test_a_sweep_without_data_still_refuses_to_train(tmp_path, capsys):
    assert main([str(ROOT / "sweeps" / "sneakers.py"), "--out", str(tmp_path / "run")]) == 2
    assert capsys.readouterr().err == "error: data folder data/sneakers does not exist\n"


def test_the_header_estimates_the_time_from_timed_batches(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SEARCH_NO_ESTIMATE", "0")
    data = make_image_folder(tmp_path / "data", classes=("a", "b"), per_class=8, size=12)
    sweep = write_sweep(tmp_path / "s.py", f"""
sweep = Sweep(name="t", data=ImageFolder({str(data)!r}, validation_split=0.25, seed=1), hypermodel=DigitsCNN,
              image_size=12, space={{"batch_size": 8}}, epochs=2, seeds=2)
""")
    assert main([str(sweep), "--out", str(tmp_path / "run"), "--no-report"]) == 0
    header = capsys.readouterr().err
    assert "cost       2 runs, at most 4 epochs in all" in header
    assert "estimate   " in header and " per epoch, the sweep up to " in header and "per training batch of 8" in header
    assert "compiling " in header and " s per run" in header


def test_dry_run_times_the_steps_of_fit():
    model = DigitsCNN((12, 12, 1), 2).build(keras_tuner.HyperParameters())
    x = np.zeros((10, 12, 12, 1), dtype=np.uint8)
    y = np.array([0, 1] * 5)
    step = dry_run(model, x, y, batch_size=4, steps=3)
    assert step.batch_size == 4 and step.train_step_s > 0 and step.eval_step_s > 0 and step.compile_s > 0
    assert step.epoch_s(400, 0) > step.epoch_s(40, 0)
    keras.backend.clear_session()


@pytest.mark.parametrize("message, labels, fix", [
    ("Arguments `target` and `output` must have the same shape. Received: target.shape=(None,), "
     "output.shape=(None, 2)", np.zeros(4), 'label_mode="categorical"'),
    ("Shapes (None, 2) and (None, 1) are incompatible", np.zeros((4, 2)), 'loss="categorical_crossentropy"'),
    ("logits and labels must have the same first dimension, got logits shape [4,3] and labels shape [8]",
     np.zeros(4), "sparse_categorical_crossentropy"),
])
def test_a_loss_label_mismatch_gets_its_fix(message, labels, fix):
    assert fix in explain_failure(ValueError(message), labels)


def test_other_failures_are_not_explained_away():
    assert explain_failure(MemoryError("out of memory"), np.zeros(4)) is None


def test_describe_says_which_rule_each_knob_follows(tmp_path, capsys):
    """An article model: the sweep's values or fixed at the default; your own: searched at the build's range too."""
    assert main([str(ROOT / "sweeps" / "own_model.py"), "--describe"]) == 0
    out = capsys.readouterr().out
    assert "filters          tuned   [8, 16]" in out and "dropout          fixed   0.25" in out
    assert "hyperparameters: (searched: your model's own ranges" not in out  # every knob is named in its space


def test_an_input_shape_error_is_not_taken_for_a_label_mismatch():
    message = ("Input 0 of layer \"dense\" is incompatible with the layer: expected axis -1 of input shape to have "
               "value 768, but received input with shape (None, 432)")
    assert explain_failure(ValueError(message), np.zeros(4)) is None
