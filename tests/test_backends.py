"""The same sweep under torch (JAX: tests/test_fused_jax.py, which also runs a sweep from the command line)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pandas as pd
import pytest

from conftest import ROOT, make_image_folder, write_sweep

SWEEP = """
sweep = Sweep(
    name="backend",
    data=ImageFolder({data!r}, validation_split=0.25),
    hypermodel=SneakersCNN,
    image_size=24,
    space={{"pooling_1": ["avg", "max"], "batch_size": 8, "dense_units": 16}},
    epochs=2,
    seeds=2,
    fuse_seeds=True,
    early_stopping=None,
)
"""


@pytest.mark.parametrize("backend", ["torch"])
def test_tiny_sweep_runs_under_other_backends(backend, tmp_path):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    data = make_image_folder(tmp_path / "data", per_class=8, size=24)
    sweep = write_sweep(tmp_path / "s.py", SWEEP.format(data=str(data)))
    env = dict(os.environ, KERAS_BACKEND=backend)
    res = subprocess.run([sys.executable, "-m", "search.run", str(sweep), "--out", str(tmp_path / "run"),
                          "--no-report"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    table = pd.read_csv(tmp_path / "run" / "trials.csv")
    assert list(table["status"]) == ["completed"] * 4
    # torch keeps seeds apart even with fuse_seeds=True (search.training.fusion).
    assert list(table["fused"]) == [1] * 4
    assert f"backend    {backend}" in res.stderr
