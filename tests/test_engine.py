"""Tiny end-to-end sweeps: records on disk, resuming, failed trials."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import TINY, make_image_folder, write_sweep
from rundir.records import HISTORY_COLUMNS, RunDirectory
from search.run import main


@pytest.fixture
def tiny_sweep(tmp_path):
    data = make_image_folder(tmp_path / "data", classes=("left", "right"), per_class=8, size=12)
    return write_sweep(tmp_path / "tiny.py", TINY.format(data=str(data), seeds=2))


def test_tiny_sweep_writes_every_record(tiny_sweep, tmp_path, capsys):
    out = tmp_path / "run"
    assert main([str(tiny_sweep), "--out", str(out), "--no-report", "--quiet"]) == 0
    runs = RunDirectory(out).read_runs()
    assert [(r.trial_id, r.seed, r.status) for r in runs] == [
        ("0000", 0, "completed"), ("0000", 1, "completed"), ("0001", 0, "completed"), ("0001", 1, "completed")
    ]
    assert {r.hyperparameters["pooling_1"] for r in runs} == {"avg", "max"}
    # Every run records every knob, the first one included (claims pair on them).
    assert all(set(r.hyperparameters) == set(runs[-1].hyperparameters) for r in runs)
    assert "dropout" in runs[0].hyperparameters
    table = pd.read_csv(out / "trials.csv")
    assert len(table) == 4
    for column in ("trial_id", "status", "seed", "hp_pooling_1", "hp_batch_size", "score", "best_val_accuracy",
                   "final_val_accuracy", "epochs_run", "stopped_epoch", "wall_time_s", "params"):
        assert column in table.columns
    assert (table["epochs_run"] == 2).all()
    history = pd.read_csv(out / "trials" / "0000" / "seed_0_history.csv")
    assert list(history.columns) == HISTORY_COLUMNS and len(history) == 2
    assert (history["learning_rate"] > 0).all()
    predictions = pd.read_csv(out / "trials" / "0000" / "seed_0_predictions.csv")
    assert len(predictions) == 4 and set(predictions.columns) >= {"path", "true", "predicted"}
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["status"] == "finished" and meta["data"]["classes"] == ["left", "right"]
    assert meta["model"]["params"] == runs[0].params


def test_rerun_resumes_without_retraining(tiny_sweep, tmp_path, capsys):
    out = tmp_path / "run"
    assert main([str(tiny_sweep), "--out", str(out), "--no-report", "--max-trials", "1"]) == 0
    first = RunDirectory(out).read_runs()
    assert [(r.trial_id, r.seed) for r in first] == [("0000", 0), ("0000", 1)]
    assert main([str(tiny_sweep), "--out", str(out), "--no-report"]) == 0
    runs = RunDirectory(out).read_runs()
    assert [(r.trial_id, r.seed) for r in runs] == [("0000", 0), ("0000", 1), ("0001", 0), ("0001", 1)]
    # Trial 0000 was not trained again: its records are the very same.
    assert [r.finished for r in runs[:2]] == [r.finished for r in first]
    assert [r.wall_time_s for r in runs[:2]] == [r.wall_time_s for r in first]
    # A third run has nothing left to do.
    assert main([str(tiny_sweep), "--out", str(out), "--no-report"]) == 0
    assert [r.finished for r in RunDirectory(out).read_runs()] == [r.finished for r in runs]


def test_half_done_trial_keeps_its_finished_seeds(tiny_sweep, tmp_path):
    """A trial cut off after seed 0 reuses seed 0 and trains only seed 1."""
    out = tmp_path / "run"
    assert main([str(tiny_sweep), "--out", str(out), "--no-report", "--quiet", "--max-trials", "1"]) == 0
    records = RunDirectory(out)
    seed0 = records.read_run("0000", 0)
    # Make it look as if the process died during seed 1 of trial 0000.
    (records.trials_dir / "0000" / "seed_1.json").unlink()
    trial_file = next(records.tuner_dir.glob("trial_*/trial.json"))
    trial = json.loads(trial_file.read_text())
    trial["status"] = "RUNNING"
    trial_file.write_text(json.dumps(trial))
    oracle = records.tuner_dir / "oracle.json"
    state = json.loads(oracle.read_text())
    state["ongoing_trials"] = {"tuner0": trial["trial_id"]}
    state["end_order"] = []
    oracle.write_text(json.dumps(state))
    assert main([str(tiny_sweep), "--out", str(out), "--no-report", "--quiet", "--max-trials", "1"]) == 0
    assert records.read_run("0000", 0).finished == seed0.finished
    assert records.read_run("0000", 1).status == "completed"


FAILING = """
class Fragile(DigitsCNN):
    def build(self, hp):
        model = super().build(hp)
        if hp.get("dropout") == 0.5:
            # NaN logits, hence a NaN loss from the first batch on.
            model.layers[-1].bias.assign([float("nan")] * self.num_classes)
        if hp.get("dropout") == 0.1:
            raise RuntimeError("boom while building")
        return model

