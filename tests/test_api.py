"""The Python API (search.run_sweep, search.load_results, SweepResult), the saved best model and
the TensorBoard logs, on one tiny sweep."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import search
from conftest import TINY, make_image_folder
from rundir.errors import SweepError


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """TINY (max vs avg pooling, 2 seeds, 2 epochs) through the public API, with both extras on."""
    root = tmp_path_factory.mktemp("api")
    data = make_image_folder(root / "data", classes=("a", "b"), per_class=8, size=12)
    namespace: dict = {}
    exec("from search import *\n" + TINY.format(data=str(data), seeds=2), namespace)
    result = search.run_sweep(namespace["sweep"], out=root / "run", quiet=True, save_best_model=True,
                              tensorboard=True, report=False)
    return result


def test_run_sweep_returns_the_result_and_best_hyperparameters(finished):
    assert finished.run_dir.is_dir() and len(finished.records) == 4
    by_trial: dict[str, list[float]] = {}
    for r in finished.records:
        by_trial.setdefault(r.trial_id, []).append(r.score)
    best = max(sorted(by_trial), key=lambda t: np.mean(by_trial[t]))
    assert finished.best_trial_id == best
    hps = finished.best_hyperparameters
    expected = next(r for r in finished.records if r.trial_id == best).hyperparameters
    assert hps["pooling_1"] == expected["pooling_1"] and hps["batch_size"] == 8
    assert all(v is not None and not k.startswith("tuner/") for k, v in hps.items())


def test_load_results_is_trials_csv_as_a_dataframe(finished):
    frame = search.load_results(finished.run_dir)
    assert isinstance(frame, pd.DataFrame) and len(frame) == 4
    on_disk = pd.read_csv(finished.run_dir / "trials.csv")
    assert list(frame.columns) == list(on_disk.columns)
    assert frame["score"].tolist() == pytest.approx(on_disk["score"].tolist())
    assert set(frame["hp_pooling_1"]) == {"avg", "max"}


def test_load_results_of_a_folder_that_is_no_run_directory(tmp_path):
    with pytest.raises(SweepError, match="not a sweep's run directory"):
        search.load_results(tmp_path)


def test_best_model_is_the_best_run_at_its_best_epoch(finished):
    import keras

    info = json.loads((finished.run_dir / "best_model.json").read_text())
    best_trial = [r for r in finished.records if r.status == "completed" and r.trial_id == finished.best_trial_id]
    best = min(best_trial, key=lambda r: (-r.score, r.seed))  # the best configuration's best seed, lowest on a tie
    assert (info["trial_id"], info["seed"], info["score"]) == (best.trial_id, best.seed, best.score)
    assert finished.best_run.key == best.key
    assert finished.best_model_path == finished.run_dir / "best_model.keras"
    model = keras.models.load_model(finished.best_model_path)
    data = search.ImageFolder(_data_folder(finished), validation_split=0.25, seed=1).load(12)
    predicted = np.argmax(model.predict(data.x_val, verbose=0), axis=-1)
    assert float(np.mean(predicted == data.y_val)) == pytest.approx(info["score"])


def _data_folder(result) -> Path:
    return Path(json.loads((result.run_dir / "sweep.json").read_text())["data"]["source"])


def test_tensorboard_holds_every_runs_curves_and_hparams(finished):
    import tensorflow as tf
    from tensorboard.plugins.hparams import metadata

    root = finished.run_dir / "tensorboard"
    top = [e for e in root.glob("events.out.tfevents.*")]
    assert top and metadata.EXPERIMENT_TAG in _tags(top[0])
    for r in finished.records:
        events = list((root / r.trial_id / f"seed_{r.seed}").glob("events.out.tfevents.*"))
        assert len(events) == 1
        scalars: dict[str, dict[int, float]] = {}
        tags = set()
        for event in tf.compat.v1.train.summary_iterator(str(events[0])):
            for value in event.summary.value:
                tags.add(value.tag)
                if value.metadata.plugin_data.plugin_name == "scalars" or value.tag in ("val_accuracy", "loss"):
                    scalars.setdefault(value.tag, {})[event.step] = float(tf.make_ndarray(value.tensor))
        assert metadata.SESSION_START_INFO_TAG in tags  # this run's hyperparameters, for the HParams tab
        assert scalars["val_accuracy"] == pytest.approx({h["epoch"]: h["val_accuracy"] for h in r.history})
        assert scalars["loss"] == pytest.approx({h["epoch"]: h["loss"] for h in r.history})
        assert scalars["score"][r.epochs_run] == pytest.approx(r.score)


def _tags(path: Path) -> set[str]:
    import tensorflow as tf

    return {v.tag for e in tf.compat.v1.train.summary_iterator(str(path)) for v in e.summary.value}


def test_workers_need_a_sweep_file():
    with pytest.raises(SweepError, match="pass the sweep file's path"):
        search.run_sweep(search.Sweep(name="x", data=search.Digits(), hypermodel=search.DigitsCNN), workers=2)


@pytest.mark.parametrize("every", [-1, "60", True, float("nan")])
def test_checkpoint_every_must_be_seconds_or_none(every):
    with pytest.raises(SweepError, match="checkpoint_every must be seconds"):
        search.run_sweep(search.Sweep(name="x", data=search.Digits(), hypermodel=search.DigitsCNN),
                         checkpoint_every=every)


@pytest.mark.parametrize("every", [0, 90.5, None])
def test_checkpoint_every_reaches_the_study(every, monkeypatch, tmp_path):
    import search.study

    seen = {}
    monkeypatch.setattr(search.study, "run_study", lambda *a, options, **k: seen.setdefault("options", options))
    search.run_sweep(search.Sweep(name="x", data=search.Digits(), hypermodel=search.DigitsCNN), out=tmp_path,
                     quiet=True, checkpoint_every=every)
    assert seen["options"].checkpoint_every_s == every


@pytest.mark.parametrize("every, flag", [(None, "off"), (0, "0")])
def test_workers_get_the_checkpoint_interval(every, flag, monkeypatch, tmp_path):
    import search.study
    from search.run import _options, parse_args

    sweep_file = tmp_path / "s.py"
    sweep_file.write_text("from search import *\nsweep = Sweep(name='x', data=Digits(), hypermodel=DigitsCNN)\n")
    seen = {}
    monkeypatch.setattr(search.study, "run_study", lambda *a, parallel, **k: seen.setdefault("parallel", parallel))
    search.run_sweep(sweep_file, out=tmp_path / "run", workers=2, quiet=True, checkpoint_every=every)
    args = seen["parallel"].worker_args
    assert args[args.index("--checkpoint-every") + 1] == flag
    # What each worker's command line makes of its flags is the chief's own interval.
    assert _options(parse_args(args)).checkpoint_every_s == every


def test_the_default_interval_is_the_engines():
    """run_sweep spells the default out (search.training.checkpoints imports Keras, which the API loads late)."""
    import inspect

    from search.training.checkpoints import DEFAULT_EVERY_S

    assert inspect.signature(search.run_sweep).parameters["checkpoint_every"].default == DEFAULT_EVERY_S
