"""Your own model: a build(hp) function or any keras_tuner.HyperModel, fitted by the engine's default fit."""

from __future__ import annotations

import json

import keras
import keras_tuner
import pandas as pd
import pytest

from conftest import ROOT, make_image_folder
from search import ImageFolder, Sweep
from search.sweep.engine import train_sweep
from search.sweep.prepare import prepare
from rundir.errors import SweepError
from rundir.records import RunDirectory
from search.run import main


def test_the_worked_sweep_file_runs(tmp_path, capsys):
    """sweeps/own_model.py as the README shows it, cut to 2 configurations x 1 seed x 1 epoch."""
    out = tmp_path / "run"
    assert main([str(ROOT / "sweeps" / "own_model.py"), "--epochs", "1", "--seeds", "1", "--max-trials", "2",
                 "--out", str(out), "--no-report"]) == 0
    err = capsys.readouterr().err
    assert "model      build_model (your own)" in err
    runs = RunDirectory(out).read_runs()
    assert [r.status for r in runs] == ["completed", "completed"]
    assert {r.hyperparameters["filters"] for r in runs} == {8}  # grid order: filters 8 with units 32, 64
    assert {r.hyperparameters["units"] for r in runs} == {32, 64}
    assert all(r.hyperparameters["batch_size"] == 32 and r.hyperparameters["epochs"] == 1 for r in runs)
    assert all(r.best_val_accuracy > 0.3 for r in runs)  # 10 classes: it learned something in one epoch
    columns = pd.read_csv(out / "trials.csv").columns
    assert "hp_filters" in columns and "hp_conv_blocks" not in columns  # no empty article columns
    assert json.loads((out / "sweep.json").read_text())["model"]["name"] == "build_model"


@pytest.fixture
def folder(tmp_path):
    return make_image_folder(tmp_path / "data", classes=("a", "b"), per_class=8, size=12)


def build_model(hp):
    model = keras.Sequential([keras.Input((12, 12, 3)), keras.layers.Rescaling(1 / 255), keras.layers.Flatten(),
                              keras.layers.Dense(hp.Choice("units", [4, 8]), activation="relu"),
                              keras.layers.Dropout(0.25), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


class Tunable(keras_tuner.HyperModel):
    def __init__(self, classes: int = 2):
        super().__init__()
        self.classes = classes

    def build(self, hp):
        model = build_model(hp)
        return model


def own_sweep(folder, hypermodel, **kw) -> Sweep:
    settings = dict(name="own", data=ImageFolder(folder, validation_split=0.25, seed=1), hypermodel=hypermodel,
                    image_size=12, space={"units": [4, 8], "batch_size": 4}, epochs=2, seeds=2, early_stopping=None)
    settings.update(kw)
    return Sweep(**settings)


@pytest.mark.parametrize("hypermodel", [Tunable, Tunable()], ids=["class", "instance"])
def test_a_keras_tuner_hypermodel_class_or_instance_sweeps(tmp_path, folder, hypermodel):
    result = train_sweep(prepare(own_sweep(folder, hypermodel, seeds=1, epochs=1)), tmp_path / "run", quiet=True)
    assert [r.status for r in result.records] == ["completed"] * 2, [r.error for r in result.records]
    assert [r.hyperparameters["units"] for r in result.records] == [4, 8]


def test_seeds_data_order_batch_size_and_epochs_work_as_for_the_article_models(tmp_path, folder):
    """Rerun into another directory, every run repeats its history value for value
    (seeded weights, dropout and image order), the two seeds differ, and the
    engine's batch_size and epochs knobs are what the runs trained with."""
    histories = []
    for name in ("one", "two"):
        result = train_sweep(prepare(own_sweep(folder, build_model, space={"units": 4, "batch_size": [2, 6]})),
                             tmp_path / name, quiet=True)
        assert [r.status for r in result.records] == ["completed"] * 4, [r.error for r in result.records]
        assert [r.hyperparameters["batch_size"] for r in result.records] == [2, 2, 6, 6]
        assert [r.epochs_run for r in result.records] == [2] * 4
        histories.append({(r.trial_id, r.seed): [(h["loss"], h["val_loss"]) for h in r.history]
                          for r in result.records})
    assert histories[0] == histories[1]
    assert histories[0][("0000", 0)] != histories[0][("0000", 1)]
    assert histories[0][("0000", 0)] != histories[0][("0001", 0)]  # same seed, other batch size


def uncompiled(hp):
    return keras.Sequential([keras.Input((12, 12, 3)), keras.layers.Flatten(), keras.layers.Dense(2)])


def wrong_shape(hp):
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize("hypermodel, message", [
    (uncompiled, "uncompiled: build(hp) must return a compiled model"),
    (lambda hp: "not a model", "build(hp) must return a keras.Model, not str"),
    (wrong_shape, "wrong_shape takes inputs of shape (28, 28, 1), but the sweep's images are (12, 12, 3)"),
])
def test_a_bad_own_model_is_one_line_before_training(folder, hypermodel, message):
    with pytest.raises(SweepError, match=".*") as caught:
        prepare(own_sweep(folder, hypermodel, space={}))
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_not_a_model_at_all_is_refused_when_the_sweep_is_made(folder):
    with pytest.raises(SweepError, match="a keras_tuner.HyperModel or a build\\(hp\\) function, not 3"):
        own_sweep(folder, 3)
    with pytest.raises(SweepError, match="pass the article model's class"):
        from search import DigitsCNN

        own_sweep(folder, DigitsCNN((12, 12, 3), 2))


def test_claims_on_article_knobs_are_not_tested_and_batch_size_is_scheduled(tmp_path, folder):
    from claims.verdicts import evaluate
    from rundir.manifest import read_manifest

    prepared = prepare(own_sweep(folder, build_model, claims=("pooling-texture", "batch-size"), seeds=1, epochs=1,
                                 space={"units": 4, "batch_size": 4}))
    assert prepared.sweep.space["batch_size"] == [4, 16, 128]  # the claim's contrast joined the sweep's value
    assert "pooling_1" not in prepared.sweep.space  # the model has no such knob: nothing added
    result = train_sweep(prepared, tmp_path / "run", quiet=True)
    assert len(result.records) == 3
    rows = {row.claim: row for row in evaluate(result.records, read_manifest(tmp_path / "run"))}
    assert rows["pooling-texture"].verdict == "not tested"
    assert rows["pooling-texture"].note == "needs every pooling layer avg and max"
    assert rows["batch-size"].verdict != "not tested"  # it had both sides: judged (with 1 seed, inconclusive)