sweep = Sweep(
    name="fragile",
    data=ImageFolder({data!r}, validation_split=0.25, seed=1),
    hypermodel=Fragile,
    image_size=12,
    space={{"dropout": [0.25, 0.5, 0.1], "batch_size": 8}},
    epochs=2,
    early_stopping=None,
)
"""


def test_failing_trials_are_recorded_and_the_sweep_goes_on(tmp_path, capsys):
    data = make_image_folder(tmp_path / "data", per_class=8, size=12)
    sweep = write_sweep(tmp_path / "fragile.py", FAILING.format(data=str(data)))
    out = tmp_path / "run"
    assert main([str(sweep), "--out", str(out), "--no-report", "--quiet"]) == 0
    runs = {r.hyperparameters["dropout"]: r for r in RunDirectory(out).read_runs()}
    assert runs[0.25].status == "completed"
    assert runs[0.5].status == "failed" and "NaN" in runs[0.5].error
    assert runs[0.5].epochs_run == 1  # stopped at the end of the first epoch, not trained on
    assert runs[0.1].status == "failed" and "boom while building" in runs[0.1].error
    assert "RuntimeError" in runs[0.1].traceback
    table = pd.read_csv(out / "trials.csv")
    assert sorted(table["status"]) == ["completed", "failed", "failed"]
    assert "Traceback" not in capsys.readouterr().err  # it is in the record, not on the console


def test_every_run_failing_exits_non_zero_with_the_errors(tmp_path, capsys):
    data = make_image_folder(tmp_path / "data", per_class=8, size=12)
    body = FAILING.format(data=str(data)).replace('[0.25, 0.5, 0.1]', '[0.5, 0.1]')
    sweep = write_sweep(tmp_path / "fragile.py", body)
    assert main([str(sweep), "--out", str(tmp_path / "run"), "--no-report", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "every run failed" in err and "boom while building" in err and "NaN" in err
    assert "Traceback" not in err


def test_hyperband_continuation_trials_train_their_whole_budget(tmp_path, capsys):
    """A Hyperband trial that continues an earlier one starts from a fresh
    model here, so it must train all its epochs, not just the remainder."""
    data = make_image_folder(tmp_path / "data", classes=("left", "right"), per_class=8, size=12)
    body = TINY.format(data=str(data), seeds=1).replace('epochs=2,', 'epochs=4, tuner="hyperband",')
    sweep = write_sweep(tmp_path / "hb.py", body)
    out = tmp_path / "run"
    assert main([str(sweep), "--out", str(out), "--no-report", "--quiet"]) == 0
    runs = RunDirectory(out).read_runs()
    continued = [r for r in runs if r.hyperparameters.get("tuner/initial_epoch", 0) > 0]
    assert continued, [r.hyperparameters for r in runs]  # Hyperband did schedule continuations
    assert all(r.status == "completed" for r in runs), [r.error for r in runs]
    for r in runs:
        assert r.epochs_run == r.hyperparameters["tuner/epochs"]
        history = pd.read_csv(out / "trials" / r.trial_id / "seed_0_history.csv")
        assert list(history["epoch"]) == list(range(1, r.epochs_run + 1))


def test_the_search_keeps_start_up_objects_out_of_each_collection(tiny_sweep, tmp_path, monkeypatch):
    """Each run ends with gc.collect(); what existed before the first trial
    (TensorFlow, Keras, the images) is frozen so that it is not walked each
    time, and thawed when the search returns."""
    import gc

    from search.sweep.tuner import SweepTuner

    frozen = []
    run_trial = SweepTuner.run_trial

    def watching(self, trial, *args, **kwargs):
        frozen.append(gc.get_freeze_count())
        return run_trial(self, trial, *args, **kwargs)

    monkeypatch.setattr(SweepTuner, "run_trial", watching)
    assert main([str(tiny_sweep), "--out", str(tmp_path / "run"), "--no-report", "--quiet"]) == 0
    assert len(frozen) == 2 and all(n > 10_000 for n in frozen)
    assert gc.get_freeze_count() == 0
