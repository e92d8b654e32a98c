"""The command line before and around training: --help without TensorFlow, its epilog,
checks that fail before any training, the Hyperband warning, Ctrl-C, and a quiet start."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT, TINY, make_image_folder, write_sweep
from search.run import main


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_help_imports_no_tensorflow():
    out = _python(
        "import runpy, sys\n"
        "sys.argv = ['search.run', '--help']\n"
        "try:\n    runpy.run_module('search.run', run_name='__main__')\n"
        "except SystemExit as e:\n    assert e.code == 0\n"
        "print('LOADED', 'tensorflow' in sys.modules, 'keras' in sys.modules, 'keras_tuner' in sys.modules)\n"
    )
    assert "usage: python -m search.run" in out
    assert out.strip().splitlines()[-1] == "LOADED False False False"


def test_help_epilog_has_examples_and_every_exit_code():
    from search.run import build_parser

    text = build_parser().format_help()
    for expected in ("python -m search.run sweeps/sneakers.py --data path/to/sneakers", "SWEEP_FILE --describe",
                     "RUN_DIR", "--tensorboard", "--save-best-model", "exit status:"):
        assert expected in text, expected
    codes = [line.split()[0] for line in text.split("exit status:")[1].strip().splitlines()]
    assert codes == ["0", "1", "2", "130", "143"]


@pytest.fixture
def data(tmp_path):
    return make_image_folder(tmp_path / "data", classes=("a", "b"), per_class=6, size=12)


def test_a_misspelt_objective_fails_in_one_line_before_training(tmp_path, data, capsys):
    sweep = write_sweep(tmp_path / "s.py", TINY.format(data=str(data), seeds=1).replace(
        "epochs=2,", 'epochs=2, objective="val_acc",'))
    out = tmp_path / "run"
    assert main([str(sweep), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == ("error: unknown objective 'val_acc'; did you mean 'val_accuracy'? each epoch logs loss, "
                       "accuracy, val_loss, val_accuracy")
    assert not out.exists()  # nothing trained, no run directory


def test_max_trials_with_hyperband_warns(tmp_path, data, capsys):
    sweep = write_sweep(tmp_path / "s.py", TINY.format(data=str(data), seeds=1).replace(
        "epochs=2,", 'epochs=2, tuner="hyperband",'))
    assert main([str(sweep), "--max-trials", "3", "--describe"]) == 0
    warning = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning: max_trials")]
    assert warning == ["warning: max_trials=3 is ignored: Hyperband sets its own number of trials from the epochs "
                       "(2) and its factor 3"]


def test_ctrl_c_marks_sweep_json_interrupted(tmp_path, data, capsys, monkeypatch):
    from search.sweep import engine
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "_search", interrupted)
    sweep = write_sweep(tmp_path / "s.py", TINY.format(data=str(data), seeds=1))
    out = tmp_path / "run"
    assert main([str(sweep), "--out", str(out), "--quiet"]) == 130
    assert json.loads((out / "sweep.json").read_text())["status"] == "interrupted"
    assert "interrupted: finished runs and running runs' last checkpoints are saved" in capsys.readouterr().err
    page = (out / "report.html").read_text(encoding="utf-8")  # drawn at the start, and again at the stop
    assert "Sweep stopped (status “interrupted”)" in page and "http-equiv" not in page
    assert json.loads((out / "progress.json").read_text())["event"] == "stop"


NOISE = ("absl", "cudart", "cpu_feature_guard", "oneDNN", "rebuild TensorFlow", "cuda drivers", "I0000", "W0000")


def test_the_demo_starts_with_its_header_and_no_tensorflow_lines(tmp_path):
    """Also the opt-in extras from the command line: TensorBoard logs and the best model."""
    out = tmp_path / "demo"
    run = subprocess.run([sys.executable, "-m", "search.run", "sweeps/digits.py", "--max-trials", "1", "--seeds", "1",
                          "--epochs", "1", "--no-report", "--out", str(out), "--tensorboard", "--save-best-model"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    assert lines[0].startswith("sweep      digits: demo on scikit-learn's digits"), lines[:3]
    noisy = [line for line in lines + run.stdout.splitlines() if any(word in line for word in NOISE)]
    assert not noisy, noisy
    assert list((out / "tensorboard" / "0000" / "seed_0").glob("events.out.tfevents.*"))
    assert (out / "best_model.keras").is_file()


def test_the_filter_drops_only_the_known_start_up_notices():
    from search.quiet import keep

    captured = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1795611847.608765    6105 cudart_stub.cc:31] Could not find cuda drivers on your machine, "
        "GPU will not be used.\n"
        "I0000 00:00:1795611847.692507    6105 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use "
        "available CPU instructions in performance-critical operations.\n"
        "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the "
        "appropriate compiler flags.\n"
        "E0000 00:00:1795611847.7 6105 some_kernel.cc:12] a real error\n"
        "ImportError: libcudnn.so.9: cannot open shared object file\n"
    )
    assert keep(captured) == ("E0000 00:00:1795611847.7 6105 some_kernel.cc:12] a real error\n"
                              "ImportError: libcudnn.so.9: cannot open shared object file\n")
