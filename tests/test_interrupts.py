"""Signals stop a sweep at a safe point: never a failed run, exit 130 or 143, and a resume equals an
uninterrupted sweep value for value (issue 40). Real processes, signalled from inside the first build
and the first trace of a training run, where a raising handler used to break TensorFlow's graph stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from conftest import ROOT
from rundir.records import MACHINE, MODEL, RunDirectory, RunRecord, set_aside_failed
from test_faults import _same_runs

# A user's own build, which sends its own process a signal the N-th time it builds or traces a model (N past
# the dry run's builds, so it lands inside a run of the sweep), once per sweep directory.
SWEEP = """
import os, signal
import keras
import numpy as np
from search import Arrays, Sweep

WHERE, SIGNAL = os.environ.get("STOP_AT", ""), getattr(signal, os.environ.get("STOP_SIGNAL", "SIGTERM"))
AFTER, FLAG = int(os.environ.get("STOP_AFTER", "0")), os.environ.get("STOP_FLAG", "")
seen = {"build": 0, "trace": 0}


def once(where):
    seen[where] += 1
    if where == WHERE and seen[where] > AFTER and FLAG and not os.path.exists(FLAG):
        open(FLAG, "w").close()
        os.kill(os.getpid(), SIGNAL)


class Traced(keras.layers.Layer):
    def call(self, x):
        once("trace")  # runs while TensorFlow traces the step function
        return x


def build(hp):
    once("build")
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Rescaling(1 / 255), Traced(),
                              keras.layers.Flatten(), keras.layers.Dense(hp.Choice("units", [4, 8])),
                              keras.layers.Dense(2)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


rng = np.random.default_rng(0)
x = rng.integers(0, 255, size=(64, 8, 8), dtype=np.uint8)
y = (x.mean(axis=(1, 2)) > 127).astype(int)
sweep = Sweep(name="signals", data=Arrays(x, y, validation_split=0.25), hypermodel=build, image_size=8,
              space={"batch_size": 16}, tuner="grid", epochs=2, seeds=2, early_stopping=None)
"""


def _run(sweep, out, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "search.run", str(sweep), "--out", str(out), "--no-report",
                           "--quiet", "--checkpoint-every", "off"], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", **env), timeout=300)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The sweep trained whole; a SIGTERM sent as it says its runs are done changes nothing (it used
    to kill the process by that signal while TensorFlow shut down, though sweep.json said "finished")."""
    import signal

    root = tmp_path_factory.mktemp("signals")
    sweep = root / "signals.py"
    sweep.write_text(SWEEP)
    proc = subprocess.Popen([sys.executable, "-m", "search.run", str(sweep), "--out", str(root / "whole"),
                             "--no-report", "--quiet", "--checkpoint-every", "off"], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    err = []
    for line in proc.stderr:
        err.append(line)
        if "runs completed" in line:  # main() returns next; the signal lands while the process shuts down
            time.sleep(0.5)
            proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=300)
    assert proc.returncode == 0 and any("4 runs completed, 0 failed" in e for e in err), "".join(err)
    assert json.loads((root / "whole" / "sweep.json").read_text())["status"] == "finished"
    return sweep, root / "whole"


@pytest.mark.parametrize("where, signal_name, after, code, resume", [
    ("build", "SIGINT", 5, 130, False),  # inside the second run's model build (the first 5 are the checks'
    ("trace", "SIGTERM", 8, 143, True),  # and the first run's); inside TensorFlow's trace of the first run's step
])
def test_a_signal_inside_a_build_or_a_trace_stops_the_sweep_and_fails_no_run(uninterrupted, tmp_path, where,
                                                                              signal_name, after, code, resume):
    sweep, whole = uninterrupted
    out = tmp_path / "run"
    stopped = _run(sweep, out, STOP_AT=where, STOP_SIGNAL=signal_name, STOP_AFTER=str(after),
                   STOP_FLAG=str(tmp_path / "sent"))
    assert (tmp_path / "sent").exists(), "the signal was never sent: raise STOP_AFTER's range"
    assert stopped.returncode == code, stopped.stderr
    assert "Traceback" not in stopped.stderr
    assert json.loads((out / "sweep.json").read_text())["status"] == "interrupted"
    assert not [r for r in RunDirectory(out).read_runs() if r.status == "failed"]
    if not resume:  # one resume is enough to show it equals the uninterrupted sweep (and saves CI a process)
        return
    resumed = _run(sweep, out)
    assert resumed.returncode == 0, resumed.stderr
    _same_runs(whole, out)


