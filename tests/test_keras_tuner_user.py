"""A Keras Tuner user's model sweeps the way Keras Tuner would run it, and mistakes are caught before training.

The model here is the first `build_model(hp)` of Keras Tuner's getting-started
guide (keras.io/guides/keras_tuner/getting_started), verbatim but for the
output layer's units (2 classes instead of MNIST's 10): a `Sequential()`
without an `Input`, `hp.Int` units, `hp.Choice` activation, `hp.Boolean`
dropout and a log-scale `hp.Float` learning rate, compiled with categorical
cross-entropy for the one-hot labels the guide makes. The guide's next model,
with `num_layers` and conditional `units_{i}`, is searched too.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import search
from conftest import make_image_folder, write_sweep
from rundir.errors import SweepError
from rundir.ranking import best_run, rank_trials
from rundir.records import RunDirectory, RunRecord
from search.run import main

GETTING_STARTED = '''
import keras
from keras import layers
from search import Sweep, ImageFolder, EarlyStopping


def build_model(hp):
    model = keras.Sequential()
    model.add(layers.Flatten())
    model.add(
        layers.Dense(
            # Tune number of units.
            units=hp.Int("units", min_value=32, max_value=512, step=32),
            # Tune the activation function to use.
            activation=hp.Choice("activation", ["relu", "tanh"]),
        )
    )
    # Tune whether to use dropout.
    if hp.Boolean("dropout"):
        model.add(layers.Dropout(rate=0.25))
    model.add(layers.Dense(2, activation="softmax"))
    # Define the optimizer learning rate as a hyperparameter.
    learning_rate = hp.Float("lr", min_value=1e-4, max_value=1e-2, sampling="log")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="{loss}",
        metrics=["accuracy"],
    )
    return model


sweep = Sweep(name="getting_started", data=ImageFolder({data!r}, validation_split=0.25, seed=1, label_mode={label_mode!r}),
              hypermodel=build_model, image_size=12, epochs=1, {extra})
'''


# The guide's second model puts num_layers Dense layers where the first has one.
ONE_LAYER = '''
    model.add(
        layers.Dense(
            # Tune number of units.
            units=hp.Int("units", min_value=32, max_value=512, step=32),
            # Tune the activation function to use.
            activation=hp.Choice("activation", ["relu", "tanh"]),
        )
    )
'''.strip("\n")
LAYERS = '''
    # Tune the number of layers.
    for i in range(hp.Int("num_layers", 1, 3)):
        model.add(
            layers.Dense(
                # Tune number of units separately.
                units=hp.Int(f"units_{i}", min_value=32, max_value=512, step=32),
                activation=hp.Choice("activation", ["relu", "tanh"]),
            )
        )
'''.strip("\n")


@pytest.fixture
def folder(tmp_path):
    return make_image_folder(tmp_path / "data", classes=("a", "b"), per_class=8, size=12)


def getting_started(tmp_path, folder, loss="categorical_crossentropy", extra='tuner="random", max_trials=3',
                    label_mode="categorical"):
    """The guide's model with the guide's loss, on one-hot labels as the guide makes them (`to_categorical`)."""
    return write_sweep(tmp_path / "sweep.py", GETTING_STARTED.format(data=str(folder), loss=loss, extra=extra,
                                                                     label_mode=label_mode))


def test_the_getting_started_model_sweeps_its_own_ranges(tmp_path, folder, capsys):
    """No Input layer, no `space`: a random search samples different configurations from the build's ranges."""
    out, sweep = tmp_path / "run", getting_started(tmp_path, folder)
    assert main([str(sweep), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "early stopping on val_accuracy (min_delta 0.001, patience 20; early_stopping=None turns it off)" in err
    html = (out / "report.html").read_text()
    assert "build_model (your own model)" in html and "article own" not in html  # labelled plainly
    assert "units            searched 32..512 step 32 (the build's range)" in err
    assert "lr               searched 0.0001..0.01 (log)" in err
    runs = RunDirectory(out).read_runs()
    assert [r.status for r in runs] == ["completed"] * 3
    configs = {tuple(sorted((k, v) for k, v in r.hyperparameters.items() if v is not None)) for r in runs}
    assert len(configs) == 3  # not the default three times
    assert all(isinstance(r.hyperparameters["dropout"], bool) for r in runs)  # booleans stay booleans
    assert all(32 <= r.hyperparameters["units"] <= 512 and 1e-4 <= r.hyperparameters["lr"] <= 1e-2 for r in runs)
    # The build's ranges are the search space: editing one is another sweep, refused as a changed space is.
    sweep.write_text(sweep.read_text().replace("max_value=512", "max_value=256"))
    assert main([str(sweep), "--out", str(out), "--no-report", "--quiet"]) == 2
    assert "(changed: build_ranges)" in capsys.readouterr().err


def test_conditional_hyperparameters_found_as_trials_build_are_searched(tmp_path, folder):
    """The guide's second model: `units_{i}` exists only for i < num_layers; Keras Tuner learns
    units_1 and units_2 as trials build them (tune_new_entries), and samples them from then on."""
    body = GETTING_STARTED.format(data=str(folder), loss="categorical_crossentropy", label_mode="categorical",
                                  extra='tuner="random", max_trials=4, space={"num_layers": [2, 3]}')
    body = body.replace(ONE_LAYER, LAYERS)
    out = tmp_path / "run"
    assert main([str(write_sweep(tmp_path / "sweep.py", body)), "--out", str(out), "--no-report", "--quiet"]) == 0
    runs = RunDirectory(out).read_runs()
    assert {r.hyperparameters["num_layers"] for r in runs} <= {2, 3}
    assert all(r.hyperparameters.get("units_1") is not None for r in runs)  # every run has a second layer
    assert len({r.hyperparameters["units_1"] for r in runs}) > 1  # and its units are searched, not the default


def test_space_narrows_or_fixes_the_builds_ranges(tmp_path, folder, capsys):
    """Named in `space`: the sweep's values win; not named: searched at the build's range.
    And `early_stopping=None` turns early stopping off, which the header says."""
    out = tmp_path / "run"
    extra = ('tuner="random", max_trials=3, early_stopping=None, '
             'space={"lr": 1e-3, "activation": ["tanh"], "dropout": [True, False]}')
    assert main([str(getting_started(tmp_path, folder, extra=extra)), "--out", str(out), "--no-report",
                 "--epochs", "3"]) == 0
    assert ", no early stopping" in capsys.readouterr().err
    runs = RunDirectory(out).read_runs()
    assert all(r.epochs_run == 3 and r.stopped_epoch is None for r in runs)
    assert {r.hyperparameters["lr"] for r in runs} == {1e-3}
    assert {r.hyperparameters["activation"] for r in runs} == {"tanh"}
    assert {type(r.hyperparameters["dropout"]) for r in runs} == {bool}  # a space of [True, False] is no 1/0
    assert len({r.hyperparameters["units"] for r in runs}) > 1


def test_grid_over_a_float_without_step_is_one_line(tmp_path, folder, capsys):
    assert main([str(getting_started(tmp_path, folder, extra='tuner="grid"')), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: grid search cannot list the values of build_model's "
                                                   "hp.Float('lr', 0.0001, 0.01) (no step): give it step=...")
    assert not (tmp_path / "run" / "trials").exists()


def test_a_loss_that_does_not_fit_the_labels_is_found_before_the_sweep(tmp_path, folder, capsys):
    sweep = getting_started(tmp_path, folder, label_mode="int")  # the guide's loss on class numbers
    assert main([str(sweep), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("error: build_model: one batch of training failed before the sweep: the loss wants "
                          "one-hot labels but the data gives class numbers")
    assert 'label_mode="categorical"' in err and 'loss="sparse_categorical_crossentropy"' in err
    assert not (tmp_path / "run" / "trials").exists()  # no run was recorded as failed


def test_one_hot_labels_with_a_sparse_loss_get_the_other_fix(tmp_path, folder, capsys):
    sweep = getting_started(tmp_path, folder, loss="sparse_categorical_crossentropy", extra='tuner="random"')
    assert main([str(sweep), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "the loss wants class numbers but the data gives one-hot labels" in err
    assert 'loss="categorical_crossentropy"' in err


def test_an_exception_in_the_build_is_one_line_naming_it(tmp_path, folder, capsys):
    body = GETTING_STARTED.format(data=str(folder), loss="categorical_crossentropy", extra='tuner="random"',
                                  label_mode="categorical")
    body = body.replace("    model = keras.Sequential()\n",
                        "    model = keras.Sequential()\n    raise ValueError('units must be even')\n")
    assert main([str(write_sweep(tmp_path / "sweep.py", body)), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    line = body.splitlines().index("    raise ValueError('units must be even')") + 2  # after write_sweep's import
    assert err == f"error: build_model (sweep.py:{line}) raised ValueError: units must be even\n"


# ---------------------------------------------------------------- results as Keras Tuner users read them


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    root = tmp_path_factory.mktemp("tuned")
    folder = make_image_folder(root / "data", classes=("a", "b"), per_class=8, size=12)
    namespace: dict = {}
    exec(GETTING_STARTED.format(data=str(folder), loss="categorical_crossentropy", label_mode="categorical",
                                extra='tuner="random", max_trials=3, seeds=2, space={"units": [32, 64, 96]}'),
         namespace)
    return search.run_sweep(namespace["sweep"], out=root / "run", quiet=True, save_best_model=True, report=False)


def test_results_summary_shows_the_best_configurations_with_their_spread(tuned, capsys):
    text = tuned.results_summary(2)
    assert capsys.readouterr().out.strip() == text.strip()
    ranks = rank_trials(tuned.records, "val_accuracy")
    assert f"Showing 2 best of {len(ranks)} configurations" in text
    first = ranks[0]
    assert f"#1 trial {first.trial_id}: val_accuracy {first.mean:.4f} (sd {first.sd:.4f}, 2 runs)" in text
    assert "#3" not in text and "  dropout: " in text


def test_best_hyperparameters_and_models_agree(tuned):
    (hp,) = tuned.get_best_hyperparameters(1)
    assert hp.values == tuned.best_hyperparameters
    assert isinstance(hp.get("dropout"), bool)
    assert [h.values for h in tuned.get_best_hyperparameters(5)] == [r.hyperparameters for r in tuned.ranking()]
    info = json.loads((tuned.run_dir / "best_model.json").read_text())
    run = tuned.best_run
    assert (info["trial_id"], info["seed"]) == (tuned.best_trial_id, run.seed)  # the best configuration's best seed
    first, second = tuned.get_best_models(2)
    data = search.ImageFolder(tuned.prepared.sweep.data.path, validation_split=0.25, seed=1).load(12)
    for model, trial in ((first, tuned.ranking()[0]), (second, tuned.ranking()[1])):
        accuracy = float(np.mean(np.argmax(model.predict(data.x_val, verbose=0), -1) == data.y_val))
        assert accuracy == pytest.approx(best_run(tuned.records, trial.trial_id, "val_accuracy").score)
    assert second.layers[1].units == tuned.ranking()[1].hyperparameters["units"]


def _record(trial: str, seed: int, score: float) -> RunRecord:
    return RunRecord(trial_id=trial, seed=seed, status="completed", hyperparameters={"units": int(trial)}, score=score)


def test_ties_break_the_same_way_everywhere():
    """Equal means: the first trial id; equal runs in a trial: the lowest seed."""
    records = [_record("0002", 0, 0.75), _record("0002", 1, 0.25), _record("0001", 0, 0.5), _record("0001", 1, 0.5),
               _record("0003", 0, 0.9)]
    records.append(RunRecord(trial_id="0003", seed=1, status="running", hyperparameters={"units": 3}))
    ranks = rank_trials(records, "val_accuracy")
    assert [r.trial_id for r in ranks] == ["0003", "0001", "0002"]
    assert [r.trial_id for r in rank_trials(records, "val_accuracy", complete_only=True)] == ["0001", "0002"]
    assert best_run(records, "0001", "val_accuracy").seed == 0
    assert best_run(records, "0002", "val_accuracy").seed == 0
    result = search.SweepResult(run_dir=None, records=[r for r in records if r.trial_id != "0003"])
    assert result.best_trial_id == "0001" and result.best_run.seed == 0
    loss = [_record("0001", 0, 0.3), _record("0002", 0, 0.2)]
    assert rank_trials(loss, "val_loss")[0].trial_id == "0002"


# ---------------------------------------------------------------- in-memory arrays


def test_arrays_are_a_data_source(tmp_path):
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 12)
    x = np.where(y[:, None, None] == 0, np.linspace(0, 1, 10)[None, :, None], np.linspace(1, 0, 10)[None, None, :])
    x = np.clip(x + rng.normal(0, 0.05, (24, 10, 10)), 0, 1).astype("float32")  # (n, h, w) floats in 0-1
    source = search.Arrays(x, y, validation_split=0.25, seed=3)
    data = source.load(12)
    assert data.x_train.shape == (18, 12, 12, 1) and data.x_val.shape == (6, 12, 12, 1)
    assert data.x_train.dtype == np.uint8 and data.x_train.max() > 200  # 0-1 floats scaled to 0-255
    assert data.class_names == ["0", "1"]
    given = search.Arrays(x[:16], np.eye(2)[y[:16]], x_val=x[16:], y_val=y[16:], class_names=("left", "right"))
    split = given.load(10)
    assert len(split.y_val) == 8 and split.class_names == ["left", "right"] and set(split.y_val) == {1}
    assert repr(source) == repr(search.Arrays(x.copy(), y.copy(), validation_split=0.25, seed=3))
    assert repr(source) != repr(search.Arrays(x[::-1].copy(), y, validation_split=0.25, seed=3))
    sweep = search.Sweep(name="arrays", data=source, hypermodel=search.DigitsCNN, image_size=12, epochs=2,
                         space={"pooling_1": ["avg", "max"], "batch_size": 8})
    result = search.run_sweep(sweep, out=tmp_path / "run", quiet=True, report=False)
    assert [r.status for r in result.records] == ["completed", "completed"]


@pytest.mark.parametrize("kwargs, message", [
    ({"x_train": np.zeros((4, 8)), "y_train": [0, 1, 0, 1]}, "must be images of shape"),
    ({"x_train": np.zeros((4, 8, 8)), "y_train": [0, 1, 0]}, "one class number per image (4)"),
    ({"x_train": np.full((4, 8, 8), 300.0), "y_train": [0, 1, 0, 1]}, "values run from 300 to 300"),
    ({"x_train": np.zeros((4, 8, 8)), "y_train": [0, 1, 0, 1], "x_val": np.zeros((2, 8, 8))}, "both x_val and y_val"),
    ({"x_train": np.zeros((4, 8, 8)), "y_train": [0.5, 1, 0, 1]}, "whole class numbers"),
])
def test_arrays_that_are_not_images_get_one_line(kwargs, message):
    with pytest.raises(SweepError, match="Arrays: ") as caught:
        search.Arrays(**kwargs).load(8)
    assert message in str(caught.value)


def test_arrays_take_no_data_flag():
    with pytest.raises(SweepError, match="--data does not apply"):
        search.Arrays(np.zeros((4, 8, 8)), [0, 1, 0, 1]).with_path("x")
