"""A full disk (ENOSPC) while writing records: one-line error, nothing half-written, nothing lost."""

from __future__ import annotations

import errno
import os
import tempfile

import pytest

from conftest import make_image_folder, two_config_sweep, write_sweep
from rundir import records as records_module
from rundir.errors import SweepError
from rundir.records import RunDirectory, RunRecord
from search.run import main

NO_SPACE = OSError(errno.ENOSPC, "No space left on device")


def _full(*args, **kwargs):
    raise NO_SPACE


class _FailingFile:
    """A file whose writes hit a full disk (the data never reaches it)."""

    def __init__(self, fh):
        self._fh = fh

    def write(self, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()


def fail_at(monkeypatch, step: str) -> None:
    if step == "create temp file":
        monkeypatch.setattr(tempfile, "mkstemp", _full)
    elif step == "write":
        real = os.fdopen
        monkeypatch.setattr(records_module.os, "fdopen", lambda *a, **k: _FailingFile(real(*a, **k)))
    elif step == "fsync":
        monkeypatch.setattr(records_module.os, "fsync", _full)
    else:
        monkeypatch.setattr(records_module.os, "replace", _full)


@pytest.mark.parametrize("step", ["create temp file", "write", "fsync", "rename"])
def test_full_disk_keeps_the_previous_record(tmp_path, monkeypatch, step):
    runs = RunDirectory(tmp_path / "run")
    runs.prepare()
    old = RunRecord("0000", 0, "completed", {"dropout": 0.25}, score=0.75, history=[{"epoch": 1, "loss": 0.5}])
    runs.write_run(old)
    before = sorted(p.name for p in runs.run_path("0000", 0).parent.iterdir())
    new = RunRecord("0000", 0, "failed", {"dropout": 0.25}, error="changed", history=[{"epoch": 1, "loss": 9.0}])
    history = runs.run_path("0000", 0).with_name("seed_0_history.csv")
    old_history = history.read_text()
    fail_at(monkeypatch, step)
    with pytest.raises(SweepError) as caught:
        runs.write_run(new)
    monkeypatch.undo()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"cannot write {history}: No space left on device; ")  # the first file written
    kept = runs.read_run("0000", 0)
    assert kept is not None and kept.status == "completed" and kept.score == 0.75
    assert history.read_text() == old_history
    assert sorted(p.name for p in runs.run_path("0000", 0).parent.iterdir()) == before  # no temp file left




@pytest.mark.parametrize("full_from", ["trials/0001/.seed_0.json.", "trials/0001/.seed_0_history.csv."],
                         ids=["as a run starts", "as a run finishes"])
def test_disk_filling_up_mid_sweep_stops_with_one_line_and_loses_nothing(tmp_path, monkeypatch, capsys, full_from):
    """Before the fix Keras Tuner took the write error for a failed trial: it
    printed a traceback, went on with the next trial, and the trial whose
    record could not be written was marked done and never run on resume."""
    data = make_image_folder(tmp_path / "data", per_class=8, size=12)
    sweep = write_sweep(tmp_path / "full.py", two_config_sweep("full", data))
    out = tmp_path / "run"
    real_fsync = os.fsync
    full = []

    def fsync(fd):
        name = os.readlink(f"/proc/self/fd/{fd}")
        if full or name.startswith(str(out.resolve() / full_from)):
            full.append(name)  # the disk stays full from here on
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(records_module.os, "fsync", fsync)
    code = main([str(sweep), "--out", str(out), "--no-report", "--quiet"])
    captured = capsys.readouterr()
    # The tiny folder draws the data check's class-balance warning; the error itself is one line.
    lines = [line for line in (captured.out + captured.err).strip().splitlines() if not line.startswith("warning: ")]
    assert code == 1, lines  # the sweep ran and could not finish: not a mistake in the input
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot write {out}"), lines
    assert "No space left on device; nothing was recorded as failed" in lines[0] and "rerun the same command" in lines[0]
    assert not list(out.rglob(".*.tmp"))
    assert RunDirectory(out).read_run("0000", 0).status == "completed"

    monkeypatch.undo()  # space freed: the same command finishes the sweep
    assert main([str(sweep), "--out", str(out), "--no-report", "--quiet"]) == 0
    runs = RunDirectory(out).read_runs()
    assert [(r.trial_id, r.seed, r.status) for r in runs] == [("0000", 0, "completed"), ("0001", 0, "completed")]
    assert {r.hyperparameters["pooling_1"] for r in runs} == {"avg", "max"}
    assert main([str(sweep), "--out", str(tmp_path / "plain"), "--no-report", "--quiet"]) == 0
    assert_same_runs(out, tmp_path / "plain")  # value for value as a sweep that never met a full disk