def test_machine_failures_are_set_aside_and_retried_a_models_own_stay(tmp_path):
    directory = RunDirectory(tmp_path / "run")
    directory.prepare()
    for seed, failure in enumerate((MACHINE, MODEL, "")):
        directory.write_run(RunRecord("0000", seed, "failed", {"units": 4}, error=f"error {seed}", failure=failure))
    directory.write_run(RunRecord("0000", 3, "completed", {"units": 4}, score=0.5))
    directory.write_json("sweep.json", {"name": "x", "seeds": 4})
    from rundir.verify import check_run

    notes = check_run(directory.root).notes
    assert any("seed_0.json failed: error 0 (the machine's doing: a resume trains it again)" in n for n in notes)
    assert any("seed_1.json failed: error 1 (its own training: it stays failed (--retry-failed" in n for n in notes)
    moved = set_aside_failed(directory)
    assert len(moved) == 1 and "trial 0000 seed 0 failed (error 0; the machine's doing)" in moved[0]
    assert directory.read_run("0000", 0) is None and (tmp_path / "run" / "retried" / "trials" / "0000").is_dir()
    assert [r.seed for r in directory.read_runs()] == [1, 2, 3]
    moved = set_aside_failed(directory, every=True)  # --retry-failed
    assert len(moved) == 2 and all("--retry-failed" in m for m in moved)
    assert [r.seed for r in directory.read_runs()] == [3]


def test_which_failures_are_the_machines():
    from search.training.one_run import machine_failure

    assert machine_failure(MemoryError())
    assert machine_failure(AssertionError("Nesting violated for default stack of <class 'FuncGraph'> objects"))
    assert machine_failure(ValueError("Argument initial_value (Tensor(...)) could not be lifted out of a tf.function"))
    assert machine_failure(RuntimeError("OOM when allocating tensor: ResourceExhaustedError"))
    assert not machine_failure(ValueError("Input 0 of layer dense is incompatible with the layer"))
    assert not machine_failure(FloatingPointError("loss became NaN at epoch 3"))


def test_a_class_folder_linked_to_a_sibling_is_one_error(tmp_path):
    from conftest import make_image_folder
    from rundir.errors import SweepError
    from search.data.sources import ImageFolder

    root = make_image_folder(tmp_path / "data", per_class=4, size=12)
    (root / "c").symlink_to(root / "a", target_is_directory=True)
    with pytest.raises(SweepError, match=r"class folders .*a and .*c are the same folder"):
        ImageFolder(root).load(12)


def test_images_much_smaller_than_the_sweep_get_one_warning(tmp_path):
    from conftest import make_image_folder
    from search.data.datacheck import check_data
    from search.data.sources import ImageFolder

    root = make_image_folder(tmp_path / "data", per_class=6, size=12)
    from PIL import Image

    Image.new("RGB", (1, 1), (200, 10, 10)).save(root / "a" / "tiny.png")
    (line,) = [w for w in check_data(ImageFolder(root).load(16), 16).warnings if w.startswith("small images")]
    assert line.startswith("small images: 1 image is under half")  # the 1x1 one; 12 px for 16 px is not much smaller
    check = check_data(ImageFolder(root).load(64), 64)
    (line,) = [w for w in check.warnings if w.startswith("small images")]
    assert line.startswith("small images: 13 images are under half the sweep's 64 px") and "1x1" in line


def test_a_process_that_cannot_run_the_sweeps_thread_count_refuses_to_train_it(uninterrupted, tmp_path, capsys):
    """A run's numbers depend on its CPU thread count (search.training.threads): a resume in a process
    whose backend already runs another count would mix the two, so it is one line before any training."""
    import shutil

    import keras

    from search.run import main
    from search.training import threads

    if keras.backend.backend() != "tensorflow":
        pytest.skip("only TensorFlow keeps its thread count once started; torch and JAX are pinned anew")
    import tensorflow as tf

    tf.constant(0.0) + 1  # this process's TensorFlow has started: its count is fixed now
    sweep, whole = uninterrupted
    out = tmp_path / "run"
    shutil.copytree(whole, out)
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["threads"] >= 1 and {r.threads for r in RunDirectory(out).read_runs()} == {meta["threads"]}
    meta["threads"] = threads.in_use() + 1
    (out / "sweep.json").write_text(json.dumps(meta))
    before = [(r.trial_id, r.seed, r.finished) for r in RunDirectory(out).read_runs()]
    (out / "trials" / "0000" / "seed_1.json").unlink()  # one run left to train
    assert main([str(sweep), "--out", str(out), "--no-report", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"this sweep's runs use {meta['threads']} CPU threads each, and this process already runs " \
           f"{threads.in_use()}" in err and "Traceback" not in err
    assert [(r.trial_id, r.seed, r.finished) for r in RunDirectory(out).read_runs()] == before[:1] + before[2:]
