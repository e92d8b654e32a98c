"""A run killed mid-way resumes at its last checkpoint and ends as if never killed.

`python -m search.run --checkpoint-every 0` (a checkpoint at every epoch's
end) runs a tiny sweep in a subprocess, killed with SIGKILL once a run's
epoch-2 checkpoint is whole: once in seed 0 (a freshly built model) and
once in seed 1 (which, uninterrupted, trains the trial's kept model). The
resumed sweep's every logged number must equal an uninterrupted sweep's:
weights, Adam's moments and step (the decaying learning rate), dropout's
seed states, the data order from that epoch on, and early stopping's
patience count all have to come back for that. On TensorFlow (a tf.data
shuffle) and on JAX (the PyDataset of search.data.pipeline, as on torch);
JAX is killed in seed 1 only, since a JAX process costs CI about 20 s and
the two kill points differ in the engine's code, which TensorFlow covers.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, make_image_folder, write_sweep
from search.training.checkpoints import LATEST, RunCheckpoint, checkpoint_dir, read_checkpoint
from rundir.records import RunDirectory

SWEEP = """
sweep = Sweep(
    name="resume",
    data=ImageFolder({data!r}, validation_split=0.25, seed=1),
    hypermodel=DigitsCNN,
    image_size=12,
    space={{"dropout": 0.3, "batch_size": 8, "learning_rate": 0.01, "decay_steps": 2, "decay_rate": 0.7}},
    epochs=6,
    seeds=2,
    early_stopping=EarlyStopping(monitor="val_accuracy", patience=3),
)
"""
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
BACKENDS = [
    "tensorflow",
    pytest.param("jax", marks=pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                                                 reason="JAX is not installed (pip install -e '.[test]')")),
]


def command(sweep: Path, out: Path, *flags: str) -> list[str]:
    return [sys.executable, "-m", "search.run", str(sweep), "--out", str(out), "--quiet", "--no-report", *flags]


def kill_after_checkpoint(sweep: Path, out: Path, seed: int, epoch: int, env: dict, name: str = "") -> None:
    """Kill the sweep once run `name` (default seed_<seed>) of trial 0000 has its epoch-`epoch` checkpoint."""
    name = name or f"seed_{seed}"
    latest = out / "trials" / "0000" / f"{name}.checkpoint" / LATEST
    proc = subprocess.Popen(command(sweep, out, "--checkpoint-every", "0"), cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if json.loads(latest.read_text())["epoch"] >= epoch:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.01)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode != 0, "the sweep ended before the kill point"
    record = json.loads((out / "trials" / "0000" / f"{name}.json").read_text())
    assert record["status"] == "running"


def histories(out: Path) -> dict[tuple, pd.DataFrame]:
    runs = RunDirectory(out).read_runs()
    return {(r.trial_id, r.seed, *(() if r.fold is None else (r.fold,))): pd.DataFrame(r.history).drop(columns="seconds")
            for r in runs}


@pytest.mark.parametrize("backend", BACKENDS)
def test_killed_runs_resume_at_their_checkpoint_to_the_uninterrupted_result(tmp_path, backend):
    env = dict(ENV, KERAS_BACKEND=backend)
    data = make_image_folder(tmp_path / "data", classes=("left", "right"), per_class=10, size=12)
    sweep = write_sweep(tmp_path / "resume.py", SWEEP.format(data=str(data)))
    reference, resumed = tmp_path / "reference", tmp_path / "resumed"
    done = subprocess.run(command(sweep, reference), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]

    if backend == "tensorflow":  # a freshly built model's resume; JAX's own part is the data order, shown next
        kill_after_checkpoint(sweep, resumed, seed=0, epoch=2, env=env)
    kill_after_checkpoint(sweep, resumed, seed=1, epoch=2, env=env)  # seed 0 (resumed, or whole) finishes first
    latest = checkpoint_dir(resumed / "trials" / "0000" / "seed_1.json") / LATEST
    assert json.loads(latest.read_text())["epoch"] >= 2
    final = subprocess.run(command(sweep, resumed, "--checkpoint-every", "0"), cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr[-2000:]

    want, got = histories(reference), histories(resumed)
    assert sorted(got) == sorted(want) == [("0000", 0), ("0000", 1)]
    for key in want:
        assert len(got[key]) == len(want[key])
        pd.testing.assert_frame_equal(got[key], want[key], rtol=1e-5)
        assert len(got[key]["learning_rate"].unique()) > 1  # the schedule decayed across the kill
    records = {(r.trial_id, r.seed): r for r in RunDirectory(resumed).read_runs()}
    for key, r in records.items():
        assert r.status == "completed"
        assert r.best_epoch == next(x for x in RunDirectory(reference).read_runs()
                                    if (x.trial_id, x.seed) == key).best_epoch
        predictions = f"seed_{r.seed}_predictions.csv"
        assert (resumed / "trials" / "0000" / predictions).read_text() == \
            (reference / "trials" / "0000" / predictions).read_text()
    assert not list(resumed.glob("trials/*/*.checkpoint")), "a finished run's checkpoint was left behind"


def test_a_checkpoint_of_another_configuration_or_half_written_is_not_used(tmp_path):
    folder = tmp_path / "seed_0.checkpoint"
    (folder / "epoch_0003").mkdir(parents=True)
    state = {"epoch": 3, "hyperparameters": {"dropout": 0.3}, "rows": []}
    (folder / "epoch_0003" / "state.json").write_text(json.dumps(state))
    assert read_checkpoint(folder, {"dropout": 0.3}) is None  # no latest.json: the save never finished
    (folder / LATEST).write_text(json.dumps({"epoch": 3, "folder": "epoch_0003"}))
    assert read_checkpoint(folder, {"dropout": 0.3}).epoch == 3
    assert read_checkpoint(folder, {"dropout": 0.5}) is None
    (folder / LATEST).write_text(json.dumps({"epoch": 4, "folder": "epoch_0003"}))
    assert read_checkpoint(folder, {"dropout": 0.3}) is None


def test_checkpoints_wait_their_interval(tmp_path):
    """A run of short epochs saves nothing (default interval), so it pays nothing."""
    import keras

    from search.training.callbacks import EpochLog

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dropout(0.2), keras.layers.Dense(2)])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = np.random.RandomState(0).rand(16, 3).astype("float32"), np.arange(16) % 2
    folder = tmp_path / "seed_0.checkpoint"
    log = EpochLog("val_accuracy")
    model.fit(x, y, validation_data=(x, y), epochs=3, verbose=0,
              callbacks=[log, RunCheckpoint(folder, {}, log, every_s=60.0)])
    assert not folder.exists()
    model.fit(x, y, validation_data=(x, y), epochs=3, verbose=0,
              callbacks=[log, RunCheckpoint(folder, {}, log, every_s=0.0)])
    assert read_checkpoint(folder, {}).epoch == 2  # the last epoch ends the run: its record follows
    assert sorted(p.name for p in folder.iterdir()) == ["epoch_0002", LATEST]


def test_a_killed_fold_resumes_at_its_own_checkpoint(tmp_path):
    """With folds each (seed, fold) run has its own checkpoint: fold 1 killed at epoch 2 resumes on fold 1's
    data and ends as the uninterrupted sweep's fold 1 did."""
    data = make_image_folder(tmp_path / "data", classes=("left", "right"), per_class=10, size=12)
    body = SWEEP.format(data=str(data)).replace("seeds=2,", "seeds=1,\n    folds=2,")
    sweep = write_sweep(tmp_path / "resume.py", body)
    reference, resumed = tmp_path / "reference", tmp_path / "resumed"
    done = subprocess.run(command(sweep, reference), cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    kill_after_checkpoint(sweep, resumed, seed=0, epoch=2, env=ENV, name="seed_0_fold_1")
    loud = [c for c in command(sweep, resumed, "--checkpoint-every", "0") if c != "--quiet"]
    final = subprocess.run(loud, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr[-2000:]
    assert "trial 0000 seed 0 fold 1: resumed after epoch" in final.stdout + final.stderr
    want, got = histories(reference), histories(resumed)
    assert sorted(got) == sorted(want) == [("0000", 0, 0), ("0000", 0, 1)]
    for key in want:
        pd.testing.assert_frame_equal(got[key], want[key], rtol=1e-5)
    assert not list(resumed.glob("trials/*/*.checkpoint")), "a finished run's checkpoint was left behind"
