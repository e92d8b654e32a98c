"""Under JAX (the GPU machine has JAX, not TensorFlow): a sweep from the command line, and fused seeds
as one vmapped program that trains each seed exactly as its lone run does."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys

import pytest

from conftest import ROOT, make_image_folder, write_sweep

SWEEP = """
sweep = Sweep(
    name="vmap",
    data=ImageFolder({data!r}, validation_split=0.25, seed=1),
    hypermodel=DigitsCNN,
    image_size=12,
    space={{"batch_size": 5, "learning_rate": 3e-3, "decay_rate": 0.9, "decay_steps": 4}},
    epochs=6,
    seeds=3,
    early_stopping=EarlyStopping(monitor="val_accuracy", min_delta=0.0, patience=1),
    fuse_seeds={fuse},
)
"""

# Runs under KERAS_BACKEND=jax in its own process (this one has loaded TensorFlow's Keras): the lone
# seeds in-process, the fused ones through the command line's main, then the GPU benchmark's K climb.
SCRIPT = r"""
import dataclasses, json, sys
from search.training import fused_jax
from search.sweep.engine import train_sweep
from search.sweep.prepare import prepare
from rundir.records import RunDirectory
from search.run import main
from search.sweep.spec import load_sweep_file

lone_file, fused_file, out = sys.argv[1:]
fits = []
real_fit = fused_jax.VmapProgram.fit
def counted(self, epochs, extra_callbacks=None):
    fits.append(len(self.members))
    return real_fit(self, epochs, extra_callbacks)
fused_jax.VmapProgram.fit = counted
train_sweep(prepare(load_sweep_file(lone_file)), f"{out}/lone", quiet=True)
code = main([fused_file, "--out", f"{out}/fused", "--no-report"])
result = {"code": code, "vmap_fits": fits}
for side in ("lone", "fused"):
    result[side] = [dataclasses.asdict(r) for r in RunDirectory(f"{out}/{side}").read_runs()]
from benchmarks.fused import k_scaling
result["max_k"] = k_scaling(load_sweep_file(lone_file), max_k=2, steps=1, gpu=False, described="cpu",
                            programs=("vmap",)).details  # the towers' climb: tests/test_benchmarks.py
print(json.dumps(result))
"""


def test_under_jax_vmapped_seeds_train_as_their_lone_runs(tmp_path):
    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed")
    data = make_image_folder(tmp_path / "data", classes=("a", "b", "c"), per_class=16, size=12)
    lone = write_sweep(tmp_path / "lone.py", SWEEP.format(data=str(data), fuse=False))
    fused_file = write_sweep(tmp_path / "fused.py", SWEEP.format(data=str(data), fuse=True))
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3")
    res = subprocess.run([sys.executable, "-c", SCRIPT, str(lone), str(fused_file), str(tmp_path / "runs")],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "backend    jax" in res.stderr
    result = json.loads(res.stdout.strip().splitlines()[-1])
    assert result["code"] == 0 and result["vmap_fits"][0] == 3  # the vmapped path, 3 seeds as one program
    alone, fused = result["lone"], result["fused"]
    assert [(r["trial_id"], r["seed"], r["fused"]) for r in fused] == [("0000", s, 3) for s in range(3)]
    for a, f in zip(alone, fused):
        assert (a["trial_id"], a["seed"], a["fused"]) == (f["trial_id"], f["seed"], 1)
        assert f["status"] == a["status"] == "completed"
        # 48 images at 25% validation: 36 to train in batches of 5, the last one smaller; the
        # learning rate decays every 4 steps, across epochs; early stopping per seed.
        assert (f["epochs_run"], f["stopped_epoch"], f["best_epoch"]) == (a["epochs_run"], a["stopped_epoch"],
                                                                          a["best_epoch"])
        # Accuracies count images (one image moves them by 1/12 or 1/36) and the schedule is
        # arithmetic, so those agree to rounding. The losses agree to float32 rounding of a batched
        # convolution, which training amplifies: on an AMD EPYC (AVX-512), seed 0's losses matched
        # to 1e-8 in epoch 1, then differed by 1.7e-4 (val_loss 5e-4, accuracies still equal)
        # from epoch 2 on. Training the members on the wrong batch order (a mutation tried by hand)
        # moved every seed's losses by 4e-2 or more in epoch 1.
        tolerance = {"loss": 2e-3, "val_loss": 2e-3, "accuracy": 1e-6, "val_accuracy": 1e-6,
                     "learning_rate": 1e-6, "lr_epoch_start": 1e-6}
        for row_a, row_f in zip(a["history"], f["history"]):
            for key, rel_tol in tolerance.items():
                assert math.isclose(row_f[key], row_a[key], rel_tol=rel_tol, abs_tol=1e-7), \
                    (a["trial_id"], a["seed"], row_a["epoch"], key)
        assert f["score"] == pytest.approx(a["score"], rel=1e-6) and f["params"] == a["params"]
    assert len({r["epochs_run"] for r in fused}) > 1  # seeds stopped early at different epochs
    k = result["max_k"]
    assert [(r["program"], r["k"]) for r in k["per_k"]] == [("vmap", 2)]
    assert k["largest_k"] == {"vmap": 2} and all(r["steady_fit_s"] > 0 for r in k["per_k"])