def assert_same_runs(resumed_dir, plain_dir) -> None:
    """Every run of the resumed sweep as the uninterrupted one has it, epoch by epoch (wall times aside)."""
    import pandas as pd

    resumed, plain = RunDirectory(resumed_dir).read_runs(), RunDirectory(plain_dir).read_runs()
    assert [(r.trial_id, r.seed, r.status) for r in resumed] == [(r.trial_id, r.seed, r.status) for r in plain]
    for a, b in zip(resumed, plain):
        pd.testing.assert_frame_equal(pd.DataFrame(a.history).drop(columns="seconds"),
                                      pd.DataFrame(b.history).drop(columns="seconds"))


CHECKPOINTED = """
sweep = Sweep(
    name="ckpt",
    data=ImageFolder({data!r}, validation_split=0.25, seed=1),
    hypermodel=DigitsCNN,
    image_size=12,
    space={{"dropout": 0.3, "batch_size": 8, "learning_rate": 0.01}},
    epochs=4,
    seeds=2,
    early_stopping=None,
)
"""


def test_a_full_disk_during_a_checkpoint_stops_the_sweep_and_the_resume_matches_an_uninterrupted_one(
        tmp_path, monkeypatch, capsys):
    """Before: the checkpoint's OSError made the run "failed", the sweep went on, and a resume kept the
    failed records (9 of 12 runs lost for good). Now: one error line, exit 1, no run failed, no half-written
    checkpoint folder, and after freeing space the same command ends as an uninterrupted sweep."""
    import numpy as np

    from search.training import checkpoints

    data = make_image_folder(tmp_path / "data", per_class=8, size=12)
    sweep = write_sweep(tmp_path / "ckpt.py", CHECKPOINTED.format(data=str(data)))
    flags = ["--no-report", "--quiet", "--checkpoint-every", "0"]
    assert main([str(sweep), "--out", str(tmp_path / "plain"), *flags]) == 0
    real, calls = np.savez, []

    def savez(*args, **kwargs):
        calls.append(args[0])
        if len(calls) >= 4:  # seed 0's second checkpoint: the disk fills up
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(checkpoints.np, "savez", savez)
    out = tmp_path / "run"
    capsys.readouterr()
    assert main([str(sweep), "--out", str(out), *flags]) == 1
    lines = [line for line in capsys.readouterr().err.strip().splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1 and lines[0].startswith("error: cannot write checkpoint ") and "nothing was recorded" in lines[0]
    assert not [r for r in RunDirectory(out).read_runs() if r.status == "failed"]
    assert not list(out.rglob(".epoch_*"))  # no half-written checkpoint folder left behind
    monkeypatch.undo()
    assert main([str(sweep), "--out", str(out), *flags]) == 0
    assert_same_runs(out, tmp_path / "plain")


@pytest.fixture
def small_disk(tmp_path):
    """A real 5 MB tmpfs; skips where mounting is not allowed (not root, a container without the right)."""
    import shutil
    import subprocess

    mount = tmp_path / "disk"
    mount.mkdir()
    if shutil.which("mount") is None or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=5m", "tmpfs", str(mount)],
                                                       capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root and the right to mount)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_real_full_disk_loses_no_run_and_never_crashes(tmp_path, small_disk, capsys):
    """The issue's repro on a real file system: a filler leaves a little space, the sweep fills it during
    a checkpoint or a record, exits 1 with one line (never a segfault or a traceback); after the filler
    goes, the same command finishes with every run as an uninterrupted sweep has it."""
    import subprocess
    import sys

    from conftest import ROOT

    data = make_image_folder(tmp_path / "data", per_class=8, size=12)
    sweep = write_sweep(tmp_path / "ckpt.py", CHECKPOINTED.format(data=str(data)))
    flags = ["--no-report", "--quiet", "--checkpoint-every", "0"]
    assert main([str(sweep), "--out", str(tmp_path / "plain"), *flags]) == 0
    out, filler = small_disk / "run", small_disk / "filler"
    free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    filler.write_bytes(b"\0" * (free - 160 * 1024))  # room for the sweep's first files, not for its checkpoints
    proc = subprocess.run([sys.executable, "-m", "search.run", str(sweep), "--out", str(out), *flags], cwd=ROOT,
                          capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert len(errors) == 1 and "No space left on device" in errors[0] and "Traceback" not in proc.stderr
    assert not [r for r in RunDirectory(out).read_runs() if r.status == "failed"]
    filler.unlink()
    assert main([str(sweep), "--out", str(out), *flags]) == 0
    assert_same_runs(out, tmp_path / "plain")
