"""Mixed precision, opt-in: bf16 compute with float32 weights and outputs."""

from __future__ import annotations

import json

import keras
import keras_tuner as kt
import numpy as np
import pytest

from conftest import make_image_folder, write_sweep
from search.training import device
from rundir.errors import SweepError
from search.models.articles import DigitsCNN, VGG16
from rundir.records import RunDirectory
from search.run import main


def test_models_built_under_mixed_bfloat16_compute_in_bf16_and_answer_in_float32():
    with device.precision("mixed_bfloat16"):
        model = DigitsCNN((12, 12, 3), 3).build(kt.HyperParameters())
        vgg = VGG16((32, 32, 3), 3).build(kt.HyperParameters())
    assert keras.mixed_precision.global_policy().name == "float32"  # put back
    for m, size in ((model, 12), (vgg, 32)):
        convs = [layer for layer in m.layers if isinstance(layer, keras.layers.Conv2D)]
        assert convs and all(c.compute_dtype == "bfloat16" and c.variable_dtype == "float32" for c in convs)
        out = m(np.zeros((1, size, size, 3), "float32"), training=False)
        assert keras.backend.standardize_dtype(out.dtype) == "float32", m.name
    plain = DigitsCNN((12, 12, 3), 3).build(kt.HyperParameters())
    assert all(layer.compute_dtype == "float32" for layer in plain.layers)


def test_the_policy_is_put_back_when_a_build_fails():
    with pytest.raises(RuntimeError), device.precision("mixed_bfloat16"):
        raise RuntimeError("build failed")
    assert keras.mixed_precision.global_policy().name == "float32"


def test_an_unknown_precision_is_one_line_with_a_suggestion():
    from search import Digits, Sweep

    with pytest.raises(SweepError, match="unknown precision 'mixed_bfloat61'; did you mean 'mixed_bfloat16'"):
        Sweep(name="x", data=Digits(), hypermodel=DigitsCNN, precision="mixed_bfloat61")


SWEEP = """
sweep = Sweep(
    name="bf16",
    data=ImageFolder({data!r}, validation_split=0.25, seed=1),
    hypermodel=DigitsCNN,
    image_size=12,
    space={{"dropout": [0.0, 0.2]}},
    epochs=2,
    early_stopping=None,
)
"""


def test_a_sweep_trains_under_the_flag_and_refuses_to_resume_under_another(tmp_path, capsys):
    data = make_image_folder(tmp_path / "data", classes=("a", "b"), per_class=8, size=12)
    sweep = write_sweep(tmp_path / "bf16.py", SWEEP.format(data=str(data)))
    out = tmp_path / "run"
    assert main([str(sweep), "--out", str(out), "--no-report", "--quiet", "--precision", "mixed_bfloat16"]) == 0
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["precision"] == "mixed_bfloat16"
    runs = RunDirectory(out).read_runs()
    assert len(runs) == 2 and all(r.status == "completed" and r.score is not None for r in runs)
    capsys.readouterr()
    assert main([str(sweep), "--out", str(out), "--no-report", "--quiet"]) == 2
    assert "changed: precision" in capsys.readouterr().err
