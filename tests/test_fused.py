"""Fused seeds: a trial's seeds as one program train exactly as they would one after another."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import keras
import pandas as pd
import pytest

from conftest import ROOT, make_image_folder, write_sweep
from search import DigitsCNN, EarlyStopping, ImageFolder, Sweep
from search.sweep.engine import train_sweep
from search.sweep.prepare import prepare
from rundir.errors import SweepError
from search.training.fusion import FILE, FusionChoice, FusionPolicy, measured_choice
from rundir.records import RunDirectory, RunRecord
from search.run import main
from search.sweep.spec import load_sweep_file


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return make_image_folder(tmp_path_factory.mktemp("fused") / "data", classes=("a", "b", "c"), per_class=16,
                             size=12)


def _sweep(folder, fuse, **kwargs) -> Sweep:
    settings = dict(name="fused", data=ImageFolder(str(folder), validation_split=0.25, seed=1), hypermodel=DigitsCNN,
                    image_size=12, space={"batch_size": 8, "learning_rate": 3e-3}, epochs=6, seeds=3,
                    early_stopping=EarlyStopping(monitor="val_loss", min_delta=0.0, patience=1), fuse_seeds=fuse)
    settings.update(kwargs)
    return Sweep(**settings)


def _runs(folder, tmp_path, fuse, **kwargs) -> list[RunRecord]:
    out = tmp_path / f"run_{fuse}"
    train_sweep(prepare(_sweep(folder, fuse, **kwargs)), out, quiet=True)
    return RunDirectory(out).read_runs()


def test_a_fused_trial_trains_each_seed_as_it_would_alone(folder, tmp_path):
    """Same losses epoch by epoch (dropout and data order per seed), same early stops, same records."""
    alone = _runs(folder, tmp_path, False)
    fused = _runs(folder, tmp_path, True)
    assert [(r.seed, r.fused) for r in alone] == [(0, 1), (1, 1), (2, 1)]
    assert [(r.seed, r.fused) for r in fused] == [(0, 3), (1, 3), (2, 3)]
    for a, f in zip(alone, fused):
        assert f.status == a.status == "completed"
        assert f.stopped_epoch == a.stopped_epoch and f.epochs_run == a.epochs_run and f.best_epoch == a.best_epoch
        for row_a, row_f in zip(a.history[:3], f.history[:3]):
            for key in ("loss", "val_loss"):
                assert math.isclose(row_f[key], row_a[key], rel_tol=1e-4), (a.seed, row_a["epoch"], key)
        assert f.params == a.params and f.hyperparameters == a.hyperparameters
    # Early stopping differed between seeds here, so some members rode along masked.
    assert len({r.epochs_run for r in fused}) > 1 or all(r.stopped_epoch is None for r in fused)
    assert (tmp_path / "run_True" / "trials" / "0000" / "seed_2_predictions.csv").exists()


def test_fused_folds_train_each_run_as_it_would_alone_on_its_own_fold(folder, tmp_path):
    """With folds a program's members are (seed, fold) runs, each with its own training and
    validation images; only runs whose images make as many batches share a program."""
    from search.data.folds import plan_folds

    settings = dict(folds=5, seeds=1, epochs=2, space={"batch_size": 3, "learning_rate": 3e-3})
    alone = _runs(folder, tmp_path, False, **settings)
    fused = _runs(folder, tmp_path, True, **settings)
    plan = plan_folds(_sweep(folder, True).data.load(12), 5)
    by_batches = Counter((-(-train // 3), -(-val // 3)) for train, val in (plan.sizes(0, f) for f in range(5)))
    assert [(r.fold, r.fused) for r in alone] == [(f, 1) for f in range(5)]
    expected = [by_batches[(-(-plan.sizes(0, f)[0] // 3), -(-plan.sizes(0, f)[1] // 3))] for f in range(5)]
    assert [r.fused for r in fused] == expected and max(expected) >= 2  # some folds did share a program
    for a, f in zip(alone, fused):
        assert f.status == a.status == "completed" and f.val_images == a.val_images
        assert f.epochs_run == a.epochs_run and f.best_epoch == a.best_epoch
        for row_a, row_f in zip(a.history, f.history):
            for key in ("loss", "val_loss", "val_accuracy"):
                assert math.isclose(row_f[key], row_a[key], rel_tol=1e-4, abs_tol=1e-6), (a.fold, key)
        pa = pd.read_csv(tmp_path / "run_False" / "trials" / "0000" / f"{a.name}_predictions.csv")
        pf = pd.read_csv(tmp_path / "run_True" / "trials" / "0000" / f"{a.name}_predictions.csv")
        assert (pa["index"] == pf["index"]).all() and (pa["predicted"] == pf["predicted"]).all()


def build_nan_for_seed_1(hp):
    """Seed 1's model turns its inputs into NaN: keras.utils.set_random_seed(seed) seeds Python's
    `random` just before each build, and random.seed(1) is the only one of 0..2 drawing below 0.2."""
    import random

    scale = float("nan") if random.random() < 0.2 else 1 / 255
    model = keras.Sequential([keras.Input((12, 12, 3)), keras.layers.Rescaling(scale), keras.layers.Flatten(),
                              keras.layers.Dense(3)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def test_a_nan_member_fails_its_seed_only(folder, tmp_path):
    runs = _runs(folder, tmp_path, True, hypermodel=build_nan_for_seed_1, space={"batch_size": 8}, epochs=3,
                 early_stopping=None)
    assert [(r.seed, r.status) for r in runs] == [(0, "completed"), (1, "failed"), (2, "completed")]
    assert runs[1].error == "loss became NaN or infinite at epoch 1" and runs[1].epochs_run == 1
    assert all(r.epochs_run == 3 and math.isfinite(r.score) for r in (runs[0], runs[2]))


def _record(seed: int, seconds: list[float], wall: float) -> RunRecord:
    return RunRecord(trial_id="0000", seed=seed, status="completed", hyperparameters={}, score=0.5,
                     epochs_run=len(seconds), wall_time_s=wall,
                     history=[{"epoch": i + 1, "loss": 1.0, "seconds": s} for i, s in enumerate(seconds)])


def test_auto_measures_one_seed_alone_against_the_rest_fused_and_keeps_the_faster_way(tmp_path):
    policy = FusionPolicy(FusionChoice(None, "auto"), tmp_path)
    assert policy.groups([0, 1]) == [[0], [1]]  # two seeds: nothing to measure against
    assert policy.groups([0, 1, 2, 3]) == [[0], [1, 2, 3]]
    # Seed 0 alone: 1 s to build and trace, then 1 s per epoch. One after another, the
    # fused seeds' 3 + 3 + 2 epochs would take 1 + 8 = 9 s.
    alone = _record(0, [2.0, 1.0, 1.0], wall=4.0)
    fused = [_record(s, [1.0] * n, wall=1.0) for s, n in ((1, 3), (2, 3), (3, 2))]
    assert measured_choice(alone, fused, 8.5).fuse is False  # 1.06x: under the margin
    one_epoch = FusionPolicy(FusionChoice(None, "auto"), tmp_path / "one")
    (tmp_path / "one").mkdir()
    assert one_epoch.observe(_record(0, [3.0], wall=3.0), fused, 1.0).fuse is False  # tracing and steps unseparated
    choice = policy.observe(alone, fused, 4.5)
    assert choice.fuse is True and choice.one_by_one_s == 9.0 and "2.00x" in choice.reason
    assert policy.groups([0, 1, 2]) == [[0, 1, 2]] and policy.groups([5]) == [[5]]
    # A resumed sweep, or a worker, reads the choice instead of measuring again.
    assert json.loads((tmp_path / FILE).read_text())["fuse"] is True
    assert FusionPolicy(FusionChoice(None, "auto"), tmp_path).groups([0, 1, 2]) == [[0, 1, 2]]
    # The user's word is never overridden by a measurement on disk.
    assert FusionPolicy(FusionChoice(False, "off"), tmp_path).groups([0, 1, 2]) == [[0], [1], [2]]
    # A program that did not fit: later ones hold half as many seeds, down to one.
    policy.shrink(5)
    assert policy.groups([0, 1, 2, 3, 4]) == [[0, 1], [2, 3], [4]]
    policy.shrink(2)
    assert policy.groups([0, 1, 2]) == [[0], [1], [2]]


def test_a_program_too_big_for_memory_trains_its_seeds_in_smaller_ones(folder, tmp_path, monkeypatch, capsys):
    from search.training import fused
    real = fused.fused_program

    def at_most_two(members, *args):
        if len(members) > 2:
            raise MemoryError("out of memory allocating the towers")
        return real(members, *args)

    monkeypatch.setattr(fused, "fused_program", at_most_two)
    out = tmp_path / "run"
    train_sweep(prepare(_sweep(folder, True, seeds=4, epochs=1, early_stopping=None)), out)
    runs = RunDirectory(out).read_runs()
    assert [(r.seed, r.status, r.fused) for r in runs] == [(s, "completed", 2) for s in range(4)]
    assert "4 seeds as one program failed (out of memory: MemoryError: out of memory allocating the towers); " \
           "from now on at most 2 per program" in capsys.readouterr().err


def test_auto_on_a_gpu_measures_on_the_first_trial_and_the_rest_follow(folder, tmp_path, monkeypatch, capsys):
    from search.training import device
    monkeypatch.setattr(device, "gpu_count", lambda: 1)  # the choice a GPU machine makes; training stays on the CPU
    out = tmp_path / "run"
    train_sweep(prepare(_sweep(folder, "auto", space={"batch_size": 8, "pooling_1": ["max", "avg"]}, epochs=2,
                               early_stopping=None)), out)
    choice = json.loads((out / FILE).read_text())
    runs = RunDirectory(out).read_runs()
    # Trial 0 is the measurement: seed 0 alone, seeds 1-2 as one program; trial 1 follows the choice.
    assert [(r.trial_id, r.seed, r.fused) for r in runs[:3]] == [("0000", 0, 1), ("0000", 1, 2), ("0000", 2, 2)]
    assert [r.fused for r in runs[3:]] == ([3] * 3 if choice["fuse"] else [1] * 3)
    assert "seeds 1, 2 of trial 0000 took" in choice["reason"] and choice["one_by_one_s"] > 0
    assert f"fused seeds: {'on' if choice['fuse'] else 'off'}: seeds 1, 2 of trial 0000" in capsys.readouterr().err
    # On a CPU auto does not measure: each seed trains on its own.
    monkeypatch.setattr(device, "gpu_count", lambda: 0)
    assert "on a CPU" in FusionPolicy.for_sweep(_sweep(folder, "auto"), None, tmp_path).choice.reason


def test_fuse_seeds_takes_auto_true_or_false(folder, capsys):
    with pytest.raises(SweepError, match="fuse_seeds must be"):
        _sweep(folder, "yes")
    with pytest.raises(SweepError, match="fuse_seeds must be"):
        _sweep(folder, 1)
    from search.training.pruning import MedianStopping

    with pytest.raises(SweepError, match="median_stopping judges each run alone"):
        _sweep(folder, True, median_stopping=MedianStopping())
    with pytest.raises(SystemExit) as exit_:
        main(["--fuse-seeds", "maybe"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1 and "argument --fuse-seeds: invalid choice: 'maybe'" in err[0]


KILLED = """
sweep = Sweep(
    name="killed",
    data=ImageFolder({data!r}, validation_split=0.25, seed=1),
    hypermodel=DigitsCNN,
    image_size=12,
    space={{"batch_size": 4}},
    epochs=30,
    seeds=3,
    early_stopping=None,
    fuse_seeds=True,
)
"""


def test_a_fused_trial_killed_midway_is_trained_again_whole(folder, tmp_path):
    sweep = write_sweep(tmp_path / "killed.py", KILLED.format(data=str(folder)))
    out = tmp_path / "run"
    command = [sys.executable, "-m", "search.run", str(sweep), "--out", str(out), "--no-report", "--quiet"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    first = out / "trials" / "0000" / "seed_2.json"
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if first.exists() and json.loads(first.read_text() or "{}").get("status") == "running":
                time.sleep(1.0)  # inside the fused program
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the sweep ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    killed = RunDirectory(out).read_runs()
    assert {r.status for r in killed if r.trial_id == "0000"} == {"running"}
    train_sweep(prepare(load_sweep_file(sweep)), out, quiet=True)  # the resume, in this process
    runs = RunDirectory(out).read_runs()
    assert [(r.trial_id, r.seed, r.status, r.fused) for r in runs] == [
        ("0000", s, "completed", 3) for s in range(3)]
    assert all(r.epochs_run == 30 for r in runs)
