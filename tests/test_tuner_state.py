"""Keras Tuner's own state files (tuner/oracle.json, tuner/trial_*/trial.json).

Keras Tuner writes them in place; a kill or a full disk in between left an
empty or cut-off file, and the resume died with a JSONDecodeError traceback.
Our oracles write them atomically, and a damaged one (from an older version,
or tuner0.json, which the Tuner writes itself) is a one-line error saying
how to recover: delete the tuner folder and rerun; finished runs are reused.
"""

from __future__ import annotations

import errno
import json
import shutil

import keras_tuner
import pytest

from conftest import make_image_folder, two_config_sweep, write_sweep
from search.sweep import keras_tuner_private as kt_private
from rundir import records as records_module
from rundir.errors import SweepError
from search.sweep.oracles import ResumableGridSearchOracle
from rundir.records import RunDirectory
from search.run import main



def test_oracle_state_is_written_atomically(tmp_path, monkeypatch):
    hp = keras_tuner.HyperParameters()
    hp.Choice("pooling_1", ["avg", "max"])
    oracle = ResumableGridSearchOracle(objective="val_accuracy", hyperparameters=hp)
    kt_private.set_project_dir(oracle, tmp_path, "tuner")
    trial = oracle.create_trial("tuner0")
    state = tmp_path / "tuner" / "oracle.json"
    before = state.read_text()
    assert json.loads(before)["ongoing_trials"] == {"tuner0": trial.trial_id}
    trial_file = tmp_path / "tuner" / f"trial_{trial.trial_id}" / "trial.json"
    assert json.loads(trial_file.read_text())["status"] == "RUNNING"

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(records_module.os, "fsync", full)
    oracle.ongoing_trials = {}
    with pytest.raises(SweepError, match=rf"cannot write {state}: No space left on device"):
        oracle.save()
    monkeypatch.undo()
    assert state.read_text() == before
    assert sorted(p.name for p in state.parent.iterdir()) == ["oracle.json", f"trial_{trial.trial_id}"]


@pytest.fixture(scope="module")
def half_done(tmp_path_factory):
    """A sweep stopped after its first trial (of two): the run directory and the sweep file."""
    root = tmp_path_factory.mktemp("half_done")
    data = make_image_folder(root / "data", per_class=8, size=12)
    sweep = write_sweep(root / "state.py", two_config_sweep("state", data))
    assert main([str(sweep), "--out", str(root / "run"), "--no-report", "--quiet", "--max-trials", "1"]) == 0
    return sweep, root / "run"


@pytest.fixture
def run_dir(half_done, tmp_path):
    sweep, run = half_done
    shutil.copytree(run, tmp_path / "run")
    return sweep, tmp_path / "run"


@pytest.mark.parametrize("damage", ["oracle.json cut in half", "trial.json empty", "tuner0.json empty"])
def test_damaged_state_file_is_one_line_naming_it_and_the_remedy_works(run_dir, capsys, damage):
    sweep, out = run_dir
    name, how = damage.split(" ", 1)
    (trial_file,) = (out / "tuner").glob("trial_*/trial.json")
    path = {"oracle.json": out / "tuner" / "oracle.json", "trial.json": trial_file,
            "tuner0.json": out / "tuner" / "tuner0.json"}[name]
    text = path.read_text()
    path.write_text(text[: len(text) // 2] if how == "cut in half" else "")
    first = RunDirectory(out).read_run("0000", 0)
    capsys.readouterr()

    assert main([str(sweep), "--out", str(out), "--no-report", "--quiet"]) == 2
    captured = capsys.readouterr()
    # The tiny folder draws the data check's class-balance warning; the error itself is one line.
    lines = [line for line in (captured.out + captured.err).strip().splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: Keras Tuner's state file {path} is damaged"), lines
    assert f"delete {out / 'tuner'} and rerun" in lines[0]
    assert not (out / "sweep.lock").exists()

    # The remedy the message gives: the grid is walked again and trial 0000 reused, not retrained.
    shutil.rmtree(out / "tuner")
    assert main([str(sweep), "--out", str(out), "--no-report", "--quiet"]) == 0
    runs = RunDirectory(out).read_runs()
    assert [(r.trial_id, r.status) for r in runs] == [("0000", "completed"), ("0001", "completed")]
    assert runs[0].finished == first.finished and runs[0].hyperparameters == first.hyperparameters
    assert {r.hyperparameters["pooling_1"] for r in runs} == {"avg", "max"}


def test_trial_started_but_never_handed_out_is_forgotten(run_dir):
    """A kill inside create_trial, between writing trial_0001/trial.json and
    oracle.json, left a trial the oracle never started; it used to push the
    next configuration to id 0002, leaving a gap."""
    sweep, out = run_dir
    tuner = out / "tuner"
    (first,) = tuner.glob("trial_*/trial.json")  # trial_0: --max-trials 1 pads ids to one digit
    orphan = json.loads(first.read_text())
    orphan.update(trial_id="0001", status="RUNNING", score=None, best_step=0)
    orphan["metrics"] = {"metrics": {}}
    (tuner / "trial_0001").mkdir()
    (tuner / "trial_0001" / "trial.json").write_text(json.dumps(orphan))
    assert "0001" not in json.loads((tuner / "oracle.json").read_text())["start_order"]

    assert main([str(sweep), "--out", str(out), "--no-report", "--quiet"]) == 0
    runs = RunDirectory(out).read_runs()
    assert [(r.trial_id, r.status) for r in runs] == [("0000", "completed"), ("0001", "completed")]
    assert {r.hyperparameters["pooling_1"] for r in runs} == {"avg", "max"}
    assert not (tuner / "trial_0002").exists()
